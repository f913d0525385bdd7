//go:build openblas

package openblas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "unsafe"

// SetThreads sets the number of threads OpenBLAS uses.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// Sgemm computes the row-major, untransposed C = alpha*A*B + beta*C with
// cblas_sgemm, where A is m×k, B k×n and C m×n with the given row strides.
// The slices must be long enough; OpenBLAS does not check.
func Sgemm(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasNoTrans,
		C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(a))), C.blasint(lda),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(b))), C.blasint(ldb), C.float(beta),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(c))), C.blasint(ldc))
}

// Config returns OpenBLAS's build configuration and the name of the core
// whose kernels it chose at run time (OPENBLAS_CORETYPE overrides the
// choice).
func Config() (config, core string) {
	return C.GoString(C.openblas_get_config()), C.GoString(C.openblas_get_corename())
}
