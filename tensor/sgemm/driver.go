package sgemm

import (
	"sync"
	"sync/atomic"
)

// bufPool recycles packing buffers between calls, so that a steady stream
// of products does not allocate. It holds *[]float32.
var bufPool sync.Pool

// getBuf returns a buffer of n float32s with arbitrary contents.
func getBuf(n int) *[]float32 {
	if p, ok := bufPool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

// putBuf returns a buffer obtained from getBuf to the pool.
func putBuf(p *[]float32) { bufPool.Put(p) }

// minParallelWork is the size m*n*k below which a product runs on one
// goroutine: smaller ones finish faster than goroutines start.
const minParallelWork = 64 * 64 * 64

// gemm holds the operands of one product.
type gemm struct {
	mk             microKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// run computes the product with mk on up to threads goroutines. The
// arguments have been checked by Config.Sgemm, and m, n, k and alpha are
// non-zero.
//
// The loops are those of BLIS: over panels of nc columns (jc), blocks of kc
// (pc), chunks of at most mc rows (ic), then B slivers (jr) and A slivers
// (ir) in macroKernel. For each (jc, pc) the goroutines first pack the B
// panel together, then share the (row chunk, column segment) pieces of C,
// each taking the next piece from a counter, so a goroutine slowed by
// other work on its core takes fewer pieces instead of holding the others
// up at the barrier.
func run(mk microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g := &gemm{mk: mk, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	mr, nr := mk.mr, mk.nr
	if m*n*k < minParallelWork {
		threads = 1
	}

	// Block sizes no larger than the kernel's, and as even as possible so
	// that no block is a thin remainder.
	kc := evenBlock(k, mk.kc, 1)
	nc := evenBlock(n, mk.nc, nr)
	mSl := ceilDiv(m, mr)
	// Row chunks: at most mc rows each, and a multiple of threads of them
	// so that equal goroutines finish together.
	rowChunks := ceilDiv(mSl, mk.mc/mr)
	if threads > 1 {
		rowChunks = min(mSl, roundUp(rowChunks, threads))
	}

	bBuf := getBuf(kc * roundUp(nc, nr))
	defer putBuf(bBuf)
	aBufs := make([]*[]float32, threads)
	for t := range aBufs {
		aBufs[t] = getBuf(mk.mc*kc + mr*nr)
		defer putBuf(aBufs[t])
	}

	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		nSl := ceilDiv(ncur, nr)
		// With fewer row chunks than two per goroutine (few rows), also cut
		// the panel's columns into segments of at least minSegment slivers;
		// each segment packs its A chunk again, which is cheap next to it.
		const minSegment = 8
		colSegs := 1
		if threads > 1 && rowChunks < 2*threads {
			colSegs = max(1, min(ceilDiv(2*threads, rowChunks), nSl/minSegment))
		}
		bPieces := min(nSl, 4*threads)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1 // later k blocks add to what the first one wrote
			}
			var next atomic.Int64
			parallel(threads, func(int) {
				for q := int(next.Add(1) - 1); q < bPieces; q = int(next.Add(1) - 1) {
					packB(*bBuf, transB, b, ldb, jc, ncur, pc, kcur, nr, q*nSl/bPieces, (q+1)*nSl/bPieces)
				}
			})
			next.Store(0)
			parallel(threads, func(t int) {
				aPack := *aBufs[t]
				tmp := aPack[mk.mc*kc:]
				packed := -1 // row chunk now in aPack
				for q := int(next.Add(1) - 1); q < rowChunks*colSegs; q = int(next.Add(1) - 1) {
					rc, cs := q/colSegs, q%colSegs
					i0 := rc * mSl / rowChunks * mr
					mcur := min((rc+1)*mSl/rowChunks*mr, m) - i0
					if rc != packed {
						packA(aPack, transA, a, lda, i0, mcur, pc, kcur, mr)
						packed = rc
					}
					g.macroKernel(aPack, *bBuf, tmp, i0, mcur, jc, ncur, cs*nSl/colSegs, (cs+1)*nSl/colSegs, kcur, beta)
				}
			})
		}
	}
}

// macroKernel multiplies the packed A block (rows i0..i0+mcur-1) by the B
// slivers jLo..jHi-1 of the packed panel that starts at column jc, updating
// C with the given beta. tmp holds one mr×nr edge tile.
func (g *gemm) macroKernel(aPack, bPack, tmp []float32, i0, mcur, jc, ncur, jLo, jHi, kcur int, beta float32) {
	mr, nr := g.mk.mr, g.mk.nr
	for js := jLo; js < jHi; js++ {
		j := jc + js*nr
		cols := min(nr, jc+ncur-j)
		bs := bPack[js*nr*kcur : (js+1)*nr*kcur]
		for is := 0; is*mr < mcur; is++ {
			i := i0 + is*mr
			rows := min(mr, i0+mcur-i)
			as := aPack[is*mr*kcur : (is+1)*mr*kcur]
			if rows == mr && cols == nr {
				g.mk.tile(kcur, as, bs, g.c[i*g.ldc+j:], g.ldc, g.alpha, beta)
				continue
			}
			g.mk.tile(kcur, as, bs, tmp, nr, 1, 0)
			for r := 0; r < rows; r++ {
				crow := g.c[(i+r)*g.ldc+j : (i+r)*g.ldc+j+cols]
				trow := tmp[r*nr : r*nr+cols]
				if beta == 0 {
					for x, v := range trow {
						crow[x] = g.alpha * v
					}
					continue
				}
				for x, v := range trow {
					crow[x] = g.alpha*v + beta*crow[x]
				}
			}
		}
	}
}

// parallel runs f(0) .. f(n-1) on n goroutines (the caller's among them)
// and waits for all of them.
func parallel(n int, f func(t int)) {
	if n == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for t := 1; t < n; t++ {
		wg.Go(func() { f(t) })
	}
	f(0)
	wg.Wait()
}

// evenBlock splits total into the fewest blocks of at most limit and
// returns the block size, rounded up to a multiple of align.
func evenBlock(total, limit, align int) int {
	blocks := ceilDiv(total, limit)
	return min(roundUp(ceilDiv(total, blocks), align), roundUp(limit, align))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
