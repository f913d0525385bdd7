//go:build amd64 && !purego

package autograd

import "github.com/klauspost/cpuid/v2"

// The float32 softmax rows run through AVX2 assembly where the CPU has it
// (fastmath_amd64.s); the assembly evaluates exactly expCore's float64
// arithmetic four lanes at a time, so its results match the Go loop's up
// to the order of the float64 sum (and to FMA contraction, should the Go
// compiler be told to use it).

// rowAsm is whether the CPU has AVX2, read once at start-up and never
// changed.
var rowAsm = cpuid.CPU.Supports(cpuid.AVX2)

// haveRowAsm reports whether the AVX2 row kernels can run here.
func haveRowAsm() bool { return rowAsm }

// expShiftSumAVX2 writes dst[i] = float32(expCore((src[i] − m)·scale)),
// or 0 where that argument is below −87.5, for i < n (n a multiple of 4)
// and returns the float64 sum of what it wrote before rounding.
//
//go:noescape
func expShiftSumAVX2(dst, src *float32, n int, m, scale float64) float64

// maxAVX2 returns the largest of x[0..n) (n a multiple of 8, at least 8);
// NaNs are not propagated (VMAXPS keeps the other operand).
//
//go:noescape
func maxAVX2(x *float32, n int) float32

// scaleAVX2 multiplies x[0..n) by s (n a multiple of 8).
//
//go:noescape
func scaleAVX2(x *float32, n int, s float32)

// geluErfAVX2 writes, for i < n (a multiple of 4), y[i] = x·Φ(x) and, when
// aux is not nil, aux[i] = Φ(x) + x·φ(x), computing exactly phiApprox's
// float64 arithmetic (both of its branches, then a blend).
//
//go:noescape
func geluErfAVX2(x, y, aux *float32, n int)

// quickGeluAVX2 writes, for i < n (a multiple of 4), y[i] = x·s with
// s = 1/(1 + expApprox(−1.702x)) and, when aux is not nil, aux[i] = s:
// the Go float32 quick GELU's arithmetic, four lanes at a time.
//
//go:noescape
func quickGeluAVX2(x, y, aux *float32, n int)
