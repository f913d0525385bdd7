package sgemm

import "sync"

// dotMaxRows is the most rows of C that go through the dot-product path.
const dotMaxRows = 4

// dotFunc sets out[r] = Σ_p a[r*lda+p]·b[p] for r < rows ≤ dotMaxRows and
// p < k.
type dotFunc func(k int, a []float32, lda, rows int, b, out []float32)

// useDot reports whether a product goes through runDot: few rows of C,
// rows of A that are contiguous in memory, and B transposed so that each
// column of op(B) is a contiguous row of B. This is the shape of a linear
// layer on one token or a few (decoding), where packing B would cost more
// than the product itself, since each element of B is used m times.
func useDot(transA, transB bool, m int) bool {
	return !transA && transB && m <= dotMaxRows
}

// runDot computes C = alpha*A*Bᵀ + beta*C as m·n dot products, reading B
// once, straight from memory. Goroutines take contiguous ranges of columns.
func runDot(mk microKernel, threads, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m*n*k < minParallelWork {
		threads = 1
	}
	threads = max(1, min(threads, n/64)) // at least 64 columns each
	columns := func(lo, hi int) {
		var out [dotMaxRows]float32
		for j := lo; j < hi; j++ {
			mk.dot(k, a, lda, m, b[j*ldb:j*ldb+k], out[:m])
			for i, v := range out[:m] {
				if beta == 0 {
					c[i*ldc+j] = alpha * v
				} else {
					c[i*ldc+j] = alpha*v + beta*c[i*ldc+j]
				}
			}
		}
	}
	if threads == 1 {
		columns(0, n)
		return
	}
	var wg sync.WaitGroup
	for t := 1; t < threads; t++ {
		wg.Go(func() { columns(t*n/threads, (t+1)*n/threads) })
	}
	columns(0, n/threads)
	wg.Wait()
}

// dotRowsGo is the pure-Go dotFunc.
func dotRowsGo(k int, a []float32, lda, rows int, b, out []float32) {
	b = b[:k]
	for r := 0; r < rows; r++ {
		row := a[r*lda : r*lda+k]
		var s0, s1, s2, s3 float32 // four sums, so the additions overlap
		p := 0
		for ; p+4 <= k; p += 4 {
			s0 += row[p] * b[p]
			s1 += row[p+1] * b[p+1]
			s2 += row[p+2] * b[p+2]
			s3 += row[p+3] * b[p+3]
		}
		for ; p < k; p++ {
			s0 += row[p] * b[p]
		}
		out[r] = (s0 + s1) + (s2 + s3)
	}
}
