package tensor

import (
	"fmt"
	"strings"
)

// Tensor is a dense n-dimensional array: a view (shape, strides, offset) onto
// a flat storage slice of one dtype. Several tensors may share one storage;
// view operations such as Reshape, Permute, Narrow and Expand return such
// tensors without copying. The zero Tensor is not usable; use a constructor.
type Tensor struct {
	dtype   DType
	shape   []int
	strides []int       // in elements, not bytes; may be 0 (broadcast) but never negative
	offset  int         // index of element [0,0,...] in data
	data    any         // []float32, []float64, []uint16, []int64, []int32 or []uint8; nil on a device
	dev     *devStorage // nil on the host; the device storage otherwise (see backend.go)
}

// newStorage allocates a zeroed storage slice of n elements for dt.
func newStorage(dt DType, n int) any {
	switch dt {
	case F32:
		return make([]float32, n)
	case F64:
		return make([]float64, n)
	case F16, BF16:
		return make([]uint16, n)
	case I64:
		return make([]int64, n)
	case I32:
		return make([]int32, n)
	case U8, Bool:
		return make([]uint8, n)
	}
	panic(fmt.Sprintf("tensor: invalid dtype %d", uint8(dt)))
}

// storageLen returns the length of a storage slice.
func storageLen(data any) int {
	switch d := data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []uint16:
		return len(d)
	case []int64:
		return len(d)
	case []int32:
		return len(d)
	case []uint8:
		return len(d)
	}
	panic(fmt.Sprintf("tensor: invalid storage %T", data))
}

// numelOf returns the product of the dims, panicking on a negative dim.
func numelOf(op string, shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor.%s: negative dimension in shape %v", op, shape))
		}
		n *= d
	}
	return n
}

// contiguousStrides returns the C-order (row-major) strides of shape.
func contiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// fromStorage wraps a storage slice as a contiguous tensor of the given shape.
func fromStorage(op string, dt DType, data any, shape []int) *Tensor {
	n := numelOf(op, shape)
	if l := storageLen(data); l != n {
		panic(fmt.Sprintf("tensor.%s: %d elements do not fill shape %v (%d elements)", op, l, shape, n))
	}
	sh := append([]int{}, shape...)
	return &Tensor{dtype: dt, shape: sh, strides: contiguousStrides(sh), data: data}
}

// Zeros returns a new contiguous tensor of zeros.
func Zeros(dt DType, shape ...int) *Tensor {
	return fromStorage("Zeros", dt, newStorage(dt, numelOf("Zeros", shape)), shape)
}

// Full returns a new contiguous tensor with every element set to v (converted
// to dt as To would convert it).
func Full(dt DType, v float64, shape ...int) *Tensor {
	t := Zeros(dt, shape...)
	fillStorage(t.data, dt, v)
	return t
}

// Scalar returns a 0-dimensional tensor (shape []) holding v.
func Scalar(dt DType, v float64) *Tensor { return Full(dt, v) }

// FromF32 wraps data as an F32 tensor of the given shape without copying: the
// tensor takes ownership of data. It panics if len(data) does not match the shape.
func FromF32(data []float32, shape ...int) *Tensor { return fromStorage("FromF32", F32, data, shape) }

// FromF64 wraps data as an F64 tensor of the given shape without copying.
func FromF64(data []float64, shape ...int) *Tensor { return fromStorage("FromF64", F64, data, shape) }

// FromI64 wraps data as an I64 tensor of the given shape without copying.
func FromI64(data []int64, shape ...int) *Tensor { return fromStorage("FromI64", I64, data, shape) }

// FromI32 wraps data as an I32 tensor of the given shape without copying.
func FromI32(data []int32, shape ...int) *Tensor { return fromStorage("FromI32", I32, data, shape) }

// FromU8 wraps data as a U8 or Bool tensor of the given shape without copying.
func FromU8(dt DType, data []uint8, shape ...int) *Tensor {
	if dt != U8 && dt != Bool {
		panic(fmt.Sprintf("tensor.FromU8: dtype %v is not uint8 or bool", dt))
	}
	return fromStorage("FromU8", dt, data, shape)
}

// FromU16 wraps raw F16 or BF16 bit patterns as a tensor without copying.
func FromU16(dt DType, bits []uint16, shape ...int) *Tensor {
	if dt != F16 && dt != BF16 {
		panic(fmt.Sprintf("tensor.FromU16: dtype %v is not float16 or bfloat16", dt))
	}
	return fromStorage("FromU16", dt, bits, shape)
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Device names where the tensor's storage lives: "cpu" for host memory,
// otherwise the name of the registered Backend that holds it.
func (t *Tensor) Device() string {
	if t.dev == nil {
		return "cpu"
	}
	return t.dev.b.Name()
}

// Shape returns a copy of the shape.
func (t *Tensor) Shape() []int { return append([]int{}, t.shape...) }

// Strides returns a copy of the strides, counted in elements.
func (t *Tensor) Strides() []int { return append([]int{}, t.strides...) }

// Offset returns the storage index of the first element.
func (t *Tensor) Offset() int { return t.offset }

// Rank returns the number of dimensions (0 for a scalar).
func (t *Tensor) Rank() int { return len(t.shape) }

// Numel returns the number of elements.
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// Dim returns the size of dimension i; a negative i counts from the end.
func (t *Tensor) Dim(i int) int { return t.shape[t.axis("Dim", i)] }

// axis normalises a possibly negative axis and panics if it is out of range.
func (t *Tensor) axis(op string, i int) int {
	return normAxis(op, i, len(t.shape))
}

func normAxis(op string, i, rank int) int {
	j := i
	if j < 0 {
		j += rank
	}
	if j < 0 || j >= rank {
		panic(fmt.Sprintf("tensor.%s: axis %d out of range for rank %d", op, i, rank))
	}
	return j
}

// IsContiguous reports whether the elements lie in C order without gaps, so
// that storage[offset : offset+Numel()] holds them in order.
func (t *Tensor) IsContiguous() bool {
	s := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] == 1 {
			continue
		}
		if t.strides[i] != s {
			return false
		}
		s *= t.shape[i]
	}
	return true
}

// sameShape reports whether two shapes are equal.
func sameShape(a, b []int) bool {
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

// String returns a short description for debugging: dtype, shape and the
// first few elements.
func (t *Tensor) String() string {
	var b strings.Builder
	if t.dev != nil {
		return fmt.Sprintf("Tensor(%v, %v, device=%s)", t.dtype, t.shape, t.dev.b.Name())
	}
	fmt.Fprintf(&b, "Tensor(%v, %v, [", t.dtype, t.shape)
	n := t.Numel()
	show := min(n, 8)
	idx := make([]int, len(t.shape))
	for i := 0; i < show; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.6g", t.loadAt(t.offsetOf(idx)))
		incIndex(idx, t.shape)
	}
	if n > show {
		b.WriteString(" ...")
	}
	b.WriteString("])")
	return b.String()
}

// incIndex advances a C-order multi-index by one.
func incIndex(idx, shape []int) {
	for d := len(idx) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < shape[d] {
			return
		}
		idx[d] = 0
	}
}
