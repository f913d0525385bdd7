//go:build amd64

package sgemm

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

//go:generate go run gen_asm.go

// kernel14x32AVX512 is the AVX-512 micro-kernel (see gen_asm.go): it sets
// the 14×32 tile at c (row stride ldc) to alpha*A*B + beta*C, reading C only
// when beta != 0.
//
//go:noescape
func kernel14x32AVX512(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// kernel6x16AVX2 is the AVX2+FMA micro-kernel for a 6×16 tile; see
// kernel14x32AVX512.
//
//go:noescape
func kernel6x16AVX2(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// hasAVX2 reports whether the CPU and OS support AVX2 with FMA3.
func hasAVX2() bool { return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) }

// hasAVX512 reports whether the CPU and OS support AVX-512 Foundation.
func hasAVX512() bool { return cpuid.CPU.Supports(cpuid.AVX512F) }

// tileAVX512 and tileAVX2 adapt the assembly micro-kernels to tileFunc.
// The driver guarantees that a, b and c hold a whole tile, so passing the
// addresses of their first elements is safe.
func tileAVX512(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	kernel14x32AVX512(kc, unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), ldc, alpha, beta)
}

func tileAVX2(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	kernel6x16AVX2(kc, unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), ldc, alpha, beta)
}

// archKernels returns the assembly micro-kernels this CPU can run, with
// their blocking (tuned on an AMD EPYC Zen 5: 48 KiB L1d, 1 MiB L2 per core).
func archKernels() map[Kernel]microKernel {
	ks := map[Kernel]microKernel{}
	if hasAVX512() {
		ks[AVX512] = microKernel{mr: 14, nr: 32, kc: 512, mc: 14 * 24, nc: 4096, tile: tileAVX512}
	}
	if hasAVX2() {
		ks[AVX2] = microKernel{mr: 6, nr: 16, kc: 512, mc: 6 * 40, nc: 4096, tile: tileAVX2}
	}
	return ks
}
