// Package sgemm computes single-precision general matrix products,
// C = alpha*op(A)*op(B) + beta*C, on row-major matrices with arbitrary row
// strides.
//
// The algorithm is the one of GotoBLAS and BLIS. The k dimension is cut into
// blocks of kc and n into panels of nc; for each block, op(B) is packed into
// NR-wide column slivers, op(A) is packed mc rows at a time into MR-tall row
// slivers, and a micro-kernel multiplies one A sliver by one B sliver into an
// MR×NR tile of C, keeping the tile in vector registers for the whole kc
// loop. Packing absorbs transposes and strides and zero-pads the edges, so
// the micro-kernel always computes a full tile; edge tiles are written
// through a small temporary.
//
// Micro-kernels exist in Go assembly for AVX-512 (14×32) and AVX2+FMA (6×16),
// and in pure Go for every other CPU. Sgemm picks the best one the CPU
// supports at run time; Config forces one, which the tests use to check every
// path the machine can run.
package sgemm

import (
	"fmt"
	"runtime"
)

// Kernel names a micro-kernel implementation.
type Kernel int

const (
	// Auto selects Best().
	Auto Kernel = iota
	// Generic is the pure-Go micro-kernel; it runs everywhere.
	Generic
	// AVX2 is the 6×16 AVX2+FMA assembly micro-kernel (amd64).
	AVX2
	// AVX512 is the 14×32 AVX-512F assembly micro-kernel (amd64).
	AVX512
)

// String returns the kernel's name.
func (k Kernel) String() string {
	switch k {
	case Auto:
		return "auto"
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("Kernel(%d)", int(k))
}

// kernels maps every kernel this CPU can run to its implementation. It is
// filled once when the package is initialised and only read afterwards.
var kernels = detectKernels()

// detectKernels returns the pure-Go kernel and the assembly ones the CPU
// supports.
func detectKernels() map[Kernel]microKernel {
	ks := archKernels()
	if ks == nil {
		ks = map[Kernel]microKernel{}
	}
	ks[Generic] = genericKernel()
	return ks
}

// Available lists the kernels this CPU can run, slowest first.
func Available() []Kernel {
	var ks []Kernel
	for _, k := range []Kernel{Generic, AVX2, AVX512} {
		if _, ok := kernels[k]; ok {
			ks = append(ks, k)
		}
	}
	return ks
}

// Best returns the fastest kernel this CPU can run.
func Best() Kernel {
	for _, k := range []Kernel{AVX512, AVX2} {
		if _, ok := kernels[k]; ok {
			return k
		}
	}
	return Generic
}

// Config chooses how Sgemm runs. The zero value uses Best() and
// runtime.GOMAXPROCS(0) threads.
type Config struct {
	// Kernel is the micro-kernel to use; Auto means Best(). A kernel that
	// is not in Available() makes Sgemm panic.
	Kernel Kernel
	// Threads is the number of goroutines that share the work; 0 or less
	// means runtime.GOMAXPROCS(0).
	Threads int
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices with
// the best kernel and runtime.GOMAXPROCS(0) threads; see Config.Sgemm.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Config{}.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices.
//
// op(A) is m×k: A itself is m×k, or k×m when transA is set. op(B) is k×n: B
// is k×n, or n×k when transB is set. C is m×n. lda, ldb and ldc are the row
// strides of A, B and C in elements, at least the row lengths, so strided
// views of larger matrices work. When beta is zero C is only written, so it
// may hold NaN or Inf on entry, as in BLAS.
//
// Sgemm panics, as BLAS implementations do, when a dimension is negative, a
// stride is smaller than its row, a slice is too short for the matrix it
// holds, or the configured kernel is not available.
func (cfg Config) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, a, lda)
	checkMatrix("B", br, bc, b, ldb)
	checkMatrix("C", m, n, c, ldc)

	kern := cfg.Kernel
	if kern == Auto {
		kern = Best()
	}
	mk, ok := kernelFor(kern)
	if !ok {
		panic(fmt.Sprintf("sgemm: kernel %v is not available on this CPU", kern))
	}
	threads := cfg.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}

	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	run(mk, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkMatrix panics unless s can hold a rows×cols matrix with row stride ld.
func checkMatrix(name string, rows, cols int, s []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("sgemm: ld%s=%d is smaller than the row length %d", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("sgemm: %s has %d elements, a %d×%d matrix with stride %d needs %d",
			name, len(s), rows, cols, ld, (rows-1)*ld+cols))
	}
}

// scaleC sets C = beta*C, writing zeros without reading C when beta is 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// kernelFor returns the micro-kernel and its blocking for k.
func kernelFor(k Kernel) (microKernel, bool) {
	mk, ok := kernels[k]
	return mk, ok
}
