//go:build amd64

package sgemm

import "unsafe"

// dotRowsAVX2 is the AVX2+FMA dot product of up to four rows with one
// vector, in dot_amd64.s; k must be a multiple of 16.
//
//go:noescape
func dotRowsAVX2(k int, a *float32, lda int, rows int, b *float32, out *float32)

// dotRowsAsm is the dotFunc of the assembly kernels: the assembly takes
// the multiple-of-16 part of k and Go the rest.
func dotRowsAsm(k int, a []float32, lda, rows int, b, out []float32) {
	// These checks make the accesses of the assembly provably in bounds.
	_ = a[(rows-1)*lda+k-1]
	_ = b[k-1]
	_ = out[rows-1]
	k16 := k &^ 15
	if k16 == 0 {
		dotRowsGo(k, a, lda, rows, b, out)
		return
	}
	dotRowsAVX2(k16, unsafe.SliceData(a), lda, rows, unsafe.SliceData(b), unsafe.SliceData(out))
	for r := 0; r < rows; r++ {
		row := a[r*lda+k16 : r*lda+k]
		for p, v := range row {
			out[r] += v * b[k16+p]
		}
	}
}
