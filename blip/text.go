package blip

import (
	"fmt"

	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
)

// textModel is BlipTextModel without the pooler (add_pooling_layer=False,
// as both BLIP heads build it): word and position embeddings with their
// LayerNorm, and BERT's post-LN layers, which carry cross-attention
// weights when the config is a decoder's (text_config.is_decoder, true by
// default), as in transformers.
type textModel struct {
	cfg    TextConfig
	word   *nn.Embedding
	pos    *nn.Embedding
	embLN  *nn.LayerNorm
	layers []*nn.BertLayer
	mode   *nn.Mode
}

func newTextModel(init *nn.Init, mode *nn.Mode, cfg TextConfig) (*textModel, error) {
	act, err := nn.ParseActivation(cfg.HiddenAct)
	if err != nil {
		return nil, fmt.Errorf("text_config: %w", err)
	}
	pad := cfg.PadTokenID
	if pad < 0 {
		pad = autograd.NoPadding
	}
	h, std := cfg.HiddenSize, cfg.InitializerRange
	t := &textModel{
		cfg:   cfg,
		word:  nn.NewEmbedding(init, cfg.VocabSize, h, pad, std),
		pos:   nn.NewEmbedding(init, cfg.MaxPositionEmbeddings, h, autograd.NoPadding, std),
		embLN: nn.NewLayerNorm(init, h, cfg.LayerNormEps),
		mode:  mode,
	}
	bc := nn.BertConfig{
		Hidden: h, Heads: cfg.NumAttentionHeads, Intermediate: cfg.IntermediateSize, Act: act,
		LayerNormEps: cfg.LayerNormEps, HiddenDropout: cfg.HiddenDropoutProb,
		AttentionDropout: cfg.AttentionProbsDropoutProb, CrossAttention: cfg.IsDecoder,
		EncoderHidden: cfg.EncoderHiddenSize, InitStd: std,
	}
	for range cfg.NumHiddenLayers {
		t.layers = append(t.layers, nn.NewBertLayer(init, mode, bc))
	}
	return t, nil
}

// namedParams lists embeddings.* and encoder.layer.N.* under prefix.
func (t *textModel) namedParams(prefix string) []nn.NamedParam {
	ps := t.word.NamedParams(nn.Join(prefix, "embeddings.word_embeddings"))
	ps = append(ps, t.pos.NamedParams(nn.Join(prefix, "embeddings.position_embeddings"))...)
	ps = append(ps, t.embLN.NamedParams(nn.Join(prefix, "embeddings.LayerNorm"))...)
	for i, l := range t.layers {
		ps = append(ps, l.NamedParams(nn.Join(prefix, fmt.Sprintf("encoder.layer.%d", i)))...)
	}
	return ps
}

// checkIDs validates token ids [B, L] against the vocabulary and the
// position table (past positions already cached).
func (t *textModel) checkIDs(ids *tensor.Tensor, past int, what string) error {
	if ids == nil || ids.DType() != tensor.I64 || ids.Rank() != 2 || ids.Dim(0) == 0 || ids.Dim(1) == 0 {
		return fmt.Errorf("%s: want int64 token ids [batch>0, length>0], got %s", what, describe(ids))
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
func (t *textModel) embed(ids *tensor.Tensor, past int) *autograd.Var {
	w := t.word.Forward(ids)
	p := autograd.Narrow(t.pos.Weight, 0, past, ids.Dim(1))
	return t.mode.Dropout(t.embLN.Forward(autograd.Add(w, p)), t.cfg.HiddenDropoutProb)
}

// encode runs the layers over the embeddings x with the additive
// self-attention mask. enc [B, N, E] is the image for cross-attention;
// with enc nil the layers skip their cross-attention block (BLIP's ITC
// text pass and the unimodal text encoder; nn.BertLayer.Forward does so
// when given no encoder states).
func (t *textModel) encode(x *autograd.Var, selfMask *tensor.Tensor, enc *autograd.Var, crossMask *tensor.Tensor) *autograd.Var {
	for _, l := range t.layers {
		x = l.Forward(x, selfMask, enc, crossMask)
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
