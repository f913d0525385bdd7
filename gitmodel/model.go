package gitmodel

import (
	"fmt"
	"math"

	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
	"radcap/vit"
)

// Model is GitForCausalLM.
type Model struct {
	Config Config
	Mode   *nn.Mode

	WordEmbeddings     *nn.Embedding // git.embeddings.word_embeddings (padding_idx = pad_token_id)
	PositionEmbeddings *nn.Embedding // git.embeddings.position_embeddings
	EmbeddingNorm      *nn.LayerNorm // git.embeddings.LayerNorm
	Vision             *vit.Model    // git.image_encoder.vision_model
	Layers             []*nn.BertLayer
	Projection         *nn.Linear    // git.visual_projection.visual_projection.0
	ProjectionNorm     *nn.LayerNorm // git.visual_projection.visual_projection.1 (vision layer_norm_eps)
	Output             *nn.Linear    // output (the LM head); its weight is the word embeddings when tied
}

// New returns a GIT model with random weights drawn from seed as
// transformers initialises GitForCausalLM: matrices, embeddings and the
// vision embeddings from N(0, initializer_range²), zero biases, unit
// LayerNorm weights, the padding row of the word embeddings zero. The
// model starts in evaluation mode.
func New(cfg Config, seed uint64) (*Model, error) {
	return build(cfg, seed, false)
}

// build is New; skipInit leaves the weights zero (they are about to be
// loaded).
func build(cfg Config, seed uint64, skipInit bool) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	act, _ := nn.ParseActivation(cfg.HiddenAct)
	init, mode := nn.NewInit(seed), nn.NewMode(seed+1)
	init.Skip = skipInit
	std, d := cfg.InitializerRange, cfg.HiddenSize
	m := &Model{Config: cfg, Mode: mode}
	m.WordEmbeddings = nn.NewEmbedding(init, cfg.VocabSize, d, cfg.PadTokenID, std)
	m.PositionEmbeddings = nn.NewEmbedding(init, cfg.MaxPositionEmbeddings, d, autograd.NoPadding, std)
	m.EmbeddingNorm = nn.NewLayerNorm(init, d, cfg.LayerNormEps)
	var err error
	if m.Vision, err = vit.NewCLIP(cfg.Vision, init, mode); err != nil {
		return nil, err
	}
	bert := nn.BertConfig{
		Hidden: d, Heads: cfg.NumAttentionHeads, Intermediate: cfg.IntermediateSize, Act: act,
		LayerNormEps: cfg.LayerNormEps, HiddenDropout: cfg.HiddenDropoutProb,
		AttentionDropout: cfg.AttentionProbsDropoutProb, InitStd: std,
	}
	for range cfg.NumHiddenLayers {
		m.Layers = append(m.Layers, nn.NewBertLayer(init, mode, bert))
	}
	m.Projection = nn.NewLinear(init, cfg.Vision.HiddenSize, d, true, std)
	m.ProjectionNorm = nn.NewLayerNorm(init, d, cfg.Vision.LayerNormEps)
	if cfg.TieWordEmbeddings {
		m.Output = &nn.Linear{Weight: m.WordEmbeddings.Weight, Bias: init.Zeros(cfg.VocabSize)}
	} else {
		m.Output = nn.NewLinear(init, d, cfg.VocabSize, true, std)
	}
	return m, nil
}

// SetTraining switches dropout on (true) or off (false).
func (m *Model) SetTraining(on bool) { m.Mode.Training = on }

// NamedParams lists every parameter in the order of PyTorch's
// named_parameters() under its Hugging Face name. With tied word
// embeddings, output.weight is the word-embedding table and is listed once,
// under git.embeddings.word_embeddings.weight.
func (m *Model) NamedParams() []nn.NamedParam {
	ps := m.WordEmbeddings.NamedParams("git.embeddings.word_embeddings")
	ps = append(ps, m.PositionEmbeddings.NamedParams("git.embeddings.position_embeddings")...)
	ps = append(ps, m.EmbeddingNorm.NamedParams("git.embeddings.LayerNorm")...)
	ps = append(ps, m.Vision.NamedParams("git.image_encoder.vision_model")...)
	for i, l := range m.Layers {
		ps = append(ps, l.NamedParams(fmt.Sprintf("git.encoder.layer.%d", i))...)
	}
	ps = append(ps, m.Projection.NamedParams("git.visual_projection.visual_projection.0")...)
	ps = append(ps, m.ProjectionNorm.NamedParams("git.visual_projection.visual_projection.1")...)
	if m.Config.TieWordEmbeddings {
		return append(ps, nn.NamedParam{Name: "output.bias", Var: m.Output.Bias})
	}
	return append(ps, m.Output.NamedParams("output")...)
}

// Inputs is one batch for the forward pass.
type Inputs struct {
	Pixels        *tensor.Tensor // [B, C, H, W] in the model's dtype
	InputIDs      *tensor.Tensor // [B, L] I64: [bos, tokens..., eos, pad...]
	AttentionMask *tensor.Tensor // [B, L] I64 (or any numeric type), 1 on real tokens, 0 on padding; nil = all real
	Labels        *tensor.Tensor // [B, L] I64, −100 where ignored; nil = no loss
}

// Outputs are the forward pass's results and the intermediate tensors the
// parity tests compare.
type Outputs struct {
	VisionHidden *autograd.Var  // the vision tower's last hidden state [B, I, Dv]
	ImageTokens  *autograd.Var  // after the visual projection [B, I, D]
	Embeddings   *autograd.Var  // the decoder input: image tokens then text embeddings [B, I+L, D]
	Mask         *tensor.Tensor // GIT's additive attention mask [B, 1, I+L, I+L]
	Hidden       *autograd.Var  // the last decoder layer's output [B, I+L, D]
}

// IgnoreIndex is the label value the loss skips.
const IgnoreIndex = autograd.IgnoreIndex

// Forward runs the model on pixels and text and returns the decoder's
// hidden states (no LM head; see Logits and Loss). The inputs are checked
// first: a bad shape, dtype or token id is an error.
func (m *Model) Forward(in Inputs) (*Outputs, error) {
	if err := m.check(in); err != nil {
		return nil, err
	}
	out := &Outputs{}
	out.VisionHidden = m.Vision.Forward(autograd.Const(in.Pixels))
	out.ImageTokens = m.project(out.VisionHidden)
	text := m.embedText(in.InputIDs, 0)
	out.Embeddings = autograd.Concat(1, out.ImageTokens, text)
	out.Mask = m.attentionMask(in.InputIDs.Dim(0), in.InputIDs.Dim(1), in.AttentionMask)
	h := out.Embeddings
	for _, l := range m.Layers {
		h = l.Forward(h, out.Mask, nil, nil)
	}
	out.Hidden = h
	return out, nil
}

// project maps vision features to the text width: Linear then LayerNorm.
func (m *Model) project(v *autograd.Var) *autograd.Var {
	return m.ProjectionNorm.Forward(m.Projection.Forward(v))
}

// embedText is LayerNorm(word + position) of ids [B, L] at positions
// start..start+L-1, with dropout while training.
func (m *Model) embedText(ids *tensor.Tensor, start int) *autograd.Var {
	words := m.WordEmbeddings.Forward(ids)
	pos := autograd.Narrow(m.PositionEmbeddings.Weight, 0, start, ids.Dim(1))
	e := m.EmbeddingNorm.Forward(autograd.Add(words, pos))
	return m.Mode.Dropout(e, m.Config.HiddenDropoutProb)
}

// Logits applies the LM head to every position of the decoder output,
// image positions included: [B, I+L, vocab] (what transformers returns).
func (m *Model) Logits(out *Outputs) *autograd.Var {
	return m.Output.Forward(out.Hidden)
}

// Loss returns the mean next-token cross entropy over the text: the
// decoder output at text position i (i = 0..L-2) is scored against
// labels[:, i+1]; labels of −100 are skipped. The LM head runs only on
// those L−1 text positions per row. in.Labels must be set.
func (m *Model) Loss(in Inputs) (*autograd.Var, *Outputs, error) {
	if in.Labels == nil {
		return nil, nil, fmt.Errorf("git loss: no labels")
	}
	out, err := m.Forward(in)
	if err != nil {
		return nil, nil, err
	}
	b, l := in.InputIDs.Dim(0), in.InputIDs.Dim(1)
	if l < 2 {
		return nil, nil, fmt.Errorf("git loss: text length %d leaves no next token to predict", l)
	}
	img := m.Config.NumImageTokens()
	text := autograd.Narrow(out.Hidden, 1, img, l-1) // predictions for tokens 1..L-1
	logits := m.Output.Forward(text)                 // [B, L-1, vocab]
	targets := in.Labels.Narrow(1, 1, l-1).Contiguous()
	flat := autograd.Reshape(logits, b*(l-1), m.Config.VocabSize)
	return autograd.CrossEntropy(flat, targets.Reshape(b*(l-1)), IgnoreIndex, 0), out, nil
}

// attentionMask builds GIT's additive mask [B, 1, I+L, I+L] in the model's
// dtype: image rows see the image columns (0) and no text column (−∞);
// text rows see every image column and the text columns up to their own
// (−∞ above the diagonal); then the float32 minimum is added to the text
// rows' text columns whose attention-mask entry is 0 (padding).
func (m *Model) attentionMask(b, l int, pad *tensor.Tensor) *tensor.Tensor {
	img := m.Config.NumImageTokens()
	t := img + l
	ninf := float32(math.Inf(-1))
	f32min := float32(-math.MaxFloat32)
	mask := make([]float32, b*t*t)
	var keep []float64
	if pad != nil {
		keep = pad.Float64s()
	}
	for bi := range b {
		mb := mask[bi*t*t : (bi+1)*t*t]
		for r := range t {
			row := mb[r*t : (r+1)*t]
			if r < img {
				for c := img; c < t; c++ {
					row[c] = ninf
				}
				continue
			}
			i := r - img
			for j := range l {
				v := float32(0)
				if j > i {
					v = ninf
				}
				if keep != nil && keep[bi*l+j] == 0 {
					v += f32min
				}
				row[img+j] = v
			}
		}
	}
	mt := tensor.FromF32(mask, b, 1, t, t)
	if dt := m.WordEmbeddings.Weight.Value.DType(); dt != tensor.F32 {
		mt = mt.To(dt)
	}
	return mt
}

// check validates a batch against the model.
func (m *Model) check(in Inputs) error {
	if in.Pixels == nil || in.InputIDs == nil {
		return fmt.Errorf("git forward: pixel values and input ids are required")
	}
	if err := m.Vision.CheckPixels(in.Pixels); err != nil {
		return fmt.Errorf("git forward: %w", err)
	}
	if err := m.checkIDs("input_ids", in.InputIDs, 0, false); err != nil {
		return err
	}
	b, l := in.InputIDs.Dim(0), in.InputIDs.Dim(1)
	if in.Pixels.Dim(0) != b {
		return fmt.Errorf("git forward: %d images for %d texts", in.Pixels.Dim(0), b)
	}
	if in.AttentionMask != nil {
		if sh := in.AttentionMask.Shape(); len(sh) != 2 || sh[0] != b || sh[1] != l {
			return fmt.Errorf("git forward: attention_mask has shape %v, input_ids %v", sh, in.InputIDs.Shape())
		}
		for k, v := range in.AttentionMask.Float64s() {
			if v != 0 && v != 1 {
				return fmt.Errorf("git forward: attention_mask[%d][%d] = %v (want 0 or 1)", k/l, k%l, v)
			}
		}
	}
	if in.Labels != nil {
		if sh := in.Labels.Shape(); len(sh) != 2 || sh[0] != b || sh[1] != l {
			return fmt.Errorf("git forward: labels have shape %v, input_ids %v", sh, in.InputIDs.Shape())
		}
		if err := m.checkIDs("labels", in.Labels, 0, true); err != nil {
			return err
		}
	}
	return nil
}

// checkIDs checks that ids is a [B, L] I64 tensor of token ids that fits
// the vocabulary and, starting at text position start, the position
// table; allowIgnore admits −100 (labels).
func (m *Model) checkIDs(what string, ids *tensor.Tensor, start int, allowIgnore bool) error {
	if ids.DType() != tensor.I64 || ids.Rank() != 2 || ids.Dim(0) < 1 || ids.Dim(1) < 1 {
		return fmt.Errorf("git forward: %s must be a non-empty [batch, length] I64 tensor, got %s %v", what, ids.DType(), ids.Shape())
	}
	l := ids.Dim(1)
	if start+l > m.Config.MaxPositionEmbeddings {
		return fmt.Errorf("git forward: %s reaches text position %d, the model has %d (max_position_embeddings)", what, start+l, m.Config.MaxPositionEmbeddings)
	}
	for k, v := range ids.Contiguous().I64() {
		if allowIgnore && v == IgnoreIndex {
			continue
		}
		if v < 0 || v >= int64(m.Config.VocabSize) {
			return fmt.Errorf("git forward: %s[%d][%d] = %d outside the vocabulary [0, %d)", what, k/l, k%l, v, m.Config.VocabSize)
		}
	}
	return nil
}
