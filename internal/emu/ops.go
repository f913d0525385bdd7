package emu

import (
	"fmt"

	"radcap/tensor"
)

// The tensor.Backend ops: each runs package tensor's CPU kernel on the
// host views of its operands and writes the result through dst's view.

// Copy copies src into dst.
func (b *Backend) Copy(dst, src *tensor.Tensor) error {
	if err := firstErr(b.mine("Copy", dst, src), noAlias("Copy", dst), sameShapes("Copy", dst, src)); err != nil {
		return err
	}
	if dst.DType() != src.DType() {
		return fmt.Errorf("emu: Copy from %v to %v", src.DType(), dst.DType())
	}
	put(dst, view(src))
	return nil
}

// Cast converts src into dst's dtype (CopyFrom converts as To does).
func (b *Backend) Cast(dst, src *tensor.Tensor) error {
	if err := firstErr(b.mine("Cast", dst, src), noAlias("Cast", dst), sameShapes("Cast", dst, src)); err != nil {
		return err
	}
	put(dst, view(src))
	return nil
}

// Fill sets every element of dst to v.
func (b *Backend) Fill(dst *tensor.Tensor, v float64) error {
	if err := firstErr(b.mine("Fill", dst), noAlias("Fill", dst)); err != nil {
		return err
	}
	put(dst, tensor.Full(dst.DType(), v, dst.Shape()...))
	return nil
}

// Unary runs the element-wise op.
func (b *Backend) Unary(op tensor.UnaryOp, dst, src *tensor.Tensor, s, t float64) error {
	if err := firstErr(b.mine("Unary", dst, src), fresh("Unary", dst), sameShapes("Unary", dst, src)); err != nil {
		return err
	}
	x := wview(src)
	var r *tensor.Tensor
	switch op {
	case tensor.UnNeg:
		r = tensor.Neg(x)
	case tensor.UnExp:
		r = tensor.Exp(x)
	case tensor.UnLog:
		r = tensor.Log(x)
	case tensor.UnSqrt:
		r = tensor.Sqrt(x)
	case tensor.UnRsqrt:
		r = tensor.Rsqrt(x)
	case tensor.UnTanh:
		r = tensor.Tanh(x)
	case tensor.UnSigmoid:
		r = tensor.Sigmoid(x)
	case tensor.UnErf:
		r = tensor.Erf(x)
	case tensor.UnAbs:
		r = tensor.Abs(x)
	case tensor.UnSquare:
		r = tensor.Square(x)
	case tensor.UnAddScalar:
		r = tensor.AddScalar(x, s)
	case tensor.UnMulScalar:
		r = tensor.MulScalar(x, s)
	case tensor.UnPowScalar:
		r = tensor.PowScalar(x, s)
	case tensor.UnClamp:
		r = tensor.ClampScalar(x, s, t)
	default:
		return fmt.Errorf("emu: unknown unary op %v", op)
	}
	put(dst, r)
	return nil
}

// Binary runs the element-wise op (dst may be a, for in-place addition:
// the result is computed in full before it is written).
func (b *Backend) Binary(op tensor.BinaryOp, dst, a, c *tensor.Tensor) error {
	if err := firstErr(b.mine("Binary", dst, a, c), noAlias("Binary", dst), sameShapes("Binary", dst, a, c)); err != nil {
		return err
	}
	if dst != a || op != tensor.BinAdd {
		if err := fresh("Binary", dst); err != nil {
			return err
		}
	}
	x, y := wview(a), wview(c)
	var r *tensor.Tensor
	switch op {
	case tensor.BinAdd:
		r = tensor.Add(x, y)
	case tensor.BinSub:
		r = tensor.Sub(x, y)
	case tensor.BinMul:
		r = tensor.Mul(x, y)
	case tensor.BinDiv:
		r = tensor.Div(x, y)
	case tensor.BinMaximum:
		r = tensor.Maximum(x, y)
	case tensor.BinMinimum:
		r = tensor.Minimum(x, y)
	case tensor.BinGreater:
		r = tensor.Greater(x, y)
	case tensor.BinLess:
		r = tensor.Less(x, y)
	case tensor.BinEqual:
		r = tensor.Equal(x, y)
	default:
		return fmt.Errorf("emu: unknown binary op %v", op)
	}
	put(dst, r)
	return nil
}

// Where selects a or c by mask.
func (b *Backend) Where(dst, mask, a, c *tensor.Tensor) error {
	if err := firstErr(b.mine("Where", dst, mask, a, c), fresh("Where", dst), sameShapes("Where", dst, mask, a, c)); err != nil {
		return err
	}
	put(dst, tensor.Where(view(mask), wview(a), wview(c)))
	return nil
}

// Reduce sums or averages over the dims where dst has size 1.
func (b *Backend) Reduce(op tensor.ReduceOp, dst, src *tensor.Tensor) error {
	if err := firstErr(b.mine("Reduce", dst, src), fresh("Reduce", dst)); err != nil {
		return err
	}
	if dst.Rank() != src.Rank() {
		return fmt.Errorf("emu: Reduce: dst %v and src %v differ in rank", dst.Shape(), src.Shape())
	}
	x := wview(src)
	var axes []int
	for i, d := range dst.Shape() {
		if d == 1 && src.Dim(i) != 1 {
			axes = append(axes, i)
		}
	}
	if len(axes) == 0 { // nothing to reduce (nil would mean every axis)
		put(dst, x)
		return nil
	}
	switch op {
	case tensor.ReduceSum:
		put(dst, tensor.Sum(x, axes, true))
	case tensor.ReduceMean:
		put(dst, tensor.Mean(x, axes, true))
	default:
		return fmt.Errorf("emu: unknown reduction %v", op)
	}
	return nil
}

// ArgMax finds the first maximum along axis.
func (b *Backend) ArgMax(values, indices, src *tensor.Tensor, axis int) error {
	if err := firstErr(b.mine("ArgMax", values, indices, src), fresh("ArgMax", values), fresh("ArgMax", indices)); err != nil {
		return err
	}
	v, i := tensor.Max(wview(src), axis, true)
	put(values, v)
	put(indices, i)
	return nil
}

// MatMul multiplies through tensor.MatMul.
func (b *Backend) MatMul(dst, a, c *tensor.Tensor, transA, transB bool) error {
	if err := b.checkMatMul(dst, a, c); err != nil {
		return err
	}
	put(dst, tensor.MatMul(wview(a), wview(c), transA, transB))
	return nil
}

// rows reads a device index tensor (1-D I64) from its private host view.
func rows(idx *tensor.Tensor) []int {
	v := view(idx).Contiguous().I64()
	r := make([]int, len(v))
	for i, x := range v {
		r[i] = int(x)
	}
	return r
}

// IndexSelect gathers along dim.
func (b *Backend) IndexSelect(dst, src *tensor.Tensor, dim int, idx *tensor.Tensor) error {
	if err := firstErr(b.mine("IndexSelect", dst, src), fresh("IndexSelect", dst), b.checkIndex("IndexSelect", idx)); err != nil {
		return err
	}
	put(dst, tensor.IndexSelect(view(src), dim, rows(idx)))
	return nil
}

// IndexAdd scatters src into dst along dim, in place.
func (b *Backend) IndexAdd(dst *tensor.Tensor, dim int, idx, src *tensor.Tensor) error {
	if err := firstErr(b.mine("IndexAdd", dst, src), noAlias("IndexAdd", dst), b.checkIndex("IndexAdd", idx)); err != nil {
		return err
	}
	if isHalf(dst.DType()) {
		w := wview(dst)
		tensor.IndexAdd(w, dim, rows(idx), wview(src))
		put(dst, w)
		return nil
	}
	tensor.IndexAdd(view(dst), dim, rows(idx), view(src))
	return nil
}
