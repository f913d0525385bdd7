package nn

import (
	"math"

	"radcap/autograd"
	"radcap/tensor"
)

// BertConfig sizes a BERT layer.
type BertConfig struct {
	Hidden, Heads, Intermediate int
	Act                         Activation
	LayerNormEps                float64
	HiddenDropout               float64 // hidden_dropout_prob
	AttentionDropout            float64 // attention_probs_dropout_prob
	CrossAttention              bool    // add a cross-attention block (BLIP's text layers)
	EncoderHidden               int     // width of the cross-attention keys/values input; 0 means Hidden
	InitStd                     float64 // initializer_range
}

// BertSelfAttention is BERT's multi-head attention core. Names: query, key,
// value. Scores are divided by √head_dim before the additive mask.
type BertSelfAttention struct {
	Query, Key, Value *Linear
	Heads             int
	Dropout           float64
	Mode              *Mode
	// Autocast is the dtype the attention products run in (see attend).
	Autocast tensor.DType
}

// SetAutocast sets the dtype the attention products run in (Autocaster).
func (a *BertSelfAttention) SetAutocast(dt tensor.DType) { a.Autocast = dt }

// KeysValues projects src [B, T, kvDim] to the keys and values of every
// head.
func (a *BertSelfAttention) KeysValues(src *autograd.Var) *KV {
	return &KV{K: SplitHeads(a.Key.Forward(src), a.Heads), V: SplitHeads(a.Value.Forward(src), a.Heads)}
}

// Attend lets the queries of x [B, Tq, hidden] attend over kv with the
// additive mask (nil, or broadcastable to [B, heads, Tq, Tk]) and returns
// the merged heads [B, Tq, hidden].
func (a *BertSelfAttention) Attend(x *autograd.Var, kv *KV, mask *tensor.Tensor) *autograd.Var {
	q := SplitHeads(a.Query.Forward(x), a.Heads)
	scale := 1 / math.Sqrt(float64(q.Value.Dim(-1)))
	return MergeHeads(attend(a.Mode, a.Autocast, q, kv.K, kv.V, mask, scale, a.Dropout))
}

// NamedParams lists query, key, value under prefix.
func (a *BertSelfAttention) NamedParams(prefix string) []NamedParam {
	var ps []NamedParam
	ps = append(ps, a.Query.NamedParams(Join(prefix, "query"))...)
	ps = append(ps, a.Key.NamedParams(Join(prefix, "key"))...)
	return append(ps, a.Value.NamedParams(Join(prefix, "value"))...)
}

// BertAttention is the attention block of a BERT layer with its post-LN
// output: LayerNorm(dropout(dense(attention)) + x). Names: self.*,
// output.dense, output.LayerNorm.
type BertAttention struct {
	Self      *BertSelfAttention
	Dense     *Linear
	LayerNorm *LayerNorm
	Dropout   float64
	Mode      *Mode
}

func newBertAttention(init *Init, mode *Mode, c BertConfig, kvDim int) *BertAttention {
	std := c.InitStd
	return &BertAttention{
		Self: &BertSelfAttention{
			Query: NewLinear(init, c.Hidden, c.Hidden, true, std),
			Key:   NewLinear(init, kvDim, c.Hidden, true, std),
			Value: NewLinear(init, kvDim, c.Hidden, true, std),
			Heads: c.Heads, Dropout: c.AttentionDropout, Mode: mode,
		},
		Dense:     NewLinear(init, c.Hidden, c.Hidden, true, std),
		LayerNorm: NewLayerNorm(init, c.Hidden, c.LayerNormEps),
		Dropout:   c.HiddenDropout, Mode: mode,
	}
}

// ForwardKV lets x attend over kv and applies the output block.
func (a *BertAttention) ForwardKV(x *autograd.Var, kv *KV, mask *tensor.Tensor) *autograd.Var {
	h := a.Mode.Dropout(a.Dense.Forward(a.Self.Attend(x, kv, mask)), a.Dropout)
	return a.LayerNorm.Forward(autograd.Add(h, x))
}

// NamedParams lists the block's parameters under prefix.
func (a *BertAttention) NamedParams(prefix string) []NamedParam {
	ps := a.Self.NamedParams(Join(prefix, "self"))
	ps = append(ps, a.Dense.NamedParams(Join(prefix, "output.dense"))...)
	return append(ps, a.LayerNorm.NamedParams(Join(prefix, "output.LayerNorm"))...)
}

// BertLayer is BERT's post-LN layer, optionally with cross-attention:
//
//	h = LN(x + dropout(dense(self_attention(x))))
//	h = LN(h + dropout(dense(cross_attention(h, encoder))))   (if present)
//	y = LN(h + dropout(dense(act(dense(h)))))
//
// Names: attention.*, crossattention.*, intermediate.dense, output.dense,
// output.LayerNorm.
type BertLayer struct {
	Attention      *BertAttention
	CrossAttention *BertAttention // nil without cross-attention
	Intermediate   *Linear
	Act            Activation
	Output         *Linear
	OutputNorm     *LayerNorm
	Dropout        float64
	Mode           *Mode
}

// NewBertLayer returns a layer with random weights as transformers
// initialises them.
func NewBertLayer(init *Init, mode *Mode, c BertConfig) *BertLayer {
	l := &BertLayer{
		Attention:    newBertAttention(init, mode, c, c.Hidden),
		Intermediate: NewLinear(init, c.Hidden, c.Intermediate, true, c.InitStd),
		Act:          c.Act,
		Output:       NewLinear(init, c.Intermediate, c.Hidden, true, c.InitStd),
		OutputNorm:   NewLayerNorm(init, c.Hidden, c.LayerNormEps),
		Dropout:      c.HiddenDropout,
		Mode:         mode,
	}
	if c.CrossAttention {
		kv := c.EncoderHidden
		if kv == 0 {
			kv = c.Hidden
		}
		l.CrossAttention = newBertAttention(init, mode, c, kv)
	}
	return l
}

// Forward applies the layer to x [B, T, hidden] with the additive
// self-attention mask selfMask. encoder [B, S, kvDim] and crossMask are the
// cross-attention input and mask (ignored without cross-attention). With
// encoder nil a layer that has cross-attention skips that block and runs
// as a plain BERT layer, as transformers' BlipTextLayer does with
// mode="text" (BLIP's unimodal text encoder, used for ITC).
func (l *BertLayer) Forward(x *autograd.Var, selfMask *tensor.Tensor, encoder *autograd.Var, crossMask *tensor.Tensor) *autograd.Var {
	var cross *KV
	if l.CrossAttention != nil && encoder != nil {
		cross = l.CrossAttention.Self.KeysValues(encoder)
	}
	y, _ := l.ForwardCached(x, nil, selfMask, cross, crossMask)
	return y
}

// ForwardCached is Forward for incremental decoding. The self-attention
// keys and values of x are appended to past (nil for none), and the
// queries of x attend over the result with selfMask ([B or 1, 1, Tx,
// past+Tx] broadcastable, or nil); cross is the cross-attention's
// precomputed keys and values (CrossAttention.Self.KeysValues(encoder),
// computed once per image), or nil to skip the cross-attention block as
// Forward does without encoder states. It returns the output and the
// grown cache.
func (l *BertLayer) ForwardCached(x *autograd.Var, past *KV, selfMask *tensor.Tensor, cross *KV, crossMask *tensor.Tensor) (*autograd.Var, *KV) {
	present := past.Append(l.Attention.Self.KeysValues(x))
	h := l.Attention.ForwardKV(x, present, selfMask)
	if l.CrossAttention != nil && cross != nil {
		h = l.CrossAttention.ForwardKV(h, cross, crossMask)
	}
	f := l.Mode.Dropout(l.Output.Forward(l.Act(l.Intermediate.Forward(h))), l.Dropout)
	return l.OutputNorm.Forward(autograd.Add(f, h)), present
}

// NamedParams lists the layer's parameters under prefix.
func (l *BertLayer) NamedParams(prefix string) []NamedParam {
	ps := l.Attention.NamedParams(Join(prefix, "attention"))
	if l.CrossAttention != nil {
		ps = append(ps, l.CrossAttention.NamedParams(Join(prefix, "crossattention"))...)
	}
	ps = append(ps, l.Intermediate.NamedParams(Join(prefix, "intermediate.dense"))...)
	ps = append(ps, l.Output.NamedParams(Join(prefix, "output.dense"))...)
	return append(ps, l.OutputNorm.NamedParams(Join(prefix, "output.LayerNorm"))...)
}
