//go:build !amd64

package sgemm

// archKernel reports that no assembly kernel exists on this architecture.
func archKernel(Kernel) (microKernel, bool) { return microKernel{}, false }

// transpose4Fast is the pure-Go transpose where no assembly exists.
func transpose4Fast(dst []float32, ldd int, src []float32, lds int, n int) {
	transpose4Go(dst, ldd, src, lds, n)
}
