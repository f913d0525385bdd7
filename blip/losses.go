package blip

import (
	"fmt"
	"math"
	"math/rand/v2"

	"radcap/autograd"
	"radcap/tensor"
)

// ITC temperature, as BLIP pretraining (models/blip_pretrain.py) keeps it:
// a learned scalar that starts at DefaultTemp and is clamped to
// [MinTemp, MaxTemp] before every use. transformers' retrieval model has
// no such parameter (it returns plain cosine similarities), so radcap
// holds it outside the Hugging Face parameters: RetrievalModel.Temp is
// trained with the rest but never written to model.safetensors.
const (
	DefaultTemp = 0.07
	MinTemp     = 0.001
	MaxTemp     = 0.5
)

// hardNegativeFloor is the constant BLIP adds to the softmax weights
// before sampling hard negatives (so every other row stays possible).
const hardNegativeFloor = 1e-4

// ITCLoss is BLIP's image-text contrastive loss over a batch of B matched
// pairs (image i goes with text i): with s = sim / temp,
//
//	loss = ( CE(s, arange B) + CE(sᵀ, arange B) ) / 2
//
// the mean of the image→text and text→image cross entropies. sim is the
// [B, B] cosine similarity (ITCOutput.Similarity) and temp a 0-d
// parameter; its value is first clamped to [MinTemp, MaxTemp] in place,
// as BLIP does under no_grad. (BLIP's momentum distillation is not used:
// the targets are the identity.)
func ITCLoss(sim, temp *autograd.Var) (*autograd.Var, error) {
	sh := sim.Shape()
	if len(sh) != 2 || sh[0] != sh[1] || sh[0] == 0 {
		return nil, fmt.Errorf("ITC loss: similarity %v, want a square [B, B] of matched pairs", sh)
	}
	if temp == nil || temp.Value.Numel() != 1 {
		return nil, fmt.Errorf("ITC loss: temperature must be a scalar")
	}
	clampTemp(temp)
	b := sh[0]
	targets := make([]int64, b)
	for i := range targets {
		targets[i] = int64(i)
	}
	tg := tensor.FromI64(targets, b)
	s := autograd.Div(sim, autograd.Reshape(temp, 1, 1))
	i2t := autograd.CrossEntropy(s, tg, autograd.IgnoreIndex, 0)
	t2i := autograd.CrossEntropy(autograd.Contiguous(autograd.Transpose(s, 0, 1)), tg, autograd.IgnoreIndex, 0)
	return autograd.Scale(autograd.Add(i2t, t2i), 0.5), nil
}

func clampTemp(temp *autograd.Var) {
	v := temp.Value.Item()
	c := math.Min(math.Max(v, MinTemp), MaxTemp)
	if c != v {
		temp.Value.SetAt(c, make([]int, temp.Value.Rank())...)
	}
}

// ITMTrainOutput is the ITM loss with hard negatives and what it drew.
type ITMTrainOutput struct {
	Loss *autograd.Var
	// Logits [3B, 2]: B matched pairs, then B (negative image, text) pairs,
	// then B (image, negative text) pairs, as BLIP orders them.
	Logits *autograd.Var
	// NegImage[t] is the image drawn as the negative of text t, NegText[i]
	// the text drawn as the negative of image i.
	NegImage, NegText []int
}

// itmHardNegatives is BLIP pretraining's ITM loss: for every text one
// negative image and for every image one negative text are drawn (with
// rng) with probabilities softmax(sim/temp) + 1e-4 along the row, the
// matched pair's weight set to 0, so similar but wrong pairs are chosen
// more often. The text encoder with cross-attention scores the B matched
// pairs and 2B mismatched ones; the loss is the cross entropy of the ITM
// head's two logits against labels [1]*B + [0]*2B. The weights carry no
// gradient (torch.no_grad in BLIP).
func (r *retrievalHeads) itmHardNegatives(ids, mask *tensor.Tensor, img *autograd.Var, sim *tensor.Tensor, temp float64, rng *rand.Rand) (*ITMTrainOutput, error) {
	b := img.Value.Dim(0)
	if b < 2 {
		return nil, fmt.Errorf("ITM loss: hard negatives need a batch of at least 2 pairs, got %d", b)
	}
	if sim == nil || sim.Rank() != 2 || sim.Dim(0) != b || sim.Dim(1) != b {
		return nil, fmt.Errorf("ITM loss: similarity %s, want [%d, %d]", describe(sim), b, b)
	}
	if ids == nil || ids.Rank() != 2 || ids.Dim(0) != b {
		return nil, fmt.Errorf("ITM loss: input_ids %s, want %d rows (one per image)", describe(ids), b)
	}
	if rng == nil {
		return nil, fmt.Errorf("ITM loss: no random generator for the hard negatives")
	}
	s := sim.Float64s()
	out := &ITMTrainOutput{NegImage: make([]int, b), NegText: make([]int, b)}
	w := make([]float64, b)
	for t := 0; t < b; t++ { // text t: weights over images, softmax of column t
		for i := 0; i < b; i++ {
			w[i] = s[i*b+t] / temp
		}
		out.NegImage[t] = sampleNegative(w, t, rng)
	}
	for i := 0; i < b; i++ { // image i: weights over texts, softmax of row i
		for t := 0; t < b; t++ {
			w[t] = s[i*b+t] / temp
		}
		out.NegText[i] = sampleNegative(w, i, rng)
	}
	pos, err := r.itm(ids, mask, img)
	if err != nil {
		return nil, err
	}
	negImg := make([]*autograd.Var, 0, 2*b)
	for _, j := range out.NegImage {
		negImg = append(negImg, autograd.Narrow(img, 0, j, 1))
	}
	for i := 0; i < b; i++ {
		negImg = append(negImg, autograd.Narrow(img, 0, i, 1))
	}
	textRows := make([]int, 0, 2*b)
	for t := 0; t < b; t++ {
		textRows = append(textRows, t)
	}
	textRows = append(textRows, out.NegText...)
	negIDs := tensor.IndexSelect(ids, 0, textRows)
	var negMask *tensor.Tensor
	if mask != nil {
		negMask = tensor.IndexSelect(mask, 0, textRows)
	}
	neg, err := r.itm(negIDs, negMask, autograd.Concat(0, negImg...))
	if err != nil {
		return nil, err
	}
	out.Logits = autograd.Concat(0, pos.Logits, neg.Logits)
	labels := make([]int64, 3*b)
	for i := 0; i < b; i++ {
		labels[i] = 1
	}
	out.Loss = autograd.CrossEntropy(out.Logits, tensor.FromI64(labels, 3*b), autograd.IgnoreIndex, 0)
	return out, nil
}

// sampleNegative draws an index with probability proportional to
// softmax(logits) + hardNegativeFloor, never the positive one.
func sampleNegative(logits []float64, positive int, rng *rand.Rand) int {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, v)
	}
	w := make([]float64, len(logits))
	z := 0.0
	for i, v := range logits {
		w[i] = math.Exp(v - mx)
		z += w[i]
	}
	total := 0.0
	for i := range w {
		w[i] = w[i]/z + hardNegativeFloor
		if i == positive {
			w[i] = 0
		}
		total += w[i]
	}
	u := rng.Float64() * total
	last := -1
	for i, v := range w {
		if v == 0 {
			continue
		}
		last = i
		if u < v {
			return i
		}
		u -= v
	}
	return last
}
