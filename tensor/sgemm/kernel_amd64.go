//go:build amd64

package sgemm

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

//go:generate go run gen_asm.go

// asmKernel is the Go prototype of every assembly micro-kernel (see
// gen_asm.go): it sets a tile of C at c (row stride ldc) to
// alpha*A*B + beta*C from a packed A sliver and a packed B sliver, reading C
// only when beta != 0.
type asmKernel func(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// hasAVX2 reports whether the CPU and OS support AVX2 with FMA3.
func hasAVX2() bool { return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) }

// hasAVX512 reports whether the CPU and OS support AVX-512 Foundation.
func hasAVX512() bool { return cpuid.CPU.Supports(cpuid.AVX512F) }

// tiles adapts assembly kernels, indexed by the rows they compute, to
// tileFuncs. The driver guarantees that a, b and c hold a whole tile, so
// passing the addresses of their first elements is safe.
func tiles(ks []asmKernel) []tileFunc {
	ts := make([]tileFunc, len(ks))
	for r, k := range ks {
		if k == nil {
			continue
		}
		ts[r] = func(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
			k(kc, unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), ldc, alpha, beta)
		}
	}
	return ts
}

// archKernels returns the assembly micro-kernels this CPU can run, with
// their blocking, tuned on an AMD EPYC (Zen 5: 48 KiB L1d and 1 MiB L2 per
// core, 32 MiB L3). kc = 512 is larger than keeping a 14×32 B sliver in L1
// would allow, but the L2 feeds the kernel fast enough, and halving the
// passes over C (whose rows are far apart in memory) measured better at
// 1024³ and 4096³ than kc = 256.
func archKernels() map[Kernel]microKernel {
	ks := map[Kernel]microKernel{}
	if hasAVX512() {
		ks[AVX512] = asmMicroKernel(kernel14x32AVX512Rows[:], 32, 512, 14*24, 4096)
	}
	if hasAVX2() {
		ks[AVX2] = asmMicroKernel(kernel6x16AVX2Rows[:], 16, 512, 6*40, 4096)
	}
	return ks
}

// asmMicroKernel describes an assembly kernel family: rows[r] computes r
// rows of an mr×nr tile, rows[mr] being the full kernel. Its few-rows dot
// products use AVX2+FMA.
func asmMicroKernel(rows []asmKernel, nr, kc, mc, nc int) microKernel {
	ts := tiles(rows)
	mr := len(rows) - 1
	dot := dotRowsGo
	if hasAVX2() { // every AVX-512 CPU so far has AVX2 too
		dot = dotRowsAsm
	}
	return microKernel{mr: mr, nr: nr, kc: kc, mc: mc, nc: nc, tile: ts[mr], rows: ts, dot: dot}
}
