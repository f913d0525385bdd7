package blip

import (
	"fmt"
	"math/rand/v2"

	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
	"radcap/vit"
)

// RetrievalModel is BlipForImageTextRetrieval: BLIP's ViT
// (vision_model.*), the text encoder (text_encoder.*, bidirectional, with
// cross-attention weights), vision_proj, text_proj and itm_head.
//
// Temp is the learned ITC temperature of BLIP pretraining, used only by
// ITCLoss: transformers' model has no such parameter, so it is not among
// NamedParams and never saved into model.safetensors; TrainingParams
// lists it beside the others for an optimizer.
type RetrievalModel struct {
	Config Config
	Mode   *nn.Mode
	Vision *vit.Model
	Temp   *autograd.Var
	heads  *retrievalHeads
}

// NewRetrievalModel returns a retrieval model with random weights drawn
// from seed, in evaluation mode, Temp = DefaultTemp.
func NewRetrievalModel(cfg Config, seed uint64) (*RetrievalModel, error) {
	return newRetrievalModel(cfg, seed, false)
}

// newRetrievalModel builds the model; with skipInit every matrix starts at zero
// (its weights are about to be loaded).
func newRetrievalModel(cfg Config, seed uint64, skipInit bool) (*RetrievalModel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	init, mode := nn.NewInit(seed), nn.NewMode(seed+1)
	init.Skip = skipInit
	m := &RetrievalModel{Config: cfg, Mode: mode}
	var err error
	if m.Vision, err = vit.NewBLIP(visionConfig(cfg), init, mode); err != nil {
		return nil, err
	}
	if m.heads, err = newRetrievalHeads(init, mode, cfg); err != nil {
		return nil, err
	}
	m.Temp = autograd.Param(tensor.Scalar(init.DType, DefaultTemp))
	return m, nil
}

// SetTraining switches dropout on (true) or off.
func (m *RetrievalModel) SetTraining(on bool) { m.Mode.Training = on }

// NamedParams lists the Hugging Face parameters in PyTorch order.
func (m *RetrievalModel) NamedParams() []nn.NamedParam {
	return append(m.Vision.NamedParams("vision_model"), m.heads.namedParams()...)
}

// TrainingParams is NamedParams plus the ITC temperature, named "temp"
// (as BLIP's pretraining code names it).
func (m *RetrievalModel) TrainingParams() []nn.NamedParam {
	return append(m.NamedParams(), nn.NamedParam{Name: "temp", Var: m.Temp})
}

// EncodeImage checks pixels and runs the vision tower: [B, I, Dv].
func (m *RetrievalModel) EncodeImage(pixels *tensor.Tensor) (*autograd.Var, error) {
	return encodeImage(m.Vision, pixels)
}

// ITM is forward(use_itm_head=True) on encoded images img [B, I, Dv]: the
// text encoder with cross-attention to every image token, itm_head on the
// first text token. ids are used as given (the original BLIP code puts
// [ENC] first; transformers does not replace it).
func (m *RetrievalModel) ITM(img *autograd.Var, ids, mask *tensor.Tensor) (*ITMOutput, error) {
	return m.heads.itm(ids, mask, img)
}

// ITC is forward(use_itm_head=False) on encoded images img [images, I, Dv]
// and texts ids [texts, L]: the text encoder without cross-attention and
// the normalised projections' cosine similarity [images, texts].
func (m *RetrievalModel) ITC(img *autograd.Var, ids, mask *tensor.Tensor) (*ITCOutput, error) {
	return m.heads.itc(ids, mask, img)
}

// PretrainLosses are BLIP's image-text losses on a batch of matched pairs.
type PretrainLosses struct {
	ITC *autograd.Var // ITCLoss with the learned temperature
	ITM *ITMTrainOutput
	// Sum is ITC + ITM.
	Sum *autograd.Var
}

// PretrainLosses computes the ITC loss and the ITM loss with hard
// negatives on B matched pairs (image i with text i), as BLIP pretraining
// defines them; rng draws the negatives (seed it for reproducible runs).
// ids are the texts as the tokenizer gives them ([CLS] first) and feed
// the ITC text pass; for ITM their first token is replaced by encToken
// (BLIP's [ENC], 30523 in blip-base's vocabulary) unless encToken is
// negative (then the ids are used as given, as transformers does).
func (m *RetrievalModel) PretrainLosses(pixels, ids, mask *tensor.Tensor, encToken int64, rng *rand.Rand) (*PretrainLosses, error) {
	img, err := m.EncodeImage(pixels)
	if err != nil {
		return nil, err
	}
	if ids == nil || ids.Rank() != 2 || ids.Dim(0) != img.Value.Dim(0) {
		return nil, fmt.Errorf("pretrain losses: input_ids %s for %d images (want one text per image)", describe(ids), img.Value.Dim(0))
	}
	itc, err := m.ITC(img, ids, mask)
	if err != nil {
		return nil, err
	}
	l := &PretrainLosses{}
	if l.ITC, err = ITCLoss(itc.Similarity, m.Temp); err != nil {
		return nil, err
	}
	itmIDs := ids
	if encToken >= 0 {
		if encToken >= int64(m.Config.TextConfig.VocabSize) {
			return nil, fmt.Errorf("pretrain losses: [ENC] id %d outside the vocabulary of %d", encToken, m.Config.TextConfig.VocabSize)
		}
		itmIDs = ReplaceFirstToken(ids, encToken)
	}
	if l.ITM, err = m.heads.itmHardNegatives(itmIDs, mask, img, itc.Similarity.Value, m.Temp.Item(), rng); err != nil {
		return nil, err
	}
	l.Sum = autograd.Add(l.ITC, l.ITM.Loss)
	return l, nil
}

// ReplaceFirstToken returns a copy of ids [B, L] whose first column is
// tok: BLIP puts [DEC] first for the decoder and [ENC] first for ITM.
func ReplaceFirstToken(ids *tensor.Tensor, tok int64) *tensor.Tensor {
	out := ids.Contiguous().Clone()
	if out.Rank() != 2 {
		return out
	}
	v := out.I64()
	for r := 0; r < out.Dim(0); r++ {
		if out.Dim(1) > 0 {
			v[r*out.Dim(1)] = tok
		}
	}
	return out
}
