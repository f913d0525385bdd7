package tensor

import (
	"fmt"
	"math"
)

// float is the set of element types the arithmetic kernels are generic over.
type float interface{ ~float32 | ~float64 }

// binOp identifies an element-wise binary operation (the exported
// BinaryOp, under the short names the kernels use).
type binOp = BinaryOp

const (
	opAdd     = BinAdd
	opSub     = BinSub
	opMul     = BinMul
	opDiv     = BinDiv
	opMax     = BinMaximum
	opMin     = BinMinimum
	opGreater = BinGreater
	opLess    = BinLess
	opEqual   = BinEqual
)

var binOpNames = [...]string{"Add", "Sub", "Mul", "Div", "Maximum", "Minimum", "Greater", "Less", "Equal"}

// binFunc returns the scalar function of op, for the strided slow path.
func binFunc[T float](op binOp) func(x, y T) T {
	switch op {
	case opAdd:
		return func(x, y T) T { return x + y }
	case opSub:
		return func(x, y T) T { return x - y }
	case opMul:
		return func(x, y T) T { return x * y }
	case opDiv:
		return func(x, y T) T { return x / y }
	case opMax:
		return func(x, y T) T {
			if x > y || isNaN(x) {
				return x
			}
			return y
		}
	case opMin:
		return func(x, y T) T {
			if x < y || isNaN(x) {
				return x
			}
			return y
		}
	case opGreater:
		return func(x, y T) T { return b2f[T](x > y) }
	case opLess:
		return func(x, y T) T { return b2f[T](x < y) }
	case opEqual:
		return func(x, y T) T { return b2f[T](x == y) }
	}
	panic("tensor: unknown binary op")
}

func b2f[T float](b bool) T {
	if b {
		return 1
	}
	return 0
}

// binRow applies op to one row. Contiguous rows of the four arithmetic ops
// run as plain slice loops that the compiler can bounds-check-eliminate.
func binRow[T float](op binOp, out, a, b []T, offs []int, n int, in []int) {
	o, ia, ib := offs[0], offs[1], offs[2]
	if in[0] == 1 && in[1] == 1 && in[2] == 0 && op <= opDiv {
		binRowScalar(op, out[o:o+n], a[ia:ia+n], b[ib])
		return
	}
	if in[0] == 1 && in[1] == 1 && in[2] == 1 && op <= opDiv {
		dst, x, y := out[o:o+n], a[ia:ia+n], b[ib:ib+n]
		switch op {
		case opAdd:
			for i := range dst {
				dst[i] = x[i] + y[i]
			}
		case opSub:
			for i := range dst {
				dst[i] = x[i] - y[i]
			}
		case opMul:
			for i := range dst {
				dst[i] = x[i] * y[i]
			}
		case opDiv:
			for i := range dst {
				dst[i] = x[i] / y[i]
			}
		}
		return
	}
	f := binFunc[T](op)
	for j := 0; j < n; j++ {
		out[o] = f(a[ia], b[ib])
		o += in[0]
		ia += in[1]
		ib += in[2]
	}
}

// binRowScalar is binRow's loop for a contiguous a and a broadcast scalar b.
func binRowScalar[T float](op binOp, dst, x []T, y T) {
	x = x[:len(dst)]
	switch op {
	case opAdd:
		for i := range dst {
			dst[i] = x[i] + y
		}
	case opSub:
		for i := range dst {
			dst[i] = x[i] - y
		}
	case opMul:
		for i := range dst {
			dst[i] = x[i] * y
		}
	case opDiv:
		for i := range dst {
			dst[i] = x[i] / y
		}
	}
}

// floatPair panics unless a and b share a dtype the kernels compute in:
// F32 or F64, and on a device also F16 and BF16 (see computeFloat).
func floatPair(op string, a, b *Tensor) {
	if a.dtype != b.dtype || !a.computeFloat() || !b.computeFloat() {
		panic(fmt.Sprintf("tensor.%s: dtypes %v and %v (need both float32 or both float64; float16 or bfloat16 on a device)", op, a.dtype, b.dtype))
	}
}

// computeFloat reports whether arithmetic runs on t's dtype: F32 and F64
// everywhere, F16 and BF16 on a device (the backend computes them, as
// CUDA's mixed precision needs); on the host those are storage formats.
func (t *Tensor) computeFloat() bool {
	return t.dtype == F32 || t.dtype == F64 || (t.dev != nil && (t.dtype == F16 || t.dtype == BF16))
}

// binary runs op over a and b broadcast together into a new contiguous tensor.
func binary(op binOp, a, b *Tensor) *Tensor {
	name := binOpNames[op]
	floatPair(name, a, b)
	sh, err := BroadcastShapes(a.shape, b.shape)
	if err != nil {
		panic(fmt.Sprintf("tensor.%s: %v", name, err))
	}
	if a.dev != nil || b.dev != nil {
		return devBinary(op, a, b, sh)
	}
	out := Zeros(a.dtype, sh...)
	strides := [][]int{out.strides, broadcastStrides(a, sh), broadcastStrides(b, sh)}
	offs := []int{0, a.offset, b.offset}
	switch o := out.data.(type) {
	case []float32:
		x, y := a.data.([]float32), b.data.([]float32)
		forEachRowPar(sh, strides, offs, func(offs []int, n int, in []int) { binRow(op, o, x, y, offs, n, in) })
	case []float64:
		x, y := a.data.([]float64), b.data.([]float64)
		forEachRowPar(sh, strides, offs, func(offs []int, n int, in []int) { binRow(op, o, x, y, offs, n, in) })
	}
	return out
}

// Add returns a + b with NumPy broadcasting.
func Add(a, b *Tensor) *Tensor { return binary(opAdd, a, b) }

// Sub returns a - b with NumPy broadcasting.
func Sub(a, b *Tensor) *Tensor { return binary(opSub, a, b) }

// Mul returns a * b (element-wise) with NumPy broadcasting.
func Mul(a, b *Tensor) *Tensor { return binary(opMul, a, b) }

// Div returns a / b with NumPy broadcasting.
func Div(a, b *Tensor) *Tensor { return binary(opDiv, a, b) }

// Maximum returns the element-wise maximum with broadcasting; a NaN in
// either input gives NaN, as in torch.maximum.
func Maximum(a, b *Tensor) *Tensor { return binary(opMax, a, b) }

// Minimum returns the element-wise minimum with broadcasting; NaN propagates.
func Minimum(a, b *Tensor) *Tensor { return binary(opMin, a, b) }

// Greater returns a mask of a's dtype: 1 where a > b, else 0 (broadcasting).
func Greater(a, b *Tensor) *Tensor { return binary(opGreater, a, b) }

// Less returns a mask of a's dtype: 1 where a < b, else 0 (broadcasting).
func Less(a, b *Tensor) *Tensor { return binary(opLess, a, b) }

// Equal returns a mask of a's dtype: 1 where a == b, else 0 (broadcasting).
func Equal(a, b *Tensor) *Tensor { return binary(opEqual, a, b) }

// AddInto adds src into dst in place (dst += src), broadcasting src to dst's
// shape. dst may be a view; the sum is written through its strides. This is
// how gradients accumulate.
func AddInto(dst, src *Tensor) {
	floatPair("AddInto", dst, src)
	sh, err := BroadcastShapes(dst.shape, src.shape)
	if err != nil || !sameShape(sh, dst.shape) {
		panic(fmt.Sprintf("tensor.AddInto: shape %v does not broadcast to %v", src.shape, dst.shape))
	}
	if dst.dev != nil || src.dev != nil {
		devAddInto(dst, src)
		return
	}
	strides := [][]int{dst.strides, dst.strides, broadcastStrides(src, sh)}
	offs := []int{dst.offset, dst.offset, src.offset}
	walk := forEachRowPar
	for i, st := range dst.strides {
		if st == 0 && dst.shape[i] > 1 {
			walk = forEachRow // dst elements alias each other: stay sequential
		}
	}
	switch d := dst.data.(type) {
	case []float32:
		s := src.data.([]float32)
		walk(sh, strides, offs, func(offs []int, n int, in []int) { binRow(opAdd, d, d, s, offs, n, in) })
	case []float64:
		s := src.data.([]float64)
		walk(sh, strides, offs, func(offs []int, n int, in []int) { binRow(opAdd, d, d, s, offs, n, in) })
	}
}

// unary applies f to every element of a (F32 or F64) into a new contiguous
// tensor. F32 elements are widened to float64 for f and rounded back.
func unary(name string, a *Tensor, f func(float64) float64) *Tensor {
	if a.dtype != F32 && a.dtype != F64 {
		panic(fmt.Sprintf("tensor.%s: dtype %v (need float32 or float64)", name, a.dtype))
	}
	a.hostOnly(name) // device tensors reach devUnary before this; Map cannot run there
	out := Zeros(a.dtype, a.shape...)
	strides := [][]int{out.strides, a.strides}
	offs := []int{0, a.offset}
	switch o := out.data.(type) {
	case []float32:
		x := a.data.([]float32)
		forEachRowPar(a.shape, strides, offs, func(offs []int, n int, in []int) {
			i, j := offs[0], offs[1]
			for k := 0; k < n; k++ {
				o[i] = float32(f(float64(x[j])))
				i += in[0]
				j += in[1]
			}
		})
	case []float64:
		x := a.data.([]float64)
		forEachRowPar(a.shape, strides, offs, func(offs []int, n int, in []int) {
			i, j := offs[0], offs[1]
			for k := 0; k < n; k++ {
				o[i] = f(x[j])
				i += in[0]
				j += in[1]
			}
		})
	}
	return out
}

// Map returns f applied to every element of a float32 or float64 tensor
// (computed in float64). It is the escape hatch for activations not listed
// here, and runs on the host only (f is Go code): it panics for a device
// tensor.
func Map(a *Tensor, f func(float64) float64) *Tensor { return unary("Map", a, f) }

// AddScalar returns a + s.
func AddScalar(a *Tensor, s float64) *Tensor {
	if a.dev != nil {
		return devUnary(UnAddScalar, a, s, 0)
	}
	return unary("AddScalar", a, func(x float64) float64 { return x + s })
}

// MulScalar returns a * s.
func MulScalar(a *Tensor, s float64) *Tensor {
	if a.dev != nil {
		return devUnary(UnMulScalar, a, s, 0)
	}
	return unary("MulScalar", a, func(x float64) float64 { return x * s })
}

// PowScalar returns a raised to the power p element-wise (math.Pow rules).
func PowScalar(a *Tensor, p float64) *Tensor {
	if a.dev != nil {
		return devUnary(UnPowScalar, a, p, 0)
	}
	switch p {
	case 1:
		return unary("PowScalar", a, func(x float64) float64 { return x })
	case 2:
		return unary("PowScalar", a, func(x float64) float64 { return x * x })
	case 0.5:
		return unary("PowScalar", a, math.Sqrt)
	}
	return unary("PowScalar", a, func(x float64) float64 { return math.Pow(x, p) })
}

// ClampScalar returns a with every element limited to [lo, hi]; NaN stays NaN.
func ClampScalar(a *Tensor, lo, hi float64) *Tensor {
	if a.dev != nil {
		return devUnary(UnClamp, a, lo, hi)
	}
	return unary("ClampScalar", a, func(x float64) float64 {
		if x < lo {
			return lo
		}
		if x > hi {
			return hi
		}
		return x
	})
}

// Neg returns -a.
func Neg(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnNeg, a, 0, 0)
	}
	return unary("Neg", a, func(x float64) float64 { return -x })
}

// Exp returns e**a element-wise.
func Exp(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnExp, a, 0, 0)
	}
	return unary("Exp", a, math.Exp)
}

// Log returns the natural logarithm element-wise.
func Log(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnLog, a, 0, 0)
	}
	return unary("Log", a, math.Log)
}

// Sqrt returns the square root element-wise.
func Sqrt(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnSqrt, a, 0, 0)
	}
	return unary("Sqrt", a, math.Sqrt)
}

// Rsqrt returns 1/sqrt(a) element-wise.
func Rsqrt(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnRsqrt, a, 0, 0)
	}
	return unary("Rsqrt", a, func(x float64) float64 { return 1 / math.Sqrt(x) })
}

// Tanh returns the hyperbolic tangent element-wise.
func Tanh(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnTanh, a, 0, 0)
	}
	return unary("Tanh", a, math.Tanh)
}

// Sigmoid returns 1/(1+exp(-a)) element-wise, computed without overflow.
func Sigmoid(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnSigmoid, a, 0, 0)
	}
	return unary("Sigmoid", a, sigmoid)
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Erf returns the error function element-wise.
func Erf(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnErf, a, 0, 0)
	}
	return unary("Erf", a, math.Erf)
}

// Abs returns |a| element-wise.
func Abs(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnAbs, a, 0, 0)
	}
	return unary("Abs", a, math.Abs)
}

// Square returns a*a element-wise.
func Square(a *Tensor) *Tensor {
	if a.dev != nil {
		return devUnary(UnSquare, a, 0, 0)
	}
	return unary("Square", a, func(x float64) float64 { return x * x })
}

// ReduceToShape sums t over the dimensions that broadcasting added or
// stretched, so that the result has shape (which must broadcast to t's
// shape). It is the backward of broadcasting: the gradient of an input that
// was broadcast from shape to t's shape.
func ReduceToShape(t *Tensor, shape []int) *Tensor {
	bs, err := BroadcastShapes(shape, t.shape)
	if err != nil || !sameShape(bs, t.shape) {
		panic(fmt.Sprintf("tensor.ReduceToShape: shape %v does not broadcast to %v", shape, t.shape))
	}
	lead := len(t.shape) - len(shape)
	var axes []int
	for i := range t.shape {
		if i < lead || (shape[i-lead] == 1 && t.shape[i] != 1) {
			axes = append(axes, i)
		}
	}
	if len(axes) == 0 {
		return t.Clone().Reshape(shape...)
	}
	return Sum(t, axes, true).Reshape(shape...)
}
