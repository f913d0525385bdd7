package blip

import (
	"fmt"

	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
)

// normEps is F.normalize's default eps.
const normEps = 1e-12

// retrievalHeads is the text side of BlipForImageTextRetrieval: the text
// encoder (BlipTextModel without pooler; its layers carry cross-attention
// weights, it runs bidirectionally), vision_proj, text_proj and itm_head.
type retrievalHeads struct {
	text                 *textModel
	visionProj, textProj *nn.Linear
	itmHead              *nn.Linear
	autocast             tensor.DType // of the ITC similarity (see setAutocast)
}

func newRetrievalHeads(init *nn.Init, mode *nn.Mode, cfg Config) (*retrievalHeads, error) {
	tc := cfg.TextConfig
	text, err := newTextModel(init, mode, tc)
	if err != nil {
		return nil, err
	}
	std := cfg.InitializerRange
	return &retrievalHeads{
		text:       text,
		visionProj: nn.NewLinear(init, cfg.VisionConfig.HiddenSize, cfg.ImageTextHiddenSize, true, std),
		textProj:   nn.NewLinear(init, tc.HiddenSize, cfg.ImageTextHiddenSize, true, std),
		itmHead:    nn.NewLinear(init, tc.HiddenSize, 2, true, std),
	}, nil
}

// namedParams lists text_encoder.*, vision_proj, text_proj, itm_head.
func (r *retrievalHeads) namedParams() []nn.NamedParam {
	ps := r.text.namedParams("text_encoder")
	ps = append(ps, r.visionProj.NamedParams("vision_proj")...)
	ps = append(ps, r.textProj.NamedParams("text_proj")...)
	return append(ps, r.itmHead.NamedParams("itm_head")...)
}

// encodeText runs the text encoder bidirectionally on ids [B, L] with the
// padding mask (nil: none), with cross-attention to img [B, N, E] when img
// is not nil. It returns the last hidden states [B, L, hidden].
func (r *retrievalHeads) encodeText(ids, mask *tensor.Tensor, img *autograd.Var, dt tensor.DType) (*autograd.Var, error) {
	if err := r.text.checkIDs(ids, 0, "input_ids"); err != nil {
		return nil, err
	}
	b, l := ids.Dim(0), ids.Dim(1)
	m, err := padMask(mask, b, l, "input_ids")
	if err != nil {
		return nil, err
	}
	var crossMask *tensor.Tensor
	if img != nil {
		if img.Value.Dim(0) != b {
			return nil, fmt.Errorf("input_ids: batch %d, but %d images", b, img.Value.Dim(0))
		}
		if r.text.layers[0].CrossAttention == nil {
			return nil, fmt.Errorf("text encoder has no cross-attention (text_config.is_decoder is false)")
		}
		crossMask = tensor.Zeros(dt, b, 1, 1, img.Value.Dim(1))
	}
	x := r.text.embed(ids, 0)
	return r.text.encode(x, encoderSelfMask(m, b, l, dt), img, crossMask), nil
}

// first returns x[:, 0] of x [B, T, D] as [B, D].
func first(x *autograd.Var) *autograd.Var { return autograd.Select(x, 1, 0) }

// ITMOutput is the image-text matching head's result.
type ITMOutput struct {
	// Hidden is the text encoder's last hidden state [B, L, hidden]
	// (itm_question_embeds).
	Hidden *autograd.Var
	// Logits [B, 2] score (no match, match) from the first text token.
	Logits *autograd.Var
}

func (r *retrievalHeads) itm(ids, mask *tensor.Tensor, img *autograd.Var) (*ITMOutput, error) {
	h, err := r.encodeText(ids, mask, img, img.Value.DType())
	if err != nil {
		return nil, err
	}
	return &ITMOutput{Hidden: h, Logits: r.itmHead.Forward(first(h))}, nil
}

// ITCOutput is the image-text contrastive head's result.
type ITCOutput struct {
	// ImageFeat [images, D] and TextFeat [texts, D] are the L2-normalised
	// vision_proj / text_proj of the class tokens.
	ImageFeat, TextFeat *autograd.Var
	// Similarity [images, texts] is ImageFeat · TextFeatᵀ (cosine, no
	// temperature), as transformers returns it.
	Similarity *autograd.Var
	// Hidden is the text encoder's last hidden state [texts, L, hidden]
	// (itc_question_embeds), computed without cross-attention.
	Hidden *autograd.Var
}

func (r *retrievalHeads) itc(ids, mask *tensor.Tensor, img *autograd.Var) (*ITCOutput, error) {
	h, err := r.encodeText(ids, mask, nil, img.Value.DType())
	if err != nil {
		return nil, err
	}
	o := &ITCOutput{Hidden: h}
	o.ImageFeat = autograd.L2Normalize(r.visionProj.Forward(first(img)), -1, normEps)
	o.TextFeat = autograd.L2Normalize(r.textProj.Forward(first(h)), -1, normEps)
	o.Similarity = nn.Autocast(r.autocast, similarity, o.ImageFeat, o.TextFeat)
	return o, nil
}
