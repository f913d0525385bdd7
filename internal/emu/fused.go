package emu

import (
	"fmt"

	"radcap/autograd"
	"radcap/tensor"
)

// Fused is the emulator with every optional fused interface of package
// autograd. Each fused op runs autograd's own CPU op on host copies of its
// operands, recording a private tape, and its backward replays that tape:
// so the device results equal the CPU's exactly.
type Fused struct {
	*Backend
}

// New returns the emulator named "emu", with fused kernels.
func New() *Fused { return &Fused{&Backend{name: Name}} }

// Register registers New() (or, with plain, NewPlain()) with package tensor
// and returns the backend registered under that name. Calling it again
// returns the one registered first, so tests of several packages can all
// call it.
func Register(plain bool) (tensor.Backend, error) {
	name := Name
	if plain {
		name = PlainName
	}
	if b, err := tensor.LookupBackend(name); err == nil {
		return b, nil
	}
	var b tensor.Backend = New()
	if plain {
		b = NewPlain()
	}
	if err := tensor.RegisterBackend(b); err != nil {
		// Another goroutine won the race: use its backend.
		if got, lerr := tensor.LookupBackend(name); lerr == nil {
			return got, nil
		}
		return nil, err
	}
	return b, nil
}

// host returns a contiguous host copy of a device tensor (nil for nil),
// widened to float32 when it is half precision (autograd's CPU ops compute
// in F32 and F64; the results are rounded back by upload).
func host(t *tensor.Tensor) *tensor.Tensor {
	if t == nil {
		return nil
	}
	if isHalf(t.DType()) {
		return view(t).To(tensor.F32)
	}
	return view(t).Clone()
}

// upload puts a host tensor on f as a new device tensor of dtype dt
// (owned by f, the backend registered under the name, not by its embedded
// Backend).
func (f *Fused) upload(t *tensor.Tensor, dt tensor.DType) *tensor.Tensor {
	if t == nil {
		return nil
	}
	h, err := f.Alloc(dt, t.Numel())
	if err != nil {
		panic(err)
	}
	out := tensor.FromHandle(f, h, dt, t.Numel(), t.Shape()...)
	put(out, t)
	return out
}

// param wraps a host copy of t as a leaf that wants a gradient.
func param(t *tensor.Tensor) *autograd.Var {
	if t == nil {
		return nil
	}
	return autograd.Param(host(t))
}

// replay is a fused op's saved state: the host output, the leaves whose
// gradients the backward returns, and the device dtype of each leaf.
type replay struct {
	out    *autograd.Var
	leaves []*autograd.Var
	dts    []tensor.DType
}

// newReplay records out's leaves with the dtypes of the device tensors
// they copy (devs[i] may be nil for a nil leaf).
func newReplay(out *autograd.Var, leaves []*autograd.Var, devs ...*tensor.Tensor) *replay {
	r := &replay{out: out, leaves: leaves, dts: make([]tensor.DType, len(devs))}
	for i, d := range devs {
		if d != nil {
			r.dts[i] = d.DType()
		}
	}
	return r
}

// backward runs the private tape from g and returns the leaves' gradients
// on the device (nil for nil leaves).
func (f *Fused) backward(saved any, g *tensor.Tensor) []*tensor.Tensor {
	r := saved.(*replay)
	tp := autograd.NewTape()
	if err := tp.BackwardWithGrad(r.out, host(g)); err != nil {
		panic(fmt.Sprintf("emu: fused backward: %v", err))
	}
	out := make([]*tensor.Tensor, len(r.leaves))
	for i, l := range r.leaves {
		if l == nil {
			continue
		}
		if l.Grad == nil {
			l.Grad = tensor.Zeros(l.DType(), l.Shape()...)
		}
		out[i] = f.upload(l.Grad, r.dts[i])
	}
	return out
}

// FusedAttention runs autograd.ScaledDotProductAttention on host copies.
func (f *Fused) FusedAttention(q, k, v, mask *tensor.Tensor, causal bool, scale float64) (*tensor.Tensor, any, error) {
	pq, pk, pv := param(q), param(k), param(v)
	out := autograd.ScaledDotProductAttention(pq, pk, pv, host(mask), causal, scale)
	return f.upload(out.Value, q.DType()), newReplay(out, []*autograd.Var{pq, pk, pv}, q, k, v), nil
}

// FusedAttentionBackward replays the attention's tape.
func (f *Fused) FusedAttentionBackward(saved any, g *tensor.Tensor) (dq, dk, dv *tensor.Tensor, err error) {
	gs := f.backward(saved, g)
	return gs[0], gs[1], gs[2], nil
}

// FusedLayerNorm runs autograd.LayerNorm (after autograd.Add of the
// residual) on host copies.
func (f *Fused) FusedLayerNorm(x, residual, w, b *tensor.Tensor, eps float64) (*tensor.Tensor, any, error) {
	px, pw, pb := param(x), param(w), param(b)
	in := px
	if residual != nil {
		in = autograd.Add(px, autograd.Const(host(residual)))
	}
	out := autograd.LayerNorm(in, pw, pb, eps)
	return f.upload(out.Value, x.DType()), newReplay(out, []*autograd.Var{px, pw, pb}, x, w, b), nil
}

// FusedLayerNormBackward replays the layer norm's tape.
func (f *Fused) FusedLayerNormBackward(saved any, g *tensor.Tensor) (dx, dw, db *tensor.Tensor, err error) {
	gs := f.backward(saved, g)
	return gs[0], gs[1], gs[2], nil
}

// FusedGELU runs the GELU variant (after the bias add) on host copies.
func (f *Fused) FusedGELU(kind autograd.GELUKind, x, bias *tensor.Tensor) (*tensor.Tensor, any, error) {
	px, pb := param(x), param(bias)
	in := px
	if pb != nil {
		in = autograd.Add(px, pb)
	}
	var out *autograd.Var
	switch kind {
	case autograd.ActGELU:
		out = autograd.GELU(in)
	case autograd.ActGELUTanh:
		out = autograd.GELUTanh(in)
	case autograd.ActQuickGELU:
		out = autograd.QuickGELU(in)
	default:
		return nil, nil, autograd.ErrNotFused
	}
	return f.upload(out.Value, x.DType()), newReplay(out, []*autograd.Var{px, pb}, x, bias), nil
}

// FusedGELUBackward replays the GELU's tape.
func (f *Fused) FusedGELUBackward(saved any, g *tensor.Tensor) (dx, dbias *tensor.Tensor, err error) {
	gs := f.backward(saved, g)
	return gs[0], gs[1], nil
}

// FusedSoftmax runs autograd.Softmax or LogSoftmax over the last dim.
func (f *Fused) FusedSoftmax(x *tensor.Tensor, log bool) (*tensor.Tensor, any, error) {
	px := param(x)
	var out *autograd.Var
	if log {
		out = autograd.LogSoftmax(px, -1)
	} else {
		out = autograd.Softmax(px, -1)
	}
	return f.upload(out.Value, x.DType()), newReplay(out, []*autograd.Var{px}, x), nil
}

// FusedSoftmaxBackward replays the softmax's tape.
func (f *Fused) FusedSoftmaxBackward(saved any, g *tensor.Tensor) (*tensor.Tensor, error) {
	return f.backward(saved, g)[0], nil
}

// FusedCrossEntropy runs autograd.CrossEntropy (or CrossEntropyRows).
func (f *Fused) FusedCrossEntropy(logits, targets *tensor.Tensor, ignore int64, smoothing float64, mean bool) (*tensor.Tensor, any, error) {
	pl := param(logits)
	var out *autograd.Var
	if mean {
		out = autograd.CrossEntropy(pl, host(targets), ignore, smoothing)
	} else {
		out = autograd.CrossEntropyRows(pl, host(targets), ignore, smoothing)
	}
	return f.upload(out.Value, logits.DType()), newReplay(out, []*autograd.Var{pl}, logits), nil
}

// FusedCrossEntropyBackward replays the loss's tape.
func (f *Fused) FusedCrossEntropyBackward(saved any, g *tensor.Tensor) (*tensor.Tensor, error) {
	return f.backward(saved, g)[0], nil
}

// FusedEmbedding gathers rows with autograd.Embedding.
func (f *Fused) FusedEmbedding(w, ids *tensor.Tensor) (*tensor.Tensor, error) {
	out := autograd.Embedding(autograd.Const(host(w)), host(ids), autograd.NoPadding)
	return f.upload(out.Value, w.DType()), nil
}

// FusedEmbeddingBackward scatters g into a fresh [v, D] table with the
// backward of autograd.Embedding.
func (f *Fused) FusedEmbeddingBackward(g, ids *tensor.Tensor, v, paddingIdx int) (*tensor.Tensor, error) {
	hg := host(g)
	w := autograd.Param(tensor.Zeros(hg.DType(), v, g.Dim(-1)))
	out := autograd.Embedding(w, host(ids), paddingIdx)
	return f.backward(&replay{out: out, leaves: []*autograd.Var{w}, dts: []tensor.DType{g.DType()}}, g)[0], nil
}

var (
	_ autograd.FusedAttention    = (*Fused)(nil)
	_ autograd.FusedLayerNorm    = (*Fused)(nil)
	_ autograd.FusedGELU         = (*Fused)(nil)
	_ autograd.FusedSoftmax      = (*Fused)(nil)
	_ autograd.FusedCrossEntropy = (*Fused)(nil)
	_ autograd.FusedEmbedding    = (*Fused)(nil)
)
