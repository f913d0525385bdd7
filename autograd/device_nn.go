package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"radcap/tensor"
)

// Device paths of the layer ops: attention, layer norm, embedding,
// dropout, cross entropy, Linear's bias and Patchify (see device.go).

// attentionDevice is attention on a device; shapes were checked and the
// default scale filled in by attention.
func attentionDevice(op string, q, k, v *Var, mask *tensor.Tensor, causal bool, scale, dropP float64, rng *rand.Rand) *Var {
	qv, kv, vv := q.Value, k.Value, v.Value
	deviceOf(op, qv, kv, vv)
	mask = constOn(op, mask, qv, q, k, v)
	tq, tk := qv.Dim(-2), kv.Dim(-2)
	if mask != nil && mask.DType() != qv.DType() {
		mask = mask.To(qv.DType())
	}
	var batch []int
	for _, t := range []*tensor.Tensor{qv, kv, vv} {
		sh := t.Shape()
		b, err := tensor.BroadcastShapes(batch, sh[:len(sh)-2])
		if err != nil {
			panic(fmt.Sprintf("autograd.%s: batch dims of q %v, k %v, v %v: %v", op, qv.Shape(), kv.Shape(), vv.Shape(), err))
		}
		batch = b
	}
	scores := append(append([]int{}, batch...), tq, tk)
	if mask != nil {
		sh, err := tensor.BroadcastShapes(scores, mask.Shape())
		if err != nil || !sameShape(sh, scores) {
			panic(fmt.Sprintf("autograd.%s: mask %v does not broadcast to the scores %v", op, mask.Shape(), scores))
		}
	}
	if f, ok := qv.Backend().(FusedAttention); ok && dropP == 0 {
		ex := func(t *tensor.Tensor) *tensor.Tensor {
			sh := t.Shape()
			return t.Expand(append(append([]int{}, batch...), sh[len(sh)-2:]...)...)
		}
		var me *tensor.Tensor
		if mask != nil {
			me = mask.Expand(scores...)
		}
		out, saved, err := f.FusedAttention(ex(qv), ex(kv), ex(vv), me, causal, scale)
		if !declined(op, err) {
			return record(op, out, false, func(g *tensor.Tensor) []*tensor.Tensor {
				dq, dk, dv, err := f.FusedAttentionBackward(saved, g.Contiguous())
				mustFused(op, err)
				return []*tensor.Tensor{unbroadcast(dq, qv.Shape()), unbroadcast(dk, kv.Shape()), unbroadcast(dv, vv.Shape())}
			}, q, k, v)
		}
	}
	s := tensor.MulScalar(tensor.MatMul(qv, kv, false, true), scale)
	if mask != nil {
		s = tensor.Add(s, mask)
	}
	if causal {
		s = tensor.Add(s, causalMask(s, tq, tk))
	}
	p := s
	if tk > 0 {
		// softmax over keys; a row with no finite score gets zero weights.
		m, _ := tensor.Max(s, -1, true)
		ninf := scalarOn(s, math.Inf(-1))
		zero := scalarOn(s, 0)
		e := tensor.Exp(tensor.Sub(s, tensor.Where(tensor.Equal(m, ninf), zero, m)))
		sum := tensor.Sum(e, []int{-1}, true)
		p = tensor.Where(tensor.Equal(sum, zero), zero, tensor.Div(e, sum))
	}
	pd, drop := p, (*tensor.Tensor)(nil)
	if dropP > 0 {
		drop = dropoutMaskOn(op, p, dropP, rng)
		pd = tensor.Mul(p, drop)
	}
	out := tensor.MatMul(pd, vv, false, false)
	return record(op, out, false, func(g *tensor.Tensor) []*tensor.Tensor {
		var dq, dk, dv *tensor.Tensor
		if v.RequiresGrad {
			dv = unbroadcast(tensor.MatMul(pd, g, true, false), vv.Shape())
		}
		if q.RequiresGrad || k.RequiresGrad {
			dp := tensor.MatMul(g, vv, false, true)
			if drop != nil {
				dp = tensor.Mul(dp, drop)
			}
			dot := tensor.Sum(tensor.Mul(dp, p), []int{-1}, true)
			ds := tensor.MulScalar(tensor.Mul(p, tensor.Sub(dp, dot)), scale)
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

// layerNormDevice is LayerNorm on a device; w and b were checked.
func layerNormDevice(x, w, b *Var, wv, bv *tensor.Tensor, eps float64) *Var {
	xv := x.Value.Contiguous()
	floatOn("LayerNorm", xv)
	deviceOf("LayerNorm", xv, wv, bv)
	inputs := []*Var{x, w, b}
	if f, ok := xv.Backend().(FusedLayerNorm); ok {
		y, saved, err := f.FusedLayerNorm(xv, nil, wv, bv, eps)
		if !declined("LayerNorm", err) {
			return record("LayerNorm", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
				dx, dw, db, err := f.FusedLayerNormBackward(saved, g.Contiguous())
				mustFused("LayerNorm", err)
				return []*tensor.Tensor{dx, dw, db}
			}, inputs...)
		}
	}
	// The composition runs in float64, as the CPU kernel keeps its
	// statistics, and rounds the results to the input's dtype once.
	dt := xv.DType()
	wide := func(t *tensor.Tensor) *tensor.Tensor {
		if t == nil || t.DType() == tensor.F64 {
			return t
		}
		return t.To(tensor.F64)
	}
	narrow := func(t *tensor.Tensor) *tensor.Tensor {
		if t == nil || dt == tensor.F64 {
			return t
		}
		return t.To(dt)
	}
	x64, w64, b64 := wide(xv), wide(wv), wide(bv)
	last := []int{-1}
	d := tensor.Sub(x64, tensor.Mean(x64, last, true))
	rstd := tensor.Rsqrt(tensor.AddScalar(tensor.Mean(tensor.Square(d), last, true), eps))
	xhat := tensor.Mul(d, rstd)
	y := xhat
	if w64 != nil {
		y = tensor.Mul(y, w64)
	}
	if b64 != nil {
		y = tensor.Add(y, b64)
	}
	return record("LayerNorm", narrow(y), false, func(g *tensor.Tensor) []*tensor.Tensor {
		var dx, dw, db *tensor.Tensor
		g64 := wide(g)
		if x.RequiresGrad {
			gh := g64
			if w64 != nil {
				gh = tensor.Mul(g64, w64)
			}
			mg := tensor.Mean(gh, last, true)
			mgx := tensor.Mean(tensor.Mul(gh, xhat), last, true)
			dx = narrow(tensor.Mul(rstd, tensor.Sub(tensor.Sub(gh, mg), tensor.Mul(xhat, mgx))))
		}
		if w != nil && w.RequiresGrad {
			dw = narrow(rowSum(tensor.Mul(g64, xhat)))
		}
		if b != nil && b.RequiresGrad {
			db = narrow(rowSum(g64))
		}
		return []*tensor.Tensor{dx, dw, db}
	}, inputs...)
}

// embeddingDevice is Embedding with w and ids on one device. The ids are
// not read on the host, so an id outside the table is not caught here.
func embeddingDevice(w *Var, ids *tensor.Tensor, paddingIdx int) *Var {
	wv := w.Value.Contiguous()
	floatOn("Embedding", wv)
	deviceOf("Embedding", wv)
	ids = constOn("Embedding", ids, wv, w)
	v, d := wv.Dim(0), wv.Dim(1)
	flat := ids.Reshape(-1).Contiguous()
	ysh := append(ids.Shape(), d)
	if f, ok := wv.Backend().(FusedEmbedding); ok {
		y, err := f.FusedEmbedding(wv, ids.Contiguous())
		if !declined("Embedding", err) {
			return record("Embedding", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
				dw, err := f.FusedEmbeddingBackward(g.Contiguous(), ids.Contiguous(), v, paddingIdx)
				mustFused("Embedding", err)
				return []*tensor.Tensor{dw}
			}, w)
		}
	}
	y := tensor.IndexSelectTensor(wv, 0, flat).Reshape(ysh...)
	return record("Embedding", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		dw := tensor.ZerosOn(wv.Device(), wv.DType(), v, d)
		tensor.IndexAddTensor(dw, 0, flat, g.Reshape(-1, d))
		if paddingIdx >= 0 && paddingIdx < v {
			dw.Select(0, paddingIdx).CopyFrom(tensor.ZerosOn(wv.Device(), wv.DType(), d))
		}
		return []*tensor.Tensor{dw}
	}, w)
}

// dropoutDevice is Dropout on a device: the mask is drawn there by a
// FusedDropout backend, or on the host from rng (the same draws as the
// CPU kernel) and uploaded.
func dropoutDevice(x *Var, p float64, rng *rand.Rand) *Var {
	floatOn("Dropout", x.Value)
	mask := dropoutMaskOn("Dropout", x.Value, p, rng)
	return record("Dropout", tensor.Mul(x.Value, mask), false, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Mul(g, mask)}
	}, x)
}

// crossEntropyDevice is crossEntropy with logits [n, c] and targets on one
// device; the targets are not read on the host (one out of range is not
// caught).
func crossEntropyDevice(op string, logits *Var, x, targets *tensor.Tensor, ignore int64, eps float64, mean bool) *Var {
	floatOn(op, x)
	deviceOf(op, x)
	targets = constOn(op, targets, x, logits)
	n, c := x.Dim(0), x.Dim(1)
	tg := targets.Reshape(-1).Contiguous()
	if f, ok := x.Backend().(FusedCrossEntropy); ok {
		loss, saved, err := f.FusedCrossEntropy(x, tg, ignore, eps, mean)
		if !declined(op, err) {
			return record(op, loss, false, func(g *tensor.Tensor) []*tensor.Tensor {
				dx, err := f.FusedCrossEntropyBackward(saved, g.Contiguous())
				mustFused(op, err)
				return []*tensor.Tensor{dx}
			}, logits)
		}
	}
	dt, dev := x.DType(), x.Device()
	classes := make([]float64, c)
	for i := range classes {
		classes[i] = float64(i)
	}
	tf := tg.To(dt).Reshape(n, 1)
	onehot := tensor.Equal(upload(op, tensor.FromF64(classes, 1, c).To(dt), dev), tf) // [n, c]
	keep := oneMinus(tensor.Equal(tf, scalarOn(x, float64(ignore))))                  // [n, 1]
	last := []int{-1}
	m, _ := tensor.Max(x, -1, true)
	lse := tensor.Add(m, tensor.Log(tensor.Sum(tensor.Exp(tensor.Sub(x, m)), last, true)))
	xt := tensor.Sum(tensor.Mul(x, onehot), last, true)
	rows := tensor.MulScalar(tensor.Sub(lse, xt), 1-eps)
	if eps != 0 {
		rows = tensor.Add(rows, tensor.MulScalar(tensor.Sub(lse, tensor.Mean(x, last, true)), eps))
	}
	rows = tensor.Mul(rows, keep)
	kept := tensor.Sum(keep, nil, false)
	var out *tensor.Tensor
	if mean {
		out = tensor.Div(tensor.Sum(rows, nil, false), kept)
	} else {
		out = rows.Reshape(n)
	}
	return record(op, out, false, func(g *tensor.Tensor) []*tensor.Tensor {
		var scale *tensor.Tensor // [n, 1]
		if mean {
			scale = tensor.Mul(keep, tensor.Div(g, tensor.Maximum(kept, scalarOn(x, 1))))
		} else {
			scale = tensor.Mul(keep, g.Reshape(n, 1))
		}
		p := tensor.Exp(tensor.Sub(x, lse))
		d := tensor.AddScalar(tensor.Sub(p, tensor.MulScalar(onehot, 1-eps)), -eps/float64(c))
		return []*tensor.Tensor{tensor.Mul(scale, d)}
	}, logits)
}

// patchColsDevice is im2col as views: x [B, C, H, W] to cols
// [B·Hp·Wp, C·P·P] (the whole patches only).
func patchColsDevice(geo patchGeom, x *tensor.Tensor) *tensor.Tensor {
	x = x.Narrow(2, 0, geo.Hp*geo.P).Narrow(3, 0, geo.Wp*geo.P)
	x = x.Reshape(geo.B, geo.C, geo.Hp, geo.P, geo.Wp, geo.P).Permute(0, 2, 4, 1, 3, 5)
	return x.Reshape(geo.B*geo.Hp*geo.Wp, geo.C*geo.P*geo.P)
}

// patchImageDevice is col2im: dcols back to the gradient of x.
func patchImageDevice(geo patchGeom, dcols *tensor.Tensor, like *tensor.Tensor) *tensor.Tensor {
	img := dcols.Reshape(geo.B, geo.Hp, geo.Wp, geo.C, geo.P, geo.P).Permute(0, 3, 1, 4, 2, 5).
		Reshape(geo.B, geo.C, geo.Hp*geo.P, geo.Wp*geo.P)
	if geo.Hp*geo.P == geo.H && geo.Wp*geo.P == geo.W {
		return img
	}
	dx := tensor.ZerosOn(like.Device(), like.DType(), like.Shape()...)
	dx.Narrow(2, 0, geo.Hp*geo.P).Narrow(3, 0, geo.Wp*geo.P).CopyFrom(img)
	return dx
}
