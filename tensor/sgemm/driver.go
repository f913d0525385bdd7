package sgemm

import (
	"sync"
	"sync/atomic"
)

// Pools of packing buffers, so that a steady stream of products does not
// allocate: one for B panels and one for A chunks, whose sizes differ. They
// hold *[]float32.
var (
	bPool sync.Pool
	aPool sync.Pool
)

// getBuf returns a buffer of n float32s with arbitrary contents from pool.
func getBuf(pool *sync.Pool, n int) *[]float32 {
	if p, ok := pool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

// minParallelWork is the size m*n*k below which a product runs on one
// goroutine: smaller ones (about 161³, tens of microseconds) gain less from
// a second core than waking it and the barriers between phases cost.
const minParallelWork = 1 << 22

// Granularity of the work shared between goroutines: piecesPerThread
// pieces of C per goroutine and (B, A) step where the matrix allows, none
// smaller than minChunk A slivers by minSegment B slivers.
const (
	piecesPerThread = 4
	minChunk        = 4
	minSegment      = 4
)

// gemm holds the operands of one product and the state that its
// goroutines share.
type gemm struct {
	mk             microKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	threads   int
	kc, nc    int          // block sizes for this product
	mSl       int          // row slivers in C
	rowChunks int          // row chunks of at most mc rows
	bPack     *[]float32   // the packed B panel, shared
	aPacks    []*[]float32 // a packed A chunk and an edge tile per goroutine

	// The current (jc, pc) step.
	jc, ncur, nSl, colSegs, bPieces int
	pc, kcur                        int
	stepBeta                        float32
	next                            atomic.Int64 // next piece of work to take
}

// run computes the product with mk on up to threads goroutines. The
// arguments have been checked by Config.Sgemm, and m, n, k and alpha are
// non-zero.
//
// The loops are those of BLIS: over panels of nc columns (jc), blocks of kc
// (pc), chunks of at most mc rows (ic), then B slivers (jr) and A slivers
// (ir) in macroKernel. For each (jc, pc) step the goroutines first pack the
// B panel together, then share the (row chunk, column segment) pieces of C,
// each taking the next piece from a counter, so a goroutine slowed by other
// work on its core takes fewer pieces instead of holding the others up.
func run(mk microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g := &gemm{mk: mk, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	mr, nr := mk.mr, mk.nr
	// Block sizes no larger than the kernel's, and as even as possible so
	// that no block is a thin remainder.
	g.kc = evenBlock(k, mk.kc, 1)
	g.nc = evenBlock(n, mk.nc, nr)
	g.mSl = ceilDiv(m, mr)

	// No more goroutines than pieces of C to share out (each needs its own
	// packing buffer), and one for small products.
	threads = min(threads, g.mSl*max(1, ceilDiv(min(n, g.nc), nr)/minSegment))
	if m*n*k < minParallelWork {
		threads = 1
	}
	g.threads = threads
	// Row chunks: at most mc rows each. With several goroutines, at least
	// piecesPerThread per goroutine where the rows allow (chunks of at least
	// minChunk slivers), so that one slowed down by other work on its core
	// leaves its share to the others; and a multiple of threads of them so
	// that goroutines of equal speed finish together.
	g.rowChunks = ceilDiv(g.mSl, mk.mc/mr)
	if threads > 1 {
		g.rowChunks = max(g.rowChunks, min(piecesPerThread*threads, g.mSl/minChunk))
		g.rowChunks = min(g.mSl, roundUp(g.rowChunks, threads))
	}

	g.bPack = getBuf(&bPool, g.kc*roundUp(g.nc, nr))
	g.aPacks = make([]*[]float32, threads)
	for t := range g.aPacks {
		g.aPacks[t] = getBuf(&aPool, mk.mc*g.kc+mr*nr)
	}

	for jc := 0; jc < n; jc += g.nc {
		g.jc = jc
		g.ncur = min(g.nc, n-jc)
		g.nSl = ceilDiv(g.ncur, nr)
		// With too few row chunks (few rows), also cut the panel's columns
		// into segments of at least minSegment slivers; each segment packs
		// its A chunk again, which is cheap next to it.
		g.colSegs = 1
		if threads > 1 && g.rowChunks < piecesPerThread*threads {
			g.colSegs = max(1, min(ceilDiv(piecesPerThread*threads, g.rowChunks), g.nSl/minSegment))
		}
		g.bPieces = min(g.nSl, 4*threads)
		for pc := 0; pc < k; pc += g.kc {
			g.pc = pc
			g.kcur = min(g.kc, k-pc)
			g.stepBeta = beta
			if pc > 0 {
				g.stepBeta = 1 // later k blocks add to what the first one wrote
			}
			g.next.Store(0)
			g.parallel(phasePackB)
			g.next.Store(0)
			g.parallel(phaseCompute)
		}
	}

	bPool.Put(g.bPack)
	for _, p := range g.aPacks {
		aPool.Put(p)
	}
}

// The two phases of a (jc, pc) step.
const (
	phasePackB = iota
	phaseCompute
)

// parallel runs the phase on g.threads goroutines (the caller's among them)
// and waits for all of them.
func (g *gemm) parallel(phase int) {
	if g.threads == 1 {
		g.work(phase, 0)
		return
	}
	var wg sync.WaitGroup
	for t := 1; t < g.threads; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.work(phase, t)
		}()
	}
	g.work(phase, 0)
	wg.Wait()
}

// work is goroutine t's share of a phase: it takes pieces from g.next until
// none is left.
func (g *gemm) work(phase, t int) {
	mr := g.mk.mr
	if phase == phasePackB {
		for q := g.take(); q < g.bPieces; q = g.take() {
			packB(*g.bPack, g.transB, g.b, g.ldb, g.jc, g.ncur, g.pc, g.kcur, g.mk.nr,
				q*g.nSl/g.bPieces, (q+1)*g.nSl/g.bPieces)
		}
		return
	}
	aPack := *g.aPacks[t]
	tmp := aPack[g.mk.mc*g.kc:]
	packed := -1 // the row chunk now in aPack
	for q := g.take(); q < g.rowChunks*g.colSegs; q = g.take() {
		// Consecutive pieces are in different row chunks, so goroutines
		// starting together pack different chunks of A, and a goroutine's
		// next piece often reuses the chunk it packed last.
		rc, cs := q%g.rowChunks, q/g.rowChunks
		i0 := rc * g.mSl / g.rowChunks * mr
		mcur := min((rc+1)*g.mSl/g.rowChunks*mr, g.m) - i0
		if rc != packed {
			packA(aPack, g.transA, g.a, g.lda, i0, mcur, g.pc, g.kcur, mr)
			packed = rc
		}
		g.macroKernel(aPack, *g.bPack, tmp, i0, mcur, g.jc, g.ncur,
			cs*g.nSl/g.colSegs, (cs+1)*g.nSl/g.colSegs, g.kcur, g.stepBeta)
	}
}

// take returns the index of the next piece of work.
func (g *gemm) take() int { return int(g.next.Add(1) - 1) }

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
			// tile computes exactly the rows needed when it is the full
			// kernel or a rows-only variant; otherwise it computes the
			// full tile and the edge goes through tmp.
			tile, exact := g.mk.tile, rows == mr
			if !exact && g.mk.rows != nil {
				tile, exact = g.mk.rows[rows], true
			}
			if exact && cols == nr {
				tile(kcur, as, bs, g.c[i*g.ldc+j:], g.ldc, g.alpha, beta)
				continue
			}
			tile(kcur, as, bs, tmp, nr, 1, 0)
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

// evenBlock splits total into the fewest blocks of at most limit and
// returns the block size, rounded up to a multiple of align.
func evenBlock(total, limit, align int) int {
	blocks := ceilDiv(total, limit)
	return min(roundUp(ceilDiv(total, blocks), align), roundUp(limit, align))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
