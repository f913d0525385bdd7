package autograd

import (
	"math"
	"testing"
)

// How fastmath.go's coefficients were made, kept runnable: fitPoly fits a
// polynomial to f on [lo, hi] by least squares in the relative error on
// Chebyshev nodes, then reweights the nodes by their error (Lawson's
// iteration), which moves the fit towards the minimax one. TestFastMathFit
// refits all three polynomials and checks that they are the ones shipped.
// To trade accuracy for speed, change a degree here, rerun, and paste the
// coefficients it logs (go test -run FastMathFit -v).

// fitPoly returns the coefficients c[0..deg] (c[i] multiplies xⁱ).
func fitPoly(f func(float64) float64, lo, hi float64, deg int) []float64 {
	const nodes, rounds = 2000, 60
	xs := make([]float64, nodes)
	w := make([]float64, nodes)
	for i := range xs {
		xs[i] = (lo+hi)/2 + (hi-lo)/2*math.Cos(math.Pi*(float64(i)+0.5)/nodes)
		w[i] = 1
	}
	var c []float64
	for range rounds {
		a := make([][]float64, nodes)
		y := make([]float64, nodes)
		for i, x := range xs {
			fx := f(x)
			s := math.Sqrt(w[i]) / math.Abs(fx)
			a[i] = make([]float64, deg+1)
			p := 1.0
			for j := range a[i] {
				a[i][j], p = p*s, p*x
			}
			y[i] = fx * s
		}
		c = leastSquares(a, y)
		total := 0.0
		for i, x := range xs {
			w[i] *= math.Abs(horner(c, x)-f(x)) / math.Abs(f(x))
			total += w[i]
		}
		for i := range w {
			w[i] /= total
		}
	}
	return c
}

// leastSquares solves min ‖a·c − y‖ by Householder QR.
func leastSquares(a [][]float64, y []float64) []float64 {
	m, n := len(a), len(a[0])
	for k := range n {
		norm := 0.0
		for i := k; i < m; i++ {
			norm += a[i][k] * a[i][k]
		}
		norm = math.Sqrt(norm)
		if a[k][k] > 0 {
			norm = -norm
		}
		v := make([]float64, m)
		v[k] = a[k][k] - norm
		vv := v[k] * v[k]
		for i := k + 1; i < m; i++ {
			v[i] = a[i][k]
			vv += v[i] * v[i]
		}
		reflect := func(col func(i int) *float64) {
			d := 0.0
			for i := k; i < m; i++ {
				d += v[i] * *col(i)
			}
			for i := k; i < m; i++ {
				*col(i) -= 2 * d / vv * v[i]
			}
		}
		for j := k; j < n; j++ {
			reflect(func(i int) *float64 { return &a[i][j] })
		}
		reflect(func(i int) *float64 { return &y[i] })
	}
	c := make([]float64, n)
	for k := n - 1; k >= 0; k-- {
		s := y[k]
		for j := k + 1; j < n; j++ {
			s -= a[k][j] * c[j]
		}
		c[k] = s / a[k][k]
	}
	return c
}

// horner evaluates Σ c[i]·xⁱ.
func horner(c []float64, x float64) float64 {
	s := 0.0
	for i := len(c) - 1; i >= 0; i-- {
		s = s*x + c[i]
	}
	return s
}

func TestFastMathFit(t *testing.T) {
	if testing.Short() {
		t.Skip("refitting takes a second")
	}
	// eʳ = 1 + r·g(r) on |r| ≤ ln2/2, g of degree 6.
	g := fitPoly(func(r float64) float64 {
		if r == 0 {
			return 1
		}
		return math.Expm1(r) / r
	}, -math.Ln2/2, math.Ln2/2, 6)
	// erf(z)/z = P(z²) on |z| < 1, P of degree 6.
	p := fitPoly(func(u float64) float64 {
		if u == 0 {
			return 2 / math.Sqrt(math.Pi)
		}
		return math.Erf(math.Sqrt(u)) / math.Sqrt(u)
	}, 0, 1, 6)
	// e^(z²)·erfc(z) = R(t), t = 1/(1 + z/2), on 1 ≤ z ≤ 10, R of degree 8.
	r := fitPoly(func(t float64) float64 {
		z := 2 * (1/t - 1)
		return math.Exp(z*z) * math.Erfc(z)
	}, 1/6.0, 2/3.0, 8)
	t.Logf("exp g: %v\nerf P: %v\nerfc R: %v", g, p, r)
	// The refitted polynomials give the shipped functions' values (up to
	// the order of evaluation: Horner here, Estrin there).
	worst := 0.0
	for x := -87.0; x <= 88; x += 0.00731 {
		k := math.Round(x / math.Ln2)
		rr := x - k*math.Ln2
		want := (1 + rr*horner(g, rr)) * math.Ldexp(1, int(k))
		worst = max(worst, math.Abs(expApprox(x)-want)/want)
	}
	for x := -12.9; x <= 12.9; x += 0.000917 {
		z := x * invSqrt2
		a := math.Abs(z)
		var want float64
		if a < 1 {
			want = 0.5 + 0.5*z*horner(p, z*z)
		} else {
			half := 0.5 * expApprox(-z*z) * horner(r, 1/(1+0.5*a))
			want = 1 - half
			if z < 0 {
				want = half
			}
		}
		got, _ := phiApprox(x)
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 1e-13 {
		t.Errorf("the refitted polynomials differ from fastmath.go's by %.3g (relative)", worst)
	}
}
