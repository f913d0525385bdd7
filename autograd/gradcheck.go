package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"radcap/tensor"
)

// GradCheckOptions tunes GradCheck; the zero value gives the defaults.
type GradCheckOptions struct {
	// Step is the finite-difference step h (default 1e-4, see GradCheck).
	Step float64
	// Tol is the largest relative error accepted (default 1e-6).
	Tol float64
	// Floor is the smallest denominator of the relative error (default
	// 1e-3): gradients smaller than Floor are held to an absolute error of
	// Tol·Floor instead, since their relative error is mostly noise.
	Floor float64
	// Seed seeds the random output weights (default 1).
	Seed uint64
	// Constant lists inputs (by index) that are not differentiated.
	Constant []int
}

// GradCheck compares the gradients the tape computes for f with finite
// differences, in float64. Float inputs are converted to float64 and
// become parameters (except those listed in opts.Constant); other inputs
// (int64 ids, say) are passed as constants. The scalar checked is
// L = Σ w ⊙ f(inputs) with fixed random weights w, so every output element
// matters. Each input element is perturbed by ±h and ±2h and the
// derivative taken with the fourth-order central difference
//
//	dL/dx ≈ (−L(x+2h) + 8L(x+h) − 8L(x−h) + L(x−2h)) / 12h,
//
// whose truncation error O(h⁴) and rounding error O(ε/h) are both near
// 1e-12 at h = 1e-4 (a plain two-point difference cannot reach a relative
// error of 1e-6 reliably). The relative error is |a − n| / max(|a|, |n|,
// Floor). GradCheck returns an error naming the worst element of the
// worst input when it exceeds Tol, or when f fails to give a float64
// output that depends on the inputs; nil otherwise.
func GradCheck(f func(inputs []*Var) *Var, inputs []*tensor.Tensor, opts *GradCheckOptions) error {
	_, err := gradCheck(f, inputs, opts)
	return err
}

// gradCheck is GradCheck, also returning the worst relative error seen.
func gradCheck(f func(inputs []*Var) *Var, inputs []*tensor.Tensor, opts *GradCheckOptions) (float64, error) {
	o := GradCheckOptions{Step: 1e-4, Tol: 1e-6, Floor: 1e-3, Seed: 1}
	if opts != nil {
		if opts.Step > 0 {
			o.Step = opts.Step
		}
		if opts.Tol > 0 {
			o.Tol = opts.Tol
		}
		if opts.Floor > 0 {
			o.Floor = opts.Floor
		}
		if opts.Seed != 0 {
			o.Seed = opts.Seed
		}
		o.Constant = opts.Constant
	}
	constant := make([]bool, len(inputs))
	for _, i := range o.Constant {
		if i >= 0 && i < len(inputs) {
			constant[i] = true
		}
	}
	// The inputs in float64, and which of them are differentiated.
	xs := make([]*tensor.Tensor, len(inputs))
	diff := make([]bool, len(inputs))
	for i, t := range inputs {
		if t.DType().IsFloat() {
			xs[i] = t.To(tensor.F64)
			diff[i] = !constant[i]
		} else {
			xs[i] = t
		}
	}
	vars := func(params bool) []*Var {
		vs := make([]*Var, len(xs))
		for i, x := range xs {
			if params && diff[i] {
				vs[i] = Param(x)
			} else {
				vs[i] = Const(x)
			}
		}
		return vs
	}

	// Analytic gradients: backward of L = Σ w ⊙ y, seeded with w.
	ps := vars(true)
	out := f(ps)
	if out.Value.DType() != tensor.F64 {
		return 0, fmt.Errorf("gradcheck: output dtype %v, want float64", out.Value.DType())
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	w := tensor.RandN(rng, tensor.F64, out.Value.Shape()...)
	if err := NewTape().BackwardWithGrad(out, w); err != nil {
		return 0, fmt.Errorf("gradcheck: %w", err)
	}
	wd := w.F64()
	y0 := out.Value.Clone().F64() // a copy: the output may be a view of an input
	// loss evaluates L(x) − L(x0) as Σ w ⊙ (y − y0), so output elements the
	// perturbation does not touch contribute exactly zero.
	loss := func() float64 {
		y := f(vars(false)).Value.Contiguous().F64()
		s := 0.0
		for k := range y {
			s += wd[k] * (y[k] - y0[k])
		}
		return s
	}

	h := o.Step
	worst, wi, wj := 0.0, -1, -1
	var wa, wn float64
	for i, x := range xs {
		if !diff[i] {
			continue
		}
		xd := x.F64() // contiguous: writes go through
		var grad []float64
		if ps[i].Grad != nil {
			grad = ps[i].Grad.Contiguous().F64()
		}
		for j := range xd {
			orig := xd[j]
			eval := func(d float64) float64 {
				xd[j] = orig + d
				return loss()
			}
			num := (-eval(2*h) + 8*eval(h) - 8*eval(-h) + eval(-2*h)) / (12 * h)
			xd[j] = orig
			a := 0.0
			if grad != nil {
				a = grad[j]
			}
			e := math.Abs(a-num) / max(math.Abs(a), math.Abs(num), o.Floor)
			if math.IsNaN(e) || math.IsNaN(a) || math.IsNaN(num) {
				e = math.Inf(1)
			}
			if e > worst || wi < 0 {
				worst, wi, wj, wa, wn = e, i, j, a, num
			}
		}
	}
	if wi >= 0 && worst > o.Tol {
		return worst, fmt.Errorf("gradcheck: input %d %v element %d: analytic %.12g, numeric %.12g, relative error %.3g > %.3g",
			wi, xs[wi].Shape(), wj, wa, wn, worst, o.Tol)
	}
	return worst, nil
}
