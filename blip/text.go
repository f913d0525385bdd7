package blip

import (
	"fmt"
	"math/rand/v2"

	"radcap/autograd"
	"radcap/tensor"
)

// runCtx carries what a forward pass needs besides its inputs: whether
// dropout is active, and the generator that draws its masks.
type runCtx struct {
	training bool
	rng      *rand.Rand
}

func (rc runCtx) dropout(x *autograd.Var, p float64) *autograd.Var {
	if !rc.training || p == 0 {
		return x
	}
	return autograd.Dropout(x, p, true, rc.rng)
}

// bertAttention is BlipTextAttention: multi-head attention (self or
// cross) followed by BERT's post-LN output block,
//
//	y = LayerNorm(dense(attention(x, kv)) + x)
//
// Names: <prefix>.self.{query,key,value}, <prefix>.output.{dense,LayerNorm}.
type bertAttention struct {
	query, key, value, dense linear
	ln                       layerNorm
	heads                    int
	attnDrop, hiddenDrop     float64
}

func newBertAttention(b *builder, prefix string, tc TextConfig, kvIn int) *bertAttention {
	h := tc.HiddenSize
	return &bertAttention{
		query:      b.linear(prefix+".self.query", h, h, true),
		key:        b.linear(prefix+".self.key", kvIn, h, true),
		value:      b.linear(prefix+".self.value", kvIn, h, true),
		dense:      b.linear(prefix+".output.dense", h, h, true),
		ln:         b.layerNorm(prefix+".output.LayerNorm", h, tc.LayerNormEps),
		heads:      tc.NumAttentionHeads,
		attnDrop:   tc.AttentionProbsDropoutProb,
		hiddenDrop: tc.HiddenDropoutProb,
	}
}

// splitHeads turns [B, T, heads·D] into [B, heads, T, D].
func splitHeads(x *autograd.Var, heads int) *autograd.Var {
	s := x.Shape()
	return autograd.Permute(autograd.Reshape(x, s[0], s[1], heads, s[2]/heads), 0, 2, 1, 3)
}

// mergeHeads turns [B, heads, T, D] into [B, T, heads·D].
func mergeHeads(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	return autograd.Reshape(autograd.Contiguous(autograd.Permute(x, 0, 2, 1, 3)), s[0], s[2], s[1]*s[3])
}

// keysValues projects src [B, T, in] to the heads' keys and values.
func (a *bertAttention) keysValues(src *autograd.Var) (k, v *autograd.Var) {
	return splitHeads(a.key.forward(src), a.heads), splitHeads(a.value.forward(src), a.heads)
}

// forward attends from x [B, L, hidden] to the keys and values k, v
// [B, heads, T, D] under the additive mask (nil: none), scores scaled by
// 1/√D as BERT does, then applies the output block.
func (a *bertAttention) forward(rc runCtx, x, k, v *autograd.Var, mask *tensor.Tensor) *autograd.Var {
	q := splitHeads(a.query.forward(x), a.heads)
	var ctx *autograd.Var
	if rc.training && a.attnDrop > 0 {
		ctx = autograd.ScaledDotProductAttentionDropout(q, k, v, mask, false, 0, a.attnDrop, rc.rng)
	} else {
		ctx = autograd.ScaledDotProductAttention(q, k, v, mask, false, 0)
	}
	y := rc.dropout(a.dense.forward(mergeHeads(ctx)), a.hiddenDrop)
	return a.ln.forward(autograd.Add(y, x))
}

// textLayer is BlipTextLayer: self-attention, cross-attention to the
// image (present when the config is a decoder's, used when image states
// are given), then the feed-forward block, each post-LN.
type textLayer struct {
	attn, cross *bertAttention
	inter, out  linear
	ln          layerNorm
	act         func(*autograd.Var) *autograd.Var
	hiddenDrop  float64
}

// layerCache is one text layer's key/value cache for generation: the
// self-attention keys and values of every position so far, and the
// cross-attention keys and values of the image, computed once.
type layerCache struct {
	k, v   *tensor.Tensor // [rows, heads, past, D]
	ck, cv *tensor.Tensor // [rows, heads, image tokens, D]
}

// forward runs the layer on h [B, L, hidden]. enc [B, N, E] is the image
// (nil: no cross-attention). With a cache (inference only) the new keys
// and values are appended to it and the image's are computed only once.
func (l *textLayer) forward(rc runCtx, h *autograd.Var, selfMask *tensor.Tensor, enc *autograd.Var, crossMask *tensor.Tensor, c *layerCache) *autograd.Var {
	k, v := l.attn.keysValues(h)
	if c != nil {
		if c.k != nil {
			k = autograd.Const(tensor.Concat(2, c.k, k.Value))
			v = autograd.Const(tensor.Concat(2, c.v, v.Value))
		}
		c.k, c.v = k.Value.Contiguous(), v.Value.Contiguous()
	}
	x := l.attn.forward(rc, h, k, v, selfMask)
	if enc != nil || (c != nil && c.ck != nil) {
		var ck, cv *autograd.Var
		if c != nil && c.ck != nil {
			ck, cv = autograd.Const(c.ck), autograd.Const(c.cv)
		} else {
			ck, cv = l.cross.keysValues(enc)
			if c != nil {
				c.ck, c.cv = ck.Value.Contiguous(), cv.Value.Contiguous()
			}
		}
		x = l.cross.forward(rc, x, ck, cv, crossMask)
	}
	y := rc.dropout(l.out.forward(l.act(l.inter.forward(x))), l.hiddenDrop)
	return l.ln.forward(autograd.Add(y, x))
}

// textModel is BlipTextModel without the pooler (add_pooling_layer=False,
// as both BLIP heads build it): embeddings and the layers.
type textModel struct {
	cfg       TextConfig
	word, pos *autograd.Var
	embLN     layerNorm
	layers    []*textLayer
}

// newTextModel registers <prefix>.embeddings.* and <prefix>.encoder.layer.N.*
// in PyTorch order. Cross-attention weights exist when cfg.IsDecoder, as
// in transformers.
func newTextModel(b *builder, prefix string, cfg TextConfig) (*textModel, error) {
	act, err := activation(cfg.HiddenAct)
	if err != nil {
		return nil, fmt.Errorf("text_config.hidden_act: %w", err)
	}
	h := cfg.HiddenSize
	t := &textModel{cfg: cfg}
	t.word = b.normal(prefix+".embeddings.word_embeddings.weight", cfg.VocabSize, h)
	t.pos = b.normal(prefix+".embeddings.position_embeddings.weight", cfg.MaxPositionEmbeddings, h)
	t.embLN = b.layerNorm(prefix+".embeddings.LayerNorm", h, cfg.LayerNormEps)
	for i := 0; i < cfg.NumHiddenLayers; i++ {
		p := fmt.Sprintf("%s.encoder.layer.%d", prefix, i)
		l := &textLayer{act: act, hiddenDrop: cfg.HiddenDropoutProb}
		l.attn = newBertAttention(b, p+".attention", cfg, h)
		if cfg.IsDecoder {
			l.cross = newBertAttention(b, p+".crossattention", cfg, cfg.EncoderHiddenSize)
		}
		l.inter = b.linear(p+".intermediate.dense", h, cfg.IntermediateSize, true)
		l.out = b.linear(p+".output.dense", cfg.IntermediateSize, h, true)
		l.ln = b.layerNorm(p+".output.LayerNorm", h, cfg.LayerNormEps)
		t.layers = append(t.layers, l)
	}
	return t, nil
}

// checkIDs validates token ids [B, L] against the vocabulary and the
// position table (past positions already cached).
func (t *textModel) checkIDs(ids *tensor.Tensor, past int, what string) error {
	if ids == nil || ids.DType() != tensor.I64 || ids.Rank() != 2 || ids.Dim(1) == 0 {
		return fmt.Errorf("%s: want int64 token ids [batch, length>0], got %v", what, describe(ids))
	}
	if n := past + ids.Dim(1); n > t.cfg.MaxPositionEmbeddings {
		return fmt.Errorf("%s: %d positions exceed max_position_embeddings %d", what, n, t.cfg.MaxPositionEmbeddings)
	}
	for i, id := range ids.Contiguous().I64() {
		if id < 0 || id >= int64(t.cfg.VocabSize) {
			return fmt.Errorf("%s: id %d at [%d, %d] outside the vocabulary of %d", what, id, i/ids.Dim(1), i%ids.Dim(1), t.cfg.VocabSize)
		}
	}
	return nil
}

// embed is BlipTextEmbeddings: LayerNorm(word + position) with positions
// past .. past+L-1, then dropout. The pad token's row gets no gradient
// (padding_idx).
func (t *textModel) embed(rc runCtx, ids *tensor.Tensor, past int) *autograd.Var {
	pad := t.cfg.PadTokenID
	if pad < 0 {
		pad = autograd.NoPadding
	}
	w := autograd.Embedding(t.word, ids, pad)
	p := autograd.Narrow(t.pos, 0, past, ids.Dim(1))
	return rc.dropout(t.embLN.forward(autograd.Add(w, p)), t.cfg.HiddenDropoutProb)
}

// encode runs the layers over the embeddings x.
func (t *textModel) encode(rc runCtx, x *autograd.Var, selfMask *tensor.Tensor, enc *autograd.Var, crossMask *tensor.Tensor, cache []layerCache) *autograd.Var {
	for i, l := range t.layers {
		var c *layerCache
		if cache != nil {
			c = &cache[i]
		}
		x = l.forward(rc, x, selfMask, enc, crossMask, c)
	}
	return x
}

// describe prints a tensor's dtype and shape for error messages.
func describe(t *tensor.Tensor) string {
	if t == nil {
		return "nil"
	}
	return fmt.Sprintf("%v%v", t.DType(), t.Shape())
}

// padMask returns the 2-D attention mask as float64 0/1 values, checking
// its shape [B, T]; nil means every position is real.
func padMask(mask *tensor.Tensor, b, t int, what string) ([]float64, error) {
	out := make([]float64, b*t)
	if mask == nil {
		for i := range out {
			out[i] = 1
		}
		return out, nil
	}
	if mask.Rank() != 2 || mask.Dim(0) != b || mask.Dim(1) != t {
		return nil, fmt.Errorf("%s: attention mask %s, want [%d, %d]", what, describe(mask), b, t)
	}
	for i, v := range mask.Float64s() {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("%s: attention mask value %v at [%d, %d], want 0 or 1", what, v, i/t, i%t)
		}
		out[i] = v
	}
	return out, nil
}

// decoderSelfMask is get_extended_attention_mask for a decoder: causal
// AND padding as (1 − m)·(−10000), [B, 1, L, Tk] with Tk = mask width;
// query i (0-based among the L new tokens) sees key j when
// j ≤ (Tk − L) + i.
func decoderSelfMask(m []float64, b, l, tk int, dt tensor.DType) *tensor.Tensor {
	out := make([]float64, b*l*tk)
	prefix := tk - l
	for bi := 0; bi < b; bi++ {
		for i := 0; i < l; i++ {
			for j := 0; j < tk; j++ {
				keep := 0.0
				if j <= prefix+i {
					keep = m[bi*tk+j]
				}
				out[(bi*l+i)*tk+j] = (1 - keep) * -10000
			}
		}
	}
	return tensor.FromF64(out, b, 1, l, tk).To(dt)
}

// encoderSelfMask is get_extended_attention_mask for an encoder: padding
// only, (1 − m)·(−10000), [B, 1, 1, T].
func encoderSelfMask(m []float64, b, t int, dt tensor.DType) *tensor.Tensor {
	out := make([]float64, b*t)
	for i, v := range m {
		out[i] = (1 - v) * -10000
	}
	return tensor.FromF64(out, b, 1, 1, t).To(dt)
}
