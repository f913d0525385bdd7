//go:build cgo

package cuda

import (
	"fmt"

	"radcap/autograd"
	"radcap/tensor"
)

// The autograd fused interfaces on the CUDA backend: each forward checks
// that the kernels take its operands (else autograd.ErrNotFused, and
// autograd composes the op from tensor ops on the device), allocates its
// results as device tensors (freed by the garbage collector like any
// other) and keeps what the backward needs in its saved value.

var (
	_ autograd.FusedAttention    = (*Backend)(nil)
	_ autograd.FusedLayerNorm    = (*Backend)(nil)
	_ autograd.FusedGELU         = (*Backend)(nil)
	_ autograd.FusedSoftmax      = (*Backend)(nil)
	_ autograd.FusedCrossEntropy = (*Backend)(nil)
	_ autograd.FusedEmbedding    = (*Backend)(nil)
	_ tensor.Backend             = (*Backend)(nil)
)

// kernelType says whether the kernels store dt (f32, f16, bf16).
func kernelType(dt tensor.DType) bool {
	return dt == tensor.F32 || dt == tensor.F16 || dt == tensor.BF16
}

// empty allocates a contiguous device tensor.
func (b *Backend) empty(dt tensor.DType, shape ...int) *tensor.Tensor {
	return tensor.EmptyOn(BackendName, dt, shape...)
}

// zeros allocates a zeroed contiguous device tensor.
func (b *Backend) zeros(dt tensor.DType, shape ...int) (*tensor.Tensor, error) {
	t := b.empty(dt, shape...)
	return t, b.Fill(t, 0)
}

// buf is t's buffer advanced to t's offset (t contiguous).
func buf(t *tensor.Tensor) *Buffer {
	if t == nil {
		return nil
	}
	b, err := buffer(t.Handle())
	if err != nil {
		panic(err) // only tensors of this backend reach here
	}
	return b.at(t.Offset(), t.DType())
}

// likeLayout allocates a tensor with t's shape, strides and offset (a
// storage as long as t's), so a kernel that writes through t's layout can
// write the gradient of t.
func (b *Backend) likeLayout(t *tensor.Tensor) *tensor.Tensor {
	if t.IsContiguous() && t.Offset() == 0 {
		return b.empty(t.DType(), t.Shape()...)
	}
	s := b.empty(t.DType(), t.StorageLen())
	return tensor.AsStrided(s, t.Shape(), t.Strides(), t.Offset())
}

// rowsOf splits a contiguous [..., n] tensor into rows of n.
func rowsOf(t *tensor.Tensor) (rows, n int) {
	n = t.Dim(-1)
	if n == 0 {
		return 0, 0
	}
	return t.Numel() / n, n
}

type attnSaved struct {
	args    AttentionArgs
	plan    attnPlan
	q, k, v *tensor.Tensor
	mask    *tensor.Tensor
	out     *tensor.Tensor
	lse     *tensor.Tensor
}

// FusedAttention runs the flash-style forward (see kernels/attention.cu).
func (b *Backend) FusedAttention(q, k, v, mask *tensor.Tensor, causal bool, scale float64) (*tensor.Tensor, any, error) {
	dt := q.DType()
	if !kernelType(dt) || (mask != nil && mask.DType() != dt) || scale == 0 { // the kernels read scale 0 as 1/√D
		return nil, nil, autograd.ErrNotFused
	}
	var ml *strided
	if mask != nil {
		l := layoutOf(mask)
		ml = &l
	}
	p, reason := planAttention(layoutOf(q), layoutOf(k), layoutOf(v), ml)
	if reason != "" {
		return nil, nil, autograd.ErrNotFused
	}
	out := b.empty(dt, p.outShape...)
	lse := b.empty(tensor.F32, p.b*p.h*p.tq)
	qb, _ := buffer(q.Handle())
	kb, _ := buffer(k.Handle())
	vb, _ := buffer(v.Handle())
	a := AttentionArgs{DType: dt, B: p.b, H: p.h, Tq: p.tq, Tk: p.tk, D: p.d,
		Q: qb.at(p.qOff, dt), K: kb.at(p.kOff, dt), V: vb.at(p.vOff, dt), O: buf(out), LSE: buf(lse),
		QL: p.q, KL: p.k, VL: p.v, OL: HeadLayout{Batch: p.h * p.tq * p.d, Head: p.tq * p.d, Row: p.d},
		Scale: float32(scale)}
	if causal {
		a.Mask = MaskCausal
	}
	if mask != nil {
		mb, _ := buffer(mask.Handle())
		a.Add, a.AddL = mb.at(p.maskOff, dt), p.mask
	}
	if err := b.d.Attention(a); err != nil {
		return nil, nil, err
	}
	return out, &attnSaved{args: a, plan: p, q: q, k: k, v: v, mask: mask, out: out, lse: lse}, nil
}

// FusedAttentionBackward runs the three backward kernels; dq, dk and dv
// have q's, k's and v's layouts (views of fresh storage).
func (b *Backend) FusedAttentionBackward(saved any, g *tensor.Tensor) (dq, dk, dv *tensor.Tensor, err error) {
	s, ok := saved.(*attnSaved)
	if !ok {
		return nil, nil, nil, fmt.Errorf("cuda: FusedAttentionBackward: saved value of type %T", saved)
	}
	if !g.IsContiguous() {
		g = g.Contiguous()
	}
	dt := s.args.DType
	dq, dk, dv = b.likeLayout(s.q), b.likeLayout(s.k), b.likeLayout(s.v)
	dqb, _ := buffer(dq.Handle())
	dkb, _ := buffer(dk.Handle())
	dvb, _ := buffer(dv.Handle())
	ga := AttentionGradArgs{AttentionArgs: s.args, GO: buf(g),
		DQ: dqb.at(s.plan.qOff, dt), DK: dkb.at(s.plan.kOff, dt), DV: dvb.at(s.plan.vOff, dt)}
	if err := b.d.AttentionGrad(ga); err != nil {
		return nil, nil, nil, err
	}
	return dq, dk, dv, nil
}

type lnSaved struct {
	h, w       *tensor.Tensor // the normalised input (x or x + residual), the weight
	mean, rstd *tensor.Tensor
	hasB       bool
	rows, n    int
}

// FusedLayerNorm runs the residual add + layer norm forward.
func (b *Backend) FusedLayerNorm(x, residual, w, bias *tensor.Tensor, eps float64) (*tensor.Tensor, any, error) {
	dt := x.DType()
	if !kernelType(dt) || (w != nil && w.DType() != dt) || (bias != nil && bias.DType() != dt) ||
		!x.IsContiguous() || (residual != nil && (!residual.IsContiguous() || residual.DType() != dt)) ||
		(w != nil && !w.IsContiguous()) || (bias != nil && !bias.IsContiguous()) {
		return nil, nil, autograd.ErrNotFused
	}
	rows, n := rowsOf(x)
	if rows == 0 {
		return nil, nil, autograd.ErrNotFused
	}
	y := b.empty(dt, x.Shape()...)
	mean, rstd := b.empty(tensor.F32, rows), b.empty(tensor.F32, rows)
	h := x
	a := LayerNormArgs{DType: dt, Rows: rows, C: n, X: buf(x), W: buf(w), B: buf(bias), Y: buf(y),
		Mean: buf(mean), Rstd: buf(rstd), Eps: float32(eps)}
	if residual != nil {
		h = b.empty(dt, x.Shape()...)
		a.R, a.H = buf(residual), buf(h)
	}
	if err := b.d.LayerNorm(a); err != nil {
		return nil, nil, err
	}
	return y, &lnSaved{h: h, w: w, mean: mean, rstd: rstd, hasB: bias != nil, rows: rows, n: n}, nil
}

// FusedLayerNormBackward returns dx (also the residual's gradient), dw, db.
func (b *Backend) FusedLayerNormBackward(saved any, g *tensor.Tensor) (dx, dw, db *tensor.Tensor, err error) {
	s, ok := saved.(*lnSaved)
	if !ok {
		return nil, nil, nil, fmt.Errorf("cuda: FusedLayerNormBackward: saved value of type %T", saved)
	}
	if !g.IsContiguous() {
		g = g.Contiguous()
	}
	dt := s.h.DType()
	dx = b.empty(dt, s.h.Shape()...)
	a := LayerNormGradArgs{DType: dt, Rows: s.rows, C: s.n, DY: buf(g), H: buf(s.h), W: buf(s.w),
		Mean: buf(s.mean), Rstd: buf(s.rstd), DH: buf(dx)}
	var dw32, db32 *tensor.Tensor
	if s.w != nil {
		if dw32, err = b.zeros(tensor.F32, s.n); err != nil {
			return nil, nil, nil, err
		}
		a.DW = buf(dw32)
	}
	if s.hasB {
		if db32, err = b.zeros(tensor.F32, s.n); err != nil {
			return nil, nil, nil, err
		}
		a.DB = buf(db32)
	}
	if err := b.d.LayerNormGrad(a); err != nil {
		return nil, nil, nil, err
	}
	if dw32 != nil {
		dw = dw32.To(dt)
	}
	if db32 != nil {
		db = db32.To(dt)
	}
	return dx, dw, db, nil
}

type geluSaved struct {
	x, bias *tensor.Tensor
	kind    GELUKind
	rows, n int
}

// geluKind maps autograd's GELU variants onto the kernel's.
func geluKind(k autograd.GELUKind) (GELUKind, bool) {
	switch k {
	case autograd.ActGELU:
		return GELUErf, true
	case autograd.ActGELUTanh:
		return GELUTanh, true
	case autograd.ActQuickGELU:
		return GELUQuick, true
	}
	return 0, false
}

// FusedGELU runs bias + GELU.
func (b *Backend) FusedGELU(kind autograd.GELUKind, x, bias *tensor.Tensor) (*tensor.Tensor, any, error) {
	k, ok := geluKind(kind)
	dt := x.DType()
	if !ok || !kernelType(dt) || !x.IsContiguous() || (bias != nil && (bias.DType() != dt || !bias.IsContiguous())) {
		return nil, nil, autograd.ErrNotFused
	}
	rows, n := rowsOf(x)
	if rows == 0 {
		return nil, nil, autograd.ErrNotFused
	}
	y := b.empty(dt, x.Shape()...)
	if err := b.d.GELU(GELUArgs{DType: dt, Rows: rows, C: n, Kind: k, X: buf(x), Bias: buf(bias), Y: buf(y)}); err != nil {
		return nil, nil, err
	}
	return y, &geluSaved{x: x, bias: bias, kind: k, rows: rows, n: n}, nil
}

// FusedGELUBackward returns dx and the bias gradient.
func (b *Backend) FusedGELUBackward(saved any, g *tensor.Tensor) (dx, dbias *tensor.Tensor, err error) {
	s, ok := saved.(*geluSaved)
	if !ok {
		return nil, nil, fmt.Errorf("cuda: FusedGELUBackward: saved value of type %T", saved)
	}
	if !g.IsContiguous() {
		g = g.Contiguous()
	}
	dt := s.x.DType()
	dx = b.empty(dt, s.x.Shape()...)
	a := GELUArgs{DType: dt, Rows: s.rows, C: s.n, Kind: s.kind, X: buf(s.x), Bias: buf(s.bias)}
	if err := b.d.GELUGrad(a, buf(g), buf(dx)); err != nil {
		return nil, nil, err
	}
	if s.bias != nil {
		db32, err := b.zeros(tensor.F32, s.n)
		if err != nil {
			return nil, nil, err
		}
		if err := b.d.SumRows(buf(dx), dt, s.rows, s.n, buf(db32)); err != nil {
			return nil, nil, err
		}
		dbias = db32.To(dt)
	}
	return dx, dbias, nil
}

type softmaxSaved struct {
	y       *tensor.Tensor
	log     bool
	rows, n int
}

// FusedSoftmax runs softmax or log-softmax over the last dim.
func (b *Backend) FusedSoftmax(x *tensor.Tensor, log bool) (*tensor.Tensor, any, error) {
	dt := x.DType()
	if !kernelType(dt) || !x.IsContiguous() {
		return nil, nil, autograd.ErrNotFused
	}
	rows, n := rowsOf(x)
	if rows == 0 {
		return nil, nil, autograd.ErrNotFused
	}
	y := b.empty(dt, x.Shape()...)
	if err := b.d.Softmax(dt, buf(x), buf(y), rows, n, 1, log); err != nil {
		return nil, nil, err
	}
	return y, &softmaxSaved{y: y, log: log, rows: rows, n: n}, nil
}

// FusedSoftmaxBackward returns dx from the saved output.
func (b *Backend) FusedSoftmaxBackward(saved any, g *tensor.Tensor) (*tensor.Tensor, error) {
	s, ok := saved.(*softmaxSaved)
	if !ok {
		return nil, fmt.Errorf("cuda: FusedSoftmaxBackward: saved value of type %T", saved)
	}
	if !g.IsContiguous() {
		g = g.Contiguous()
	}
	dt := s.y.DType()
	dx := b.empty(dt, s.y.Shape()...)
	return dx, b.d.SoftmaxGrad(dt, buf(s.y), buf(g), buf(dx), s.rows, s.n, 1, s.log)
}

type ceSaved struct {
	args            CrossEntropyArgs
	logits, targets *tensor.Tensor
	lse, stats      *tensor.Tensor
}

// FusedCrossEntropy runs the mean cross entropy (per-row losses are left
// to autograd's composition).
func (b *Backend) FusedCrossEntropy(logits, targets *tensor.Tensor, ignore int64, smoothing float64, mean bool) (*tensor.Tensor, any, error) {
	dt := logits.DType()
	if !mean || !kernelType(dt) || logits.Rank() != 2 || !logits.IsContiguous() || !targets.IsContiguous() ||
		targets.DType() != tensor.I64 || logits.Dim(0) == 0 || logits.Dim(1) == 0 {
		return nil, nil, autograd.ErrNotFused
	}
	n, v := logits.Dim(0), logits.Dim(1)
	lse := b.empty(tensor.F32, n)
	stats := b.empty(tensor.F32, 3) // loss sum (f32), kept count (i32 bits), mean (f32)
	a := CrossEntropyArgs{DType: dt, N: n, V: v, Logits: buf(logits), Targets: buf(targets), Ignore: ignore,
		Smoothing: float32(smoothing), LSE: buf(lse), Stats: buf(stats)}
	if err := b.d.CrossEntropy(a); err != nil {
		return nil, nil, err
	}
	loss := tensor.AsStrided(stats, []int{}, []int{}, 2)
	if dt != tensor.F32 {
		loss = loss.To(dt)
	}
	return loss, &ceSaved{args: a, logits: logits, targets: targets, lse: lse, stats: stats}, nil
}

// FusedCrossEntropyBackward returns dlogits for the 0-d loss gradient g,
// which stays on the device.
func (b *Backend) FusedCrossEntropyBackward(saved any, g *tensor.Tensor) (*tensor.Tensor, error) {
	s, ok := saved.(*ceSaved)
	if !ok {
		return nil, fmt.Errorf("cuda: FusedCrossEntropyBackward: saved value of type %T", saved)
	}
	if g.DType() != tensor.F32 {
		g = g.To(tensor.F32)
	}
	if g.Numel() != 1 {
		return nil, fmt.Errorf("cuda: FusedCrossEntropyBackward: gradient of shape %v (want a scalar)", g.Shape())
	}
	d := b.empty(s.args.DType, s.logits.Shape()...)
	return d, b.d.CrossEntropyGradDev(s.args, buf(d), buf(g))
}

// FusedEmbedding looks up the rows of w at ids.
func (b *Backend) FusedEmbedding(w, ids *tensor.Tensor) (*tensor.Tensor, error) {
	dt := w.DType()
	if !kernelType(dt) || w.Rank() != 2 || !w.IsContiguous() || !ids.IsContiguous() || ids.DType() != tensor.I64 ||
		ids.Numel() == 0 || w.Numel() == 0 {
		return nil, autograd.ErrNotFused
	}
	v, c := w.Dim(0), w.Dim(1)
	y := b.empty(dt, append(ids.Shape(), c)...)
	err := b.d.Embedding(EmbeddingArgs{DType: dt, N: ids.Numel(), V: v, C: c, W: buf(w), IDs: buf(ids), Y: buf(y)})
	return y, err
}

// FusedEmbeddingBackward sums g's rows into dw [v, D] by id (fp32
// atomics), except the row paddingIdx.
func (b *Backend) FusedEmbeddingBackward(g, ids *tensor.Tensor, v int, paddingIdx int) (*tensor.Tensor, error) {
	dt := g.DType()
	if !kernelType(dt) || ids.DType() != tensor.I64 || ids.Numel() == 0 {
		return nil, autograd.ErrNotFused
	}
	if !g.IsContiguous() {
		g = g.Contiguous()
	}
	if !ids.IsContiguous() {
		ids = ids.Contiguous()
	}
	c := g.Dim(-1)
	dw, err := b.zeros(tensor.F32, v, c)
	if err != nil {
		return nil, err
	}
	a := EmbeddingArgs{DType: dt, N: ids.Numel(), V: v, C: c, IDs: buf(ids)}
	if err := b.d.EmbeddingGrad(a, buf(g), buf(dw), paddingIdx); err != nil {
		return nil, err
	}
	if dt != tensor.F32 {
		dw = dw.To(dt)
	}
	return dw, nil
}
