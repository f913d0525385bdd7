package sgemm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchImpl is one SGEMM implementation under benchmark. gemm computes the
// row-major, untransposed C = A*B (A m×k, B k×n) on the given number of
// threads.
type benchImpl struct {
	name string
	gemm func(threads, m, n, k int, a, b, c []float32)
}

// benchShape is a product A(m×k) · B(k×n). Names follow the m×k×n.
type benchShape struct{ m, k, n int }

func (s benchShape) String() string { return fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n) }

var benchShapes = []benchShape{
	{128, 128, 128}, {512, 512, 512}, {1024, 1024, 1024}, {4096, 4096, 4096},
	{197, 768, 3072}, // ViT-B/16 MLP up-projection, 196 patches + CLS
	{577, 768, 768},  // ViT-B/16 at 384×384 attention projection
	{40, 768, 30522}, // BERT LM head over a 40-token caption
}

// radcapImpl runs this package with the best kernel.
func radcapImpl() benchImpl {
	return benchImpl{name: "radcap", gemm: func(threads, m, n, k int, a, b, c []float32) {
		Config{Threads: threads}.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	}}
}

// gonumImpl runs gonum's pure-Go Sgemm. gonum splits large products over
// runtime.GOMAXPROCS(0) goroutines itself and has no thread parameter, so
// GOMAXPROCS is set to the thread count for the duration of the call; with
// GOMAXPROCS(1) all its goroutines share one OS thread.
func gonumImpl() benchImpl {
	var impl gonum.Implementation
	return benchImpl{name: "gonum", gemm: func(threads, m, n, k int, a, b, c []float32) {
		old := runtime.GOMAXPROCS(threads)
		defer runtime.GOMAXPROCS(old)
		impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
	}}
}

// BenchmarkSgemm times every implementation (radcap, gonum, and OpenBLAS
// when built with -tags openblas) on every shape, on 1 thread and on
// GOMAXPROCS threads, interleaved so that all see the same machine load.
// Each sub-benchmark reports GFLOP/s (2·m·n·k per product). Names look like
// BenchmarkSgemm/radcap/1t/1024x1024x1024.
func BenchmarkSgemm(b *testing.B) {
	impls := append([]benchImpl{radcapImpl(), gonumImpl()}, extraBenchImpls()...)
	for _, shape := range benchShapes {
		operands := shapeOperands(shape)
		for _, threads := range benchThreads() {
			for _, impl := range impls {
				b.Run(fmt.Sprintf("%s/%dt/%v", impl.name, threads, shape), func(b *testing.B) {
					a, bm, c := operands()
					for b.Loop() {
						impl.gemm(threads, shape.m, shape.n, shape.k, a, bm, c)
					}
					b.ReportMetric(shape.flops()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkSgemmVersus alternates radcap with each reference (OpenBLAS
// with -tags openblas; nothing otherwise) product by product, and reports
// both speeds from each one's fastest product, and their ratio. On a
// machine shared with other work this ratio is steadier than one taken
// from two sub-benchmarks run seconds apart. Names look like
// BenchmarkSgemmVersus/openblas/1t/1024x1024x1024.
func BenchmarkSgemmVersus(b *testing.B) {
	radcap := radcapImpl()
	for _, shape := range benchShapes {
		operands := shapeOperands(shape)
		for _, threads := range benchThreads() {
			for _, ref := range extraBenchImpls() {
				b.Run(fmt.Sprintf("%s/%dt/%v", ref.name, threads, shape), func(b *testing.B) {
					a, bm, c := operands()
					var best [2]time.Duration
					for b.Loop() {
						for i, impl := range []benchImpl{radcap, ref} {
							start := time.Now()
							impl.gemm(threads, shape.m, shape.n, shape.k, a, bm, c)
							if d := time.Since(start); best[i] == 0 || d < best[i] {
								best[i] = d
							}
						}
					}
					b.ReportMetric(shape.flops()/best[0].Seconds()/1e9, "radcap-GFLOP/s")
					b.ReportMetric(shape.flops()/best[1].Seconds()/1e9, ref.name+"-GFLOP/s")
					b.ReportMetric(best[1].Seconds()/best[0].Seconds(), "radcap/"+ref.name)
				})
			}
		}
	}
}

// flops is the floating-point operation count of one product.
func (s benchShape) flops() float64 { return 2 * float64(s.m) * float64(s.n) * float64(s.k) }

// benchThreads returns the thread counts to measure: 1 and GOMAXPROCS.
func benchThreads() []int {
	if all := runtime.GOMAXPROCS(0); all > 1 {
		return []int{1, all}
	}
	return []int{1}
}

// shapeOperands returns a function that makes the random operands of a
// shape on first use and returns the same ones afterwards.
func shapeOperands(shape benchShape) func() (a, b, c []float32) {
	var a, b, c []float32
	return func() ([]float32, []float32, []float32) {
		if a == nil {
			rng := rand.New(rand.NewPCG(uint64(shape.m), uint64(shape.n)))
			a = benchMatrix(rng, shape.m*shape.k)
			b = benchMatrix(rng, shape.k*shape.n)
			c = make([]float32, shape.m*shape.n)
		}
		return a, b, c
	}
}

// benchMatrix returns n values in [-1, 1).
func benchMatrix(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}
