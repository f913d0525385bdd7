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

// geluForward writes y = gelu(x) for the chosen kind and, when aux is not
// nil (a gradient is wanted), what the backward needs, so that it
// computes no transcendental again:
//
//	erf:   y = xΦ(x), Φ(x) = ½(1 + erf(x/√2)),  aux = dy/dx = Φ(x) + xφ(x),  φ(x) = e^(−x²/2)/√(2π)
//	tanh:  y = ½x(1 + t),  t = tanh(√(2/π)(x + 0.044715x³)),  aux = t
//	quick: y = x s,  s = σ(1.702x),           aux = s
func geluForward[T float](kind geluKind, x, y, aux []T) {
	f32 := is32[T]()
	parallelFor(len(x), 20, func(lo, hi int) {
		x, y, aux := x[lo:hi], y[lo:hi], sub(aux, lo, hi)
		switch kind {
		case geluErf:
			if n := len(x) &^ 3; f32 && n > 0 && haveRowAsm() {
				geluErfAVX2(f32ptr(x), f32ptr(y), auxPtr(aux), n)
				x, y, aux = x[n:], y[n:], sub(aux, n, len(x))
			}
			for i, v := range x {
				f := float64(v)
				var p, pdf float64
				if f32 {
					p, pdf = phiApprox(f)
				} else {
					p = 0.5 * (1 + math.Erf(f*invSqrt2))
					if aux != nil {
						pdf = invSqrt2Pi * math.Exp(-0.5*f*f)
					}
				}
				y[i] = T(f * p)
				if aux != nil {
					aux[i] = T(p + f*pdf)
				}
			}
		case geluTanh:
			for i, v := range x {
				f := float64(v)
				t := math.Tanh(sqrt2OverPi * (f + geluCoef*f*f*f))
				y[i] = T(0.5 * f * (1 + t))
				if aux != nil {
					aux[i] = T(t)
				}
			}
		case geluQuick:
			if n := len(x) &^ 3; f32 && n > 0 && haveRowAsm() {
				quickGeluAVX2(f32ptr(x), f32ptr(y), auxPtr(aux), n)
				x, y, aux = x[n:], y[n:], sub(aux, n, len(x))
			}
			for i, v := range x {
				f := float64(v)
				var s float64
				if f32 {
					s = 1 / (1 + expApprox(-quickCoef*f)) // expApprox(+large) = +Inf gives 0
				} else {
					s = sigmoid(quickCoef * f)
				}
				y[i] = T(f * s)
				if aux != nil {
					aux[i] = T(s)
				}
			}
		}
	})
}

// geluBackward writes dx = g · dy/dx from x and the forward's aux.
//
//	erf:   dy/dx = aux
//	tanh:  dy/dx = ½(1 + t) + ½x(1 − t²) √(2/π)(1 + 3·0.044715x²)
//	quick: dy/dx = s + 1.702 x s(1 − s)
//
// For float64 the saved aux is exact; for float32 it is rounded to float32
// (for erf, dy/dx itself; otherwise t or s, which changes dy/dx by at most
// a float32 rounding of its first term).
//
// x is not read (and may be nil) for erf.
func geluBackward[T float](kind geluKind, g, x, aux, dx []T) {
	parallelFor(len(aux), 10, func(lo, hi int) {
		g, x, aux, dx := g[lo:hi], sub(x, lo, hi), aux[lo:hi], dx[lo:hi]
		switch kind {
		case geluErf:
			for i, d := range aux {
				dx[i] = g[i] * d
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
	if !a.Value.OnHost() {
		return geluDevice(op, GELUKind(kind), a)
	}
	x := contig(a.Value)
	f32 := isF32(op, x)
	y := tensor.Zeros(x.DType(), x.Shape()...)
	// aux (see geluForward) is only kept when a gradient can flow.
	var aux *tensor.Tensor
	if a.RequiresGrad {
		aux = tensor.Zeros(x.DType(), x.Shape()...)
	}
	if f32 {
		geluForward(kind, data[float32](x), data[float32](y), auxData[float32](aux))
	} else {
		geluForward(kind, data[float64](x), data[float64](y), auxData[float64](aux))
	}
	if kind == geluErf {
		x = nil // the backward needs only aux: let the input go
	}
	return record(op, y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		g = contig(g)
		dx := tensor.Zeros(aux.DType(), aux.Shape()...)
		if f32 {
			geluBackward(kind, data[float32](g), auxData[float32](x), data[float32](aux), data[float32](dx))
		} else {
			geluBackward(kind, data[float64](g), auxData[float64](x), data[float64](aux), data[float64](dx))
		}
		return []*tensor.Tensor{dx}
	}, a)
}

// sub returns s[lo:hi], or nil for a nil s.
func sub[T float](s []T, lo, hi int) []T {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}

// auxPtr is f32ptr(aux), or nil for a nil aux.
func auxPtr[T float](aux []T) *float32 {
	if aux == nil {
		return nil
	}
	return f32ptr(aux)
}

// auxData is data(t), or nil for a nil t.
func auxData[T float](t *tensor.Tensor) []T {
	if t == nil {
		return nil
	}
	return data[T](t)
}

// GELU returns the exact GELU, ½x(1 + erf(x/√2)): F.gelu(x), BERT's "gelu".
func GELU(a *Var) *Var { return gelu("GELU", geluErf, a) }

// GELUTanh returns the tanh approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))):
// F.gelu(x, approximate="tanh"), Hugging Face's "gelu_new".
func GELUTanh(a *Var) *Var { return gelu("GELUTanh", geluTanh, a) }

// QuickGELU returns x·σ(1.702x), CLIP's (and so GIT's vision tower's) "quick_gelu".
func QuickGELU(a *Var) *Var { return gelu("QuickGELU", geluQuick, a) }
