package autograd

import (
	"radcap/tensor"
)

// unbroadcast returns g summed back to shape (the backward of NumPy
// broadcasting), or g itself when no dim was broadcast.
func unbroadcast(g *tensor.Tensor, shape []int) *tensor.Tensor {
	if sameShape(g.Shape(), shape) {
		return g
	}
	return tensor.ReduceToShape(g, shape)
}

// Add returns a + b with NumPy broadcasting.
//
//	forward:  y = a + b
//	backward: da = unbroadcast(g), db = unbroadcast(g)
func Add(a, b *Var) *Var {
	as, bs := a.Value.Shape(), b.Value.Shape()
	return record("Add", tensor.Add(a.Value, b.Value), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{unbroadcast(g, as), unbroadcast(g, bs)}
	}, a, b)
}

// Sub returns a - b with NumPy broadcasting.
//
//	forward:  y = a - b
//	backward: da = unbroadcast(g), db = -unbroadcast(g)
func Sub(a, b *Var) *Var {
	as, bs := a.Value.Shape(), b.Value.Shape()
	return record("Sub", tensor.Sub(a.Value, b.Value), true, func(g *tensor.Tensor) []*tensor.Tensor {
		var gb *tensor.Tensor
		if b.RequiresGrad {
			gb = tensor.Neg(unbroadcast(g, bs))
		}
		return []*tensor.Tensor{unbroadcast(g, as), gb}
	}, a, b)
}

// Mul returns the element-wise product a * b with NumPy broadcasting.
//
//	forward:  y = a * b
//	backward: da = unbroadcast(g * b), db = unbroadcast(g * a)
func Mul(a, b *Var) *Var {
	av, bv := a.Value, b.Value
	return record("Mul", tensor.Mul(av, bv), false, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if a.RequiresGrad {
			ga = unbroadcast(tensor.Mul(g, bv), av.Shape())
		}
		if b.RequiresGrad {
			gb = unbroadcast(tensor.Mul(g, av), bv.Shape())
		}
		return []*tensor.Tensor{ga, gb}
	}, a, b)
}

// Div returns a / b with NumPy broadcasting.
//
//	forward:  y = a / b
//	backward: da = unbroadcast(g / b), db = unbroadcast(-g * y / b)
func Div(a, b *Var) *Var {
	av, bv := a.Value, b.Value
	y := tensor.Div(av, bv)
	return record("Div", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		gOverB := tensor.Div(g, bv)
		if a.RequiresGrad {
			ga = unbroadcast(gOverB, av.Shape())
		}
		if b.RequiresGrad {
			gb = unbroadcast(tensor.Neg(tensor.Mul(gOverB, y)), bv.Shape())
		}
		return []*tensor.Tensor{ga, gb}
	}, a, b)
}

// Neg returns -a.
//
//	backward: da = -g
func Neg(a *Var) *Var { return Scale(a, -1) }

// Scale returns a * s for a constant s (torch.mul(a, s)).
//
//	forward:  y = s a
//	backward: da = s g
func Scale(a *Var, s float64) *Var {
	return record("Scale", tensor.MulScalar(a.Value, s), false, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.MulScalar(g, s)}
	}, a)
}

// AddScalar returns a + s for a constant s.
//
//	forward:  y = a + s
//	backward: da = g
func AddScalar(a *Var, s float64) *Var {
	return record("AddScalar", tensor.AddScalar(a.Value, s), true, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{g}
	}, a)
}

// unaryKind selects the derivative used by unaryBackward.
type unaryKind uint8

const (
	kSquare  unaryKind = iota // y = x², dy/dx = 2x
	kExp                      // y = eˣ, dy/dx = y
	kLog                      // y = ln x, dy/dx = 1/x
	kSqrt                     // y = √x, dy/dx = 1/(2y)
	kTanh                     // y = tanh x, dy/dx = 1 - y²
	kSigmoid                  // y = σ(x), dy/dx = y(1 - y)
)

// unaryBackward computes dx = g · dy/dx for the elementwise op kind from the
// input x and output y (contiguous, same length), one tight loop per kind.
func unaryBackward[T float](kind unaryKind, g, x, y, dx []T) {
	parallelFor(len(dx), 4, func(lo, hi int) {
		g, x, y, dx := g[lo:hi], x[lo:hi], y[lo:hi], dx[lo:hi]
		switch kind {
		case kSquare:
			for i := range dx {
				dx[i] = 2 * x[i] * g[i]
			}
		case kExp:
			for i := range dx {
				dx[i] = y[i] * g[i]
			}
		case kLog:
			for i := range dx {
				dx[i] = g[i] / x[i]
			}
		case kSqrt:
			for i := range dx {
				dx[i] = g[i] / (2 * y[i])
			}
		case kTanh:
			for i := range dx {
				dx[i] = g[i] * (1 - y[i]*y[i])
			}
		case kSigmoid:
			for i := range dx {
				dx[i] = g[i] * y[i] * (1 - y[i])
			}
		}
	})
}

// unary records an element-wise op whose forward value y has been computed;
// its backward is unaryBackward of kind.
func unary(op string, kind unaryKind, a *Var, y *tensor.Tensor) *Var {
	x := a.Value
	if !x.OnHost() {
		return unaryDevice(op, kind, a, y)
	}
	f32 := isF32(op, x)
	return record(op, y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		g, xc := contig(g), contig(x)
		dx := tensor.Zeros(x.DType(), x.Shape()...)
		if f32 {
			unaryBackward(kind, data[float32](g), data[float32](xc), data[float32](y), data[float32](dx))
		} else {
			unaryBackward(kind, data[float64](g), data[float64](xc), data[float64](y), data[float64](dx))
		}
		return []*tensor.Tensor{dx}
	}, a)
}

// Square returns a² element-wise.
func Square(a *Var) *Var { return unary("Square", kSquare, a, tensor.Square(a.Value)) }

// Exp returns eᵃ element-wise.
func Exp(a *Var) *Var { return unary("Exp", kExp, a, tensor.Exp(a.Value)) }

// Log returns the natural logarithm element-wise.
func Log(a *Var) *Var { return unary("Log", kLog, a, tensor.Log(a.Value)) }

// Sqrt returns the square root element-wise.
func Sqrt(a *Var) *Var { return unary("Sqrt", kSqrt, a, tensor.Sqrt(a.Value)) }

// Tanh returns the hyperbolic tangent element-wise.
func Tanh(a *Var) *Var { return unary("Tanh", kTanh, a, tensor.Tanh(a.Value)) }

// Sigmoid returns the logistic function 1/(1+e⁻ᵃ) element-wise.
func Sigmoid(a *Var) *Var { return unary("Sigmoid", kSigmoid, a, tensor.Sigmoid(a.Value)) }
