package autograd

import (
	"fmt"

	"radcap/tensor"
)

// Ops that name a pair of ops a device can fuse: on the host each is the
// composition it stands for (the same kernels, so the same numbers as
// calling the two ops), on a device it calls the backend's fused kernel
// when there is one (FusedLayerNorm with a residual, FusedGELU with a
// bias) and the composition otherwise.

// AddLayerNorm returns LayerNorm(x + residual, w, b, eps): the residual
// add and layer norm of a post-LN transformer block (BERT, GIT's decoder,
// BLIP's text layers) as one op. x and residual have one shape.
func AddLayerNorm(x, residual, w, b *Var, eps float64) *Var {
	if !sameShape(x.Shape(), residual.Shape()) {
		panic(fmt.Sprintf("autograd.AddLayerNorm: input %v and residual %v differ", x.Shape(), residual.Shape()))
	}
	if xv := x.Value; !xv.OnHost() {
		if f, ok := xv.Backend().(FusedLayerNorm); ok {
			if y := addLayerNormFused(f, x, residual, w, b, eps); y != nil {
				return y
			}
		}
	}
	return LayerNorm(Add(x, residual), w, b, eps)
}

// addLayerNormFused runs AddLayerNorm through the backend's kernel, or
// returns nil when it declines.
func addLayerNormFused(f FusedLayerNorm, x, residual, w, b *Var, eps float64) *Var {
	xv, rv := x.Value.Contiguous(), residual.Value.Contiguous()
	_, n := lastDim("AddLayerNorm", xv)
	var wv, bv *tensor.Tensor
	for i, p := range []*Var{w, b} {
		if p == nil {
			continue
		}
		t := p.Value.Contiguous()
		if t.Rank() != 1 || t.Dim(0) != n {
			panic(fmt.Sprintf("autograd.AddLayerNorm: input %v with parameter %v (want [%d])", xv.Shape(), t.Shape(), n))
		}
		sameDType("AddLayerNorm", xv, t)
		if i == 0 {
			wv = t
		} else {
			bv = t
		}
	}
	sameDType("AddLayerNorm", xv, rv)
	floatOn("AddLayerNorm", xv)
	deviceOf("AddLayerNorm", xv, rv, wv, bv)
	y, saved, err := f.FusedLayerNorm(xv, rv, wv, bv, eps)
	if declined("AddLayerNorm", err) {
		return nil
	}
	return record("AddLayerNorm", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		dx, dw, db, err := f.FusedLayerNormBackward(saved, g.Contiguous())
		mustFused("AddLayerNorm", err)
		// x and residual receive the same gradient: the residual gets a
		// copy, so the tape may accumulate into each independently.
		var dr *tensor.Tensor
		if residual.RequiresGrad {
			dr = dx.Clone()
		}
		return []*tensor.Tensor{dx, dr, dw, db}
	}, x, residual, w, b)
}

// BiasGELU returns gelu(x + bias) for the GELU variant kind, bias [n]
// broadcast over x [..., n]: a Linear's bias folded into the activation
// that follows it.
func BiasGELU(x, bias *Var, kind GELUKind) *Var {
	act := map[GELUKind]func(*Var) *Var{ActGELU: GELU, ActGELUTanh: GELUTanh, ActQuickGELU: QuickGELU}[kind]
	if act == nil {
		panic(fmt.Sprintf("autograd.BiasGELU: unknown GELU kind %d", kind))
	}
	if b := bias.Value; b.Rank() != 1 || x.Value.Rank() < 1 || x.Value.Dim(-1) != b.Dim(0) {
		panic(fmt.Sprintf("autograd.BiasGELU: input %v and bias %v (want [..., n] and [n])", x.Shape(), b.Shape()))
	}
	if xv := x.Value; !xv.OnHost() {
		if f, ok := xv.Backend().(FusedGELU); ok {
			xc, bc := xv.Contiguous(), bias.Value.Contiguous()
			sameDType("BiasGELU", xc, bc)
			floatOn("BiasGELU", xc)
			deviceOf("BiasGELU", xc, bc)
			y, saved, err := f.FusedGELU(kind, xc, bc)
			if !declined("BiasGELU", err) {
				return record("BiasGELU", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
					dx, db, err := f.FusedGELUBackward(saved, g.Contiguous())
					mustFused("BiasGELU", err)
					return []*tensor.Tensor{dx, db}
				}, x, bias)
			}
		}
	}
	return act(Add(x, bias))
}
