package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"radcap/tensor"
)

// ScaledDotProductAttention is attention as one fused op, the counterpart
// of F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal=causal,
// scale=scale):
//
//	S = scale · q kᵀ + mask      [..., Tq, Tk]
//	S_ij = −∞ where causal and j > i (the top-left aligned triangle, as PyTorch)
//	P = softmax(S) over the last dim
//	O = P v                      [..., Tq, Dv]
//
// q is [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] (usually
// [B, heads, T, head_dim]); batch dims broadcast. mask is nil or an
// additive constant (no gradient) of q's dtype broadcastable to
// [..., Tq, Tk]: 0 to keep, a large negative number or −Inf to drop — a
// padding mask [B, 1, 1, Tk], a causal or GIT-style mask [B, 1, Tq, Tk].
// scale 0 means 1/√D. A row whose keys are all masked to −Inf gets zero
// weights (an output of 0) rather than NaN. The products run through
// tensor.MatMul; P (O(batch·Tq·Tk) memory) is kept for the backward:
//
//	dV = Pᵀ g,  dP = g vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),
//	dQ = scale · dS k,  dK = scale · dSᵀ q
func ScaledDotProductAttention(q, k, v *Var, mask *tensor.Tensor, causal bool, scale float64) *Var {
	return attention("ScaledDotProductAttention", q, k, v, mask, causal, scale, 0, nil)
}

// ScaledDotProductAttentionDropout is ScaledDotProductAttention with
// dropout on the attention weights, as BERT and ViT apply it in training
// (dropout_p in F.scaled_dot_product_attention): each weight of P is
// zeroed with probability p, drawn from rng, and the survivors scaled by
// 1/(1−p). p = 0 is ScaledDotProductAttention.
//
//	O = (P ⊙ M) v;  backward: dV = (P ⊙ M)ᵀ g,  dP = (g vᵀ) ⊙ M, then as above
func ScaledDotProductAttentionDropout(q, k, v *Var, mask *tensor.Tensor, causal bool, scale, p float64, rng *rand.Rand) *Var {
	if p < 0 || p > 1 {
		panic(fmt.Sprintf("autograd.ScaledDotProductAttentionDropout: probability %v outside [0, 1]", p))
	}
	return attention("ScaledDotProductAttentionDropout", q, k, v, mask, causal, scale, p, rng)
}

func attention(op string, q, k, v *Var, mask *tensor.Tensor, causal bool, scale, dropP float64, rng *rand.Rand) *Var {
	qv, kv, vv := q.Value, k.Value, v.Value
	sameDType(op, qv, kv, vv)
	floatOn(op, qv)
	if qv.Rank() < 2 || kv.Rank() < 2 || vv.Rank() < 2 || qv.Dim(-1) != kv.Dim(-1) || kv.Dim(-2) != vv.Dim(-2) {
		panic(fmt.Sprintf("autograd.%s: q %v, k %v, v %v (want [..., Tq, D], [..., Tk, D], [..., Tk, Dv])",
			op, qv.Shape(), kv.Shape(), vv.Shape()))
	}
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(qv.Dim(-1)))
	}
	if !qv.OnHost() || !kv.OnHost() || !vv.OnHost() {
		// Every operand must be on one device; a host mask is uploaded.
		return attentionDevice(op, q, k, v, mask, causal, scale, dropP, rng)
	}
	f32 := isF32(op, qv)
	tq, tk := qv.Dim(-2), kv.Dim(-2)
	p := tensor.MatMul(qv, kv, false, true) // q kᵀ, fresh and contiguous
	// Without a mask the softmax applies a positive scale itself (one pass
	// over the scores fewer); a mask is added to the scaled scores.
	softScale := scale
	if mask != nil || !(scale > 0) {
		softScale = 1
		if f32 {
			scaleInPlace(data[float32](p), scale)
		} else {
			scaleInPlace(data[float64](p), scale)
		}
	}
	if mask != nil {
		if mask.DType() != p.DType() {
			mask = mask.To(p.DType())
		}
		sh, err := tensor.BroadcastShapes(p.Shape(), mask.Shape())
		if err != nil || !sameShape(sh, p.Shape()) {
			panic(fmt.Sprintf("autograd.%s: mask %v does not broadcast to the scores %v", op, mask.Shape(), p.Shape()))
		}
		tensor.AddInto(p, mask)
	}
	if tk > 0 {
		if f32 {
			attnSoftmax(data[float32](p), tq, tk, causal, softScale)
		} else {
			attnSoftmax(data[float64](p), tq, tk, causal, softScale)
		}
	}
	// pd is the matrix multiplied with v: P, or P ⊙ M under dropout.
	pd, drop := p, (*tensor.Tensor)(nil)
	if dropP > 0 {
		drop = tensor.Zeros(p.DType(), p.Shape()...)
		pd = tensor.Zeros(p.DType(), p.Shape()...)
		if f32 {
			dropoutMask(data[float32](drop), dropP, keepScale(dropP), rng)
			mulInto(data[float32](pd), data[float32](p), data[float32](drop))
		} else {
			dropoutMask(data[float64](drop), dropP, keepScale(dropP), rng)
			mulInto(data[float64](pd), data[float64](p), data[float64](drop))
		}
	}
	out := tensor.MatMul(pd, vv, false, false)
	return record(op, out, false, func(g *tensor.Tensor) []*tensor.Tensor {
		var dq, dk, dv *tensor.Tensor
		if v.RequiresGrad {
			dv = unbroadcast(tensor.MatMul(pd, g, true, false), vv.Shape())
		}
		if q.RequiresGrad || k.RequiresGrad {
			ds := tensor.MatMul(g, vv, false, true) // dP, becomes dS in place
			if drop != nil {
				if f32 {
					d := data[float32](ds)
					mulInto(d, d, data[float32](drop))
				} else {
					d := data[float64](ds)
					mulInto(d, d, data[float64](drop))
				}
			}
			if tk > 0 {
				if f32 {
					attnSoftmaxBack(data[float32](ds), data[float32](p), tk, scale)
				} else {
					attnSoftmaxBack(data[float64](ds), data[float64](p), tk, scale)
				}
			}
			if q.RequiresGrad {
				dq = unbroadcast(tensor.MatMul(ds, kv, false, false), qv.Shape())
			}
			if k.RequiresGrad {
				dk = unbroadcast(tensor.MatMul(ds, qv, true, false), kv.Shape())
			}
		}
		return []*tensor.Tensor{dq, dk, dv}
	}, q, k, v)
}

// scaleInPlace multiplies x by s.
func scaleInPlace[T float](x []T, s float64) {
	parallelFor(len(x), 1, func(lo, hi int) {
		st := T(s)
		for i := lo; i < hi; i++ {
			x[i] *= st
		}
	})
}

// attnSoftmax replaces each row of the scores s ([rows, tk], row r being
// query r mod tq) by the softmax of scale times the row, treating keys
// j > i as −∞ when causal. A row with no finite score becomes all zeros.
// The max and the final normalisation run in T (for float32 the
// normalised weight is rounded twice, well within float32 accuracy).
func attnSoftmax[T float](s []T, tq, tk int, causal bool, scale float64) {
	parallelFor(len(s)/tk, tk*8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := s[r*tk : (r+1)*tk]
			n := tk
			if causal {
				n = min(r%tq+1, tk)
				clear(row[n:])
			}
			m := float64(maxRow(row[:n]))
			if math.IsInf(m, -1) {
				clear(row)
				continue
			}
			scaleRow(row[:n], T(1/expShiftSum(row[:n], row[:n], m, scale)))
		}
	})
}

// attnSoftmaxBack turns dP into dS = scale · P ⊙ (dP − rowsum(dP ⊙ P)) in
// place, row by row (the scale is the chain rule through S = scale·q kᵀ).
func attnSoftmaxBack[T float](dp, p []T, tk int, scale float64) {
	parallelFor(len(p)/tk, tk*4, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			d, pr := dp[r*tk:(r+1)*tk], p[r*tk:(r+1)*tk]
			dot := 0.0
			for i := range pr {
				dot += float64(d[i]) * float64(pr[i])
			}
			for i := range d {
				d[i] = T(scale * float64(pr[i]) * (float64(d[i]) - dot))
			}
		}
	})
}
