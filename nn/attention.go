package nn

import (
	"math"

	"radcap/autograd"
	"radcap/tensor"
)

// SplitHeads views x [B, T, heads·d] as [B, heads, T, d] (no copy).
func SplitHeads(x *autograd.Var, heads int) *autograd.Var {
	sh := x.Shape()
	b, t, dim := sh[0], sh[1], sh[2]
	return autograd.Permute(autograd.Reshape(x, b, t, heads, dim/heads), 0, 2, 1, 3)
}

// MergeHeads is the inverse of SplitHeads: [B, heads, T, d] → [B, T, heads·d].
func MergeHeads(x *autograd.Var) *autograd.Var {
	sh := x.Shape()
	b, h, t, d := sh[0], sh[1], sh[2], sh[3]
	return autograd.Reshape(autograd.Permute(x, 0, 2, 1, 3), b, t, h*d)
}

// KV is the keys and values of one attention layer, each [B, heads, T, d]:
// what a key/value cache keeps between decoding steps.
type KV struct {
	K, V *autograd.Var
}

// Len returns the number of cached positions (0 for a nil KV).
func (c *KV) Len() int {
	if c == nil {
		return 0
	}
	return c.K.Value.Dim(2)
}

// Append returns the keys and values of c followed by those of next along
// the time axis; a nil c gives next.
func (c *KV) Append(next *KV) *KV {
	if c == nil {
		return next
	}
	return &KV{K: autograd.Concat(2, c.K, next.K), V: autograd.Concat(2, c.V, next.V)}
}

// Reorder returns the cache with its batch rows taken in the order rows
// (beam search keeps the rows of the surviving beams).
func (c *KV) Reorder(rows []int) *KV {
	if c == nil {
		return nil
	}
	return &KV{
		K: autograd.Const(tensor.IndexSelect(c.K.Value, 0, rows)),
		V: autograd.Const(tensor.IndexSelect(c.V.Value, 0, rows)),
	}
}

// attend is softmax(scale·q kᵀ + mask) v with attention-weight dropout p
// while training. Under bfloat16 autocast (cast BF16) q, k, v and the
// output are rounded to bfloat16, forward and backward, around the fused
// op, as F.scaled_dot_product_attention runs under torch.autocast (its
// bfloat16 CPU kernel keeps the scores and the softmax in float32, as the
// fused op here does).
func attend(mode *Mode, cast tensor.DType, q, k, v *autograd.Var, mask *tensor.Tensor, scale, p float64) *autograd.Var {
	p = mode.attentionDropout(p)
	return Autocast(cast, func(in ...*autograd.Var) *autograd.Var {
		if p > 0 {
			return autograd.ScaledDotProductAttentionDropout(in[0], in[1], in[2], mask, false, scale, p, mode.RNG)
		}
		return autograd.ScaledDotProductAttention(in[0], in[1], in[2], mask, false, scale)
	}, q, k, v)
}

// VisionAttention is the self-attention of a vision layer: no mask, every
// token sees every token.
type VisionAttention interface {
	Forward(x *autograd.Var) *autograd.Var
	NamedParams(prefix string) []NamedParam
}

// CLIPAttention is CLIP's (and GIT's vision tower's) self-attention with
// separate projections. Names, in PyTorch order: k_proj, v_proj, q_proj,
// out_proj. The scores are scaled by head_dim^-0.5 (CLIP scales the query;
// the product is the same).
type CLIPAttention struct {
	KProj, VProj, QProj, OutProj *Linear
	Heads                        int
	Dropout                      float64 // attention-weight dropout (attention_dropout)
	Mode                         *Mode
	// Autocast is the dtype the attention products run in (see attend);
	// the projections have their own.
	Autocast tensor.DType
}

// SetAutocast sets the dtype the attention products run in (Autocaster).
func (a *CLIPAttention) SetAutocast(dt tensor.DType) { a.Autocast = dt }

// NewCLIPAttention returns a CLIPAttention of width dim.
func NewCLIPAttention(init *Init, mode *Mode, dim, heads int, dropout, std float64) *CLIPAttention {
	return &CLIPAttention{
		KProj:   NewLinear(init, dim, dim, true, std),
		VProj:   NewLinear(init, dim, dim, true, std),
		QProj:   NewLinear(init, dim, dim, true, std),
		OutProj: NewLinear(init, dim, dim, true, std),
		Heads:   heads, Dropout: dropout, Mode: mode,
	}
}

// Forward attends x [B, T, dim] to itself.
func (a *CLIPAttention) Forward(x *autograd.Var) *autograd.Var {
	q := SplitHeads(a.QProj.Forward(x), a.Heads)
	k := SplitHeads(a.KProj.Forward(x), a.Heads)
	v := SplitHeads(a.VProj.Forward(x), a.Heads)
	scale := 1 / math.Sqrt(float64(q.Value.Dim(-1)))
	return a.OutProj.Forward(MergeHeads(attend(a.Mode, a.Autocast, q, k, v, nil, scale, a.Dropout)))
}

// NamedParams lists k_proj, v_proj, q_proj, out_proj under prefix.
func (a *CLIPAttention) NamedParams(prefix string) []NamedParam {
	var ps []NamedParam
	ps = append(ps, a.KProj.NamedParams(Join(prefix, "k_proj"))...)
	ps = append(ps, a.VProj.NamedParams(Join(prefix, "v_proj"))...)
	ps = append(ps, a.QProj.NamedParams(Join(prefix, "q_proj"))...)
	return append(ps, a.OutProj.NamedParams(Join(prefix, "out_proj"))...)
}

// FusedQKVAttention is BLIP's vision self-attention: one qkv projection
// [3·dim, dim] whose output rows are (3, heads, head_dim) — query, key,
// value — and an output projection. Names: qkv, projection.
type FusedQKVAttention struct {
	QKV, Projection *Linear
	Heads           int
	Dropout         float64
	Mode            *Mode
	// Autocast is the dtype the attention products run in (see attend).
	Autocast tensor.DType
}

// SetAutocast sets the dtype the attention products run in (Autocaster).
func (a *FusedQKVAttention) SetAutocast(dt tensor.DType) { a.Autocast = dt }

// NewFusedQKVAttention returns a FusedQKVAttention of width dim.
func NewFusedQKVAttention(init *Init, mode *Mode, dim, heads int, dropout, std float64) *FusedQKVAttention {
	return &FusedQKVAttention{
		QKV:        NewLinear(init, dim, 3*dim, true, std),
		Projection: NewLinear(init, dim, dim, true, std),
		Heads:      heads, Dropout: dropout, Mode: mode,
	}
}

// Forward attends x [B, T, dim] to itself.
func (a *FusedQKVAttention) Forward(x *autograd.Var) *autograd.Var {
	sh := x.Shape()
	b, t, dim := sh[0], sh[1], sh[2]
	d := dim / a.Heads
	// [B, T, 3·dim] → [3, B, heads, T, d]; q, k, v are views of it.
	qkv := autograd.Permute(autograd.Reshape(a.QKV.Forward(x), b, t, 3, a.Heads, d), 2, 0, 3, 1, 4)
	q, k, v := autograd.Select(qkv, 0, 0), autograd.Select(qkv, 0, 1), autograd.Select(qkv, 0, 2)
	scale := 1 / math.Sqrt(float64(d))
	return a.Projection.Forward(MergeHeads(attend(a.Mode, a.Autocast, q, k, v, nil, scale, a.Dropout)))
}

// NamedParams lists qkv then projection under prefix.
func (a *FusedQKVAttention) NamedParams(prefix string) []NamedParam {
	return append(a.QKV.NamedParams(Join(prefix, "qkv")), a.Projection.NamedParams(Join(prefix, "projection"))...)
}

// ViTLayer is the pre-LN transformer layer of CLIP and BLIP vision towers:
//
//	h = x + self_attn(layer_norm1(x))
//	y = h + mlp(layer_norm2(h))
//
// Names, in PyTorch order: self_attn, layer_norm1, mlp, layer_norm2.
type ViTLayer struct {
	SelfAttn   VisionAttention
	LayerNorm1 *LayerNorm
	MLP        *MLP
	LayerNorm2 *LayerNorm
}

// Forward applies the layer to x [B, T, dim].
func (l *ViTLayer) Forward(x *autograd.Var) *autograd.Var {
	h := autograd.Add(x, l.SelfAttn.Forward(l.LayerNorm1.Forward(x)))
	return autograd.Add(h, l.MLP.Forward(l.LayerNorm2.Forward(h)))
}

// NamedParams lists the layer's parameters under prefix.
func (l *ViTLayer) NamedParams(prefix string) []NamedParam {
	var ps []NamedParam
	ps = append(ps, l.SelfAttn.NamedParams(Join(prefix, "self_attn"))...)
	ps = append(ps, l.LayerNorm1.NamedParams(Join(prefix, "layer_norm1"))...)
	ps = append(ps, l.MLP.NamedParams(Join(prefix, "mlp"))...)
	return append(ps, l.LayerNorm2.NamedParams(Join(prefix, "layer_norm2"))...)
}
