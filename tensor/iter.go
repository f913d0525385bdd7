package tensor

// This file holds the strided iteration that every kernel is built on.
//
// A kernel that reads or writes several tensors of one (broadcast) shape
// describes each operand by its strides over that shape and its starting
// offset. forEachRow visits the shape one innermost row at a time and hands
// the kernel the start offset of each operand plus the inner length and
// strides, so the kernel's inner loop is a plain loop over a slice.
//
// Before walking, dimensions of size 1 are dropped and neighbouring
// dimensions that every operand lays out back to back are merged. Contiguous
// operands of the same shape thus collapse to a single row of Numel elements.

// rowFunc receives one innermost row: the start offset of each operand, the
// number of elements n, and each operand's stride along the row.
type rowFunc func(offs []int, n int, inner []int)

// forEachRow calls fn for every innermost row of shape. strides[k] and
// offs0[k] describe operand k. An empty shape (a scalar) is one row of length
// 1; a shape with a zero dimension has no rows.
func forEachRow(shape []int, strides [][]int, offs0 []int, fn rowFunc) {
	nop := len(strides)
	// Drop size-1 dims and detect empty shapes.
	dims := make([]int, 0, len(shape))
	st := make([][]int, nop)
	for k := range st {
		st[k] = make([]int, 0, len(shape))
	}
	for i, d := range shape {
		if d == 0 {
			return
		}
		if d == 1 {
			continue
		}
		dims = append(dims, d)
		for k := range st {
			st[k] = append(st[k], strides[k][i])
		}
	}
	offs := append([]int{}, offs0...)
	inner := make([]int, nop)
	if len(dims) == 0 {
		fn(offs, 1, inner)
		return
	}
	// Merge dim i into dim i+1 when every operand has stride[i] == stride[i+1]*dims[i+1].
	md := []int{dims[len(dims)-1]}
	ms := make([][]int, nop)
	for k := range ms {
		ms[k] = []int{st[k][len(dims)-1]}
	}
	for i := len(dims) - 2; i >= 0; i-- {
		last := len(md) - 1
		ok := true
		for k := range st {
			if st[k][i] != ms[k][last]*md[last] {
				ok = false
				break
			}
		}
		if ok {
			md[last] *= dims[i]
			continue
		}
		md = append(md, dims[i])
		for k := range ms {
			ms[k] = append(ms[k], st[k][i])
		}
	}
	// md and ms are now innermost-first.
	n := md[0]
	for k := range ms {
		inner[k] = ms[k][0]
	}
	outer := len(md) - 1
	if outer == 0 {
		fn(offs, n, inner)
		return
	}
	cnt := make([]int, outer)
	for {
		fn(offs, n, inner)
		// Increment the outer counter, innermost outer dim first.
		d := 0
		for ; d < outer; d++ {
			cnt[d]++
			for k := range offs {
				offs[k] += ms[k][d+1]
			}
			if cnt[d] < md[d+1] {
				break
			}
			for k := range offs {
				offs[k] -= ms[k][d+1] * md[d+1]
			}
			cnt[d] = 0
		}
		if d == outer {
			return
		}
	}
}

// broadcastStrides returns t's strides over the broadcast shape out, with 0
// for dims t lacks or has size 1 in. It assumes t broadcasts to out.
func broadcastStrides(t *Tensor, out []int) []int {
	st := make([]int, len(out))
	lead := len(out) - len(t.shape)
	for i := range t.shape {
		if t.shape[i] != 1 {
			st[lead+i] = t.strides[i]
		}
	}
	return st
}
