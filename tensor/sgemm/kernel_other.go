//go:build !amd64

package sgemm

// archKernels returns no kernels: there is no assembly on this
// architecture.
func archKernels() map[Kernel]microKernel { return nil }

// transpose4Fast is the pure-Go transpose where no assembly exists.
func transpose4Fast(dst []float32, ldd int, src []float32, lds int, n int) {
	transpose4Go(dst, ldd, src, lds, n)
}

// dealRowFast is the pure-Go row dealing where no assembly exists.
func dealRowFast(dst []float32, dstStride int, row []float32, pieces, width, _ int) {
	dealRowGo(dst, dstStride, row, pieces, width)
}
