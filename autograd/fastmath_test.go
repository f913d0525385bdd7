package autograd

import (
	"math"
	"testing"

	"radcap/tensor"
)

// expApprox must match math.Exp to 1e-9 relative over the float32 range.
func TestExpApprox(t *testing.T) {
	worst, at := 0.0, 0.0
	for x := -87.0; x <= 88.0; x += 0.000731 {
		want := math.Exp(x)
		if e := math.Abs(expApprox(x)-want) / want; e > worst {
			worst, at = e, x
		}
	}
	t.Logf("worst relative error %.3g at x = %v", worst, at)
	if worst > 1e-9 {
		t.Errorf("expApprox: relative error %.3g at x = %v", worst, at)
	}
	if expApprox(0) != 1 {
		t.Errorf("expApprox(0) = %v, want 1", expApprox(0))
	}
	if expApprox(-1000) != 0 || !math.IsInf(expApprox(1000), 1) || !math.IsNaN(expApprox(math.NaN())) {
		t.Error("expApprox: wrong limits")
	}
}

// phiRef is Φ(x) from package math, accurate in both tails.
func phiRef(x float64) float64 {
	if x < 0 {
		return 0.5 * math.Erfc(-x*invSqrt2)
	}
	return 0.5 * (1 + math.Erf(x*invSqrt2))
}

// phiApprox must match math.Erf/Erfc to 1e-8 relative wherever Φ(x) is a
// normal float32 (x ≥ −12.9), and rounded to float32 it must be within one
// float32 ulp of the correctly rounded value; its density must match
// math.Exp's to 1e-9.
func TestPhiApprox(t *testing.T) {
	worst, at := 0.0, 0.0
	for x := -12.9; x <= 12.9; x += 0.0000917 {
		want := phiRef(x)
		got, pdf := phiApprox(x)
		if e := math.Abs(got-want) / want; e > worst {
			worst, at = e, x
		}
		wantPdf := invSqrt2Pi * math.Exp(-0.5*x*x)
		if e := math.Abs(pdf-wantPdf) / wantPdf; e > 1e-9 {
			t.Fatalf("phiApprox(%v) density %v, want %v (relative error %.3g)", x, pdf, wantPdf, e)
		}
		g32, w32 := float32(got), float32(want)
		if ulps := math.Abs(float64(g32)-float64(w32)) / float64(ulp32(w32)); ulps > 1 {
			t.Fatalf("phiApprox(%v) = %v as float32, want %v (%v ulps)", x, g32, w32, ulps)
		}
	}
	t.Logf("worst relative error %.3g at x = %v", worst, at)
	if worst > 1e-8 {
		t.Errorf("phiApprox: relative error %.3g at x = %v", worst, at)
	}
	// Either side of the switch between the two approximations, and the limits.
	cdf := func(x float64) float64 { c, _ := phiApprox(x); return c }
	for _, x := range []float64{math.Sqrt2, math.Nextafter(math.Sqrt2, 0), -math.Sqrt2, 0, 40, -40} {
		if want := phiRef(x); math.Abs(cdf(x)-want) > 1e-8*want {
			t.Errorf("phiApprox(%v) = %v, want %v", x, cdf(x), want)
		}
	}
	if cdf(math.Inf(1)) != 1 || cdf(math.Inf(-1)) != 0 || !math.IsNaN(cdf(math.NaN())) {
		t.Error("phiApprox: wrong limits")
	}
	if _, pdf := phiApprox(math.Inf(1)); pdf != 0 {
		t.Errorf("phiApprox(+Inf) density %v, want 0", pdf)
	}
}

// ulp32 is the gap between |v| and the next float32 away from zero.
func ulp32(v float32) float32 {
	a := float32(math.Abs(float64(v)))
	return math.Nextafter32(a, float32(math.Inf(1))) - a
}

// BenchmarkFastMath compares the approximations with the package math
// functions they replace in the float32 kernels, per element of a
// GELU-sized slice.
func BenchmarkFastMath(b *testing.B) {
	xs := make([]float64, 4096)
	rng := newRNG(9)
	for i := range xs {
		xs[i] = 3 * rng.NormFloat64()
	}
	run := func(b *testing.B, f func(float64) float64) {
		sink := 0.0
		for b.Loop() {
			for _, x := range xs {
				sink += f(x)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
		if sink == 0 {
			b.Log(sink)
		}
	}
	b.Run("exp/math", func(b *testing.B) { run(b, func(x float64) float64 { return math.Exp(-x * x) }) })
	b.Run("exp/approx", func(b *testing.B) { run(b, func(x float64) float64 { return expApprox(-x * x) }) })
	b.Run("phi/math", func(b *testing.B) { run(b, phiRef) })
	b.Run("phi/approx", func(b *testing.B) { run(b, func(x float64) float64 { c, _ := phiApprox(x); return c }) })
}

// The GELU family keeps no backward state for an input without gradient;
// its values must not depend on that, on a shape large enough to run the
// parallel kernels, in both dtypes. Float32 must match float64 on the same
// (float32) inputs to within one float32 rounding.
func TestGELUNoGradMatchesGrad(t *testing.T) {
	x32 := tensor.MulScalar(tensor.RandN(newRNG(8), tensor.F64, 300, 400), 4).To(tensor.F32)
	for _, f := range []struct {
		name string
		op   func(*Var) *Var
	}{{"GELU", GELU}, {"GELUTanh", GELUTanh}, {"QuickGELU", QuickGELU}} {
		var ref *tensor.Tensor
		for _, dt := range []tensor.DType{tensor.F64, tensor.F32} {
			x := x32.To(dt)
			withGrad, noGrad := f.op(Param(x)).Value, f.op(Const(x)).Value
			assertClose(t, f.name+" without gradient", noGrad.To(tensor.F64), withGrad.To(tensor.F64), 0)
			if ref == nil {
				ref = withGrad
				continue
			}
			assertClose(t, f.name+" float32 vs float64", withGrad.To(tensor.F64), ref, 1.2e-7)
		}
	}
}

// The float32 row kernels (AVX2 assembly on amd64 where the CPU has it,
// Go elsewhere) agree with plain Go loops over expCore on every length
// around the vector widths, with masked (−Inf), flushed and NaN entries.
func TestRowKernelsMatchGo(t *testing.T) {
	t.Logf("assembly row kernels: %v", haveRowAsm())
	rng := newRNG(12)
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 577} {
		for _, scale := range []float64{1, 0.125} {
			src := make([]float32, n)
			for i := range src {
				src[i] = float32(20 * rng.NormFloat64())
				switch rng.IntN(10) {
				case 0:
					src[i] = float32(math.Inf(-1))
				case 1:
					src[i] = -1e4
				}
			}
			m := float32(math.Inf(-1))
			for _, v := range src {
				m = max(m, v)
			}
			if got := maxRow(src); got != m {
				t.Fatalf("n=%d: maxRow = %v, want %v", n, got, m)
			}
			want, wantSum := make([]float32, n), 0.0
			for i, v := range src {
				d := (float64(v) - float64(m)) * scale
				e := 0.0
				if !(d < -87.5) {
					e = expCore(d)
				}
				want[i], wantSum = float32(e), wantSum+e
			}
			got := make([]float32, n)
			sum := expShiftSum(got, src, float64(m), scale)
			for i := range got {
				if math.Abs(float64(got[i]-want[i])) > float64(ulp32(want[i])) {
					t.Fatalf("n=%d scale=%v: exp of %v is %v, want %v", n, scale, src[i], got[i], want[i])
				}
			}
			if math.Abs(sum-wantSum) > 1e-13*wantSum {
				t.Fatalf("n=%d: sum %v, want %v", n, sum, wantSum)
			}
			scaled := append([]float32(nil), got...)
			scaleRow(scaled, 0.37)
			for i := range got {
				if scaled[i] != got[i]*0.37 {
					t.Fatalf("n=%d: scaleRow gives %v at %d, want %v", n, scaled[i], i, got[i]*0.37)
				}
			}
		}
	}
	// A NaN score makes the sum NaN.
	x := []float32{1, 2, float32(math.NaN()), 3, 4, 5, 6, 7}
	if s := expShiftSum(make([]float32, 8), x, 7, 1); !math.IsNaN(s) {
		t.Errorf("sum with a NaN = %v, want NaN", s)
	}
}

// The float32 exact and quick GELU kernels (AVX2 on amd64 where the CPU
// has it) agree with their scalar Go arithmetic, output and saved state, on
// lengths around the vector width and on special values, with and
// without the derivative.
func TestGELUKernelMatchesGo(t *testing.T) {
	rng := newRNG(13)
	special := []float32{0, float32(math.Copysign(0, -1)), 1.4142135, -1.4142135, 1.4142137, -1.4142137,
		1e-30, -1e-30, 5, -5, 12.9, -12.9, 14, -14, 1e30, -1e30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for _, n := range []int{1, 3, 4, 5, 8, 11, 64, 1001} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(3 * rng.NormFloat64())
			if rng.IntN(4) == 0 {
				x[i] = special[rng.IntN(len(special))]
			}
		}
		for _, kind := range []geluKind{geluErf, geluQuick} {
			y, aux := make([]float32, n), make([]float32, n)
			geluForward(kind, x, y, aux)
			yOnly := make([]float32, n)
			geluForward(kind, x, yOnly, nil)
			for i, v := range x {
				f := float64(v)
				var wy, wd float32
				if kind == geluErf {
					p, pdf := phiApprox(f)
					wy, wd = float32(f*p), float32(p+f*pdf)
				} else {
					s := 1 / (1 + expApprox(-quickCoef*f))
					wy, wd = float32(f*s), float32(s)
				}
				if !same32(y[i], wy) || !same32(yOnly[i], wy) || !same32(aux[i], wd) {
					t.Fatalf("kind %d, n=%d: gelu(%v) = %v (%v without state), state %v; want %v, %v",
						kind, n, v, y[i], yOnly[i], aux[i], wy, wd)
				}
			}
		}
	}
}

// same32 reports whether a and b are both NaN or within one float32 ulp.
func same32(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return a == b || math.Abs(float64(a)-float64(b)) <= float64(ulp32(b))
}
