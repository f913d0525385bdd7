package tensor

import "fmt"

// reduceAxes normalises axes (nil or empty means all axes) into a mask.
func reduceAxes(op string, t *Tensor, axes []int) []bool {
	r := len(t.shape)
	mask := make([]bool, r)
	if len(axes) == 0 {
		for i := range mask {
			mask[i] = true
		}
		return mask
	}
	for _, a := range axes {
		d := normAxis(op, a, r)
		if mask[d] {
			panic(fmt.Sprintf("tensor.%s: axis %d repeated in %v", op, a, axes))
		}
		mask[d] = true
	}
	return mask
}

// reducedShape returns the output shape with reduced dims kept as 1
// (keepdim) or dropped.
func reducedShape(shape []int, mask []bool, keepdim bool) []int {
	out := []int{}
	for i, d := range shape {
		switch {
		case !mask[i]:
			out = append(out, d)
		case keepdim:
			out = append(out, 1)
		}
	}
	return out
}

// sumRows accumulates the elements of x into acc following the row walk.
func sumRows[T float](x []T, acc []float64, shape []int, strides [][]int, offs []int) {
	forEachRow(shape, strides, offs, func(offs []int, n int, in []int) {
		i, o := offs[0], offs[1]
		if in[1] == 0 && in[0] == 1 {
			acc[o] += sumContiguous(x[i : i+n])
			return
		}
		if in[1] == 0 {
			s := 0.0
			for k := 0; k < n; k++ {
				s += float64(x[i])
				i += in[0]
			}
			acc[o] += s
			return
		}
		for k := 0; k < n; k++ {
			acc[o] += float64(x[i])
			i += in[0]
			o += in[1]
		}
	})
}

// sumContiguous adds a slice in float64 with four independent partial sums,
// so the additions can overlap in the CPU pipeline.
func sumContiguous[T float](x []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// Sum returns the sum of t over axes (nil or empty: all axes). With keepdim
// the reduced dims stay as size 1; otherwise they are removed, so summing
// over all axes gives a 0-d tensor. F32 input is accumulated in float64 and
// rounded once at the end.
func Sum(t *Tensor, axes []int, keepdim bool) *Tensor {
	if t.dev != nil {
		return devReduce("Sum", ReduceSum, t, axes, keepdim)
	}
	acc, sh, _ := sumF64("Sum", t, axes, keepdim)
	return fromF64As(t.dtype, acc, sh)
}

// Mean returns the mean of t over axes, like Sum divided by the number of
// elements reduced (NaN for an empty reduction).
func Mean(t *Tensor, axes []int, keepdim bool) *Tensor {
	if t.dev != nil {
		return devReduce("Mean", ReduceMean, t, axes, keepdim)
	}
	acc, sh, cnt := sumF64("Mean", t, axes, keepdim)
	for i := range acc {
		acc[i] /= float64(cnt)
	}
	return fromF64As(t.dtype, acc, sh)
}

// sumF64 sums over axes into a float64 buffer, returning the buffer, the
// output shape and how many elements each output summed.
func sumF64(op string, t *Tensor, axes []int, keepdim bool) ([]float64, []int, int) {
	if t.dtype != F32 && t.dtype != F64 {
		panic(fmt.Sprintf("tensor.%s: dtype %v (need float32 or float64)", op, t.dtype))
	}
	mask := reduceAxes(op, t, axes)
	kshape := reducedShape(t.shape, mask, true)
	ost := contiguousStrides(kshape)
	cnt := 1
	for i := range ost {
		if mask[i] {
			ost[i] = 0
			cnt *= t.shape[i]
		}
	}
	acc := make([]float64, numelOf(op, kshape))
	strides := [][]int{t.strides, ost}
	offs := []int{t.offset, 0}
	switch x := t.data.(type) {
	case []float32:
		sumRows(x, acc, t.shape, strides, offs)
	case []float64:
		sumRows(x, acc, t.shape, strides, offs)
	}
	return acc, reducedShape(t.shape, mask, keepdim), cnt
}

// fromF64As builds an F32 or F64 tensor from float64 values.
func fromF64As(dt DType, v []float64, shape []int) *Tensor {
	if dt == F64 {
		return FromF64(v, shape...)
	}
	o := make([]float32, len(v))
	for i, x := range v {
		o[i] = float32(x)
	}
	return FromF32(o, shape...)
}

// maxRows finds the maximum and its first index along the last dim of the
// walk; a NaN wins (the first NaN), as in PyTorch.
func maxRows[T float](x []T, vals []T, idx []int64, n, stride int, outer []int, outerStrides []int, off0 int) {
	forEachRow(outer, [][]int{outerStrides, contiguousStrides(outer)}, []int{off0, 0}, func(offs []int, m int, in []int) {
		i, o := offs[0], offs[1]
		for r := 0; r < m; r++ {
			best, bi := x[i], int64(0)
			p := i
			for k := 0; k < n && !isNaN(best); k++ {
				if v := x[p]; v > best || isNaN(v) {
					best, bi = v, int64(k)
				}
				p += stride
			}
			vals[o], idx[o] = best, bi
			i += in[0]
			o += in[1]
		}
	})
}

// Max returns the maximum of t along axis and the index where it occurs (the
// first one; dtype I64). With keepdim the axis stays as size 1. A NaN is the
// maximum of any row that holds one. The axis must not be empty.
func Max(t *Tensor, axis int, keepdim bool) (values, argmax *Tensor) {
	if !t.computeFloat() {
		panic(fmt.Sprintf("tensor.Max: dtype %v (need float32 or float64)", t.dtype))
	}
	d := t.axis("Max", axis)
	n := t.shape[d]
	mask := make([]bool, len(t.shape))
	mask[d] = true
	outer := reducedShape(t.shape, mask, false)
	ost := make([]int, 0, len(outer))
	for i := range t.shape {
		if i != d {
			ost = append(ost, t.strides[i])
		}
	}
	m := numelOf("Max", outer)
	if n == 0 && m > 0 {
		panic(fmt.Sprintf("tensor.Max: empty axis %d of shape %v", axis, t.shape))
	}
	if t.dev != nil {
		return devMax(t, d, keepdim)
	}
	idx := make([]int64, m)
	var vals *Tensor
	switch x := t.data.(type) {
	case []float32:
		v := make([]float32, m)
		maxRows(x, v, idx, n, t.strides[d], outer, ost, t.offset)
		vals = FromF32(v, outer...)
	case []float64:
		v := make([]float64, m)
		maxRows(x, v, idx, n, t.strides[d], outer, ost, t.offset)
		vals = FromF64(v, outer...)
	}
	argmax = FromI64(idx, outer...)
	if keepdim {
		vals, argmax = vals.Unsqueeze(d), argmax.Unsqueeze(d)
	}
	return vals, argmax
}

// ArgMax returns the index (I64) of the first maximum of t along axis, with
// the axis removed.
func ArgMax(t *Tensor, axis int) *Tensor {
	_, idx := Max(t, axis, false)
	return idx
}

// Min returns the minimum along axis and its first index, like Max.
func Min(t *Tensor, axis int, keepdim bool) (values, argmin *Tensor) {
	v, i := Max(Neg(t), axis, keepdim)
	return Neg(v), i
}
