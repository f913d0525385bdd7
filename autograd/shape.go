package autograd

import (
	"fmt"

	"radcap/tensor"
)

// Shape ops. Forward values are views of the input where the tensor
// package allows it (no copy); the backward of a view is the inverse view
// of the gradient, or a scatter into zeros for the ops that drop elements.

// Reshape returns a with a new shape (one dim may be -1), like torch.reshape.
//
//	backward: da = reshape(g, shape(a))
func Reshape(a *Var, shape ...int) *Var {
	in := a.Value.Shape()
	return record("Reshape", a.Value.Reshape(shape...), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{g.Reshape(in...)}
	}, a)
}

// Flatten merges dims start..end (inclusive, negative counts from the end)
// into one, like torch.flatten.
func Flatten(a *Var, start, end int) *Var {
	sh := a.Value.Shape()
	r := len(sh)
	s, e := normAxis("Flatten", start, r), normAxis("Flatten", end, r)
	if s > e {
		panic(fmt.Sprintf("autograd.Flatten: start %d after end %d for shape %v", start, end, sh))
	}
	n := 1
	for _, d := range sh[s : e+1] {
		n *= d
	}
	out := append(append(append([]int{}, sh[:s]...), n), sh[e+1:]...)
	return Reshape(a, out...)
}

// Permute returns a view of a with its dims reordered: dim i of the result
// is dim dims[i] of a (torch.permute).
//
//	backward: da = permute(g, inverse(dims))
func Permute(a *Var, dims ...int) *Var {
	r := a.Value.Rank()
	inv := make([]int, r)
	for i, d := range dims {
		inv[normAxis("Permute", d, r)] = i
	}
	return record("Permute", a.Value.Permute(dims...), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{g.Permute(inv...)}
	}, a)
}

// Transpose returns a view of a with dims d0 and d1 swapped (torch.transpose).
//
//	backward: da = transpose(g, d0, d1)
func Transpose(a *Var, d0, d1 int) *Var {
	return record("Transpose", a.Value.Transpose(d0, d1), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{g.Transpose(d0, d1)}
	}, a)
}

// Contiguous returns a copy of a laid out contiguously (a itself when it is
// already contiguous), so later kernels read it without strides.
func Contiguous(a *Var) *Var {
	if a.Value.IsContiguous() {
		return a
	}
	return record("Contiguous", a.Value.Contiguous(), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{g}
	}, a)
}

// Narrow returns the view a[..., start:start+length, ...] along dim
// (torch.narrow); a row range of a sequence, say.
//
//	backward: da = zeros with g written at [start, start+length) of dim
func Narrow(a *Var, dim, start, length int) *Var {
	x := a.Value
	return record("Narrow", x.Narrow(dim, start, length), false, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{narrowGrad(x, g, func(t *tensor.Tensor) *tensor.Tensor { return t.Narrow(dim, start, length) })}
	}, a)
}

// Select returns the view of a at index along dim, with that dim removed
// (a[:, 0] is Select(a, 1, 0), the [CLS] position of a [B, T, D] sequence).
//
//	backward: da = zeros with g written at index of dim
func Select(a *Var, dim, index int) *Var {
	x := a.Value
	return record("Select", x.Select(dim, index), false, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{narrowGrad(x, g, func(t *tensor.Tensor) *tensor.Tensor { return t.Select(dim, index) })}
	}, a)
}

// Unsqueeze inserts a dim of size 1 at dim (torch.unsqueeze).
func Unsqueeze(a *Var, dim int) *Var {
	in := a.Value.Shape()
	return record("Unsqueeze", a.Value.Unsqueeze(dim), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{g.Reshape(in...)}
	}, a)
}

// Squeeze removes dim, which must have size 1 (torch.squeeze(a, dim)).
func Squeeze(a *Var, dim int) *Var {
	in := a.Value.Shape()
	return record("Squeeze", a.Value.Squeeze(dim), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{g.Reshape(in...)}
	}, a)
}

// Expand returns a broadcast view of a with the given shape (size-1 dims
// stretched, new leading dims added; -1 keeps a size), like torch.expand.
//
//	backward: da = g summed over the broadcast dims
func Expand(a *Var, shape ...int) *Var {
	in := a.Value.Shape()
	return record("Expand", a.Value.Expand(shape...), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{unbroadcast(g, in)}
	}, a)
}

// Concat joins vars of one dtype along dim (torch.cat).
//
//	backward: the i-th input gets the slice of g where it was placed
func Concat(dim int, vs ...*Var) *Var {
	if len(vs) == 0 {
		panic("autograd.Concat: no inputs")
	}
	ts := make([]*tensor.Tensor, len(vs))
	sizes := make([]int, len(vs))
	d := normAxis("Concat", dim, vs[0].Value.Rank())
	for i, v := range vs {
		ts[i] = v.Value
		sizes[i] = v.Value.Dim(d)
	}
	return record("Concat", tensor.Concat(d, ts...), true, func(g *tensor.Tensor) []*tensor.Tensor {
		out := make([]*tensor.Tensor, len(vs))
		at := 0
		for i, n := range sizes {
			if vs[i].RequiresGrad {
				out[i] = g.Narrow(d, at, n)
			}
			at += n
		}
		return out
	}, vs...)
}
