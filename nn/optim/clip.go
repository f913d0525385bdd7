package optim

import (
	"math"

	"radcap/tensor"
)

// GradNorm returns the global L2 norm of the gradients of params, as
// torch.nn.utils.clip_grad_norm_ computes it: the L2 norm of the vector of
// per-parameter L2 norms, each norm rounded to the gradient's dtype and the
// total to float32 when the gradients are float32 (sums of squares are
// accumulated in float64). Parameters whose Grad is nil are skipped; with
// none, the norm is 0. It fails on a gradient that is not float32/float64.
func GradNorm(params []Param) (float64, error) {
	sums, ps, err := sumSquaresAll(params)
	if err != nil {
		return 0, err
	}
	var sumSq float64
	any32 := false
	for i, p := range ps {
		var n float64
		if p.Var.Grad.DType() == tensor.F32 {
			n = float64(float32(math.Sqrt(sums[i])))
			any32 = true
		} else {
			n = math.Sqrt(sums[i])
		}
		sumSq += n * n
	}
	total := math.Sqrt(sumSq)
	if any32 {
		total = float64(float32(total))
	}
	return total, nil
}

func sumSquares[E float32 | float64](d []E) float64 {
	var s float64
	for _, x := range d {
		s += float64(x) * float64(x)
	}
	return s
}

// ClipGradNorm is torch.nn.utils.clip_grad_norm_ (norm type 2) as the
// Trainer calls it with max_grad_norm (1.0 by default): it computes the
// global norm as GradNorm does, and when maxNorm/(norm+1e-6) is below 1 it
// multiplies every gradient by that coefficient, in place (computed in
// float32 for float32 gradients, as PyTorch does with a float32 norm, and
// as 1/(norm+1e-6)*maxNorm, the way PyTorch divides a float by a tensor). A
// non-finite norm makes the coefficient NaN or 0, which PyTorch applies too
// (error_if_nonfinite is off): the gradients become NaN, and a LossScaler
// has skipped such a step anyway. It returns the norm before clipping.
func ClipGradNorm(params []Param, maxNorm float64) (float64, error) {
	total, err := GradNorm(params)
	if err != nil {
		return 0, err
	}
	// PyTorch computes max_norm / (total + 1e-6) as a Python float divided
	// by a tensor, i.e. reciprocal(total + 1e-6) * max_norm.
	coef := (1 / (total + 1e-6)) * maxNorm
	for _, p := range params {
		if p.Var == nil || p.Var.Grad == nil {
			continue
		}
		g := p.Var.Grad
		switch g.DType() {
		case tensor.F32:
			c := float32(1/float32(float32(total)+float32(1e-6))) * float32(maxNorm)
			if (c < 1 || c != c) && !g.OnHost() {
				scaleInPlace(g, float64(c))
			} else if c < 1 || c != c {
				update32(g, func(d []float32) {
					for i := range d {
						d[i] *= c
					}
				})
			}
		case tensor.F64:
			if (coef < 1 || coef != coef) && !g.OnHost() {
				scaleInPlace(g, coef)
			} else if coef < 1 || coef != coef {
				update64(g, func(d []float64) {
					for i := range d {
						d[i] *= coef
					}
				})
			}
		}
	}
	return total, nil
}
