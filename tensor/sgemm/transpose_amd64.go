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

// dealRow is the SSE copy in transpose_amd64.s: pieces runs of width
// floats (a multiple of 16) from src to dst with stride dstStride,
// prefetching src+ahead as it goes.
//
//go:noescape
func dealRow(dst *float32, dstStride int, src *float32, pieces, width, ahead int)

// dealRowFast copies row[s*width:(s+1)*width] to dst[s*dstStride:] for
// s < pieces, prefetching ahead floats further on (a prefetch never
// faults, so ahead may point past the slice); dealRowChecked has checked
// the bounds.
func dealRowFast(dst []float32, dstStride int, row []float32, pieces, width, ahead int) {
	if width%16 != 0 {
		dealRowGo(dst, dstStride, row, pieces, width)
		return
	}
	dealRow(unsafe.SliceData(dst), dstStride, unsafe.SliceData(row), pieces, width, ahead)
}
