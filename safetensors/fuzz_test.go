package safetensors

import (
	"bytes"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser. It must never panic; every
// rejection must carry one of the error categories; and whatever it accepts
// must be self-consistent (the tensors tile the data section, each has the
// bytes its dtype and shape need) and survive Encode and a second Parse
// unchanged. Crashers the fuzzer finds are kept in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	seed := func(ts []Tensor, meta map[string]string) {
		var buf bytes.Buffer
		if err := Encode(&buf, ts, meta); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	seed(nil, nil)
	seed(nil, map[string]string{"format": "pt"})
	seed([]Tensor{{Name: "w", DType: F32, Shape: []int{2, 2}, Data: make([]byte, 16)}}, map[string]string{"format": "pt"})
	seed([]Tensor{
		{Name: "ids", DType: I64, Shape: []int{3}, Data: make([]byte, 24)},
		{Name: "h", DType: BF16, Shape: []int{}, Data: make([]byte, 2)},
		{Name: "q", DType: F4, Shape: []int{2, 3}, Data: make([]byte, 3)},
		{Name: "m", DType: Bool, Shape: []int{0}, Data: nil},
	}, nil)
	f.Add(file("{"+entry("a", "F32", "[4]", 0, 16)+","+entry("b", "F32", "[4]", 8, 24)+"}", 24))
	f.Add(file(`{"__metadata__":{"k":"v","k":"w"}}`, 0))
	f.Add(file("{"+entry("a", "F32", "[2,3]", 0, 20)+"}", 20))
	f.Add(rawFile(1<<40, "{}", 0))

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			for _, kind := range []error{ErrHeaderLength, ErrJSON, ErrDType, ErrDuplicate, ErrOffsets, ErrSize} {
				if errors.Is(err, kind) {
					return
				}
			}
			t.Fatalf("error of no category: %v", err)
		}
		total := 0
		var ts []Tensor
		for _, name := range p.Names() {
			info, ok := p.Info(name)
			b, err := p.Bytes(name)
			if !ok || err != nil {
				t.Fatalf("listed tensor %q: %v %v", name, ok, err)
			}
			size, err := info.DType.ByteSize(info.Shape)
			if err != nil || size != len(b) || info.Size() != len(b) {
				t.Fatalf("tensor %q: %s %v has %d bytes (%v)", name, info.DType, info.Shape, len(b), err)
			}
			total += len(b)
			ts = append(ts, Tensor{Name: name, DType: info.DType, Shape: info.Shape, Data: b})
		}
		if total != len(data)-p.h.dataAt {
			t.Fatalf("tensors hold %d bytes of a %d-byte data section", total, len(data)-p.h.dataAt)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, ts, p.Metadata()); err != nil {
			t.Fatalf("cannot re-encode what was read: %v", err)
		}
		q, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatalf("cannot read back what was re-encoded: %v", err)
		}
		if !slices.Equal(q.Names(), p.Names()) || !maps.Equal(q.Metadata(), p.Metadata()) {
			t.Fatalf("names or metadata changed: %q %v -> %q %v", p.Names(), p.Metadata(), q.Names(), q.Metadata())
		}
		for _, want := range ts {
			info, _ := q.Info(want.Name)
			b, _ := q.Bytes(want.Name)
			if info.DType != want.DType || !slices.Equal(info.Shape, want.Shape) || !bytes.Equal(b, want.Data) {
				t.Fatalf("tensor %q changed in the round trip", want.Name)
			}
		}
	})
}

// FuzzParseIndex feeds arbitrary bytes to the index-file parser: it must
// never panic, every rejection must carry a category, and every shard name it
// accepts must be a plain file name inside the folder.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"metadata": {"total_size": 24}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}`))
	f.Add([]byte(`{"weight_map": {"a": "../x.safetensors"}}`))
	f.Add([]byte(`{"weight_map": {"a": "s", "a": "t"}}`))
	f.Add([]byte(`{"weight_map": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wm, err := parseIndex(data)
		if err != nil {
			if !errors.Is(err, ErrJSON) && !errors.Is(err, ErrDuplicate) && !errors.Is(err, ErrIndex) {
				t.Fatalf("error of no category: %v", err)
			}
			return
		}
		for name, shard := range wm {
			if shard == "" || filepath.Base(shard) != shard || shard == ".." || shard == "." || strings.ContainsAny(shard, `/\`) {
				t.Fatalf("tensor %q: accepted shard name %q", name, shard)
			}
		}
	})
}
