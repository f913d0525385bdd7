package autograd

import (
	"math"

	"radcap/tensor"
)

// The GELU family. Each kernel computes in float64 per element (so float32
// and float64 agree to float32 rounding) over contiguous slices, and is
// split across goroutines for large tensors. The float32 kernels take
// their transcendentals from fastmath.go (accurate to well below a float32
// rounding), the float64 ones from package math.

// geluKind selects one of the GELU variants.
type geluKind uint8

const (
	geluErf   geluKind = iota // exact: 0.5·x·(1 + erf(x/√2))
	geluTanh                  // tanh approximation ("gelu_new", "gelu_pytorch_tanh")
	geluQuick                 // CLIP's quick_gelu: x·σ(1.702·x)
)

const (
	invSqrt2    = 0.70710678118654752440 // 1/√2
	invSqrt2Pi  = 0.39894228040143267794 // 1/√(2π)
	sqrt2OverPi = 0.79788456080286535588 // √(2/π)
	geluCoef    = 0.044715
	quickCoef   = 1.702
)

// geluForward writes y = gelu(x) for the chosen kind, and into aux the
// transcendental part the backward reuses (so the backward computes no
// erf or tanh again):
//
//	erf:   y = ½x(1 + erf(x/√2)),            aux = Φ(x) = ½(1 + erf(x/√2))
//	tanh:  y = ½x(1 + t),  t = tanh(√(2/π)(x + 0.044715x³)),  aux = t
//	quick: y = x s,  s = σ(1.702x),           aux = s
func geluForward[T float](kind geluKind, x, y, aux []T) {
	parallelFor(len(x), 20, func(lo, hi int) {
		x, y, aux := x[lo:hi], y[lo:hi], aux[lo:hi]
		switch kind {
		case geluErf:
			for i, v := range x {
				f := float64(v)
				p := phiT[T](f)
				y[i], aux[i] = T(f*p), T(p)
			}
		case geluTanh:
			for i, v := range x {
				f := float64(v)
				t := math.Tanh(sqrt2OverPi * (f + geluCoef*f*f*f))
				y[i], aux[i] = T(0.5*f*(1+t)), T(t)
			}
		case geluQuick:
			for i, v := range x {
				f := float64(v)
				s := sigmoidT[T](quickCoef * f)
				y[i], aux[i] = T(f*s), T(s)
			}
		}
	})
}

// geluBackward writes dx = g · dy/dx from x and the forward's aux.
//
//	erf:   dy/dx = Φ(x) + x φ(x),  φ(x) = e^(−x²/2)/√(2π)
//	tanh:  dy/dx = ½(1 + t) + ½x(1 − t²) √(2/π)(1 + 3·0.044715x²)
//	quick: dy/dx = s + 1.702 x s(1 − s)
//
// For float64 the saved aux is exact; for float32 it is rounded to float32,
// which changes dy/dx by at most a float32 rounding of its first term.
func geluBackward[T float](kind geluKind, g, x, aux, dx []T) {
	parallelFor(len(x), 10, func(lo, hi int) {
		g, x, aux, dx := g[lo:hi], x[lo:hi], aux[lo:hi], dx[lo:hi]
		switch kind {
		case geluErf:
			for i, v := range x {
				f := float64(v)
				d := float64(aux[i]) + f*invSqrt2Pi*expT[T](-0.5*f*f)
				dx[i] = T(float64(g[i]) * d)
			}
		case geluTanh:
			for i, v := range x {
				f, t := float64(v), float64(aux[i])
				d := 0.5*(1+t) + 0.5*f*(1-t*t)*sqrt2OverPi*(1+3*geluCoef*f*f)
				dx[i] = T(float64(g[i]) * d)
			}
		case geluQuick:
			for i, v := range x {
				f, s := float64(v), float64(aux[i])
				dx[i] = T(float64(g[i]) * (s + quickCoef*f*s*(1-s)))
			}
		}
	})
}

// sigmoidT is σ(x) at the accuracy T needs (see expT).
func sigmoidT[T float](x float64) float64 {
	if is32[T]() {
		return 1 / (1 + expApprox(-x)) // expApprox(+large) = +Inf gives 0
	}
	return sigmoid(x)
}

// sigmoid is 1/(1+e⁻ˣ) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// gelu records one GELU variant.
func gelu(op string, kind geluKind, a *Var) *Var {
	x := contig(a.Value)
	f32 := isF32(op, x)
	y := tensor.Zeros(x.DType(), x.Shape()...)
	aux := tensor.Zeros(x.DType(), x.Shape()...)
	if f32 {
		geluForward(kind, data[float32](x), data[float32](y), data[float32](aux))
	} else {
		geluForward(kind, data[float64](x), data[float64](y), data[float64](aux))
	}
	return record(op, y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		g = contig(g)
		dx := tensor.Zeros(x.DType(), x.Shape()...)
		if f32 {
			geluBackward(kind, data[float32](g), data[float32](x), data[float32](aux), data[float32](dx))
		} else {
			geluBackward(kind, data[float64](g), data[float64](x), data[float64](aux), data[float64](dx))
		}
		return []*tensor.Tensor{dx}
	}, a)
}

// GELU returns the exact GELU, ½x(1 + erf(x/√2)): F.gelu(x), BERT's "gelu".
func GELU(a *Var) *Var { return gelu("GELU", geluErf, a) }

// GELUTanh returns the tanh approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))):
// F.gelu(x, approximate="tanh"), Hugging Face's "gelu_new".
func GELUTanh(a *Var) *Var { return gelu("GELUTanh", geluTanh, a) }

// QuickGELU returns x·σ(1.702x), CLIP's (and so GIT's vision tower's) "quick_gelu".
func QuickGELU(a *Var) *Var { return gelu("QuickGELU", geluQuick, a) }
