package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"radcap/tensor"
)

// engineDType maps a file dtype to the engine's, for the types both have.
func engineDType(d DType) (tensor.DType, bool) {
	switch d {
	case F32:
		return tensor.F32, true
	case F64:
		return tensor.F64, true
	case F16:
		return tensor.F16, true
	case BF16:
		return tensor.BF16, true
	case I64:
		return tensor.I64, true
	case I32:
		return tensor.I32, true
	case U8:
		return tensor.U8, true
	case Bool:
		return tensor.Bool, true
	}
	return 0, false
}

// fileDType maps an engine dtype to the file's.
func fileDType(d tensor.DType) (DType, bool) {
	for _, fd := range []DType{F32, F64, F16, BF16, I64, I32, U8, Bool} {
		if ed, _ := engineDType(fd); ed == d {
			return fd, true
		}
	}
	return "", false
}

// Tensor returns a copy of the named tensor as an engine tensor of the same
// dtype (F32, F64, F16, BF16, I64, I32, U8 or BOOL; BOOL bytes other than 0
// become 1). Other dtypes are an error naming the tensor.
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	b, err := f.Bytes(name)
	if err != nil {
		return nil, err
	}
	info := f.h.infos[name]
	t, err := ToTensor(info, b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", f.path, err)
	}
	return t, nil
}

// Tensor returns a copy of the named tensor as an engine tensor (see
// File.Tensor).
func (c *Checkpoint) Tensor(name string) (*tensor.Tensor, error) {
	f, ok := c.owner[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: %w", c.dir, errorf(ErrNotFound, "no tensor %q", name))
	}
	return f.Tensor(name)
}

// ToTensor copies data, the bytes of the tensor info describes, into a new
// engine tensor.
func ToTensor(info TensorInfo, data []byte) (*tensor.Tensor, error) {
	if _, ok := engineDType(info.DType); !ok {
		return nil, fmt.Errorf("tensor %q has dtype %s, which the engine cannot hold (it holds F32, F64, F16, BF16, I64, I32, U8, BOOL)", info.Name, info.DType)
	}
	want, err := info.DType.ByteSize(info.Shape)
	if err != nil || want != len(data) {
		return nil, errorf(ErrSize, "tensor %q: dtype %s × shape %v needs %d bytes, got %d", info.Name, info.DType, info.Shape, want, len(data))
	}
	shape := info.Shape
	switch info.DType {
	case F32:
		return tensor.FromF32(decode(data, 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }), shape...), nil
	case F64:
		return tensor.FromF64(decode(data, 8, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }), shape...), nil
	case F16, BF16:
		dt, _ := engineDType(info.DType)
		return tensor.FromU16(dt, decode(data, 2, binary.LittleEndian.Uint16), shape...), nil
	case I64:
		return tensor.FromI64(decode(data, 8, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }), shape...), nil
	case I32:
		return tensor.FromI32(decode(data, 4, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) }), shape...), nil
	case U8:
		return tensor.FromU8(tensor.U8, append([]uint8(nil), data...), shape...), nil
	default: // Bool
		out := make([]uint8, len(data))
		for i, v := range data {
			if v != 0 {
				out[i] = 1
			}
		}
		return tensor.FromU8(tensor.Bool, out, shape...), nil
	}
}

// FromTensor copies t into a Tensor ready for Write, in C order and
// little-endian.
func FromTensor(name string, t *tensor.Tensor) (Tensor, error) {
	d, ok := fileDType(t.DType())
	if !ok {
		return Tensor{}, fmt.Errorf("safetensors: tensor %q: dtype %v has no safetensors name", name, t.DType())
	}
	out := Tensor{Name: name, DType: d, Shape: t.Shape()}
	switch d {
	case F32:
		out.Data = encodeLE(t.F32(), 4, func(b []byte, v float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) })
	case F64:
		out.Data = encodeLE(t.F64(), 8, func(b []byte, v float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(v)) })
	case F16, BF16:
		out.Data = encodeLE(t.U16(), 2, binary.LittleEndian.PutUint16)
	case I64:
		out.Data = encodeLE(t.I64(), 8, func(b []byte, v int64) { binary.LittleEndian.PutUint64(b, uint64(v)) })
	case I32:
		out.Data = encodeLE(t.I32(), 4, func(b []byte, v int32) { binary.LittleEndian.PutUint32(b, uint32(v)) })
	default: // U8, Bool
		out.Data = append([]byte(nil), t.U8()...)
	}
	return out, nil
}

// WriteTensors writes named engine tensors to path atomically (see Write);
// names[i] names ts[i].
func WriteTensors(path string, names []string, ts []*tensor.Tensor, metadata map[string]string) error {
	out, err := fromTensors(names, ts)
	if err != nil {
		return err
	}
	return Write(path, out, metadata)
}

// WriteTensorsSharded saves named engine tensors as a model folder (see
// WriteSharded).
func WriteTensorsSharded(dir string, names []string, ts []*tensor.Tensor, metadata map[string]string, maxShardBytes int64) error {
	out, err := fromTensors(names, ts)
	if err != nil {
		return err
	}
	return WriteSharded(dir, out, metadata, maxShardBytes)
}

func fromTensors(names []string, ts []*tensor.Tensor) ([]Tensor, error) {
	if len(names) != len(ts) {
		return nil, fmt.Errorf("safetensors: %d names for %d tensors", len(names), len(ts))
	}
	out := make([]Tensor, len(ts))
	for i, t := range ts {
		if t == nil {
			return nil, fmt.Errorf("safetensors: tensor %q is nil", names[i])
		}
		var err error
		if out[i], err = FromTensor(names[i], t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// littleEndianHost reports whether the machine stores numbers little-endian,
// so file bytes can be copied into typed slices as they are.
func littleEndianHost() bool {
	return binary.NativeEndian.Uint16([]byte{1, 0}) == 1
}

// decode converts little-endian bytes into a new slice of E, size bytes per
// element: a plain copy on little-endian hosts, get per element otherwise.
func decode[E any](b []byte, size int, get func([]byte) E) []E {
	return decodeLE(b, size, get, littleEndianHost())
}

// decodeLE is decode with the host's byte order given (tests run both ways).
func decodeLE[E any](b []byte, size int, get func([]byte) E, copyAsIs bool) []E {
	out := make([]E, len(b)/size)
	if len(out) == 0 {
		return out
	}
	if copyAsIs {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), len(b)), b)
		return out
	}
	for i := range out {
		out[i] = get(b[i*size:])
	}
	return out
}

// encodeLE converts values into little-endian bytes, size bytes per element.
func encodeLE[E any](vs []E, size int, put func([]byte, E)) []byte {
	return encodeLEWith(vs, size, put, littleEndianHost())
}

// encodeLEWith is encodeLE with the host's byte order given.
func encodeLEWith[E any](vs []E, size int, put func([]byte, E), copyAsIs bool) []byte {
	out := make([]byte, len(vs)*size)
	if len(vs) == 0 {
		return out
	}
	if copyAsIs {
		copy(out, unsafe.Slice((*byte)(unsafe.Pointer(&vs[0])), len(out)))
		return out
	}
	for i, v := range vs {
		put(out[i*size:], v)
	}
	return out
}
