//go:build cgo

package cuda

/*
#include "launch.h"
*/
import "C"

import (
	"fmt"
	"math"

	"radcap/tensor"
)

// View is a strided view of a device buffer, as a tensor describes one:
// Shape and Strides in elements (nil Strides means C-contiguous), Offset
// in elements from the buffer's start. Strides may be 0 (broadcast) but
// not negative.
type View struct {
	Buf     *Buffer
	DType   tensor.DType
	Shape   []int
	Strides []int
	Offset  int
}

func (v View) layout() strided { return strided{shape: v.Shape, strides: v.Strides, offset: v.Offset} }

// check validates the view and that every element it reaches lies in its
// buffer.
func (v View) check(op, name string) error {
	if err := v.layout().check(op, name); err != nil {
		return err
	}
	if v.Buf == nil || v.Buf.ptr == 0 {
		return fmt.Errorf("cuda: %s: %s is nil or freed", op, name)
	}
	if span := v.layout().span(); span*v.DType.Size() > v.Buf.size {
		return fmt.Errorf("cuda: %s: %s (shape %v, strides %v, offset %d) reaches %d elements of %v, buffer holds %d bytes",
			op, name, v.Shape, v.Strides, v.Offset, span, v.DType, v.Buf.size)
	}
	return nil
}

// UnaryOp selects the map of Unary (see elementwise.cu).
type UnaryOp int

// The unary maps: y = f(x), with parameters P0, P1 where noted.
const (
	UnaryCopy    UnaryOp = iota // x (with a dtype change when x and y differ)
	UnaryNeg                    // −x
	UnaryExp                    // eˣ
	UnaryLog                    // ln x
	UnaryTanh                   // tanh x
	UnarySqrt                   // √x
	UnaryRsqrt                  // 1/√x
	UnaryAbs                    // |x|
	UnarySigmoid                // 1/(1+e⁻ˣ)
	UnaryErf                    // erf x
	UnarySquare                 // x²
	UnaryAffine                 // P0·x + P1 (scale, add scalar)
	UnaryPow                    // x^P0
	UnaryClamp                  // min(max(x, P0), P1); NaN stays NaN
	UnaryRecip                  // 1/x
	UnaryReLU                   // max(x, 0); NaN stays NaN
)

// BinaryOp selects the operation of Binary.
type BinaryOp int

// The binary operations: y = a ∘ b.
const (
	BinaryAdd       BinaryOp = iota // a + b
	BinarySub                       // a − b
	BinaryMul                       // a · b
	BinaryDiv                       // a / b
	BinaryMax                       // max (NaN propagates, as tensor.Maximum)
	BinaryMin                       // min (NaN propagates)
	BinaryGreater                   // 1 if a > b else 0
	BinaryLess                      // a < b
	BinaryEqual                     // a == b
	BinaryGreaterEq                 // a ≥ b
	BinaryLessEq                    // a ≤ b
	BinaryNotEq                     // a ≠ b
	BinaryAxpy                      // a + alpha·b
)

// ewLayout converts a plan into the kernels' struct.
func ewLayout(p ewPlan) C.rc_ew_layout {
	var L C.rc_ew_layout
	L.rank = C.int(len(p.shape))
	for d, s := range p.shape {
		L.shape[d] = C.int(s)
		for k := range p.strides {
			L.st[k][d] = C.longlong(p.strides[k][d])
		}
	}
	for k, o := range p.offs {
		L.off[k] = C.longlong(o)
	}
	return L
}

// planViews checks every view against its buffer and plans the launch.
func planViews(op string, y View, names []string, ins ...View) (ewPlan, error) {
	if err := y.check(op, "y"); err != nil {
		return ewPlan{}, err
	}
	ls := make([]strided, len(ins))
	for i, v := range ins {
		if err := v.check(op, names[i]); err != nil {
			return ewPlan{}, err
		}
		ls[i] = v.layout()
	}
	return planElementwise(op, y.layout(), names, ls...)
}

// Unary writes y = f(x) element-wise; x broadcasts to y's shape. x and y
// may have different float storage types (f32, f16, bf16): UnaryCopy then
// is a strided cast.
func (d *Device) Unary(op UnaryOp, y, x View, p0, p1 float32) error {
	name := "Unary"
	if op < UnaryCopy || op > UnaryReLU {
		return fmt.Errorf("cuda: %s: unknown op %d", name, op)
	}
	xs, err := suffix(name, x.DType)
	if err != nil {
		return err
	}
	ys, err := suffix(name, y.DType)
	if err != nil {
		return err
	}
	p, err := planViews(name, y, []string{"x"}, x)
	if err != nil || p.n == 0 {
		return err
	}
	L := ewLayout(p)
	return d.launch("ew_unary_"+xs+"_"+ys, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ew_unary(d.l.cu, f, flat(p.n), d.stream, dptr(x.Buf), dptr(y.Buf), L, C.longlong(p.n), C.int(op), C.float(p0), C.float(p1))
	})
}

// Binary writes y = a ∘ b element-wise; a and b broadcast to y's shape
// and share y's storage type. y may be a itself (in-place accumulation,
// a += b with BinaryAdd).
func (d *Device) Binary(op BinaryOp, y, a, b View, alpha float32) error {
	name := "Binary"
	if op < BinaryAdd || op > BinaryAxpy {
		return fmt.Errorf("cuda: %s: unknown op %d", name, op)
	}
	s, err := suffix(name, y.DType)
	if err != nil {
		return err
	}
	if a.DType != y.DType || b.DType != y.DType {
		return fmt.Errorf("cuda: %s: dtypes %v, %v into %v (must match)", name, a.DType, b.DType, y.DType)
	}
	p, err := planViews(name, y, []string{"a", "b"}, a, b)
	if err != nil || p.n == 0 {
		return err
	}
	L := ewLayout(p)
	return d.launch("ew_binary_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ew_binary(d.l.cu, f, flat(p.n), d.stream, dptr(a.Buf), dptr(b.Buf), dptr(y.Buf), L, C.longlong(p.n), C.int(op), C.float(alpha))
	})
}

// maskKind is the where kernel's code for a mask dtype.
func maskKind(dt tensor.DType) (int, error) {
	switch dt {
	case tensor.U8, tensor.Bool:
		return 0, nil
	case tensor.F32:
		return 1, nil
	case tensor.F16:
		return 2, nil
	case tensor.BF16:
		return 3, nil
	case tensor.I64:
		return 4, nil
	case tensor.I32:
		return 5, nil
	case tensor.F64:
		return 6, nil
	}
	return 0, fmt.Errorf("cuda: Where: mask dtype %v", dt)
}

// Where writes y = mask ≠ 0 ? a : b; mask, a and b broadcast to y's shape.
func (d *Device) Where(y, mask, a, b View) error {
	name := "Where"
	s, err := suffix(name, y.DType)
	if err != nil {
		return err
	}
	if a.DType != y.DType || b.DType != y.DType {
		return fmt.Errorf("cuda: %s: dtypes %v, %v into %v (must match)", name, a.DType, b.DType, y.DType)
	}
	kind, err := maskKind(mask.DType)
	if err != nil {
		return err
	}
	p, err := planViews(name, y, []string{"a", "b", "mask"}, a, b, mask)
	if err != nil || p.n == 0 {
		return err
	}
	L := ewLayout(p)
	return d.launch("ew_where_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ew_where(d.l.cu, f, flat(p.n), d.stream, dptr(mask.Buf), C.int(kind), dptr(a.Buf), dptr(b.Buf), dptr(y.Buf), L, C.longlong(p.n))
	})
}

// Fill sets every element of the view y (f32, f16 or bf16) to v rounded
// to y's type.
func (d *Device) Fill(y View, v float32) error {
	var bits uint64
	switch y.DType {
	case tensor.F32:
		bits = uint64(math.Float32bits(v))
	case tensor.F16:
		bits = uint64(tensor.F32ToF16(v))
	case tensor.BF16:
		bits = uint64(tensor.F32ToBF16(v))
	default:
		return fmt.Errorf("cuda: Fill: dtype %v (use FillBits)", y.DType)
	}
	return d.FillBits(y, bits)
}

// FillBits sets every element of the view y, of any dtype, to the low
// y.DType.Size() bytes of bits (the element's little-endian pattern).
func (d *Device) FillBits(y View, bits uint64) error {
	p, err := planViews("Fill", y, nil)
	if err != nil || p.n == 0 {
		return err
	}
	L := ewLayout(p)
	return d.launch("ew_fill_bits", func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ew_fill(d.l.cu, f, flat(p.n), d.stream, dptr(y.Buf), C.int(y.DType.Size()), L, C.longlong(p.n), C.ulonglong(bits))
	})
}

// castKind is ew_cast's code for a storage type.
func castKind(dt tensor.DType) (int, error) {
	switch dt {
	case tensor.F32:
		return 0, nil
	case tensor.F16:
		return 1, nil
	case tensor.BF16:
		return 2, nil
	case tensor.F64:
		return 3, nil
	case tensor.I64:
		return 4, nil
	case tensor.I32:
		return 5, nil
	case tensor.U8:
		return 6, nil
	case tensor.Bool:
		return 7, nil
	}
	return 0, fmt.Errorf("cuda: Cast: dtype %v", dt)
}

// CastView converts x into y element-wise between any two dtypes, with the
// rules of tensor.To (see elementwise.cu); x broadcasts to y's shape.
func (d *Device) CastView(y, x View) error {
	kx, err := castKind(x.DType)
	if err != nil {
		return err
	}
	ky, err := castKind(y.DType)
	if err != nil {
		return err
	}
	p, err := planViews("Cast", y, []string{"x"}, x)
	if err != nil || p.n == 0 {
		return err
	}
	L := ewLayout(p)
	return d.launch("ew_cast", func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ew_cast(d.l.cu, f, flat(p.n), d.stream, dptr(x.Buf), C.int(kx), dptr(y.Buf), C.int(ky), L, C.longlong(p.n))
	})
}

// gatherLayout checks y and x (same rank, equal dims except dim g) and
// returns the unmerged layout (y operand 0, x operand 1), x's stride along
// g and x's size along g.
func gatherLayout(op string, y, x View, g int) (C.rc_ew_layout, int, int, int, error) {
	var L C.rc_ew_layout
	if err := y.check(op, "dst"); err != nil {
		return L, 0, 0, 0, err
	}
	if err := x.check(op, "src"); err != nil {
		return L, 0, 0, 0, err
	}
	if len(y.Shape) != len(x.Shape) || g < 0 || g >= len(y.Shape) || len(y.Shape) > maxDims {
		return L, 0, 0, 0, fmt.Errorf("cuda: %s: dst %v, src %v along dim %d", op, y.Shape, x.Shape, g)
	}
	n := 1
	ys, xs := y.layout().stridesOf(), x.layout().stridesOf()
	L.rank = C.int(len(y.Shape))
	for i := range y.Shape {
		if i != g && y.Shape[i] != x.Shape[i] {
			return L, 0, 0, 0, fmt.Errorf("cuda: %s: dst %v and src %v differ outside dim %d", op, y.Shape, x.Shape, g)
		}
		n *= y.Shape[i]
		L.shape[i] = C.int(y.Shape[i])
		L.st[0][i] = C.longlong(ys[i])
		L.st[1][i] = C.longlong(xs[i])
	}
	L.off[0], L.off[1] = C.longlong(y.Offset), C.longlong(x.Offset)
	return L, xs[g], n, x.Shape[g], nil
}

// Gather writes y[…, i, …] = x[…, idx[i], …] along dim g (IndexSelect):
// idx is an i64 buffer of y.Shape[g] ids; y and x have one dtype (any).
// An id outside [0, x.Shape[g]) writes all-one bits (NaN for floats).
func (d *Device) Gather(y, x View, g int, idx *Buffer) error {
	if x.DType != y.DType {
		return fmt.Errorf("cuda: Gather: dtypes %v and %v differ", x.DType, y.DType)
	}
	L, gs, n, v, err := gatherLayout("Gather", y, x, g)
	if err != nil || n == 0 {
		return err
	}
	if err := need("Gather", "idx", idx, y.Shape[g], tensor.I64); err != nil {
		return err
	}
	k := fmt.Sprintf("ew_gather_b%d", y.DType.Size())
	return d.launch(k, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ew_gather(d.l.cu, f, flat(n), d.stream, dptr(x.Buf), dptr(y.Buf), dptr(idx), L, C.int(g), C.longlong(v), C.longlong(gs), C.longlong(n))
	})
}

// IndexAdd adds x's slices into y along dim g at idx (f32 only, atomics:
// repeated ids accumulate, the order of the additions is not fixed):
// y[…, idx[i], …] += x[…, i, …]. Ids outside [0, y.Shape[g]) are skipped.
func (d *Device) IndexAdd(y, x View, g int, idx *Buffer) error {
	if x.DType != tensor.F32 || y.DType != tensor.F32 {
		return fmt.Errorf("cuda: IndexAdd: dtypes %v into %v (f32 only)", x.DType, y.DType)
	}
	// Iterate over x: operand 0 is x, operand 1 is y.
	L, gs, n, v, err := gatherLayout("IndexAdd", x, y, g)
	if err != nil || n == 0 {
		return err
	}
	if err := need("IndexAdd", "idx", idx, x.Shape[g], tensor.I64); err != nil {
		return err
	}
	return d.launch("ew_index_add_f32", func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ew_gather(d.l.cu, f, flat(n), d.stream, dptr(x.Buf), dptr(y.Buf), dptr(idx), L, C.int(g), C.longlong(v), C.longlong(gs), C.longlong(n))
	})
}

// CopyView copies x into y bit for bit (x broadcasts to y's shape); both
// have the same dtype, any dtype. This is Contiguous, a copy into a
// narrowed view (Concat), a permutation, an expansion.
func (d *Device) CopyView(y, x View) error {
	if x.DType != y.DType {
		return fmt.Errorf("cuda: CopyView: dtypes %v and %v differ (use Unary with UnaryCopy to convert floats)", x.DType, y.DType)
	}
	var k string
	switch y.DType.Size() {
	case 1:
		k = "ew_copy_b1"
	case 2:
		k = "ew_copy_b2"
	case 4:
		k = "ew_copy_b4"
	case 8:
		k = "ew_copy_b8"
	default:
		return fmt.Errorf("cuda: CopyView: dtype %v", y.DType)
	}
	p, err := planViews("CopyView", y, []string{"x"}, x)
	if err != nil || p.n == 0 {
		return err
	}
	L := ewLayout(p)
	return d.launch(k, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ew_copy(d.l.cu, f, flat(p.n), d.stream, dptr(x.Buf), dptr(y.Buf), L, C.longlong(p.n))
	})
}
