package gitmodel

// FLOP counts of the matrix products of a forward or training step, the
// figure "model FLOP/s" is computed from. A product of [m, k] by [k, n]
// counts 2·m·k·n; element-wise work (LayerNorm, softmax, GELU) is not
// counted. The backward pass of a product costs two products of the same
// size (the gradients of both operands), except where an operand needs no
// gradient: the pixels of the patch embedding.

// visionFLOPs is the forward of the vision tower and the visual
// projection for one image, split into the patch embedding and the rest.
func (c Config) visionFLOPs() (patch, rest float64) {
	v := c.Vision
	t := float64(v.NumTokens())
	d, in := float64(v.HiddenSize), float64(v.IntermediateSize)
	channels := float64(v.NumChannels)
	if channels == 0 {
		channels = 3
	}
	p := float64(v.PatchSize)
	patch = 2 * float64(v.NumPatches()) * channels * p * p * d
	perLayer := 4*2*t*d*d + // q, k, v, out projections
		2*2*t*t*d + // scores q·kᵀ and weights·v
		2*2*t*d*in // fc1, fc2
	rest = float64(v.NumHiddenLayers)*perLayer + 2*t*d*float64(c.HiddenSize)
	return patch, rest
}

// decoderFLOPs is one decoder pass of q new positions attending over k
// key positions (the cached ones included; without the LM head).
func (c Config) decoderFLOPs(q, k float64) float64 {
	d, in := float64(c.HiddenSize), float64(c.IntermediateSize)
	perLayer := 4*2*q*d*d + // query, key, value, output dense of the new positions
		2*2*q*k*d + // scores and weighted values
		2*2*q*d*in // intermediate and output dense
	return float64(c.NumHiddenLayers) * perLayer
}

// TrainStepFLOPs is the matrix-product FLOPs of one training step
// (forward with Loss, which applies the LM head to the textLen−1 predicted
// positions, and backward) for batch images and captions of textLen
// tokens.
func (c Config) TrainStepFLOPs(batch, textLen int) float64 {
	patch, rest := c.visionFLOPs()
	t := float64(c.NumImageTokens() + textLen)
	head := 2 * float64(textLen-1) * float64(c.HiddenSize) * float64(c.VocabSize)
	fwd := patch + rest + c.decoderFLOPs(t, t) + head
	return float64(batch) * (3*fwd - patch)
}

// GreedyFLOPs is the matrix-product FLOPs of captioning one image with the
// image side cached: the vision tower and one decoder pass over the image
// tokens, then one step per token (the first feeds the bos token), each
// with the LM head on its one position.
func (c Config) GreedyFLOPs(newTokens int) float64 {
	patch, rest := c.visionFLOPs()
	img := float64(c.NumImageTokens())
	f := patch + rest + c.decoderFLOPs(img, img)
	for s := range newTokens {
		f += c.decoderFLOPs(1, img+float64(s)+1) + 2*float64(c.HiddenSize)*float64(c.VocabSize)
	}
	return f
}
