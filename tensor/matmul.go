package tensor

import (
	"fmt"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"radcap/tensor/sgemm"
)

// MatMul returns the batched matrix product op(a) · op(b), where op(a) is a
// with its last two dims swapped when transA is set (likewise for b). So a
// is [..., m, k] (or [..., k, m] with transA), b is [..., k, n] (or
// [..., n, k] with transB), and the result is a new contiguous
// [..., m, n]. The batch dims (all but the last two) broadcast under NumPy
// rules; both operands need rank >= 2 and one dtype, F32 or F64. Strided
// views are used in place when their matrices are row- or column-major and
// copied otherwise. F32 products go through package sgemm, F64 through
// gonum's BLAS.
func MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	floatPair("MatMul", a, b)
	if a.Rank() < 2 || b.Rank() < 2 {
		panic(fmt.Sprintf("tensor.MatMul: shapes %v and %v need rank >= 2", a.shape, b.shape))
	}
	if a.dev != nil || b.dev != nil {
		return devMatMul(a, b, transA, transB)
	}
	// Work with the logical operands op(a) [..., m, k] and op(b) [..., k, n].
	if transA {
		a = a.Transpose(-1, -2)
	}
	if transB {
		b = b.Transpose(-1, -2)
	}
	ra, rb := a.Rank(), b.Rank()
	m, k, k2, n := a.shape[ra-2], a.shape[ra-1], b.shape[rb-2], b.shape[rb-1]
	if k != k2 {
		panic(fmt.Sprintf("tensor.MatMul: shapes %v and %v (transA=%v, transB=%v): inner dims %d and %d differ",
			a.shape, b.shape, transA, transB, k, k2))
	}
	batch, err := BroadcastShapes(a.shape[:ra-2], b.shape[:rb-2])
	if err != nil {
		panic(fmt.Sprintf("tensor.MatMul: batch dims of %v and %v: %v", a.shape, b.shape, err))
	}
	outShape := append(append([]int{}, batch...), m, n)
	out := Zeros(a.dtype, outShape...)
	if out.Numel() == 0 || k == 0 {
		return out
	}
	la, ok := matLayout(m, k, a.strides[ra-2], a.strides[ra-1])
	if !ok {
		a = a.Clone()
		la, _ = matLayout(m, k, a.strides[ra-2], a.strides[ra-1])
	}
	lb, ok := matLayout(k, n, b.strides[rb-2], b.strides[rb-1])
	if !ok {
		b = b.Clone()
		lb, _ = matLayout(k, n, b.strides[rb-2], b.strides[rb-1])
	}
	ast, bst := broadcastStrides2(a, batch), broadcastStrides2(b, batch)

	// Fold the batch into the rows of one product when b is the same matrix
	// for every batch and a's rows are evenly spaced across the batch (a
	// linear layer applied to [B, T, D] is one [B*T, D] product).
	if allZero(bst) && !la.trans && rowsFold(ast, batch, m, la.ld) {
		gemmAt(a, a.offset, la, b, b.offset, lb, out, 0, out.Numel()/n, n, k, sgemm.Sgemm)
		return out
	}
	ost := contiguousStrides(batch)
	for i := range ost {
		ost[i] *= m * n
	}
	var jobs [][3]int // storage offsets of each batch's a, b and c matrices
	forEachRow(batch, [][]int{ast, bst, ost}, []int{a.offset, b.offset, 0}, func(offs []int, cnt int, in []int) {
		for j := 0; j < cnt; j++ {
			jobs = append(jobs, [3]int{offs[0] + j*in[0], offs[1] + j*in[1], offs[2] + j*in[2]})
		}
	})
	// Many small products (attention heads) run one per goroutine, each
	// single-threaded; otherwise each product uses every thread itself.
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	if a.dtype != F32 || workers < 2 || m*n*k > 1<<24 {
		for _, j := range jobs {
			gemmAt(a, j[0], la, b, j[1], lb, out, j[2], m, n, k, sgemm.Sgemm)
		}
		return out
	}
	single := sgemm.Config{Threads: 1}.Sgemm
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(jobs); i += workers {
				j := jobs[i]
				gemmAt(a, j[0], la, b, j[1], lb, out, j[2], m, n, k, single)
			}
		})
	}
	wg.Wait()
	return out
}

// layout says how a matrix view maps onto row-major storage: with row
// stride ld, either directly or (trans) as the transpose of a stored matrix.
type layout struct {
	ld    int
	trans bool
}

// matLayout finds a BLAS layout for a rows×cols matrix with strides rs, cs;
// ok is false when the view is neither row- nor column-major (then it must
// be copied).
func matLayout(rows, cols, rs, cs int) (layout, bool) {
	if cs == 1 || cols == 1 {
		ld := rs
		if rows == 1 {
			ld = max(cols, 1)
		}
		if ld >= max(cols, 1) {
			return layout{ld: ld}, true
		}
	}
	if rs == 1 || rows == 1 {
		ld := cs
		if cols == 1 {
			ld = max(rows, 1)
		}
		if ld >= max(rows, 1) {
			return layout{ld: ld, trans: true}, true
		}
	}
	return layout{}, false
}

// broadcastStrides2 returns the strides of t's batch dims (all but the last
// two) broadcast to batch.
func broadcastStrides2(t *Tensor, batch []int) []int {
	r := t.Rank()
	bt := t.view(t.shape[:r-2], t.strides[:r-2], t.offset)
	return broadcastStrides(bt, batch)
}

func allZero(s []int) bool {
	for _, v := range s {
		if v != 0 {
			return false
		}
	}
	return true
}

// rowsFold reports whether the m rows of every batch follow one another at
// row stride ld, so the whole batch is one matrix of batch*m rows.
func rowsFold(ast, batch []int, m, ld int) bool {
	want := ld * m
	for i := len(batch) - 1; i >= 0; i-- {
		if batch[i] == 1 {
			continue
		}
		if ast[i] != want {
			return false
		}
		want *= batch[i]
	}
	return true
}

// sgemmFunc is the signature of sgemm.Sgemm and sgemm.Config.Sgemm.
type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// gemmAt computes the m×n product at storage offset co of c (row stride n)
// from the matrices of a and b at offsets ao and bo.
func gemmAt(a *Tensor, ao int, la layout, b *Tensor, bo int, lb layout, c *Tensor, co, m, n, k int, sg sgemmFunc) {
	switch cd := c.data.(type) {
	case []float32:
		sg(la.trans, lb.trans, m, n, k, 1, a.data.([]float32)[ao:], la.ld,
			b.data.([]float32)[bo:], lb.ld, 0, cd[co:], n)
	case []float64:
		blas64.Implementation().Dgemm(blasTrans(la.trans), blasTrans(lb.trans), m, n, k, 1,
			a.data.([]float64)[ao:], la.ld, b.data.([]float64)[bo:], lb.ld, 0, cd[co:], n)
	}
}

func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
