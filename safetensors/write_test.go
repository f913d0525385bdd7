package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// f32Bytes encodes float32 values little-endian.
func f32Bytes(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func encode(t *testing.T, ts []Tensor, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, ts, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The expected bytes below are those of the reference implementation's own
// tests (huggingface/safetensors, safetensors/src/tensor.rs: test_serialization,
// test_empty, test_serialization_forced_alignement), transcribed as text.
func TestEncodeMatchesReferenceBytes(t *testing.T) {
	data := f32Bytes(0, 1, 2, 3, 4, 5)
	cases := []struct {
		name string
		ts   []Tensor
		meta map[string]string
		want []byte
	}{
		{"test_serialization", []Tensor{{Name: "attn.0", DType: F32, Shape: []int{1, 2, 3}, Data: data}}, nil,
			append([]byte("\x40\x00\x00\x00\x00\x00\x00\x00"+`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`),
				0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64)},
		{"test_empty", nil, nil, []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      ")},
		{"test_empty with metadata", nil, map[string]string{"framework": "pt"},
			[]byte("\x28\x00\x00\x00\x00\x00\x00\x00" + `{"__metadata__":{"framework":"pt"}}     `)},
		{"test_serialization_forced_alignement", []Tensor{{Name: "attn0", DType: F32, Shape: []int{1, 1, 2, 3}, Data: data}}, nil,
			append([]byte("\x48\x00\x00\x00\x00\x00\x00\x00"+`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `),
				0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := encode(t, c.ts, c.meta)
			if !bytes.Equal(got, c.want) {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
			if _, err := Parse(got); err != nil {
				t.Errorf("cannot read back: %v", err)
			}
		})
	}
}

// The reference sorts by dtype, larger (later in its enum) first, then by
// name, puts "__metadata__" first, and sorts nothing else: the expected header
// here is written out by hand from that rule.
func TestEncodeOrder(t *testing.T) {
	ts := []Tensor{
		{Name: "b", DType: F32, Shape: []int{1}, Data: make([]byte, 4)},
		{Name: "d", DType: U8, Shape: []int{3}, Data: []byte{1, 2, 3}},
		{Name: "a", DType: F32, Shape: []int{1}, Data: make([]byte, 4)},
		{Name: "e", DType: BF16, Shape: []int{}, Data: make([]byte, 2)},
		{Name: "c", DType: I64, Shape: []int{1}, Data: make([]byte, 8)},
		{Name: `q"\` + "\n\x01", DType: Bool, Shape: []int{0}, Data: nil},
	}
	got := encode(t, ts, map[string]string{"z": "1", "a": "<&>é"})
	want := `{"__metadata__":{"a":"<&>é","z":"1"},` +
		`"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},` +
		`"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},` +
		`"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},` +
		`"e":{"dtype":"BF16","shape":[],"data_offsets":[16,18]},` +
		`"d":{"dtype":"U8","shape":[3],"data_offsets":[18,21]},` +
		`"q\"\\\n\u0001":{"dtype":"BOOL","shape":[0],"data_offsets":[21,21]}}`
	n := binary.LittleEndian.Uint64(got)
	hdr := string(got[8 : 8+n])
	if strings.TrimRight(hdr, " ") != want {
		t.Errorf("header\n%s\nwant\n%s", hdr, want)
	}
	if n%8 != 0 || len(hdr)-len(want) >= 8 {
		t.Errorf("header length %d is not the JSON (%d) padded to a multiple of 8", n, len(want))
	}
	if !bytes.Equal(got[8+n+18:], []byte{1, 2, 3}) {
		t.Errorf("data of d = %v", got[8+n+18:])
	}
	f, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := f.Info("q\"\\\n\x01"); info.DType != Bool {
		t.Errorf("escaped name read back as %+v", info)
	}
}

func TestEncodeRejectsBadTensors(t *testing.T) {
	ok := Tensor{Name: "ok", DType: F32, Shape: []int{1}, Data: make([]byte, 4)}
	cases := []struct {
		name string
		ts   []Tensor
		meta map[string]string
		want string
	}{
		{"duplicate", []Tensor{ok, ok}, nil, `"ok" appears twice`},
		{"wrong length", []Tensor{{Name: "w", DType: F16, Shape: []int{3}, Data: make([]byte, 4)}}, nil, `tensor "w": dtype F16 × shape [3] needs 6 bytes but has 4`},
		{"unknown dtype", []Tensor{{Name: "u", DType: "F12", Shape: []int{1}, Data: make([]byte, 4)}}, nil, `tensor "u": unknown dtype "F12"`},
		{"negative dim", []Tensor{{Name: "n", DType: U8, Shape: []int{-1}}}, nil, `tensor "n": negative dimension`},
		{"odd F4", []Tensor{{Name: "f", DType: F4, Shape: []int{1}, Data: []byte{0}}}, nil, `tensor "f": 1 elements of F4`},
		{"reserved name", []Tensor{{Name: "__metadata__", DType: U8, Shape: []int{1}, Data: []byte{0}}}, nil, "reserved"},
		{"bad UTF-8 name", []Tensor{{Name: "\xff", DType: U8, Shape: []int{1}, Data: []byte{0}}}, nil, "UTF-8"},
		{"bad UTF-8 metadata", []Tensor{ok}, map[string]string{"k": "\xfe"}, "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, c.ts, c.meta)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// Every dtype the format defines goes through Encode and Parse unchanged.
func TestRoundTripEveryDType(t *testing.T) {
	var ts []Tensor
	for i, d := range DTypes() {
		shape := []int{2, 4}
		size, err := d.ByteSize(shape)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(i*31 + j)
		}
		ts = append(ts, Tensor{Name: "t_" + string(d), DType: d, Shape: shape, Data: data})
	}
	f, err := Parse(encode(t, ts, map[string]string{"format": "pt"}))
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != len(ts) {
		t.Fatalf("%d tensors back, want %d", f.Len(), len(ts))
	}
	for _, want := range ts {
		info, ok := f.Info(want.Name)
		got, err := f.Bytes(want.Name)
		if !ok || err != nil || info.DType != want.DType || !equalInts(info.Shape, want.Shape) || !bytes.Equal(got, want.Data) {
			t.Errorf("%s: got %+v %v, want %+v", want.Name, info, err, want)
		}
		if info.Offsets[0]%(max(want.DType.Bits(), 8)/8) != 0 {
			t.Errorf("%s: data at offset %d is not aligned to its element size", want.Name, info.Offsets[0])
		}
	}
}

// The element widths the reference's Dtype::bitsize gives.
func TestDTypeBits(t *testing.T) {
	want := map[DType]int{"BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8,
		"F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
		"I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
		"C64": 64, "F64": 64, "I64": 64, "U64": 64}
	if len(DTypes()) != len(want) {
		t.Errorf("DTypes has %d names, want %d", len(DTypes()), len(want))
	}
	for _, d := range DTypes() {
		if !d.Valid() || d.Bits() != want[d] {
			t.Errorf("%s: Valid %v Bits %d, want %d", d, d.Valid(), d.Bits(), want[d])
		}
	}
	for _, d := range []DType{"", "f32", "F8", "FP16", "float32"} {
		if d.Valid() || d.Bits() != 0 {
			t.Errorf("%q is valid", d)
		}
	}
	if n, err := F6E3M2.ByteSize([]int{4, 3}); err != nil || n != 9 {
		t.Errorf("F6_E3M2 [4 3] = %d bytes, %v; want 9", n, err)
	}
}

func TestWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	ts := []Tensor{{Name: "x", DType: F32, Shape: []int{2}, Data: f32Bytes(1.5, -2)}}
	if err := Write(path, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := encode(t, ts, map[string]string{"format": "pt"}); !bytes.Equal(got, want) {
		t.Errorf("file differs from Encode's bytes")
	}
	onlyFiles(t, dir, "w.safetensors")

	// A failing write leaves the old file as it was and no temporary file.
	bad := []Tensor{{Name: "x", DType: F32, Shape: []int{3}, Data: f32Bytes(1)}}
	if err := Write(path, bad, nil); err == nil {
		t.Fatal("Write accepted a tensor of the wrong size")
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, got) {
		t.Errorf("a failed Write changed the file")
	}
	onlyFiles(t, dir, "w.safetensors")

	if err := Write(filepath.Join(dir, "missing", "m.safetensors"), ts, nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Write into a missing folder: %v", err)
	}
}

// onlyFiles fails unless dir holds exactly the named files.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

func TestOpenMapsAndCloses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "o.safetensors")
	ts := []Tensor{
		{Name: "a", DType: F32, Shape: []int{2}, Data: f32Bytes(1, 2)},
		{Name: "b", DType: U8, Shape: []int{1}, Data: []byte{7}},
	}
	if err := Write(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path() != path || strings.Join(f.Names(), ",") != "a,b" {
		t.Errorf("Path %q Names %v", f.Path(), f.Names())
	}
	if b, err := f.Bytes("a"); err != nil || !bytes.Equal(b, f32Bytes(1, 2)) {
		t.Errorf("Bytes(a) = %v, %v", b, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.Bytes("a"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Bytes after Close: %v", err)
	}

	empty := filepath.Join(dir, "empty.safetensors")
	os.WriteFile(empty, nil, 0o644)
	if _, err := Open(empty); !errors.Is(err, ErrHeaderLength) || !strings.Contains(err.Error(), empty) {
		t.Errorf("Open(empty file) = %v, want a header length error naming the file", err)
	}
	if _, err := Open(filepath.Join(dir, "nope.safetensors")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
	trunc := filepath.Join(dir, "trunc.safetensors")
	whole, _ := os.ReadFile(path)
	os.WriteFile(trunc, whole[:len(whole)-1], 0o644)
	if _, err := Open(trunc); !errors.Is(err, ErrOffsets) || !strings.Contains(err.Error(), trunc) || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("Open(truncated) = %v, want an offsets error naming the file and tensor b", err)
	}
}

// The writer refuses a header over the limit (MaxHeaderSize in Encode; a
// small limit here, to keep the test small).
func TestEncodeHeaderLimit(t *testing.T) {
	ts := []Tensor{{Name: "x", DType: U8, Shape: []int{1}, Data: []byte{1}}}
	hdr, _, err := encodeHeader(ts, nil, 64)
	if err != nil || len(hdr) != 56 {
		t.Fatalf("56-byte header under a 64-byte limit: %d bytes, %v", len(hdr), err)
	}
	_, _, err = encodeHeader(ts, map[string]string{"k": "v"}, 64)
	if !errors.Is(err, ErrHeaderLength) || !strings.Contains(err.Error(), "over the limit of 64") {
		t.Errorf("header over the limit: %v", err)
	}
}
