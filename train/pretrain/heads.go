package pretrain

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"radcap/autograd"
	"radcap/blip"
	"radcap/gitmodel"
	"radcap/nn"
	"radcap/tensor"
)

// gitHeads are the pretraining-only modules around a GIT model: a one-layer
// BERT text encoder (GIT's word embeddings, its own positions, a layer
// with cross-attention used only for ITM), the ITC projections, the ITM
// head and the ITC temperature. They are never saved.
type gitHeads struct {
	model     *gitmodel.Model
	positions *nn.Embedding
	norm      *nn.LayerNorm
	layer     *nn.BertLayer
	imageProj *nn.Linear // mean image token -> shared space
	textProj  *nn.Linear // [CLS] encoding -> shared space
	itm       *nn.Linear // fused [CLS] -> (no match, match)
	*attrHeads
	temp *autograd.Var
}

// maxTextPositions is the text encoder's position table length.
const maxTextPositions = 64

// newGITHeads builds the heads for m with random weights from seed;
// embedDim is the width of the ITC space. The attribute head predicts
// perRegion attributes for each of regions ([x0, y0, x1, y1] boxes in
// [0, 1] image coordinates) from the mean of the patch tokens whose
// centres lie in the box.
func newGITHeads(m *gitmodel.Model, embedDim int, regions [][4]float64, perRegion int, seed uint64) (*gitHeads, error) {
	c := m.Config
	act, err := nn.ParseActivation(c.HiddenAct)
	if err != nil {
		return nil, fmt.Errorf("pretrain heads: %w", err)
	}
	init, std := nn.NewInit(seed), c.InitializerRange
	h := &gitHeads{
		model:     m,
		positions: nn.NewEmbedding(init, maxTextPositions, c.HiddenSize, autograd.NoPadding, std),
		norm:      nn.NewLayerNorm(init, c.HiddenSize, c.LayerNormEps),
		layer: nn.NewBertLayer(init, m.Mode, nn.BertConfig{
			Hidden: c.HiddenSize, Heads: c.NumAttentionHeads, Intermediate: c.IntermediateSize, Act: act,
			LayerNormEps: c.LayerNormEps, HiddenDropout: c.HiddenDropoutProb,
			AttentionDropout: c.AttentionProbsDropoutProb, CrossAttention: true, InitStd: std,
		}),
		imageProj: nn.NewLinear(init, c.HiddenSize, embedDim, true, std),
		textProj:  nn.NewLinear(init, c.HiddenSize, embedDim, true, std),
		itm:       nn.NewLinear(init, c.HiddenSize, 2, true, std),
		// The image tokens are projected to the decoder's width.
		attrHeads: newAttrHeads(init, c.HiddenSize, c.HiddenSize, c.Vision.ImageSize/c.Vision.PatchSize, regions, perRegion, std),
		temp:      autograd.Param(tensor.Full(tensor.F32, blip.DefaultTemp)),
	}
	return h, nil
}

// NamedParams lists the heads' parameters (not GIT's word embeddings,
// which the model lists), under names that say what they are.
func (h *gitHeads) NamedParams() []nn.NamedParam {
	ps := h.positions.NamedParams("text_encoder.position_embeddings")
	ps = append(ps, h.norm.NamedParams("text_encoder.LayerNorm")...)
	ps = append(ps, h.layer.NamedParams("text_encoder.layer.0")...)
	ps = append(ps, h.imageProj.NamedParams("vision_proj")...)
	ps = append(ps, h.textProj.NamedParams("text_proj")...)
	ps = append(ps, h.itm.NamedParams("itm_head")...)
	ps = append(ps, h.attrHeads.NamedParams()...)
	return append(ps, nn.NamedParam{Name: "temp", Var: h.temp})
}

// paddingMask is the additive self-attention mask [B, 1, L, L] of
// attention mask rows [B, L] (1 real, 0 padding): 0 where the key is a
// real token, the float32 minimum where it is padding.
func paddingMask(mask *tensor.Tensor) *tensor.Tensor {
	b, l := mask.Dim(0), mask.Dim(1)
	keep := mask.Float64s()
	out := make([]float32, b*l*l)
	for bi := range b {
		for r := range l {
			for c := range l {
				if keep[bi*l+c] == 0 {
					out[(bi*l+r)*l+c] = -math.MaxFloat32
				}
			}
		}
	}
	return tensor.FromF32(out, b, 1, l, l)
}

// encodeText runs the text encoder on ids [B, L] (each row [CLS] ...
// [SEP] padding) and returns its output [B, L, D]; image [B, I, D] is the
// cross-attention input (ITM mode) or nil (ITC mode, unimodal).
func (h *gitHeads) encodeText(ids, mask *tensor.Tensor, image *autograd.Var) (*autograd.Var, error) {
	l := ids.Dim(1)
	if l > maxTextPositions {
		return nil, fmt.Errorf("pretrain: caption of %d tokens exceeds the text encoder's %d positions", l, maxTextPositions)
	}
	words := h.model.WordEmbeddings.Forward(ids)
	pos := autograd.Narrow(h.positions.Weight, 0, 0, l)
	x := h.norm.Forward(autograd.Add(words, pos))
	if image == nil {
		// ITC mode: the layer without its cross-attention block.
		saved := h.layer.CrossAttention
		h.layer.CrossAttention = nil
		defer func() { h.layer.CrossAttention = saved }()
	}
	return h.layer.Forward(x, paddingMask(mask), image, nil), nil
}

// pooled is the image's pooled feature: the mean of its tokens [B, I, D].
func pooled(image *autograd.Var) *autograd.Var {
	return autograd.Mean(image, []int{1}, false)
}

// regionPooling returns the [1 + g², R] matrix whose column r averages
// the patch tokens (of a g x g grid, after the class token, row by row)
// whose centres lie in region r.
func regionPooling(g int, regions [][4]float64) *tensor.Tensor {
	n := 1 + g*g
	w := make([]float32, n*len(regions))
	for r, box := range regions {
		var in []int
		for py := range g {
			for px := range g {
				x, y := (float64(px)+0.5)/float64(g), (float64(py)+0.5)/float64(g)
				if x >= box[0] && x < box[2] && y >= box[1] && y < box[3] {
					in = append(in, 1+py*g+px)
				}
			}
		}
		for _, t := range in {
			w[t*len(regions)+r] = 1 / float32(len(in))
		}
	}
	return tensor.FromF32(w, n, len(regions))
}

// bceLogits is the mean binary cross entropy of logits z on multi-hot
// targets y of the same shape: mean(log(1 + exp(z)) - y z).
func bceLogits(z *autograd.Var, targets *tensor.Tensor) (*autograd.Var, error) {
	if !slices.Equal(z.Shape(), targets.Shape()) {
		return nil, fmt.Errorf("pretrain: attribute targets %v, want %v", targets.Shape(), z.Shape())
	}
	y := autograd.Const(targets.To(z.DType()))
	softplus := autograd.Log(autograd.AddScalar(autograd.Exp(z), 1))
	return autograd.Mean(autograd.Sub(softplus, autograd.Mul(y, z)), nil, false), nil
}

// itcOutput is what the contrastive step computes.
type itcOutput struct {
	loss *autograd.Var
	sim  *tensor.Tensor // [B, B] cosine similarities (image rows, text columns)
}

// itc is the contrastive loss between the mean of the image tokens
// [B, I, D] and the unimodal [CLS] encodings of the captions.
func (h *gitHeads) itc(image *autograd.Var, ids, mask *tensor.Tensor) (*itcOutput, error) {
	text, err := h.encodeText(ids, mask, nil)
	if err != nil {
		return nil, err
	}
	img := autograd.L2Normalize(h.imageProj.Forward(pooled(image)), -1, 1e-12)
	txt := autograd.L2Normalize(h.textProj.Forward(autograd.Select(text, 1, 0)), -1, 1e-12)
	sim := autograd.MatMulT(img, txt, false, true)
	loss, err := blip.ITCLoss(sim, h.temp)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	return &itcOutput{loss: loss, sim: sim.Value}, nil
}

// itmLoss is the matching loss on the B matched pairs and 2B hard
// negatives (for each image a caption, for each caption an image, drawn
// with probability softmax(sim/temp) among the pairs whose shapes differ:
// same[i][j] marks examples i and j as describing the same scene, which
// are never each other's negatives).
func (h *gitHeads) itmLoss(image *autograd.Var, ids, mask *tensor.Tensor, sim *tensor.Tensor, same func(i, j int) bool, rng *rand.Rand) (*autograd.Var, error) {
	b := ids.Dim(0)
	s := sim.Float64s()
	temp := h.temp.Value.Item()
	negText, negImage := make([]int, b), make([]int, b)
	w := make([]float64, b)
	for i := range b {
		for j := range b {
			w[j] = s[i*b+j] / temp
		}
		negText[i] = drawNegative(w, i, same, rng)
		for j := range b {
			w[j] = s[j*b+i] / temp
		}
		negImage[i] = drawNegative(w, i, same, rng)
	}
	// Rows: B matched (image i, text i), B (image negImage[t], text t),
	// B (image i, text negText[i]).
	imgRows := make([]int, 0, 3*b)
	txtRows := make([]int, 0, 3*b)
	labels := make([]int64, 0, 3*b)
	for i := range b {
		imgRows, txtRows, labels = append(imgRows, i), append(txtRows, i), append(labels, 1)
	}
	for t := range b {
		if negImage[t] < 0 {
			continue
		}
		imgRows, txtRows, labels = append(imgRows, negImage[t]), append(txtRows, t), append(labels, 0)
	}
	for i := range b {
		if negText[i] < 0 {
			continue
		}
		imgRows, txtRows, labels = append(imgRows, i), append(txtRows, negText[i]), append(labels, 0)
	}
	img := gatherRows(image, imgRows)
	fused, err := h.encodeText(tensor.IndexSelect(ids, 0, txtRows), tensor.IndexSelect(mask, 0, txtRows), img)
	if err != nil {
		return nil, err
	}
	logits := h.itm.Forward(autograd.Select(fused, 1, 0))
	return autograd.CrossEntropy(logits, tensor.FromI64(labels, len(labels)), autograd.IgnoreIndex, 0), nil
}

// gatherRows stacks rows idx of v along dimension 0 (differentiably).
func gatherRows(v *autograd.Var, idx []int) *autograd.Var {
	parts := make([]*autograd.Var, len(idx))
	for k, i := range idx {
		parts[k] = autograd.Narrow(v, 0, i, 1)
	}
	return autograd.Concat(0, parts...)
}

// drawNegative samples an index j with probability proportional to
// exp(logit[j]) + 1e-4 among the j that are not self and not the same
// scene as self; -1 when there is none.
func drawNegative(logit []float64, self int, same func(i, j int) bool, rng *rand.Rand) int {
	maxL := math.Inf(-1)
	for j, v := range logit {
		if j != self && !same(self, j) && v > maxL {
			maxL = v
		}
	}
	if math.IsInf(maxL, -1) {
		return -1
	}
	w := make([]float64, len(logit))
	total := 0.0
	for j, v := range logit {
		if j == self || same(self, j) {
			continue
		}
		w[j] = math.Exp(v-maxL) + 1e-4
		total += w[j]
	}
	u := rng.Float64() * total
	last := -1
	for j, x := range w {
		if x == 0 {
			continue
		}
		last = j
		if u < x {
			return j
		}
		u -= x
	}
	return last
}

// initBiases sets the attribute heads' biases to the logits of the
// attributes' base rates in targets (attrHeads.initBiases says why) and
// the ITM head's to the log-odds of its 1:2 mix of matched and mismatched
// pairs.
func (h *gitHeads) initBiases(targets [][]float32) {
	h.attrHeads.initBiases(targets)
	h.itm.Bias.Value.SetAt(0, 0)
	h.itm.Bias.Value.SetAt(-math.Ln2, 1)
}
