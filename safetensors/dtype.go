package safetensors

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// DType is an element type, spelled exactly as the safetensors header spells it
// ("F32", "BF16", "F8_E4M3", ...). All data is little-endian.
type DType string

// The element types the safetensors format defines, in the order of the
// reference implementation's Dtype enum (huggingface/safetensors,
// safetensors/src/tensor.rs). The writer uses this order: it stores tensors
// with the larger (later) types first.
const (
	Bool       DType = "BOOL"        // boolean, one byte per element
	F4         DType = "F4"          // OCP MX FP4 (E2M1), two elements per byte
	F6E2M3     DType = "F6_E2M3"     // OCP MX FP6 E2M3, 6 bits per element
	F6E3M2     DType = "F6_E3M2"     // OCP MX FP6 E3M2, 6 bits per element
	U8         DType = "U8"          // unsigned 8-bit integer
	I8         DType = "I8"          // signed 8-bit integer
	F8E5M2     DType = "F8_E5M2"     // FP8 E5M2
	F8E4M3     DType = "F8_E4M3"     // FP8 E4M3 (the "fn" variant)
	F8E8M0     DType = "F8_E8M0"     // OCP MX E8M0 scale
	F8E4M3FNUZ DType = "F8_E4M3FNUZ" // FP8 E4M3, finite, no negative zero
	F8E5M2FNUZ DType = "F8_E5M2FNUZ" // FP8 E5M2, finite, no negative zero
	I16        DType = "I16"         // signed 16-bit integer
	U16        DType = "U16"         // unsigned 16-bit integer
	F16        DType = "F16"         // IEEE half precision
	BF16       DType = "BF16"        // bfloat16
	I32        DType = "I32"         // signed 32-bit integer
	U32        DType = "U32"         // unsigned 32-bit integer
	F32        DType = "F32"         // IEEE single precision
	C64        DType = "C64"         // complex of two float32 (real, imaginary)
	F64        DType = "F64"         // IEEE double precision
	I64        DType = "I64"         // signed 64-bit integer
	U64        DType = "U64"         // unsigned 64-bit integer
)

// DTypes returns every element type the format defines, in the reference
// implementation's enum order. The slice is fresh; callers may modify it.
func DTypes() []DType {
	return []DType{Bool, F4, F6E2M3, F6E3M2, U8, I8, F8E5M2, F8E4M3, F8E8M0,
		F8E4M3FNUZ, F8E5M2FNUZ, I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64}
}

// info returns the position of d in the reference enum order and its width in
// bits; ok is false for a name the format does not define.
func (d DType) info() (rank, nbits int, ok bool) {
	switch d {
	case Bool:
		return 0, 8, true
	case F4:
		return 1, 4, true
	case F6E2M3:
		return 2, 6, true
	case F6E3M2:
		return 3, 6, true
	case U8:
		return 4, 8, true
	case I8:
		return 5, 8, true
	case F8E5M2:
		return 6, 8, true
	case F8E4M3:
		return 7, 8, true
	case F8E8M0:
		return 8, 8, true
	case F8E4M3FNUZ:
		return 9, 8, true
	case F8E5M2FNUZ:
		return 10, 8, true
	case I16:
		return 11, 16, true
	case U16:
		return 12, 16, true
	case F16:
		return 13, 16, true
	case BF16:
		return 14, 16, true
	case I32:
		return 15, 32, true
	case U32:
		return 16, 32, true
	case F32:
		return 17, 32, true
	case C64:
		return 18, 64, true
	case F64:
		return 19, 64, true
	case I64:
		return 20, 64, true
	case U64:
		return 21, 64, true
	}
	return -1, 0, false
}

// Valid reports whether d is one of the element types the format defines.
func (d DType) Valid() bool {
	_, _, ok := d.info()
	return ok
}

// Bits returns the width of one element in bits (4 for F4, 6 for the F6
// types, 32 for F32, ...), or 0 for a name the format does not define.
func (d DType) Bits() int {
	_, n, _ := d.info()
	return n
}

// String returns the header spelling of d.
func (d DType) String() string { return string(d) }

// knownDTypes lists the defined names for error messages.
func knownDTypes() string {
	names := make([]string, 0, 22)
	for _, d := range DTypes() {
		names = append(names, string(d))
	}
	return strings.Join(names, ", ")
}

// ByteSize returns the number of bytes a tensor of this dtype and shape
// occupies. It fails for an unknown dtype, a negative dimension, an element
// count that overflows, and for sub-byte types (F4, F6_*) whose elements do not
// fill a whole number of bytes, all of which the reference rejects too.
func (d DType) ByteSize(shape []int) (int, error) {
	dims := make([]uint64, len(shape))
	for i, n := range shape {
		if n < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", n, shape)
		}
		dims[i] = uint64(n)
	}
	return d.byteSize(dims)
}

// byteSize is ByteSize for the unsigned dimensions the parser reads.
func (d DType) byteSize(dims []uint64) (int, error) {
	_, nbits, ok := d.info()
	if !ok {
		return 0, fmt.Errorf("unknown dtype %q (the format defines %s)", string(d), knownDTypes())
	}
	numel := uint64(1)
	for _, n := range dims {
		hi, lo := bits.Mul64(numel, n)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("shape %v has more elements than fit in 64 bits", dims)
		}
		numel = lo
	}
	hi, total := bits.Mul64(numel, uint64(nbits))
	if hi != 0 || total/8 > math.MaxInt {
		return 0, fmt.Errorf("shape %v of %s is more bytes than fit in an int", dims, d)
	}
	if total%8 != 0 {
		return 0, fmt.Errorf("%d elements of %s (%d bits each) do not fill a whole number of bytes", numel, d, nbits)
	}
	return int(total / 8), nil
}
