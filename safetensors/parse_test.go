package safetensors

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// rawFile builds a file from a header length, header text and data length.
func rawFile(n uint64, hdr string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, n)
	b = append(b, hdr...)
	for i := 0; i < data; i++ {
		b = append(b, byte(i%251))
	}
	return b
}

// file builds a well-framed file: the header length is the header's.
func file(hdr string, data int) []byte { return rawFile(uint64(len(hdr)), hdr, data) }

// entry renders one tensor's header member.
func entry(name, dtype, shape string, b, e int) string {
	return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":[` + strconv.Itoa(b) + `,` + strconv.Itoa(e) + `]}`
}

func TestParseRejectsMalformed(t *testing.T) {
	okA := entry("a", "F32", "[4]", 0, 16)
	valid := file("{"+okA+"}", 16)
	cases := []struct {
		name string
		buf  []byte
		kind error
		want []string // substrings the message must contain
	}{
		{"empty file", nil, ErrHeaderLength, []string{"0 bytes", "too short"}},
		{"seven bytes", make([]byte, 7), ErrHeaderLength, []string{"7 bytes", "too short"}},
		{"header length past the end", rawFile(100, "{}", 0), ErrHeaderLength, []string{"header length 100", "past the end", "2 bytes"}},
		{"header cut short", valid[:20], ErrHeaderLength, []string{"past the end"}},
		{"header length over the limit", rawFile(MaxHeaderSize+1, "{}", 0), ErrHeaderLength, []string{"100000001", "over the limit"}},
		{"header length 2^63", rawFile(1<<63, "{}", 0), ErrHeaderLength, []string{"over the limit"}},
		{"header not UTF-8", file("{\"\xff\":1}", 0), ErrJSON, []string{"UTF-8"}},
		{"empty header", file("", 0), ErrJSON, []string{"not valid JSON"}},
		{"JSON cut short", file(`{"a":{"dtype":"F32"`, 0), ErrJSON, []string{"not valid JSON"}},
		{"JSON syntax", file(`{"a" 1}`, 0), ErrJSON, []string{"not valid JSON"}},
		{"JSON array", file(`[1,2]`, 0), ErrJSON, []string{"not a JSON object"}},
		{"JSON string", file(`"x"`, 0), ErrJSON, []string{"not a JSON object"}},
		{"garbage after object", file(`{} x`, 0), ErrJSON, []string{"unexpected", `x`}},
		{"second object", file(`{}{}`, 0), ErrJSON, []string{"unexpected"}},
		{"entry not object", file(`{"a":5}`, 0), ErrJSON, []string{`tensor "a"`, "not a JSON object"}},
		{"missing dtype", file(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, 4), ErrJSON, []string{`tensor "a"`, `missing field "dtype"`}},
		{"missing shape", file(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, 4), ErrJSON, []string{`tensor "a"`, `missing field "shape"`}},
		{"missing offsets", file(`{"a":{"dtype":"F32","shape":[1]}}`, 4), ErrJSON, []string{`tensor "a"`, `missing field "data_offsets"`}},
		{"dtype case differs", file(`{"a":{"DTYPE":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), ErrJSON, []string{`missing field "dtype"`}},
		{"dtype a number", file(`{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}`, 4), ErrJSON, []string{`tensor "a"`, "dtype must be a string"}},
		{"negative dim", file("{"+entry("a", "F32", "[-1]", 0, 4)+"}", 4), ErrJSON, []string{`tensor "a"`, "shape must be an array of non-negative integers", "-1"}},
		{"fractional dim", file("{"+entry("a", "F32", "[1.5]", 0, 4)+"}", 4), ErrJSON, []string{`tensor "a"`, "shape"}},
		{"shape null", file("{"+entry("a", "F32", "null", 0, 4)+"}", 4), ErrJSON, []string{`tensor "a"`, "shape"}},
		{"dim too big for 64 bits", file("{"+entry("a", "U8", "[18446744073709551616]", 0, 4)+"}", 4), ErrJSON, []string{`tensor "a"`, "shape"}},
		{"three offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 4), ErrJSON, []string{`tensor "a"`, "data_offsets must be an array of two"}},
		{"negative offset", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 4), ErrJSON, []string{`tensor "a"`, "data_offsets"}},
		{"unknown dtype", file("{"+entry("a", "F33", "[1]", 0, 4)+"}", 4), ErrDType, []string{`tensor "a"`, `unknown dtype "F33"`, "BF16"}},
		{"lower-case dtype", file("{"+entry("a", "f32", "[1]", 0, 4)+"}", 4), ErrDType, []string{`tensor "a"`, `unknown dtype "f32"`}},
		{"numpy dtype name", file("{"+entry("w", "float32", "[1]", 0, 4)+"}", 4), ErrDType, []string{`tensor "w"`, `"float32"`}},
		{"duplicate tensor name", file("{"+okA+","+entry("a", "F32", "[4]", 0, 16)+"}", 16), ErrDuplicate, []string{`tensor name "a" appears twice`}},
		{"duplicate field", file(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), ErrDuplicate, []string{`tensor "a"`, `field "dtype" appears twice`}},
		{"duplicate __metadata__", file(`{"__metadata__":{},"__metadata__":{}}`, 0), ErrDuplicate, []string{`"__metadata__" appears twice`}},
		{"duplicate metadata key", file(`{"__metadata__":{"k":"1","k":"2"}}`, 0), ErrDuplicate, []string{"__metadata__", `key "k" appears twice`}},
		{"metadata value a number", file(`{"__metadata__":{"k":1}}`, 0), ErrJSON, []string{"__metadata__", `"k"`, "must be a string"}},
		{"metadata an array", file(`{"__metadata__":["k"]}`, 0), ErrJSON, []string{"__metadata__", "not a JSON object"}},
		{"size below dtype x shape", file("{"+entry("a", "F32", "[2,3]", 0, 20)+"}", 20), ErrSize, []string{`tensor "a"`, "F32", "[2 3]", "needs 24 bytes", "span 20"}},
		{"size above dtype x shape", file("{"+entry("b", "BF16", "[2]", 0, 8)+"}", 8), ErrSize, []string{`tensor "b"`, "needs 4 bytes", "span 8"}},
		{"scalar with no bytes", file("{"+entry("s", "F64", "[]", 0, 0)+"}", 0), ErrSize, []string{`tensor "s"`, "needs 8 bytes", "span 0"}},
		{"F4 odd count", file("{"+entry("q", "F4", "[3]", 0, 2)+"}", 2), ErrSize, []string{`tensor "q"`, "whole number of bytes"}},
		{"F6 count not a multiple of 4", file("{"+entry("q", "F6_E2M3", "[2]", 0, 2)+"}", 2), ErrSize, []string{`tensor "q"`, "whole number of bytes"}},
		{"element count overflows", file("{"+entry("a", "F32", "[4294967296,4294967296,16]", 0, 4)+"}", 4), ErrSize, []string{`tensor "a"`, "more elements than fit"}},
		{"offsets reversed", file("{"+entry("a", "F32", "[1]", 8, 4)+"}", 8), ErrOffsets, []string{`tensor "a"`, "[8, 4]", "end before they begin"}},
		{"offsets far out of range", file(`{"a":{"dtype":"U8","shape":[1152921504606846976],"data_offsets":[0,1152921504606846976]}}`, 4), ErrOffsets, []string{`tensor "a"`, "out of range"}},
		{"offsets past the data", file("{"+okA+"}", 8), ErrOffsets, []string{`tensor "a"`, "[0, 16]", "past the end of the data section (8 bytes"}},
		{"overlap", file("{"+okA+","+entry("b", "F32", "[4]", 8, 24)+"}", 24), ErrOffsets, []string{`tensor "b"`, "[8, 24]", `overlap tensor "a"`}},
		{"same range twice", file("{"+okA+","+entry("b", "F32", "[4]", 0, 16)+"}", 16), ErrOffsets, []string{`tensor "b"`, `overlap tensor "a"`}},
		{"empty tensor inside another", file("{"+okA+","+entry("z", "U8", "[0]", 8, 8)+"}", 16), ErrOffsets, []string{`tensor "z"`, `overlap tensor "a"`}},
		{"gap between tensors", file("{"+okA+","+entry("b", "F32", "[4]", 20, 36)+"}", 36), ErrOffsets, []string{`tensor "b"`, `gap after tensor "a"`, "[16, 20)"}},
		{"gap at the start", file("{"+entry("a", "F32", "[4]", 4, 20)+"}", 20), ErrOffsets, []string{`tensor "a"`, "[0, 4)", "no tensor"}},
		{"trailing bytes", file("{"+okA+"}", 20), ErrOffsets, []string{"cover 16 bytes", "20-byte", "last 4 bytes"}},
		{"data but no tensors", file("{}", 3), ErrOffsets, []string{"cover 0 bytes", "last 3 bytes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.buf)
			if err == nil {
				t.Fatalf("Parse accepted it: %d tensors %v", f.Len(), f.Names())
			}
			t.Logf("%v", err)
			if !errors.Is(err, c.kind) {
				t.Errorf("error %q is not %v", err, c.kind)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseTruncatedFileNamesLastTensor(t *testing.T) {
	var buf strings.Builder
	err := Encode(&buf, []Tensor{
		{Name: "first", DType: F32, Shape: []int{2}, Data: make([]byte, 8)},
		{Name: "second", DType: F32, Shape: []int{3}, Data: make([]byte, 12)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	whole := []byte(buf.String())
	if _, err := Parse(whole); err != nil {
		t.Fatalf("the whole file: %v", err)
	}
	for cut := 1; cut <= 12; cut++ {
		_, err := Parse(whole[:len(whole)-cut])
		if !errors.Is(err, ErrOffsets) || !strings.Contains(err.Error(), `tensor "second"`) || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut %d bytes: got %v, want a truncation error naming \"second\"", cut, err)
		}
	}
}

func TestParseAcceptsValidLayouts(t *testing.T) {
	cases := []struct {
		name  string
		buf   []byte
		infos []TensorInfo // sorted by name
		meta  map[string]string
	}{
		{"no tensors, reference padding", []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "), nil, nil},
		{"no tensors, no padding", file("{}", 0), nil, nil},
		{"members out of data order, extra fields, white space",
			file(` { "b" : {"data_offsets":[8,20], "dtype":"I32","shape":[3],"extra":{"x":[1]}} , "a":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"__metadata__":{"format":"pt","k":"v"}}  `+"\n\t", 20),
			[]TensorInfo{{"a", F64, []int{}, [2]int{0, 8}}, {"b", I32, []int{3}, [2]int{8, 20}}},
			map[string]string{"format": "pt", "k": "v"}},
		{"empty tensors at both ends",
			file("{"+entry("z0", "F16", "[0,5]", 0, 0)+","+entry("m", "U16", "[2]", 0, 4)+","+entry("z1", "BOOL", "[3,0]", 4, 4)+"}", 4),
			[]TensorInfo{{"m", U16, []int{2}, [2]int{0, 4}}, {"z0", F16, []int{0, 5}, [2]int{0, 0}}, {"z1", Bool, []int{3, 0}, [2]int{4, 4}}}, nil},
		{"null metadata, escaped name", file(`{"__metadata__":null,"caf\u00e9\n":{"dtype":"F4","shape":[2,3],"data_offsets":[0,3]}}`, 3),
			[]TensorInfo{{"café\n", F4, []int{2, 3}, [2]int{0, 3}}}, nil},
		{"empty name", file("{"+entry("", "U8", "[1]", 0, 1)+"}", 1), []TensorInfo{{"", U8, []int{1}, [2]int{0, 1}}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.buf)
			if err != nil {
				t.Fatal(err)
			}
			if f.Len() != len(c.infos) {
				t.Fatalf("%d tensors %v, want %d", f.Len(), f.Names(), len(c.infos))
			}
			for i, name := range f.Names() {
				want := c.infos[i]
				got, ok := f.Info(name)
				if !ok || got.Name != want.Name || got.DType != want.DType || got.Offsets != want.Offsets || !equalInts(got.Shape, want.Shape) {
					t.Errorf("tensor %d: got %+v, want %+v", i, got, want)
				}
				b, err := f.Bytes(name)
				if err != nil || len(b) != want.Offsets[1]-want.Offsets[0] {
					t.Errorf("Bytes(%q): %d bytes, %v", name, len(b), err)
				}
			}
			got := f.Metadata()
			if len(got) != len(c.meta) {
				t.Errorf("metadata %v, want %v", got, c.meta)
			}
			for k, v := range c.meta {
				if got[k] != v {
					t.Errorf("metadata %v, want %v", got, c.meta)
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBytesAreTheTensorsRange(t *testing.T) {
	buf := file("{"+entry("a", "U8", "[3]", 0, 3)+","+entry("b", "U8", "[2]", 3, 5)+"}", 5)
	f, err := Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Bytes("b")
	if err != nil || string(b) != "\x03\x04" {
		t.Fatalf("Bytes(b) = %v, %v; want [3 4]", b, err)
	}
	if cap(b) != 2 {
		t.Errorf("view has capacity %d: appending would overwrite the next tensor", cap(b))
	}
	if _, err := f.Bytes("c"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("Bytes(c) error = %v, want not found naming c", err)
	}
}
