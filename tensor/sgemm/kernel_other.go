//go:build !amd64

package sgemm

// archKernel reports that no assembly kernel exists on this architecture.
func archKernel(Kernel) (microKernel, bool) { return microKernel{}, false }
