//go:build openblas

package sgemm

// This file adds OpenBLAS's cblas_sgemm to BenchmarkSgemm when the tests are
// built with -tags openblas (cgo, Debian's libopenblas-dev):
//
//	go test -tags openblas -run '^$' -bench Sgemm ./tensor/sgemm
//
// OpenBLAS picks its kernels from the CPU unless OPENBLAS_CORETYPE forces a
// core type; unset it to compare against its own choice.

import (
	"math/rand/v2"
	"testing"

	"radcap/tensor/sgemm/internal/openblas"
)

// extraBenchImpls returns OpenBLAS's sgemm, with its thread count set
// before each call.
func extraBenchImpls() []benchImpl {
	return []benchImpl{{name: "openblas", gemm: func(threads, m, n, k int, a, b, c []float32) {
		openblas.SetThreads(threads)
		openblas.Sgemm(m, n, k, 1, a, k, b, n, 0, c, n)
	}}}
}

// TestOpenBLASAgrees checks the binding against a float64 reference, so that
// the benchmark compares with a correct product.
func TestOpenBLASAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 0))
	o := newOperands(rng, false, false, 37, 45, 29, 0, 1, 0)
	openblas.Sgemm(o.m, o.n, o.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
	o.check(t, "openblas")
	config, core := openblas.Config()
	t.Logf("OpenBLAS %s; kernels for core %s", config, core)
}
