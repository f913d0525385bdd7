//go:build !openblas

package sgemm

// extraBenchImpls returns no extra implementations; build with -tags
// openblas to add OpenBLAS (see bench_openblas_test.go).
func extraBenchImpls() []benchImpl { return nil }
