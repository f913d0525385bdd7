package autograd

import (
	"math"
	"unsafe"
)

// Fast exponential and normal CDF for the float32 kernels. float64 kernels
// (the ones GradCheck differentiates) always call package math; float32
// kernels only need float32 accuracy, and math.Exp and math.Erf cost
// several times a short polynomial. Both approximations are tested against
// package math over dense grids (fastmath_test.go). Their coefficients
// were fitted by radcap (least squares in the relative error on Chebyshev
// nodes, reweighted towards the minimax error); fastmath_fit_test.go holds
// the fit, reruns it and checks that it gives these polynomials.

// expApprox returns eˣ with a relative error below 1e-9 for x in
// [−87, 88] (the float32 range); smaller x gives 0, larger +Inf. It
// reduces x = k·ln2 + r with |r| ≤ ln2/2, evaluates eʳ = 1 + r·g(r) with
// a fitted degree-6 g (relative error 1e-10; evaluated by Estrin's
// scheme, which shortens the chain of dependent multiplies), then scales
// by 2ᵏ through the exponent bits.
func expApprox(x float64) float64 {
	switch {
	case x < -87.5:
		return 0
	case x > 88.8:
		return math.Inf(1)
	case x != x:
		return x
	}
	return expCore(x)
}

// expCore is expApprox without the range checks, small enough for the
// compiler to inline into the kernels' loops. x must lie in [−708, 709]
// (where 2ᵏ is a normal float64) or be NaN (which gives NaN).
func expCore(x float64) float64 {
	const (
		log2e = 1.4426950408889634074
		// One rounded ln2 suffices: for |k| ≤ 1023 it shifts r by less
		// than 1e-13, far below the 1e-9 this function promises.
		ln2 = 0.69314718055994530942
		// Adding 1.5·2⁵² rounds x·log2(e) to the nearest integer (no call).
		shifter = 0x1.8p52
		c1      = 1.0000000000311988
		c2      = 0.50000000466520866
		c3      = 0.16666666249589893
		c4      = 0.04166635444990275
		c5      = 0.0083334029057212482
		c6      = 0.0013941004911311493
		c7      = 0.00019841247296875202
	)
	k := (x*log2e + shifter) - shifter
	r := x - k*ln2
	r2 := r * r
	g := (c1 + c2*r) + r2*(c3+c4*r) + (r2*r2)*(c5+c6*r+c7*r2)
	return (1 + r*g) * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// expShiftSum writes dst[i] = exp(scale·(src[i] − m)) for m ≥ max(src)
// and scale > 0 (the numerators of a softmax of scale·src; dst may be
// src) and returns their sum in float64. float32 uses the inlined
// expCore, flushing to 0 below e^−87.5 as expApprox does; float64 uses
// math.Exp.
func expShiftSum[T float](dst, src []T, m, scale float64) float64 {
	dst = dst[:len(src)]
	s := 0.0
	if is32[T]() {
		if n := len(src) &^ 3; n > 0 && haveRowAsm() {
			s = expShiftSumAVX2(f32ptr(dst), f32ptr(src), n, m, scale)
			dst, src = dst[n:], src[n:]
		}
		for i, v := range src {
			d := (float64(v) - m) * scale
			e := 0.0
			if !(d < -87.5) { // NaN goes on to give NaN
				e = expCore(d)
			}
			dst[i] = T(e)
			s += e
		}
		return s
	}
	for i, v := range src {
		e := math.Exp((float64(v) - m) * scale)
		dst[i] = T(e)
		s += e
	}
	return s
}

// f32ptr returns the address of x[0] as a *float32; x must be a non-empty
// []float32 (T = float32).
func f32ptr[T float](x []T) *float32 { return (*float32)(unsafe.Pointer(&x[0])) }

// maxRow returns the largest element of x (−Inf for an empty x). For
// float32 rows of 8 or more elements on amd64 the bulk runs in AVX2,
// which, unlike the Go loop, does not propagate a NaN (the softmax that
// follows turns a NaN into NaNs anyway).
func maxRow[T float](x []T) T {
	m := T(math.Inf(-1))
	if is32[T]() {
		if n := len(x) &^ 7; n > 0 && haveRowAsm() {
			m = T(maxAVX2(f32ptr(x), n))
			x = x[n:]
		}
	}
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

// scaleRow multiplies x by s in T's arithmetic.
func scaleRow[T float](x []T, s T) {
	if is32[T]() {
		if n := len(x) &^ 7; n > 0 && haveRowAsm() {
			scaleAVX2(f32ptr(x), n, float32(s))
			x = x[n:]
		}
	}
	for i := range x {
		x[i] *= s
	}
}

// phiApprox returns the standard normal CDF Φ(x) = ½(1 + erf(x/√2)) =
// ½·erfc(−x/√2), the transcendental part of the exact GELU, and its
// density φ(x) = e^(−x²/2)/√(2π), which the GELU's derivative Φ + xφ
// needs. Φ has a relative error below 1e-8 wherever it is a normal
// float32 (the small tail, x ≪ 0, is computed directly rather than as
// 1 − something), φ one below 1e-9. With z = x/√2:
//
//	|z| < 1:  erf(z) = z·P(z²), P a fitted polynomial of degree 6
//	|z| ≥ 1:  erfc(|z|) = e^(−z²)·R(t), t = 1/(1 + |z|/2), R fitted of degree 8
//
// and Φ = ½ + ½·erf(z), or ½·erfc(|z|) for z < 0 and 1 − ½·erfc(|z|)
// for z > 0; the e^(−z²) of the tail serves φ too.
func phiApprox(x float64) (cdf, pdf float64) {
	z := x * invSqrt2
	u := z * z
	e := 0.0 // e^(−z²), flushed to 0 below e^−87.5 (as expApprox does)
	if !(-u < -87.5) {
		e = expCore(-u) // NaN for NaN
	}
	pdf = invSqrt2Pi * e
	a := math.Abs(z)
	if a < 1 {
		const (
			p0 = 1.1283791657266864
			p1 = -0.37612625824093154
			p2 = 0.11283585147026189
			p3 = -0.026853811868846892
			p4 = 0.0051883275594277528
			p5 = -0.00080101925150751526
			p6 = 7.8538576859505692e-05
		)
		u2 := u * u
		p := (p0 + p1*u) + u2*(p2+p3*u) + (u2*u2)*(p4+p5*u+p6*u2)
		return 0.5 + 0.5*z*p, pdf
	}
	const (
		r0 = -4.103425443058605e-06
		r1 = 0.28219940755620132
		r2 = 0.28099076200574469
		r3 = 0.25296742562917662
		r4 = 0.15804118560250191
		r5 = 0.10534300674536777
		r6 = 0.025059873045404021
		r7 = -0.18504039420315371
		r8 = 0.080891115405665251
	)
	t := 1 / (1 + 0.5*a)
	t2 := t * t
	t4 := t2 * t2
	r := (r0 + r1*t) + t2*(r2+r3*t) + t4*((r4+r5*t)+t2*(r6+r7*t)) + (t4*t4)*r8
	half := 0.5 * e * r // ½·erfc(|z|)
	if z < 0 {
		return half, pdf
	}
	return 1 - half, pdf
}

// is32 reports whether the kernel instantiation is the float32 one.
func is32[T float]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// expT is eˣ at the accuracy T needs: expApprox for float32, math.Exp for
// float64.
func expT[T float](x float64) float64 {
	if is32[T]() {
		return expApprox(x)
	}
	return math.Exp(x)
}
