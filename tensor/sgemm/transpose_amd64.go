//go:build amd64

package sgemm

import "unsafe"

// transpose4 is the SSE 4×4-block transpose in transpose_amd64.s; n must be
// a multiple of 4.
//
//go:noescape
func transpose4(dst *float32, ldd int, src *float32, lds int, n int)

// transpose4Fast runs the assembly transpose; transpose4Rows has checked the
// bounds.
func transpose4Fast(dst []float32, ldd int, src []float32, lds int, n int) {
	transpose4(unsafe.SliceData(dst), ldd, unsafe.SliceData(src), lds, n)
}
