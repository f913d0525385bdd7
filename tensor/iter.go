package tensor

import (
	"runtime"
	"sync"
)

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

// rowWalk is a coalesced iteration plan: rows of n elements with the given
// inner strides, repeated over the outer dims (innermost first).
type rowWalk struct {
	n         int
	inner     []int
	outer     []int   // sizes of the outer dims, innermost first
	outerStr  [][]int // outerStr[k][d]: operand k's stride along outer dim d
	offs0     []int
	empty     bool
	totalRows int
}

// planRows builds the plan for shape and the operands' strides and offsets.
func planRows(shape []int, strides [][]int, offs0 []int) rowWalk {
	nop := len(strides)
	w := rowWalk{inner: make([]int, nop), offs0: offs0, outerStr: make([][]int, nop)}
	dims := make([]int, 0, len(shape))
	st := make([][]int, nop)
	for i, d := range shape {
		if d == 0 {
			w.empty = true
			return w
		}
		if d == 1 {
			continue
		}
		dims = append(dims, d)
		for k := range st {
			st[k] = append(st[k], strides[k][i])
		}
	}
	w.totalRows = 1
	if len(dims) == 0 {
		w.n = 1
		return w
	}
	// Merge dims from the innermost out while every operand is back to back.
	last := len(dims) - 1
	w.n = dims[last]
	for k := range st {
		w.inner[k] = st[k][last]
	}
	cur, curStr := w.n, append([]int{}, w.inner...) // the group being merged
	merging := true
	for i := last - 1; i >= 0; i-- {
		ok := true
		for k := range st {
			if st[k][i] != curStr[k]*cur {
				ok = false
				break
			}
		}
		if ok {
			cur *= dims[i]
			if merging {
				w.n = cur
			} else {
				w.outer[len(w.outer)-1] = cur
			}
			continue
		}
		merging = false
		cur = dims[i]
		w.outer = append(w.outer, cur)
		for k := range st {
			curStr[k] = st[k][i]
			w.outerStr[k] = append(w.outerStr[k], st[k][i])
		}
	}
	for _, d := range w.outer {
		w.totalRows *= d
	}
	return w
}

// walk calls fn for rows [lo, hi) of the plan in order.
func (w *rowWalk) walk(lo, hi int, fn rowFunc) {
	if w.empty || lo >= hi {
		return
	}
	offs := append([]int{}, w.offs0...)
	cnt := make([]int, len(w.outer))
	r := lo
	for d, size := range w.outer {
		cnt[d] = r % size
		r /= size
		for k := range offs {
			offs[k] += cnt[d] * w.outerStr[k][d]
		}
	}
	for row := lo; ; {
		fn(offs, w.n, w.inner)
		row++
		if row == hi {
			return
		}
		for d, size := range w.outer {
			cnt[d]++
			for k := range offs {
				offs[k] += w.outerStr[k][d]
			}
			if cnt[d] < size {
				break
			}
			for k := range offs {
				offs[k] -= w.outerStr[k][d] * size
			}
			cnt[d] = 0
		}
	}
}

// forEachRow calls fn for every innermost row of shape, in C order.
// strides[k] and offs0[k] describe operand k. An empty shape (a scalar) is
// one row of length 1; a shape with a zero dimension has no rows.
func forEachRow(shape []int, strides [][]int, offs0 []int, fn rowFunc) {
	w := planRows(shape, strides, offs0)
	w.walk(0, w.totalRows, fn)
}

// parallelMin is the element count from which forEachRowPar uses several
// goroutines; below it the start-up cost outweighs the gain.
const parallelMin = 1 << 16

// forEachRowPar is forEachRow for kernels whose rows write disjoint outputs:
// a large walk is split across goroutines (by rows, or by chunks of a single
// long row), so fn may be called concurrently and out of order.
func forEachRowPar(shape []int, strides [][]int, offs0 []int, fn rowFunc) {
	w := planRows(shape, strides, offs0)
	total := w.n * w.totalRows
	workers := min(runtime.GOMAXPROCS(0), total/(parallelMin/2))
	if w.empty || workers < 2 {
		w.walk(0, w.totalRows, fn)
		return
	}
	var wg sync.WaitGroup
	if w.totalRows >= workers {
		for i := range workers {
			lo, hi := w.totalRows*i/workers, w.totalRows*(i+1)/workers
			wg.Go(func() { w.walk(lo, hi, fn) })
		}
		wg.Wait()
		return
	}
	// Few long rows: split each row into chunks.
	w.walk(0, w.totalRows, func(offs []int, n int, inner []int) {
		for i := range workers {
			lo, hi := n*i/workers, n*(i+1)/workers
			o := make([]int, len(offs))
			for k := range offs {
				o[k] = offs[k] + lo*inner[k]
			}
			wg.Go(func() { fn(o, hi-lo, inner) })
		}
		wg.Wait()
	})
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
