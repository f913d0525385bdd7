package optim

import (
	"errors"
	"fmt"
	"math"

	"radcap/autograd"
	"radcap/tensor"
)

// Parameters on a device.
//
// The CPU kernels of this package read and write host storage. For a
// parameter whose Value lives on a device (tensor.Backend), every update is
// written with tensor operations instead, which run on the parameter's
// device: the moments are created there, the step, clipping, zeroing and
// unscaling never copy a gradient or a parameter back to the host. The
// only values that cross are the scalars the host must decide on, each an
// explicit ToDevice("cpu"): the per-parameter sums of squares of the
// gradient norm (one small vector per step) and the loss scaler's
// inf/NaN flag (one value per step).
//
// The tensor operations are those of the CPU kernels, in their order, with
// the scalar factors rounded to the parameter's dtype: on a backend whose
// element-wise ops round like the CPU's (the emulator), a device step
// equals the host step bit for bit.

// FusedAdamW is an optional interface of a tensor.Backend: one AdamW update
// of many parameters in one launch. Step offers it the parameters of a
// device (those with a gradient) before composing the update from tensor
// ops; returning autograd.ErrNotFused declines, any other error fails the
// step. For parameter i, with t = steps[i] (already counted for this step)
// and wd = weightDecay[i], the update is torch.optim.AdamW's:
//
//	p = p*(1-lr*wd); m = m*beta1 + (1-beta1)*g; v = v*beta2 + (1-beta2)*g*g
//	p = p - lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)
//
// in place on params[i], expAvg[i] and expAvgSq[i] (the moments are the
// optimizer's own contiguous tensors on the device, zero before the first
// step; a parameter may be a strided view).
type FusedAdamW interface {
	FusedAdamW(params, grads, expAvg, expAvgSq []*tensor.Tensor, steps []int64, weightDecay []float64,
		lr, beta1, beta2, eps float64) error
}

// devItem is one device parameter's share of a Step.
type devItem struct {
	p  Param
	st *paramState
	c  coeffs
	wd float64
}

// stepDevice applies the step to the device parameters of items, grouped
// by device in their order: the backend's FusedAdamW when it has one and
// accepts, tensor ops otherwise.
func (o *AdamW) stepDevice(items []devItem, lr float64) error {
	var order []string
	byDev := map[string][]devItem{}
	for _, it := range items {
		d := it.p.Var.Value.Device()
		if _, ok := byDev[d]; !ok {
			order = append(order, d)
		}
		byDev[d] = append(byDev[d], it)
	}
	for _, d := range order {
		its := byDev[d]
		if f, ok := its[0].p.Var.Value.Backend().(FusedAdamW); ok {
			n := len(its)
			ps, gs, ms, vs := make([]*tensor.Tensor, n), make([]*tensor.Tensor, n), make([]*tensor.Tensor, n), make([]*tensor.Tensor, n)
			steps, wds := make([]int64, n), make([]float64, n)
			for i, it := range its {
				ps[i], gs[i], ms[i], vs[i] = it.p.Var.Value, it.p.Var.Grad, it.st.expAvg, it.st.expAvgSq
				steps[i], wds[i] = it.st.step, it.wd
			}
			err := f.FusedAdamW(ps, gs, ms, vs, steps, wds, lr, o.opts.Beta1, o.opts.Beta2, o.opts.Eps)
			if err == nil {
				continue
			}
			if !errors.Is(err, autograd.ErrNotFused) {
				return fmt.Errorf("optim: fused AdamW on %s: %w", d, err)
			}
		}
		for _, it := range its {
			it.st.expAvg, it.st.expAvgSq = it.c.applyOps(it.p.Var.Value, it.p.Var.Grad, it.st.expAvg, it.st.expAvgSq)
		}
	}
	return nil
}

// scalarFor returns s as the tensor ops of a dtype-dt kernel see it: rounded
// to float32 for float32 tensors, as the CPU kernel rounds its factors.
func scalarFor(dt tensor.DType, s float64) float64 {
	if dt == tensor.F64 {
		return s
	}
	return float64(float32(s))
}

// applyOps is the AdamW update of apply written with tensor operations (so
// it runs on p's device), in the CPU kernel's order of operations and
// roundings. p is updated in place; the new moments are returned.
func (c coeffs) applyOps(p, g, m, v *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor) {
	dt, dev := p.DType(), p.Device()
	s := func(x float64) float64 { return scalarFor(dt, x) }
	pd := p
	if c.decay != 1 {
		pd = tensor.MulScalar(p, s(c.decay))
	}
	m = tensor.Add(tensor.MulScalar(m, s(c.b1)), tensor.MulScalar(g, s(c.a1)))
	v = tensor.Add(tensor.MulScalar(v, s(c.b2)), tensor.Mul(tensor.MulScalar(g, s(c.a2)), g))
	denom := tensor.Div(tensor.Sqrt(v), tensor.FullOn(dev, dt, c.bc2Sqrt))
	denom = tensor.AddScalar(denom, s(c.eps))
	upd := tensor.Div(tensor.MulScalar(m, s(c.negStep)), denom)
	p.CopyFrom(tensor.Add(pd, upd))
	return m, v
}

// deviceSumSquares returns, for each gradient in gs (all on one device),
// the sum of the squares of its elements, with one download for all of
// them. Where the backend computes in float64 (the emulator), the squares
// and sums are float64, which is what sumSquares computes on the host (so
// the norm equals the host's); otherwise (cuda's element-wise ops and
// reductions take float32, float16 and bfloat16) each sum is a float32
// reduction of float32 squares, as the backend accumulates it.
func deviceSumSquares(gs []*tensor.Tensor) ([]float64, error) {
	wide := computesFloat64(gs[0].Device())
	parts := make([]*tensor.Tensor, len(gs))
	for i, g := range gs {
		x := g
		if wide && g.DType() != tensor.F64 {
			x = g.To(tensor.F64)
		} else if !wide && g.DType() != tensor.F32 {
			x = g.To(tensor.F32)
		}
		parts[i] = tensor.Sum(tensor.Square(x), nil, false).Reshape(1)
	}
	all := parts[0]
	if len(parts) > 1 {
		all = tensor.Concat(0, parts...)
	}
	h, err := all.ToDevice("cpu")
	if err != nil {
		return nil, fmt.Errorf("optim: download the gradient norms: %w", err)
	}
	return h.Float64s(), nil
}

// computesFloat64 reports whether device squares and sums float64 tensors:
// it tries on one element. A backend that does not returns an error for
// the dtype before running anything, which package tensor raises as a
// panic; that panic is the answer "no".
func computesFloat64(device string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	tensor.Sum(tensor.Square(tensor.ZerosOn(device, tensor.F64, 1)), nil, false)
	return true
}

// sumSquaresAll returns sumSquares of every non-nil gradient of params (in
// order, nil gradients skipped), downloading one vector per device for
// the gradients that live on one.
func sumSquaresAll(params []Param) ([]float64, []Param, error) {
	var ps []Param
	for _, p := range params {
		if p.Var == nil || p.Var.Grad == nil {
			continue
		}
		if dt := p.Var.Grad.DType(); dt != tensor.F32 && dt != tensor.F64 {
			return nil, nil, fmt.Errorf("optim: gradient of %q has dtype %v; clipping works on float32 or float64", p.Name, dt)
		}
		ps = append(ps, p)
	}
	out := make([]float64, len(ps))
	devIdx := map[string][]int{}
	var order []string
	for i, p := range ps {
		g := p.Var.Grad
		if g.OnHost() {
			if g.DType() == tensor.F32 {
				out[i] = sumSquares(g.F32())
			} else {
				out[i] = sumSquares(g.F64())
			}
			continue
		}
		d := g.Device()
		if _, ok := devIdx[d]; !ok {
			order = append(order, d)
		}
		devIdx[d] = append(devIdx[d], i)
	}
	for _, d := range order {
		idx := devIdx[d]
		gs := make([]*tensor.Tensor, len(idx))
		for k, i := range idx {
			gs[k] = ps[i].Var.Grad
		}
		s, err := deviceSumSquares(gs)
		if err != nil {
			return nil, nil, err
		}
		for k, i := range idx {
			out[i] = s[k]
		}
	}
	return out, ps, nil
}

// scaleInPlace multiplies a device tensor by c (already rounded to its
// dtype) in place.
func scaleInPlace(t *tensor.Tensor, c float64) {
	t.CopyFrom(tensor.MulScalar(t, c))
}

// zeroDevice sets a device tensor to zero in place.
func zeroDevice(t *tensor.Tensor) {
	t.CopyFrom(tensor.ZerosOn(t.Device(), t.DType(), t.Shape()...))
}

// unscaleDevice multiplies the device gradients gs by inv in place and
// reports whether any element (before the multiplication) was inf or NaN,
// downloading one flag for all of them.
func unscaleDevice(gs []*tensor.Tensor, inv float64) (bool, error) {
	flags := make([]*tensor.Tensor, len(gs))
	for i, g := range gs {
		// |x| > MaxFloat64 is true for ±inf; x != x for NaN: finite
		// elements give 0, so the sum is nonzero exactly when one is not.
		a := tensor.Abs(g)
		bad := tensor.Add(tensor.Greater(a, tensor.FullOn(g.Device(), g.DType(), maxFinite(g.DType()))),
			tensor.Sub(tensor.FullOn(g.Device(), g.DType(), 1), tensor.Equal(g, g)))
		flags[i] = tensor.Sum(bad, nil, false).Reshape(1)
		scaleInPlace(g, scalarFor(g.DType(), inv))
	}
	all := flags[0]
	if len(flags) > 1 {
		all = tensor.Concat(0, flags...)
	}
	h, err := all.ToDevice("cpu")
	if err != nil {
		return false, fmt.Errorf("optim: download the inf/NaN check: %w", err)
	}
	for _, x := range h.Float64s() {
		if x != 0 {
			return true, nil
		}
	}
	return false, nil
}

// maxFinite is the largest finite value of a float dtype.
func maxFinite(dt tensor.DType) float64 {
	if dt == tensor.F64 {
		return math.MaxFloat64
	}
	return math.MaxFloat32
}
