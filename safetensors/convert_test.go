package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"radcap/tensor"
)

func TestTensorRoundTripEveryEngineDType(t *testing.T) {
	names := []string{"f32", "f64", "f16", "bf16", "i64", "i32", "u8", "bool", "scalar", "empty"}
	ts := []*tensor.Tensor{
		tensor.FromF32([]float32{1.5, -2, float32(math.Inf(1)), 3e-41}, 2, 2),
		tensor.FromF64([]float64{math.Pi, -0.0, 1e300}, 3),
		tensor.FromU16(tensor.F16, []uint16{0x3c00, 0xc000, 0x7e00}, 3, 1),
		tensor.FromU16(tensor.BF16, []uint16{0x3f80, 0xff80}, 2),
		tensor.FromI64([]int64{-1, math.MaxInt64, math.MinInt64}, 1, 3),
		tensor.FromI32([]int32{-7, math.MaxInt32}, 2),
		tensor.FromU8(tensor.U8, []uint8{0, 255, 17}, 3),
		tensor.FromU8(tensor.Bool, []uint8{1, 0, 1, 1}, 2, 2),
		tensor.Scalar(tensor.F32, 0.25),
		tensor.Zeros(tensor.F64, 0, 4),
	}
	path := filepath.Join(t.TempDir(), "rt.safetensors")
	if err := WriteTensors(path, names, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantDType := map[string]DType{"f32": F32, "f64": F64, "f16": F16, "bf16": BF16, "i64": I64,
		"i32": I32, "u8": U8, "bool": Bool, "scalar": F32, "empty": F64}
	for i, name := range names {
		info, _ := f.Info(name)
		if info.DType != wantDType[name] {
			t.Errorf("%s stored as %s, want %s", name, info.DType, wantDType[name])
		}
		got, err := f.Tensor(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := ts[i]
		if got.DType() != want.DType() || !equalInts(got.Shape(), want.Shape()) {
			t.Errorf("%s: got %v %v, want %v %v", name, got.DType(), got.Shape(), want.DType(), want.Shape())
			continue
		}
		if !sameBits(got, want) {
			t.Errorf("%s: values %v, want %v", name, got, want)
		}
	}
	// The bytes on disk are little-endian: 1.5f is 0x3FC00000.
	b, _ := f.Bytes("f32")
	if !bytes.Equal(b[:4], []byte{0x00, 0x00, 0xc0, 0x3f}) {
		t.Errorf("1.5f stored as % x", b[:4])
	}
}

// sameBits compares two tensors of one dtype element by element, bit for bit.
func sameBits(a, b *tensor.Tensor) bool {
	switch a.DType() {
	case tensor.F32:
		x, y := a.F32(), b.F32()
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return len(x) == len(y)
	case tensor.F64:
		x, y := a.F64(), b.F64()
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return len(x) == len(y)
	case tensor.F16, tensor.BF16:
		return equalSlices(a.U16(), b.U16())
	case tensor.I64:
		return equalSlices(a.I64(), b.I64())
	case tensor.I32:
		return equalSlices(a.I32(), b.I32())
	default:
		return equalSlices(a.U8(), b.U8())
	}
}

func equalSlices[E comparable](a, b []E) bool {
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

func TestWriteTensorsUsesCOrder(t *testing.T) {
	tr := tensor.FromF32([]float32{1, 2, 3, 4, 5, 6}, 2, 3).Transpose(0, 1) // [[1 4] [2 5] [3 6]]
	got, err := FromTensor("t", tr)
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(got.Shape, []int{3, 2}) || !bytes.Equal(got.Data, f32Bytes(1, 4, 2, 5, 3, 6)) {
		t.Errorf("transposed tensor written as shape %v data %v", got.Shape, got.Data)
	}
}

func TestTensorRejectsUnsupportedDType(t *testing.T) {
	buf := encode(t, []Tensor{{Name: "scale", DType: F8E8M0, Shape: []int{2}, Data: []byte{127, 128}}}, nil)
	f, err := Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Tensor("scale")
	if err == nil || !strings.Contains(err.Error(), `tensor "scale"`) || !strings.Contains(err.Error(), "F8_E8M0") {
		t.Errorf("Tensor of an F8_E8M0 tensor: %v", err)
	}
	if _, err := f.Tensor("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Tensor of a missing name: %v", err)
	}
	if err := WriteTensors(filepath.Join(t.TempDir(), "x"), []string{"a"}, nil, nil); err == nil {
		t.Error("WriteTensors accepted 1 name for 0 tensors")
	}
}

// The per-element path used on big-endian hosts gives the same values as the
// plain copy used on little-endian ones.
func TestByteOrderPathsAgree(t *testing.T) {
	raw := []byte{1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xfe, 0xfd, 0xfc, 0, 0, 0x80, 0x3f}
	get := func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
	put := func(b []byte, v float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) }
	slow, fast := decodeLE(raw, 4, get, false), decodeLE(raw, 4, get, true)
	for i := range slow {
		if math.Float32bits(slow[i]) != math.Float32bits(fast[i]) {
			t.Errorf("element %d: %v vs %v", i, slow[i], fast[i])
		}
	}
	if slow[3] != 1 {
		t.Errorf("bytes 00 00 80 3f decode to %v, want 1", slow[3])
	}
	if a, b := encodeLEWith(slow, 4, put, false), encodeLEWith(slow, 4, put, true); !bytes.Equal(a, raw) || !bytes.Equal(b, raw) {
		t.Errorf("encode paths: % x and % x, want % x", a, b, raw)
	}
}

func TestWriteTensorsShardedReadsBack(t *testing.T) {
	dir := t.TempDir()
	names := []string{"emb", "ids"}
	ts := []*tensor.Tensor{tensor.FromF32([]float32{1, 2, 3, 4, 5, 6}, 3, 2), tensor.FromI64([]int64{7, -8}, 2)}
	if err := WriteTensorsSharded(dir, names, ts, nil, 16); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Sharded() || len(c.Shards()) != 2 || c.Dir() != dir {
		t.Errorf("sharded %v, shards %v, dir %q", c.Sharded(), c.Shards(), c.Dir())
	}
	for i, name := range names {
		got, err := c.Tensor(name)
		if err != nil || !sameBits(got, ts[i]) || !equalInts(got.Shape(), ts[i].Shape()) {
			t.Errorf("%s: %v %v", name, got, err)
		}
		info, _ := c.Info(name)
		if info.Numel() != ts[i].Numel() {
			t.Errorf("%s: Numel %d, want %d", name, info.Numel(), ts[i].Numel())
		}
	}
	if _, err := c.Tensor("none"); err == nil || !strings.Contains(err.Error(), `"none"`) {
		t.Errorf("Tensor(none): %v", err)
	}
	if _, err := ToTensor(TensorInfo{Name: "x", DType: F32, Shape: []int{2}}, make([]byte, 7)); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("ToTensor with 7 bytes for 2 floats: %v", err)
	}
	if err := WriteTensors(filepath.Join(dir, "n.safetensors"), []string{"a"}, []*tensor.Tensor{nil}, nil); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("nil tensor: %v", err)
	}
}
