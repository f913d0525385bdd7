package blip

import (
	"fmt"

	"radcap/autograd"
	"radcap/generate"
	"radcap/nn"
	"radcap/tensor"
	"radcap/vit"
)

// CaptionModel is BlipForConditionalGeneration: BLIP's ViT
// (vision_model.*) and the BERT text decoder with cross-attention to
// every image token and the LM head (text_decoder.bert.*,
// text_decoder.cls.predictions.*).
type CaptionModel struct {
	Config Config
	Mode   *nn.Mode
	Vision *vit.Model
	text   *textDecoder
}

// NewCaptionModel returns a captioning model with random weights drawn
// from seed as transformers initialises it (normal matrices and
// embeddings with initializer_range, zero biases, unit LayerNorm
// weights; the vision tower as vit.NewBLIP draws it), in evaluation
// mode.
func NewCaptionModel(cfg Config, seed uint64) (*CaptionModel, error) {
	return newCaptionModel(cfg, seed, false)
}

// newCaptionModel builds the model; with skipInit every matrix starts at zero
// (its weights are about to be loaded).
func newCaptionModel(cfg Config, seed uint64, skipInit bool) (*CaptionModel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	init, mode := nn.NewInit(seed), nn.NewMode(seed+1)
	init.Skip = skipInit
	m := &CaptionModel{Config: cfg, Mode: mode}
	var err error
	if m.Vision, err = vit.NewBLIP(visionConfig(cfg), init, mode); err != nil {
		return nil, err
	}
	if m.text, err = newTextDecoder(init, mode, cfg.TextConfig); err != nil {
		return nil, err
	}
	return m, nil
}

// visionConfig converts the vision part of cfg to the vit package's
// config (initialised with the top-level initializer_range, which
// transformers uses for BLIP's vision matrices).
func visionConfig(cfg Config) vit.Config {
	v := cfg.VisionConfig
	c := vit.BLIPDefaults()
	c.HiddenSize, c.IntermediateSize = v.HiddenSize, v.IntermediateSize
	c.NumHiddenLayers, c.NumAttentionHeads = v.NumHiddenLayers, v.NumAttentionHeads
	c.ImageSize, c.PatchSize, c.HiddenAct = v.ImageSize, v.PatchSize, v.HiddenAct
	c.LayerNormEps, c.AttentionDropout = v.LayerNormEps, v.AttentionDropout
	c.InitializerRange, c.ProjectionDim = cfg.InitializerRange, v.ProjectionDim
	return c
}

// SetTraining switches dropout on (true, model.train()) or off.
func (m *CaptionModel) SetTraining(on bool) { m.Mode.Training = on }

// NamedParams lists every parameter under its Hugging Face name, in
// PyTorch's named_parameters() order. cls.predictions.decoder.bias is the
// same tensor as cls.predictions.bias and appears once, under the latter.
func (m *CaptionModel) NamedParams() []nn.NamedParam {
	return append(m.Vision.NamedParams("vision_model"), m.text.namedParams("text_decoder")...)
}

// CaptionInputs is one batch for the captioning model.
type CaptionInputs struct {
	Pixels        *tensor.Tensor // [B, 3, image, image] in the model's dtype
	InputIDs      *tensor.Tensor // [B, L] I64, [bos ([DEC]), tokens..., sep, pad...], used as given
	AttentionMask *tensor.Tensor // [B, L], 1 on real tokens, 0 on padding; nil = all real
	Labels        *tensor.Tensor // [B, L] I64, −100 where ignored; nil = no loss
}

// CaptionOutputs are the results of a forward pass and the intermediate
// tensors the parity tests compare.
type CaptionOutputs struct {
	VisionHidden *autograd.Var  // vision tower output after post_layernorm [B, I, Dv]
	Embeds       *autograd.Var  // decoder input embeddings [B, L, D]
	SelfMask     *tensor.Tensor // additive causal+padding mask [B, 1, L, L]
	CrossMask    *tensor.Tensor // additive image mask [B, 1, 1, I] (zeros: all visible)
	Hidden       *autograd.Var  // last decoder layer [B, L, D]
	Logits       *autograd.Var  // [B, L, vocab]
	// Loss is the label-smoothed next-token cross entropy (nil without
	// labels).
	Loss *autograd.Var
}

// Forward runs the vision tower and the decoder. With labels it also
// computes the loss as transformers does: logits[:, i] against
// labels[:, i+1], label smoothing text_config.label_smoothing.
func (m *CaptionModel) Forward(in CaptionInputs) (*CaptionOutputs, error) {
	return m.forward(in, m.Config.TextConfig.LabelSmoothing)
}

// ForwardSmoothing is Forward with an explicit label smoothing.
func (m *CaptionModel) ForwardSmoothing(in CaptionInputs, smoothing float64) (*CaptionOutputs, error) {
	if smoothing < 0 || smoothing > 1 {
		return nil, fmt.Errorf("label smoothing %v outside [0, 1]", smoothing)
	}
	return m.forward(in, smoothing)
}

func (m *CaptionModel) forward(in CaptionInputs, smoothing float64) (*CaptionOutputs, error) {
	img, err := m.EncodeImage(in.Pixels)
	if err != nil {
		return nil, err
	}
	p, err := m.text.forward(in.InputIDs, in.AttentionMask, img)
	if err != nil {
		return nil, err
	}
	out := &CaptionOutputs{VisionHidden: img, Embeds: p.Embeds, SelfMask: p.SelfMask, CrossMask: p.CrossMask, Hidden: p.Hidden, Logits: p.Logits}
	if in.Labels != nil {
		if out.Loss, err = lmLoss(p.Logits, in.Labels, smoothing); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EncodeImage checks pixels and runs the vision tower: [B, I, Dv].
func (m *CaptionModel) EncodeImage(pixels *tensor.Tensor) (*autograd.Var, error) {
	return encodeImage(m.Vision, pixels)
}

func encodeImage(v *vit.Model, pixels *tensor.Tensor) (*autograd.Var, error) {
	if pixels == nil {
		return nil, fmt.Errorf("no pixel_values")
	}
	if err := v.CheckPixels(pixels); err != nil {
		return nil, err
	}
	return v.Forward(autograd.Const(pixels)), nil
}

// Decoder binds the model to a batch of images for generate.Generate: the
// vision tower runs once here, each layer's cross-attention keys and
// values once in Start, and the self-attention keys and values are
// cached. Run it with frozen parameters (nn.SetRequiresGrad false) or
// accept that each step keeps a short pending history until it returns.
func (m *CaptionModel) Decoder(pixels *tensor.Tensor) (generate.Decoder, error) {
	img, err := m.EncodeImage(pixels)
	if err != nil {
		return nil, err
	}
	return &imageDecoder{dec: m.text, img: img.Value}, nil
}

// GenerateOptions returns generate.DefaultOptions with BLIP's special
// tokens: rows start from bos ([DEC]), stop on sep_token_id (as
// BlipForConditionalGeneration.generate passes it as eos), pad with
// pad_token_id.
func (m *CaptionModel) GenerateOptions() generate.Options {
	o := generate.DefaultOptions()
	tc := m.Config.TextConfig
	o.BOS, o.Pad = int64(tc.BosTokenID), int64(tc.PadTokenID)
	if tc.SepTokenID != NoToken {
		o.EOS = []int64{int64(tc.SepTokenID)}
	}
	return o
}

// Generate captions pixels as BlipForConditionalGeneration.generate does.
// prompts nil starts every row from [bos]. Otherwise each prompt row is
// taken as the reference takes input_ids: its first token is replaced by
// bos and its LAST token (expected to be sep) is dropped before decoding,
// so the output starts with the prompt minus its last token. opts usually
// come from GenerateOptions.
func (m *CaptionModel) Generate(pixels *tensor.Tensor, prompts [][]int64, opts generate.Options) (*generate.Result, error) {
	d, err := m.Decoder(pixels)
	if err != nil {
		return nil, err
	}
	bos := int64(m.Config.TextConfig.BosTokenID)
	rows := make([][]int64, d.Batch())
	for i := range rows {
		rows[i] = []int64{bos}
	}
	if prompts != nil {
		if len(prompts) != d.Batch() {
			return nil, fmt.Errorf("generate: %d prompts for %d images", len(prompts), d.Batch())
		}
		for i, p := range prompts {
			if len(p) < 2 {
				return nil, fmt.Errorf("generate: prompt %d has %d tokens; BLIP drops the last one (sep), so it needs at least 2", i, len(p))
			}
			rows[i] = append([]int64{bos}, p[1:len(p)-1]...)
		}
	}
	return generate.Generate(d, rows, opts)
}

// WithDEC returns ids with [DEC] (bos_token_id) as the first token of
// every row, as BLIP's captioner feeds its decoder (the tokenizer puts
// [CLS] there; transformers' forward uses input_ids as given).
func (m *CaptionModel) WithDEC(ids *tensor.Tensor) *tensor.Tensor {
	return ReplaceFirstToken(ids, int64(m.Config.TextConfig.BosTokenID))
}
