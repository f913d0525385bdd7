package autograd

import (
	"fmt"

	"radcap/tensor"
)

// keptShape returns shape with the reduced axes (nil: all) set to 1, and
// how many elements each output reduces.
func keptShape(op string, shape []int, axes []int) ([]int, int) {
	kept := append([]int{}, shape...)
	cnt := 1
	if len(axes) == 0 {
		for i := range kept {
			cnt *= kept[i]
			kept[i] = 1
		}
		return kept, cnt
	}
	for _, ax := range axes {
		d := normAxis(op, ax, len(shape))
		if kept[d] == 1 && shape[d] != 1 {
			panic(fmt.Sprintf("autograd.%s: axis %d repeated in %v", op, ax, axes))
		}
		cnt *= kept[d]
		kept[d] = 1
	}
	return kept, cnt
}

// Sum returns the sum of a over axes (nil: all), keeping them as size 1
// with keepdim (torch.sum(a, dim, keepdim)). Sums of float32 are
// accumulated in float64.
//
//	backward: da = g broadcast back over the summed axes
func Sum(a *Var, axes []int, keepdim bool) *Var {
	in := a.Value.Shape()
	kept, _ := keptShape("Sum", in, axes)
	return record("Sum", tensor.Sum(a.Value, axes, keepdim), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{g.Reshape(kept...).Expand(in...)}
	}, a)
}

// Mean returns the mean of a over axes (nil: all), like torch.mean.
//
//	backward: da = g/n broadcast back, n the number of elements averaged
func Mean(a *Var, axes []int, keepdim bool) *Var {
	in := a.Value.Shape()
	kept, n := keptShape("Mean", in, axes)
	return record("Mean", tensor.Mean(a.Value, axes, keepdim), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.MulScalar(g, 1/float64(n)).Reshape(kept...).Expand(in...)}
	}, a)
}

// Max returns the maximum of a along axis (torch.max(a, dim, keepdim).values).
// The gradient flows to the first maximal element of each row only, as in
// PyTorch.
//
//	backward: da[..., argmax, ...] = g, zero elsewhere
func Max(a *Var, axis int, keepdim bool) *Var {
	x := a.Value
	d := normAxis("Max", axis, x.Rank())
	vals, arg := tensor.Max(x, d, keepdim)
	return record("Max", vals, false, func(g *tensor.Tensor) []*tensor.Tensor {
		if !x.OnHost() {
			return []*tensor.Tensor{maxBackwardDevice(x, arg, g, d, keepdim)}
		}
		sh := x.Shape()
		outer, n, inner := 1, sh[d], 1
		for i := range sh {
			switch {
			case i < d:
				outer *= sh[i]
			case i > d:
				inner *= sh[i]
			}
		}
		idx := contig(arg).I64()
		da := tensor.Zeros(x.DType(), sh...)
		g = contig(g)
		if isF32("Max", x) {
			scatterMax(data[float32](da), data[float32](g), idx, outer, n, inner)
		} else {
			scatterMax(data[float64](da), data[float64](g), idx, outer, n, inner)
		}
		return []*tensor.Tensor{da}
	}, a)
}

// scatterMax writes g[o, i] to da[o, idx[o, i], i] for da viewed as
// [outer, n, inner] and g, idx as [outer, inner].
func scatterMax[T float](da, g []T, idx []int64, outer, n, inner int) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			k := o*inner + i
			da[(o*n+int(idx[k]))*inner+i] = g[k]
		}
	}
}
