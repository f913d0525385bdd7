package tensor

import "fmt"

// DType names the element type stored in a Tensor.
type DType uint8

// The element types a Tensor can hold. F16 and BF16 are stored as their raw
// 16-bit patterns ([]uint16); Bool is stored as one byte per element (0 or 1).
const (
	F32  DType = iota // IEEE-754 binary32, stored as []float32
	F64               // IEEE-754 binary64, stored as []float64
	F16               // IEEE-754 binary16 bits, stored as []uint16
	BF16              // bfloat16 bits (top half of a float32), stored as []uint16
	I64               // signed 64-bit integer, stored as []int64
	I32               // signed 32-bit integer, stored as []int32
	U8                // unsigned byte, stored as []uint8
	Bool              // boolean, one byte (0 or 1) per element, stored as []uint8
)

var dtypeInfo = [...]struct {
	name string
	size int
	fl   bool
}{
	F32:  {"float32", 4, true},
	F64:  {"float64", 8, true},
	F16:  {"float16", 2, true},
	BF16: {"bfloat16", 2, true},
	I64:  {"int64", 8, false},
	I32:  {"int32", 4, false},
	U8:   {"uint8", 1, false},
	Bool: {"bool", 1, false},
}

func (d DType) valid() bool { return int(d) < len(dtypeInfo) }

// Size returns the number of bytes one element of this dtype occupies.
func (d DType) Size() int {
	if !d.valid() {
		return 0
	}
	return dtypeInfo[d].size
}

// String returns the PyTorch-style name of the dtype, e.g. "float32".
func (d DType) String() string {
	if !d.valid() {
		return fmt.Sprintf("DType(%d)", uint8(d))
	}
	return dtypeInfo[d].name
}

// IsFloat reports whether the dtype is a floating-point type (F32, F64, F16, BF16).
func (d DType) IsFloat() bool { return d.valid() && dtypeInfo[d].fl }

// ParseDType returns the dtype with the given name. It accepts the names that
// String returns ("float32", "bfloat16", ...), the short forms "f32", "f64",
// "f16", "bf16", "i64", "i32", "u8", and the safetensors names "F32", "F64",
// "F16", "BF16", "I64", "I32", "U8", "BOOL".
func ParseDType(name string) (DType, error) {
	switch name {
	case "float32", "f32", "F32":
		return F32, nil
	case "float64", "f64", "F64":
		return F64, nil
	case "float16", "f16", "F16", "half":
		return F16, nil
	case "bfloat16", "bf16", "BF16":
		return BF16, nil
	case "int64", "i64", "I64":
		return I64, nil
	case "int32", "i32", "I32":
		return I32, nil
	case "uint8", "u8", "U8":
		return U8, nil
	case "bool", "BOOL":
		return Bool, nil
	}
	return 0, fmt.Errorf("tensor: unknown dtype %q", name)
}
