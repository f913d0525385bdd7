package pretrain

import (
	"fmt"
	"math"

	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
)

// attrHeads are the small models' pretraining-only attribute heads (never
// saved): each shapes position's kind, size and brightness read from the
// mean of the image tokens in that region, and all of them read from the
// decoder's first text position (GIT's [CLS], BLIP's [DEC]), which
// attends to every image token.
type attrHeads struct {
	attrs    *nn.Linear     // a region's mean image token -> its attribute logits
	attrBias *autograd.Var  // per attribute and region
	decAttrs *nn.Linear     // the decoder's first text position -> all attribute logits
	regions  *tensor.Tensor // [I, R] pooling weights of the image tokens per region
}

// newAttrHeads returns the heads for image tokens of width imageWidth (a
// class token and a grid x grid patch grid) and a decoder of width
// textWidth, predicting perRegion attributes for each of regions ([x0, y0,
// x1, y1] boxes in [0, 1] image coordinates), with weights drawn from
// init with standard deviation std.
func newAttrHeads(init *nn.Init, imageWidth, textWidth, grid int, regions [][4]float64, perRegion int, std float64) *attrHeads {
	return &attrHeads{
		attrs:    nn.NewLinear(init, imageWidth, perRegion, false, std),
		attrBias: init.Zeros(len(regions) * perRegion),
		decAttrs: nn.NewLinear(init, textWidth, len(regions)*perRegion, true, std),
		regions:  regionPooling(grid, regions),
	}
}

// NamedParams lists the heads' parameters under names that say what they
// are.
func (h *attrHeads) NamedParams() []nn.NamedParam {
	ps := h.attrs.NamedParams("attribute_head")
	ps = append(ps, nn.NamedParam{Name: "attribute_head.bias", Var: h.attrBias})
	return append(ps, h.decAttrs.NamedParams("decoder_attribute_head")...)
}

// attrLoss is the image-level attribute loss on image tokens [B, I, D]:
// the tokens are pooled per region, the head gives each region's
// attribute logits ([B, R*perRegion], region-major), and their binary
// cross entropy on the multi-hot targets [B, R*perRegion] is averaged.
func (h *attrHeads) attrLoss(image *autograd.Var, targets *tensor.Tensor) (*autograd.Var, error) {
	sh := image.Shape()
	b, n, d := sh[0], sh[1], sh[2]
	if n != h.regions.Dim(0) {
		return nil, fmt.Errorf("pretrain: %d image tokens, want %d", n, h.regions.Dim(0))
	}
	r := h.regions.Dim(1)
	cols := autograd.Reshape(autograd.Contiguous(autograd.Transpose(image, 1, 2)), b*d, n)
	pooledR := autograd.MatMul(cols, autograd.Const(h.regions.To(image.DType())))                  // [B*D, R]
	perRegion := autograd.Contiguous(autograd.Transpose(autograd.Reshape(pooledR, b, d, r), 1, 2)) // [B, R, D]
	z := autograd.Reshape(h.attrs.Forward(perRegion), b, r*h.attrs.Weight.Value.Dim(0))
	return bceLogits(autograd.Add(z, autograd.Reshape(h.attrBias, 1, h.attrBias.Value.Numel())), targets)
}

// decoderAttrLoss is the attribute loss read from the decoder's first
// text position first [B, D].
func (h *attrHeads) decoderAttrLoss(first *autograd.Var, targets *tensor.Tensor) (*autograd.Var, error) {
	return bceLogits(h.decAttrs.Forward(first), targets)
}

// initBiases sets both heads' biases to the logits of the attributes'
// base rates in targets (rows of a sample of the data). A fresh head that
// predicts 0.5 everywhere has an error that is the same for every image;
// its gradient pushes every image's features the same way, and within a
// few AdamW steps a fresh vision tower forgets the image. Starting at the
// base rates leaves only the image-specific part of the error.
func (h *attrHeads) initBiases(targets [][]float32) {
	for _, bias := range []*tensor.Tensor{h.attrBias.Value, h.decAttrs.Bias.Value} {
		for j := range bias.Numel() {
			p := 0.0
			for _, t := range targets {
				p += float64(t[j])
			}
			p = (p + 0.5) / (float64(len(targets)) + 1) // smoothed rate in (0, 1)
			bias.SetAt(math.Log(p/(1-p)), j)
		}
	}
}
