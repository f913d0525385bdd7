package blip

import (
	"fmt"

	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
)

// lmHead is BlipTextOnlyMLMHead: dense → act → LayerNorm → decoder, with
// the decoder's bias stored once as cls.predictions.bias (transformers
// ties cls.predictions.decoder.bias to it).
type lmHead struct {
	Bias     *autograd.Var
	Dense    *nn.Linear
	Act      nn.Activation
	LN       *nn.LayerNorm
	DecoderW *autograd.Var
	// Autocast is the dtype of the vocabulary projection's product
	// (tensor.BF16 under bf16 autocast; zero: F32, off).
	Autocast tensor.DType
}

// textDecoder is BlipTextLMHeadModel: the text model run causally with
// cross-attention to the image, and the LM head.
type textDecoder struct {
	bert *textModel
	cls  *lmHead
}

func newTextDecoder(init *nn.Init, mode *nn.Mode, cfg TextConfig) (*textDecoder, error) {
	cfg.IsDecoder = true
	bert, err := newTextModel(init, mode, cfg)
	if err != nil {
		return nil, err
	}
	act, _ := nn.ParseActivation(cfg.HiddenAct)
	std := cfg.InitializerRange
	h := &lmHead{
		Bias:  init.Zeros(cfg.VocabSize),
		Dense: nn.NewLinear(init, cfg.HiddenSize, cfg.HiddenSize, true, std),
		Act:   act,
		LN:    nn.NewLayerNorm(init, cfg.HiddenSize, cfg.LayerNormEps),
	}
	h.DecoderW = init.Normal(std, cfg.VocabSize, cfg.HiddenSize)
	return &textDecoder{bert: bert, cls: h}, nil
}

// namedParams lists bert.* then cls.predictions.* under prefix, in
// PyTorch order: the head's own bias comes before its submodules.
func (d *textDecoder) namedParams(prefix string) []nn.NamedParam {
	ps := d.bert.namedParams(nn.Join(prefix, "bert"))
	p := nn.Join(prefix, "cls.predictions")
	ps = append(ps, nn.NamedParam{Name: nn.Join(p, "bias"), Var: d.cls.Bias})
	ps = append(ps, d.cls.Dense.NamedParams(nn.Join(p, "transform.dense"))...)
	ps = append(ps, d.cls.LN.NamedParams(nn.Join(p, "transform.LayerNorm"))...)
	return append(ps, nn.NamedParam{Name: nn.Join(p, "decoder.weight"), Var: d.cls.DecoderW})
}

func (h *lmHead) forward(x *autograd.Var) *autograd.Var {
	return nn.Autocast(h.Autocast, linear, h.LN.Forward(h.Act(h.Dense.Forward(x))), h.DecoderW, h.Bias)
}

// decoderPass holds what one decoder forward produced, for the tests and
// the users who want the intermediate tensors.
type decoderPass struct {
	Embeds    *autograd.Var  // LayerNorm(word + position) [B, L, hidden]
	SelfMask  *tensor.Tensor // additive [B, 1, L, L]
	CrossMask *tensor.Tensor // additive [B, 1, 1, image tokens] (zeros)
	Hidden    *autograd.Var  // last layer output [B, L, hidden]
	Logits    *autograd.Var  // [B, L, vocab]
}

// forward runs the decoder on ids [B, L] (mask [B, L] or nil) attending to
// the image states img [B, N, E]: causal self-attention with padding as
// (1 − m)·(−10000), every image token visible.
func (d *textDecoder) forward(ids, mask *tensor.Tensor, img *autograd.Var) (*decoderPass, error) {
	if err := d.bert.checkIDs(ids, 0, "input_ids"); err != nil {
		return nil, err
	}
	b, l := ids.Dim(0), ids.Dim(1)
	if img.Value.Dim(0) != b {
		return nil, fmt.Errorf("input_ids: batch %d, but %d images", b, img.Value.Dim(0))
	}
	m, err := padMask(mask, b, l, "input_ids")
	if err != nil {
		return nil, err
	}
	dt := img.Value.DType()
	p := &decoderPass{
		SelfMask:  decoderSelfMask(m, b, l, l, dt),
		CrossMask: tensor.Zeros(dt, b, 1, 1, img.Value.Dim(1)),
	}
	p.Embeds = d.bert.embed(ids, 0)
	p.Hidden = d.bert.encode(p.Embeds, p.SelfMask, img, p.CrossMask)
	p.Logits = d.cls.forward(p.Hidden)
	return p, nil
}

// lmLoss is the captioning loss of transformers: logits[:, i] scored
// against labels[:, i+1] by cross entropy with label smoothing, mean over
// the targets that are not -100.
func lmLoss(logits *autograd.Var, labels *tensor.Tensor, smoothing float64) (*autograd.Var, error) {
	sh := logits.Shape()
	b, l, v := sh[0], sh[1], sh[2]
	if labels == nil || labels.DType() != tensor.I64 || labels.Rank() != 2 || labels.Dim(0) != b || labels.Dim(1) != l {
		return nil, fmt.Errorf("labels: want int64 [%d, %d], got %s", b, l, describe(labels))
	}
	if l < 2 {
		return nil, fmt.Errorf("labels: length %d leaves no next token to predict", l)
	}
	for i, t := range labels.Contiguous().I64() {
		if t != autograd.IgnoreIndex && (t < 0 || t >= int64(v)) {
			return nil, fmt.Errorf("labels: %d at [%d, %d] is neither -100 nor a token id below %d", t, i/l, i%l, v)
		}
	}
	shifted := autograd.Reshape(autograd.Contiguous(autograd.Narrow(logits, 1, 0, l-1)), b*(l-1), v)
	targets := labels.Narrow(1, 1, l-1).Contiguous().Reshape(b * (l - 1))
	return autograd.CrossEntropy(shifted, targets, autograd.IgnoreIndex, smoothing), nil
}
