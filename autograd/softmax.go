package autograd

import (
	"math"

	"radcap/tensor"
)

// lastAxis applies op (defined over the last axis) along axis by moving that
// axis last and back again.
func lastAxis(name string, a *Var, axis int, op func(*Var) *Var) *Var {
	r := a.Value.Rank()
	d := normAxis(name, axis, r)
	if d == r-1 {
		return op(a)
	}
	return Transpose(op(Contiguous(Transpose(a, d, r-1))), d, r-1)
}

// softmaxRows writes y = softmax(x) for each row of length n.
//
//	y_i = exp(x_i − m) / Σ_j exp(x_j − m),  m = max_j x_j
//
// A row that is all −Inf (every position masked) gives zeros when
// zeroMasked is set and NaN (as PyTorch's softmax does) otherwise.
func softmaxRows[T float](x, y []T, n int, zeroMasked bool) {
	parallelFor(len(x)/n, n*8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
			m := math.Inf(-1)
			for _, v := range xr {
				m = max(m, float64(v))
			}
			if math.IsInf(m, -1) && zeroMasked {
				clear(yr)
				continue
			}
			inv := 1 / expShiftSum(yr, xr, m, 1)
			for i := range yr {
				yr[i] = T(float64(yr[i]) * inv)
			}
		}
	})
}

// softmaxBackRows writes dx = y ⊙ (g − Σ_j g_j y_j) for each row (the
// Jacobian-vector product of softmax).
func softmaxBackRows[T float](g, y, dx []T, n int) {
	parallelFor(len(y)/n, n*4, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			gr, yr, dr := g[r*n:(r+1)*n], y[r*n:(r+1)*n], dx[r*n:(r+1)*n]
			dot := 0.0
			for i := range yr {
				dot += float64(gr[i]) * float64(yr[i])
			}
			for i := range dr {
				dr[i] = T(float64(yr[i]) * (float64(gr[i]) - dot))
			}
		}
	})
}

// Softmax returns softmax(a) along axis (F.softmax(a, dim=axis)).
//
//	forward:  y = exp(x − max x) / Σ exp(x − max x)
//	backward: dx = y ⊙ (g − Σ g ⊙ y)
func Softmax(a *Var, axis int) *Var {
	return lastAxis("Softmax", a, axis, func(a *Var) *Var {
		if !a.Value.OnHost() {
			return softmaxDevice("Softmax", a, false)
		}
		x := contig(a.Value)
		_, n := lastDim("Softmax", x)
		y := tensor.Zeros(x.DType(), x.Shape()...)
		f32 := isF32("Softmax", x)
		if n > 0 {
			if f32 {
				softmaxRows(data[float32](x), data[float32](y), n, false)
			} else {
				softmaxRows(data[float64](x), data[float64](y), n, false)
			}
		}
		return record("Softmax", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
			g = contig(g)
			dx := tensor.Zeros(x.DType(), x.Shape()...)
			if n > 0 {
				if f32 {
					softmaxBackRows(data[float32](g), data[float32](y), data[float32](dx), n)
				} else {
					softmaxBackRows(data[float64](g), data[float64](y), data[float64](dx), n)
				}
			}
			return []*tensor.Tensor{dx}
		}, a)
	})
}

// logSoftmaxRows writes y = x − logsumexp(x) for each row.
func logSoftmaxRows[T float](x, y []T, n int) {
	parallelFor(len(x)/n, n*8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
			lse := logSumExp(xr, yr) // yr is scratch until overwritten below
			for i, v := range xr {
				yr[i] = T(float64(v) - lse)
			}
		}
	})
}

// logSumExp returns log Σ exp(x_i), computed stably in float64. scratch
// (x's length) receives the exps, so that the float32 sum runs in the
// vector kernel (expShiftSum); its contents are left undefined.
func logSumExp[T float](x, scratch []T) float64 {
	m := float64(maxRow(x))
	if math.IsInf(m, 0) {
		return m
	}
	return m + math.Log(expShiftSum(scratch, x, m, 1))
}

// logSoftmaxBackRows writes dx = g − exp(y) Σ_j g_j for each row.
func logSoftmaxBackRows[T float](g, y, dx []T, n int) {
	parallelFor(len(y)/n, n*8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			gr, yr, dr := g[r*n:(r+1)*n], y[r*n:(r+1)*n], dx[r*n:(r+1)*n]
			s := 0.0
			for _, v := range gr {
				s += float64(v)
			}
			for i := range dr {
				dr[i] = T(float64(gr[i]) - expT[T](float64(yr[i]))*s)
			}
		}
	})
}

// LogSoftmax returns log(softmax(a)) along axis, computed stably
// (F.log_softmax(a, dim=axis)).
//
//	forward:  y = x − log Σ exp(x)
//	backward: dx = g − softmax(x) Σ g
func LogSoftmax(a *Var, axis int) *Var {
	return lastAxis("LogSoftmax", a, axis, func(a *Var) *Var {
		if !a.Value.OnHost() {
			return softmaxDevice("LogSoftmax", a, true)
		}
		x := contig(a.Value)
		_, n := lastDim("LogSoftmax", x)
		y := tensor.Zeros(x.DType(), x.Shape()...)
		f32 := isF32("LogSoftmax", x)
		if n > 0 {
			if f32 {
				logSoftmaxRows(data[float32](x), data[float32](y), n)
			} else {
				logSoftmaxRows(data[float64](x), data[float64](y), n)
			}
		}
		return record("LogSoftmax", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
			g = contig(g)
			dx := tensor.Zeros(x.DType(), x.Shape()...)
			if n > 0 {
				if f32 {
					logSoftmaxBackRows(data[float32](g), data[float32](y), data[float32](dx), n)
				} else {
					logSoftmaxBackRows(data[float64](g), data[float64](y), data[float64](dx), n)
				}
			}
			return []*tensor.Tensor{dx}
		}, a)
	})
}

// l2NormRows writes y = x / max(‖x‖, eps) per row and each row's norm.
func l2NormRows[T float](x, y []T, norms []float64, n int, eps float64) {
	parallelFor(len(x)/n, n*3, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
			s := 0.0
			for _, v := range xr {
				s += float64(v) * float64(v)
			}
			norms[r] = math.Sqrt(s)
			inv := 1 / max(norms[r], eps)
			for i, v := range xr {
				yr[i] = T(float64(v) * inv)
			}
		}
	})
}

// l2NormBackRows writes dx per row: (g − y (g·y)) / ‖x‖ where ‖x‖ > eps,
// and g / eps where the norm was clamped.
func l2NormBackRows[T float](g, y, dx []T, norms []float64, n int, eps float64) {
	parallelFor(len(y)/n, n*4, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			gr, yr, dr := g[r*n:(r+1)*n], y[r*n:(r+1)*n], dx[r*n:(r+1)*n]
			if norms[r] <= eps {
				for i := range dr {
					dr[i] = T(float64(gr[i]) / eps)
				}
				continue
			}
			dot := 0.0
			for i := range yr {
				dot += float64(gr[i]) * float64(yr[i])
			}
			inv := 1 / norms[r]
			for i := range dr {
				dr[i] = T((float64(gr[i]) - float64(yr[i])*dot) * inv)
			}
		}
	})
}

// L2Normalize returns a divided by its Euclidean norm along axis, the norm
// clamped below at eps: F.normalize(a, p=2, dim=axis, eps=eps) (PyTorch's
// default eps is 1e-12). BLIP's contrastive (ITC) features use it.
//
//	forward:  y = x / max(‖x‖, eps)
//	backward: dx = (g − y (g·y)) / ‖x‖   (dx = g / eps where ‖x‖ ≤ eps)
func L2Normalize(a *Var, axis int, eps float64) *Var {
	return lastAxis("L2Normalize", a, axis, func(a *Var) *Var {
		if !a.Value.OnHost() {
			return l2NormalizeDevice(a, eps)
		}
		x := contig(a.Value)
		rows, n := lastDim("L2Normalize", x)
		y := tensor.Zeros(x.DType(), x.Shape()...)
		norms := make([]float64, rows)
		f32 := isF32("L2Normalize", x)
		if n > 0 {
			if f32 {
				l2NormRows(data[float32](x), data[float32](y), norms, n, eps)
			} else {
				l2NormRows(data[float64](x), data[float64](y), norms, n, eps)
			}
		}
		return record("L2Normalize", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
			g = contig(g)
			dx := tensor.Zeros(x.DType(), x.Shape()...)
			if n > 0 {
				if f32 {
					l2NormBackRows(data[float32](g), data[float32](y), data[float32](dx), norms, n, eps)
				} else {
					l2NormBackRows(data[float64](g), data[float64](y), data[float64](dx), norms, n, eps)
				}
			}
			return []*tensor.Tensor{dx}
		}, a)
	})
}
