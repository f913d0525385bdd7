package autograd

import (
	"fmt"
	"math"
	"sync"

	"radcap/tensor"
)

// layerNormRows normalises each row of x (length n) and applies the affine
// map, saving each row's mean and reciprocal standard deviation:
//
//	μ = mean(x),  σ² = mean((x − μ)²)  (biased),  r = 1/√(σ² + eps)
//	y = (x − μ) r · w + b
//
// w or b may be nil (no scale, no shift). Statistics are in float64.
func layerNormRows[T float](x, w, b, y []T, mean, rstd []float64, n int, eps float64) {
	parallelFor(len(x)/n, n*6, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
			mu := 0.0
			for _, v := range xr {
				mu += float64(v)
			}
			mu /= float64(n)
			v2 := 0.0
			for _, v := range xr {
				d := float64(v) - mu
				v2 += d * d
			}
			rs := 1 / math.Sqrt(v2/float64(n)+eps)
			mean[r], rstd[r] = mu, rs
			for i, v := range xr {
				h := (float64(v) - mu) * rs
				if w != nil {
					h *= float64(w[i])
				}
				if b != nil {
					h += float64(b[i])
				}
				yr[i] = T(h)
			}
		}
	})
}

// layerNormBackRows computes, per row, with x̂ = (x − μ) r and ĝ = g ⊙ w:
//
//	dx = r (ĝ − mean(ĝ) − x̂ mean(ĝ ⊙ x̂))
//	dw = Σ_rows g ⊙ x̂,  db = Σ_rows g
//
// dx, dw, db may each be nil when not wanted. dw and db are summed in
// float64, one partial sum per goroutine.
func layerNormBackRows[T float](g, x, w, dx []T, dw, db []float64, mean, rstd []float64, n int) {
	var mu sync.Mutex
	parallelFor(len(x)/n, n*8, func(lo, hi int) {
		var pw, pb []float64
		if dw != nil {
			pw = make([]float64, n)
		}
		if db != nil {
			pb = make([]float64, n)
		}
		for r := lo; r < hi; r++ {
			gr, xr := g[r*n:(r+1)*n], x[r*n:(r+1)*n]
			m, rs := mean[r], rstd[r]
			if dx != nil {
				sg, sgx := 0.0, 0.0
				for i, v := range gr {
					gh := float64(v)
					if w != nil {
						gh *= float64(w[i])
					}
					sg += gh
					sgx += gh * (float64(xr[i]) - m) * rs
				}
				sg /= float64(n)
				sgx /= float64(n)
				dr := dx[r*n : (r+1)*n]
				for i, v := range gr {
					gh := float64(v)
					if w != nil {
						gh *= float64(w[i])
					}
					xh := (float64(xr[i]) - m) * rs
					dr[i] = T(rs * (gh - sg - xh*sgx))
				}
			}
			for i, v := range gr {
				if pw != nil {
					pw[i] += float64(v) * (float64(xr[i]) - m) * rs
				}
				if pb != nil {
					pb[i] += float64(v)
				}
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for i := range pw {
			dw[i] += pw[i]
		}
		for i := range pb {
			db[i] += pb[i]
		}
	})
}

// LayerNorm normalises a over its last dimension and applies the
// elementwise affine map, exactly as torch.nn.functional.layer_norm(x,
// (n,), w, b, eps): biased variance, eps inside the square root. w and b
// ([n]) may be nil.
//
//	forward:  y = (x − μ)/√(σ² + eps) · w + b
//	backward: see layerNormBackRows
func LayerNorm(x, w, b *Var, eps float64) *Var {
	xv := contig(x.Value)
	rows, n := lastDim("LayerNorm", xv)
	var wv, bv *tensor.Tensor
	inputs := []*Var{x, w, b}
	for i, p := range []*Var{w, b} {
		if p == nil {
			continue
		}
		t := contig(p.Value)
		if t.Rank() != 1 || t.Dim(0) != n {
			panic(fmt.Sprintf("autograd.LayerNorm: input %v with parameter %v (want [%d])", xv.Shape(), t.Shape(), n))
		}
		sameDType("LayerNorm", xv, t)
		if i == 0 {
			wv = t
		} else {
			bv = t
		}
	}
	if !xv.OnHost() || (wv != nil && !wv.OnHost()) || (bv != nil && !bv.OnHost()) {
		return layerNormDevice(x, w, b, wv, bv, eps)
	}
	y := tensor.Zeros(xv.DType(), xv.Shape()...)
	mean, rstd := make([]float64, rows), make([]float64, rows)
	f32 := isF32("LayerNorm", xv)
	if n > 0 {
		if f32 {
			layerNormRows(data[float32](xv), opt[float32](wv), opt[float32](bv), data[float32](y), mean, rstd, n, eps)
		} else {
			layerNormRows(data[float64](xv), opt[float64](wv), opt[float64](bv), data[float64](y), mean, rstd, n, eps)
		}
	}
	return record("LayerNorm", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		g = contig(g)
		var dx *tensor.Tensor
		var dw, db []float64
		if x.RequiresGrad {
			dx = tensor.Zeros(xv.DType(), xv.Shape()...)
		}
		if w != nil && w.RequiresGrad {
			dw = make([]float64, n)
		}
		if b != nil && b.RequiresGrad {
			db = make([]float64, n)
		}
		if n > 0 {
			if f32 {
				layerNormBackRows(data[float32](g), data[float32](xv), opt[float32](wv), opt[float32](dx), dw, db, mean, rstd, n)
			} else {
				layerNormBackRows(data[float64](g), data[float64](xv), opt[float64](wv), opt[float64](dx), dw, db, mean, rstd, n)
			}
		}
		return []*tensor.Tensor{dx, fromF64(xv.DType(), dw), fromF64(xv.DType(), db)}
	}, inputs...)
}

// opt returns t's elements, or nil for a nil tensor.
func opt[T float](t *tensor.Tensor) []T {
	if t == nil {
		return nil
	}
	return data[T](t)
}

// fromF64 returns v as a 1-D tensor of dtype dt (nil for nil v).
func fromF64(dt tensor.DType, v []float64) *tensor.Tensor {
	if v == nil {
		return nil
	}
	if dt == tensor.F64 {
		return tensor.FromF64(v, len(v))
	}
	o := make([]float32, len(v))
	for i, f := range v {
		o[i] = float32(f)
	}
	return tensor.FromF32(o, len(v))
}
