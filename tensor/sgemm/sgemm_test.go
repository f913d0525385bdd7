package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// operands is one test product: the matrices live in buffers with row
// strides larger than needed, and the gaps hold sentinels that must survive.
type operands struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	c0             []float32 // C before the call
	want, tol      []float64 // reference result and tolerance, made by check
}

// sentinel fills the gaps between rows of the strided C buffer.
const sentinel = float32(-7777)

// newOperands makes random operands; pad is added to every row stride.
func newOperands(rng *rand.Rand, transA, transB bool, m, n, k, pad int, alpha, beta float32) *operands {
	o := &operands{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	o.a, o.lda = randMatrix(rng, ar, ac, pad)
	o.b, o.ldb = randMatrix(rng, br, bc, pad)
	o.c, o.ldc = randMatrix(rng, m, n, pad)
	o.c0 = append([]float32(nil), o.c...)
	return o
}

// randMatrix returns a rows×cols matrix of values in [-1, 1) with row stride
// cols+pad; the padding holds sentinel.
func randMatrix(rng *rand.Rand, rows, cols, pad int) ([]float32, int) {
	ld := cols + pad
	s := make([]float32, rows*ld)
	for i := range s {
		if i%ld < cols {
			s[i] = rng.Float32()*2 - 1
		} else {
			s[i] = sentinel
		}
	}
	return s, max(ld, 1)
}

func (o *operands) opA(i, p int) float64 {
	if o.transA {
		return float64(o.a[p*o.lda+i])
	}
	return float64(o.a[i*o.lda+p])
}

func (o *operands) opB(p, j int) float64 {
	if o.transB {
		return float64(o.b[j*o.ldb+p])
	}
	return float64(o.b[p*o.ldb+j])
}

// check compares C with a float64 reference. The tolerance is the classical
// worst-case bound for float32 dot products in any summation order,
// (k+2)·eps·(|alpha|·Σ|a||b| + |beta·c|), which a wrong or missing term
// exceeds by orders of magnitude. Entries of the buffer outside the m×n view
// must be untouched.
func (o *operands) check(t *testing.T, label string) {
	t.Helper()
	o.reference()
	bad := 0
	for i := 0; i < o.m; i++ {
		for j := 0; j < o.n; j++ {
			got := float64(o.c[i*o.ldc+j])
			want, tol := o.want[i*o.n+j], o.tol[i*o.n+j]
			if !(math.Abs(got-want) <= tol) {
				if bad < 5 {
					t.Errorf("%s: C[%d][%d] = %v, want %v (tolerance %.3g)", label, i, j, got, want, tol)
				}
				bad++
			}
		}
	}
	for x, v := range o.c {
		if x%o.ldc >= o.n && v != sentinel {
			t.Fatalf("%s: C buffer element %d outside the view changed to %v", label, x, v)
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d wrong elements", label, bad)
	}
}

// reference computes the float64 result and its tolerance once.
func (o *operands) reference() {
	if o.want != nil {
		return
	}
	const eps = 1.0 / (1 << 24)
	o.want = make([]float64, o.m*o.n)
	o.tol = make([]float64, o.m*o.n)
	for i := 0; i < o.m; i++ {
		for j := 0; j < o.n; j++ {
			var s, mag float64
			for p := 0; p < o.k; p++ {
				x := o.opA(i, p) * o.opB(p, j)
				s += x
				mag += math.Abs(x)
			}
			want := float64(o.alpha) * s
			mag *= math.Abs(float64(o.alpha))
			if o.beta != 0 {
				c := float64(o.c0[i*o.ldc+j])
				want += float64(o.beta) * c
				mag += math.Abs(float64(o.beta) * c)
			}
			o.want[i*o.n+j] = want
			o.tol[i*o.n+j] = float64(o.k+2)*eps*mag + 1e-30
		}
	}
}

// reset restores C to its state before the first call.
func (o *operands) reset() { copy(o.c, o.c0) }

func (o *operands) run(cfg Config) {
	cfg.Sgemm(o.transA, o.transB, o.m, o.n, o.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, o.c, o.ldc)
}

// TestKernelsEdgeSizes runs every available kernel on every combination of
// the edge sizes 1, 7, 17, 33 and 255 in m, n and k, with both transposes
// and strided operands.
func TestKernelsEdgeSizes(t *testing.T) {
	sizes := []int{1, 7, 17, 33, 255}
	for _, kern := range Available() {
		t.Run(kern.String(), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(1, uint64(kern)))
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, m := range sizes {
					for _, n := range sizes {
						for _, k := range sizes {
							o := newOperands(rng, tr[0], tr[1], m, n, k, 3, 1.5, -0.5)
							o.run(Config{Kernel: kern, Threads: 2})
							o.check(t, fmt.Sprintf("transA=%v transB=%v m=%d n=%d k=%d", tr[0], tr[1], m, n, k))
						}
					}
				}
			}
		})
	}
}

// TestAlphaBeta covers the special values of alpha and beta, including
// beta = 0 with NaN and Inf in C, which BLAS ignores.
func TestAlphaBeta(t *testing.T) {
	cases := []struct{ alpha, beta float32 }{
		{1, 0}, {1, 1}, {-2, 0}, {0.5, 2}, {1, -1}, {0, 0}, {0, 3}, {float32(math.Copysign(0, -1)), 1},
	}
	for _, kern := range Available() {
		rng := rand.New(rand.NewPCG(2, uint64(kern)))
		for _, ab := range cases {
			for _, size := range [][3]int{{40, 70, 50}, {3, 5, 2}} {
				o := newOperands(rng, false, true, size[0], size[1], size[2], 2, ab.alpha, ab.beta)
				if ab.beta == 0 {
					for i := 0; i < o.m; i++ {
						for j := 0; j < o.n; j++ {
							o.c[i*o.ldc+j] = []float32{float32(math.NaN()), float32(math.Inf(1))}[(i+j)%2]
						}
					}
				}
				o.run(Config{Kernel: kern, Threads: 1})
				o.check(t, fmt.Sprintf("%v alpha=%v beta=%v %v", kern, ab.alpha, ab.beta, size))
			}
		}
	}
}

// TestZeroK checks that k = 0 scales C by beta only.
func TestZeroK(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 0))
	for _, beta := range []float32{0, 1, 0.25} {
		o := newOperands(rng, false, false, 5, 9, 0, 1, 2, beta)
		if beta == 0 {
			o.c[0] = float32(math.NaN())
		}
		o.run(Config{})
		o.check(t, fmt.Sprintf("k=0 beta=%v", beta))
	}
}

// TestThreadsAndBlocks uses products larger than one block in every loop
// (several nc panels, kc blocks and mc chunks) on 1, 2 and 3 goroutines.
func TestThreadsAndBlocks(t *testing.T) {
	shapes := [][3]int{
		{61, 4200, 600}, // several nc panels and kc blocks; few rows
		{700, 90, 300},  // several mc chunks
		{5, 3000, 40},   // fewer row slivers than goroutines
	}
	for x, s := range shapes {
		rng := rand.New(rand.NewPCG(4, uint64(x)))
		o := newOperands(rng, x == 1, x == 2, s[0], s[1], s[2], 5, 0.75, 0.5)
		for _, kern := range Available() {
			for _, th := range []int{1, 2, 3} {
				o.reset()
				o.run(Config{Kernel: kern, Threads: th})
				o.check(t, fmt.Sprintf("%v threads=%d %v", kern, th, s))
			}
		}
	}
}

// TestPackageSgemm checks the package-level function against the reference.
func TestPackageSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 0))
	o := newOperands(rng, true, false, 129, 65, 200, 0, 1, 0)
	Sgemm(o.transA, o.transB, o.m, o.n, o.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, o.c, o.ldc)
	o.check(t, "Sgemm")
}

// TestAvailable checks the kernel list and Best.
func TestAvailable(t *testing.T) {
	ks := Available()
	if len(ks) == 0 || ks[0] != Generic {
		t.Fatalf("Available() = %v, want Generic first", ks)
	}
	if Best() != ks[len(ks)-1] {
		t.Errorf("Best() = %v, want %v", Best(), ks[len(ks)-1])
	}
	t.Logf("available kernels: %v", ks)
}

// TestBadArguments checks that invalid calls panic with a message.
func TestBadArguments(t *testing.T) {
	a := make([]float32, 12)
	cases := map[string]func(){
		"negative m": func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) },
		"small lda":  func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) },
		"short A":    func() { Sgemm(false, false, 5, 2, 3, 1, a, 3, a, 2, 0, a, 2) },
		"short C":    func() { Sgemm(false, false, 2, 7, 1, 1, a, 1, a, 7, 0, a, 7) },
		"bad kernel": func() { Config{Kernel: Kernel(99)}.Sgemm(false, false, 1, 1, 1, 1, a, 1, a, 1, 0, a, 1) },
	}
	for name, f := range cases {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				} else {
					t.Logf("%s: %v", name, r)
				}
			}()
			f()
		}()
	}
}

// TestTranspose checks the packing transpose (assembly on amd64) against
// the plain loop, for lengths around the 4-column blocks and row counts
// around the 4-row groups.
func TestTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 0))
	for _, rows := range []int{1, 3, 4, 5, 14, 32} {
		for _, n := range []int{0, 1, 3, 4, 5, 8, 13, 64} {
			lds, ldd := n+3, rows+2
			src, _ := randMatrix(rng, rows, lds, 0)
			got := make([]float32, max(n*ldd, 1))
			transposeRows(got, ldd, src, lds, rows, n)
			for p := 0; p < n; p++ {
				for r := 0; r < ldd; r++ {
					want := float32(0)
					if r < rows {
						want = src[r*lds+p]
					}
					if got[p*ldd+r] != want {
						t.Fatalf("rows=%d n=%d: dst[%d][%d] = %v, want %v", rows, n, p, r, got[p*ldd+r], want)
					}
				}
			}
		}
	}
}

// TestEdgeRows runs every m from 1 to 2·MR+1, so that every rows-only
// variant of each assembly kernel computes the last rows of C, with columns
// that fill whole tiles (written straight into C) and a partial last tile.
func TestEdgeRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 0))
	for _, kern := range Available() {
		mk, _ := kernelFor(kern)
		for m := 1; m <= 2*mk.mr+1; m++ {
			for _, beta := range []float32{0, 0.5} {
				o := newOperands(rng, false, false, m, 2*mk.nr+3, 19, 1, 1.25, beta)
				o.run(Config{Kernel: kern, Threads: 1})
				o.check(t, fmt.Sprintf("%v m=%d beta=%v", kern, m, beta))
			}
		}
	}
}

// TestManyThreads asks for far more goroutines than there is work, on a
// product large enough to be split.
func TestManyThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 0))
	o := newOperands(rng, false, false, 30, 500, 300, 2, 1, 0)
	o.run(Config{Threads: 1000})
	o.check(t, "threads=1000")
}

// TestDotPath covers the few-rows path (m ≤ 4, B transposed): every row
// count, depths around the 16-wide assembly blocks, strided operands,
// beta = 0 with NaN in C, and a product large enough to be split between
// goroutines. m = 5 checks the switch back to the packed path.
func TestDotPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 0))
	for _, kern := range Available() {
		for m := 1; m <= dotMaxRows+1; m++ {
			for _, k := range []int{1, 15, 16, 17, 40, 255} {
				for _, n := range []int{1, 7, 100} {
					beta := float32(0.5)
					if n == 7 {
						beta = 0
					}
					o := newOperands(rng, false, true, m, n, k, 3, -1.5, beta)
					if beta == 0 {
						o.c[0] = float32(math.NaN())
					}
					o.run(Config{Kernel: kern, Threads: 2})
					o.check(t, fmt.Sprintf("%v m=%d n=%d k=%d", kern, m, n, k))
				}
			}
		}
		o := newOperands(rng, false, true, 3, 5000, 700, 1, 1, 1)
		o.run(Config{Kernel: kern, Threads: 2})
		o.check(t, fmt.Sprintf("%v m=3 n=5000 k=700 threads=2", kern))
	}
}

// TestConcurrentCalls runs products from several goroutines at once, as
// independent layers of a model may, to check that calls share nothing but
// the buffer pools.
func TestConcurrentCalls(t *testing.T) {
	ops := make([]*operands, 6)
	for i := range ops {
		rng := rand.New(rand.NewPCG(11, uint64(i)))
		ops[i] = newOperands(rng, i%2 == 0, i%3 == 0, 150+i, 170, 300, 1, 1, 0.5)
	}
	done := make(chan int)
	for i, o := range ops {
		go func() {
			o.run(Config{Threads: 2})
			done <- i
		}()
	}
	for range ops {
		<-done
	}
	for i, o := range ops {
		o.check(t, fmt.Sprintf("call %d", i))
	}
}
