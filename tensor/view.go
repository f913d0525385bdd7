package tensor

import (
	"fmt"
	"slices"
)

// view returns a tensor sharing t's storage with new layout.
func (t *Tensor) view(shape, strides []int, offset int) *Tensor {
	return &Tensor{dtype: t.dtype, shape: shape, strides: strides, offset: offset, data: t.data, dev: t.dev}
}

// Reshape returns a tensor with the same elements in C order and a new
// shape. One dimension may be -1; it is inferred. The result is a view when t
// is contiguous and a copy otherwise.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	sh := append([]int{}, shape...)
	n := t.Numel()
	infer := -1
	known := 1
	for i, d := range sh {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor.Reshape: invalid shape %v", shape))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			panic(fmt.Sprintf("tensor.Reshape: cannot reshape %v into %v", t.shape, shape))
		}
		sh[infer] = n / known
		known = n
	}
	if known != n {
		panic(fmt.Sprintf("tensor.Reshape: cannot reshape %v (%d elements) into %v", t.shape, n, shape))
	}
	src := t.Contiguous()
	return src.view(sh, contiguousStrides(sh), src.offset)
}

// Permute returns a view whose dimension i is t's dimension dims[i].
func (t *Tensor) Permute(dims ...int) *Tensor {
	r := len(t.shape)
	if len(dims) != r {
		panic(fmt.Sprintf("tensor.Permute: %d dims %v for shape %v", len(dims), dims, t.shape))
	}
	seen := make([]bool, r)
	sh := make([]int, r)
	st := make([]int, r)
	for i, d := range dims {
		d = normAxis("Permute", d, r)
		if seen[d] {
			panic(fmt.Sprintf("tensor.Permute: %v is not a permutation of %d dims", dims, r))
		}
		seen[d] = true
		sh[i] = t.shape[d]
		st[i] = t.strides[d]
	}
	return t.view(sh, st, t.offset)
}

// Transpose returns a view with dimensions a and b swapped (negative
// dimensions count from the end).
func (t *Tensor) Transpose(a, b int) *Tensor {
	a, b = t.axis("Transpose", a), t.axis("Transpose", b)
	sh, st := t.Shape(), t.Strides()
	sh[a], sh[b] = sh[b], sh[a]
	st[a], st[b] = st[b], st[a]
	return t.view(sh, st, t.offset)
}

// Narrow returns a view of length elements of dimension dim starting at start.
func (t *Tensor) Narrow(dim, start, length int) *Tensor {
	d := t.axis("Narrow", dim)
	if start < 0 || length < 0 || start+length > t.shape[d] {
		panic(fmt.Sprintf("tensor.Narrow: [%d, %d) out of range for dim %d of shape %v", start, start+length, dim, t.shape))
	}
	sh := t.Shape()
	sh[d] = length
	off := t.offset
	if length > 0 {
		off += start * t.strides[d]
	}
	return t.view(sh, t.Strides(), off)
}

// Select returns a view of index i of dimension dim, with that dimension
// removed. A negative i counts from the end.
func (t *Tensor) Select(dim, i int) *Tensor {
	d := t.axis("Select", dim)
	if i < 0 {
		i += t.shape[d]
	}
	if i < 0 || i >= t.shape[d] {
		panic(fmt.Sprintf("tensor.Select: index %d out of range for dim %d of shape %v", i, dim, t.shape))
	}
	sh := slices.Delete(t.Shape(), d, d+1)
	st := slices.Delete(t.Strides(), d, d+1)
	return t.view(sh, st, t.offset+i*t.strides[d])
}

// Unsqueeze returns a view with a new dimension of size 1 inserted at dim
// (dim may be Rank(), or negative counting from Rank()+1).
func (t *Tensor) Unsqueeze(dim int) *Tensor {
	d := normAxis("Unsqueeze", dim, len(t.shape)+1)
	st := 1
	if d < len(t.shape) {
		st = t.strides[d] * t.shape[d]
	}
	return t.view(slices.Insert(t.Shape(), d, 1), slices.Insert(t.Strides(), d, st), t.offset)
}

// Squeeze returns a view with dimension dim removed if its size is 1; like
// PyTorch, it returns an unchanged view if the size is not 1.
func (t *Tensor) Squeeze(dim int) *Tensor {
	d := t.axis("Squeeze", dim)
	if t.shape[d] != 1 {
		return t.view(t.Shape(), t.Strides(), t.offset)
	}
	return t.view(slices.Delete(t.Shape(), d, d+1), slices.Delete(t.Strides(), d, d+1), t.offset)
}

// Expand returns a view broadcast to shape under NumPy rules: shape may add
// leading dimensions, and a dimension of size 1 may take any size (its stride
// becomes 0, so no memory is copied). A size of -1 keeps t's size.
func (t *Tensor) Expand(shape ...int) *Tensor {
	r, nr := len(t.shape), len(shape)
	if nr < r {
		panic(fmt.Sprintf("tensor.Expand: cannot expand shape %v to %v", t.shape, shape))
	}
	sh := make([]int, nr)
	st := make([]int, nr)
	lead := nr - r
	for i := 0; i < nr; i++ {
		want := shape[i]
		if i < lead {
			if want < 0 {
				panic(fmt.Sprintf("tensor.Expand: cannot expand shape %v to %v", t.shape, shape))
			}
			sh[i] = want
			continue
		}
		have := t.shape[i-lead]
		switch {
		case want == -1 || want == have:
			sh[i] = have
			st[i] = t.strides[i-lead]
		case have == 1 && want >= 0:
			sh[i] = want
		default:
			panic(fmt.Sprintf("tensor.Expand: cannot expand shape %v to %v", t.shape, shape))
		}
	}
	return t.view(sh, st, t.offset)
}

// BroadcastShapes returns the NumPy broadcast of shapes a and b: they are
// aligned at the end, and each pair of dims must be equal or contain a 1.
func BroadcastShapes(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 1; i <= n; i++ {
		da, db := 1, 1
		if i <= len(a) {
			da = a[len(a)-i]
		}
		if i <= len(b) {
			db = b[len(b)-i]
		}
		switch {
		case da == db || db == 1:
			out[n-i] = da
		case da == 1:
			out[n-i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// Concat joins tensors of one dtype along dim into a new contiguous tensor.
// All other dimensions must match.
func Concat(dim int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("tensor.Concat: no tensors")
	}
	first := ts[0]
	d := first.axis("Concat", dim)
	sh := first.Shape()
	total := 0
	for _, t := range ts {
		if t.dtype != first.dtype || len(t.shape) != len(sh) {
			panic(fmt.Sprintf("tensor.Concat: %v%v does not match %v%v", t.dtype, t.shape, first.dtype, first.shape))
		}
		for i := range sh {
			if i != d && t.shape[i] != sh[i] {
				panic(fmt.Sprintf("tensor.Concat: shape %v does not match %v outside dim %d", t.shape, first.shape, dim))
			}
		}
		total += t.shape[d]
	}
	sh[d] = total
	var out *Tensor
	if devAny(ts) {
		out = emptyLike(backendOf("Concat", ts...), first.dtype, sh)
	} else {
		out = Zeros(first.dtype, sh...)
	}
	at := 0
	for _, t := range ts {
		out.Narrow(d, at, t.shape[d]).CopyFrom(t)
		at += t.shape[d]
	}
	return out
}
