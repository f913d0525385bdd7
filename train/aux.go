package train

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"radcap/autograd"
	"radcap/data"
	"radcap/nn"
	"radcap/safetensors"
	"radcap/tensor"
)

// ImageFeatures are what an auxiliary image-level objective can read from
// a training forward pass.
type ImageFeatures struct {
	// Tokens are the image tokens [B, I, D] the decoder reads.
	Tokens *autograd.Var
	// First is the decoder's last hidden state [B, H] at the first caption
	// position (GIT's [CLS], BLIP's [DEC]), which sees the image and no
	// caption word: what the decoder itself has read from the image.
	First *autograd.Var
	// Text is the decoder's last hidden state [B, L, H] at every caption
	// position.
	Text *autograd.Var
}

// ImageLosser is a Model that also returns the image features its caption
// loss was computed from, so that an auxiliary image-level objective can
// share the forward pass. Both adapters implement it.
type ImageLosser interface {
	// LossAndImage returns the caption loss and the image features.
	LossAndImage(b *data.Batch) (*autograd.Var, ImageFeatures, error)
	// Image returns the image features alone (no caption loss).
	Image(b *data.Batch) (ImageFeatures, error)
	// ImageWidth is the last dimension D of the image tokens.
	ImageWidth() int
	// ImageTokens is their number I (the class token and one per patch).
	ImageTokens() int
	// TextWidth is the width H of the decoder's hidden states.
	TextWidth() int
}

// LossAndImage returns GIT's caption loss, its projected image tokens and
// the decoder output at [CLS].
func (g *GIT) LossAndImage(b *data.Batch) (*autograd.Var, ImageFeatures, error) {
	return g.lossAndImage(b)
}

// ImageTokens is the number of GIT's image tokens: one per patch and the
// class token.
func (g *GIT) ImageTokens() int { return g.M.Config.NumImageTokens() }

// TextWidth is the width of GIT's decoder.
func (g *GIT) TextWidth() int { return g.M.Config.HiddenSize }

// LossAndImage returns BLIP's caption loss, its vision tower output and
// the decoder output at [DEC].
func (b *BLIP) LossAndImage(bt *data.Batch) (*autograd.Var, ImageFeatures, error) {
	return b.lossAndImage(bt)
}

// ImageTokens is the number of BLIP's image tokens: one per patch and the
// class token.
func (b *BLIP) ImageTokens() int {
	n := b.M.Config.VisionConfig.ImageSize / b.M.Config.VisionConfig.PatchSize
	return n*n + 1
}

// TextWidth is the width of BLIP's decoder.
func (b *BLIP) TextWidth() int { return b.M.Config.TextConfig.HiddenSize }

// The features FindingHead reads (Config.AuxPool names one, or several
// joined by "+": each gets its own linear layer and loss term).
const (
	// PoolMean averages the image tokens and standardises the average
	// over the batch (standardise): few weights, but the tokens' positions (which side
	// of the chest, which zone) are lost and the tower must first learn to
	// write them into the tokens' content.
	PoolMean = "mean"
	// PoolFlat concatenates the image tokens: one linear layer reads every
	// token at its position, so left and right are told apart from the
	// first step, as a linear model of the pixels does.
	PoolFlat = "flat"
	// PoolAvg averages the image tokens and centres the average over the
	// batch (its common part would only offset the logits) without
	// scaling it, and reads it through a layer whose weights start large
	// (1/sqrt(D)): to move the logits, the tower must move the average
	// token itself, strongly and in the same way for every image with a
	// finding. The average token is
	// what a decoder's attention reads before it has learned where to
	// look, so this is the feature a fresh decoder sees.
	PoolAvg = "avg"
	// PoolFirst reads the decoder's output at the first caption position
	// (ImageFeatures.First): it trains the decoder's path from the image
	// tokens to the text, which a captioning model must use and a
	// caption loss teaches slowly when the captions' wording is easier to
	// learn than their findings.
	PoolFirst = "first"
	// PoolText reads the decoder's output at every caption position
	// (ImageFeatures.Text), each centred over the batch, and averages the
	// loss over the positions: the positions before a caption names a
	// finding can only know it from the image, and they are where the
	// caption loss needs it.
	PoolText = "text"
)

// FindingHead is an optional auxiliary objective for data sets whose
// image-level findings are known (the synthetic set's data.Batch.Targets):
// linear layers on image features (Pools: PoolMean, PoolAvg, PoolFlat,
// PoolFirst, as Config.AuxPool names them joined by "+") predict the multi-hot finding vector, scored by
// a per-class binary cross entropy (summed over the layers) and added to
// the caption loss with a weight. It gives the model a direct signal about
// what is in the image, which a caption loss alone conveys slowly. It is
// not part of the model: it is trained alongside it, saved in checkpoints
// (for resuming) but not in the Hugging Face folders.
//
// Every layer's bias starts at each class's log prior odds log(p/(1-p))
// on the training targets (SetPriors). Started at 0 (p = 0.5) for findings
// that are rare, the dominant early gradient says "lower every logit",
// and the vision tower learns to do that with one image-independent
// output: its features collapse before they learn anything.
type FindingHead struct {
	Pools   []string
	Linears []*nn.Linear // one per pool
	Weight  float64
}

// auxFile is the head's file in a checkpoint folder.
const auxFile = "aux_findings.safetensors"

// parsePools splits an AuxPool value ("" is PoolMean).
func parsePools(pool string) ([]string, error) {
	if pool == "" {
		return []string{PoolMean}, nil
	}
	parts := strings.Split(pool, "+")
	for i, p := range parts {
		switch p {
		case PoolMean, PoolFlat, PoolFirst, PoolAvg, PoolText:
		default:
			return nil, fmt.Errorf("auxiliary finding head: unknown pooling %q in %q (want %s, %s, %s, %s, %s or several joined by +)", p, pool, PoolMean, PoolAvg, PoolFlat, PoolFirst, PoolText)
		}
		if slices.Contains(parts[:i], p) {
			return nil, fmt.Errorf("auxiliary finding head: pooling %q named twice in %q", p, pool)
		}
	}
	return parts, nil
}

// newFindingHead makes a head for a model with tokens image tokens of
// width width and decoder width text, to k classes, reading the features
// pool names, with seeded weights and zero biases.
func newFindingHead(tokens, width, text, k int, weight float64, pool string, seed uint64) (*FindingHead, error) {
	pools, err := parsePools(pool)
	if err != nil {
		return nil, err
	}
	h := &FindingHead{Pools: pools, Weight: weight}
	init := nn.NewInit(seed)
	for _, p := range pools {
		in, std := width, 0.02
		switch p {
		case PoolFlat:
			// The same logit scale as a mean-pooled head's at the start.
			in, std = tokens*width, 0.02/math.Sqrt(float64(tokens))
		case PoolAvg:
			std = 1 / math.Sqrt(float64(width))
		case PoolFirst, PoolText:
			in = text
		}
		h.Linears = append(h.Linears, nn.NewLinear(init, in, k, true, std))
	}
	return h, nil
}

// SetPriors sets every layer's bias to the log prior odds of each class in
// targets (rows of K 0/1 values); a class's frequency is clamped to
// [1/(2n), 1-1/(2n)] for n rows, so a class never or always present gets
// a finite bias.
func (h *FindingHead) SetPriors(targets [][]float32) error {
	k := h.Linears[0].Bias.Value.Dim(0)
	if len(targets) == 0 {
		return fmt.Errorf("auxiliary finding head: no training targets for the class priors")
	}
	counts := make([]float64, k)
	for i, t := range targets {
		if len(t) != k {
			return fmt.Errorf("auxiliary finding head: training example %d has %d targets, want %d", i, len(t), k)
		}
		for j, v := range t {
			if v > 0.5 {
				counts[j]++
			}
		}
	}
	n := float64(len(targets))
	lo := 1 / (2 * n)
	bias := make([]float32, k)
	for j, c := range counts {
		p := min(max(c/n, lo), 1-lo)
		bias[j] = float32(math.Log(p / (1 - p)))
	}
	for _, l := range h.Linears {
		l.Bias.Value = tensor.FromF32(bias, k).To(l.Bias.Value.DType())
	}
	return nil
}

// NamedParams lists the head's parameters: aux_findings.weight and .bias
// for one pool, aux_findings.<pool>.weight and .bias for several.
func (h *FindingHead) NamedParams() []nn.NamedParam {
	if len(h.Linears) == 1 {
		return h.Linears[0].NamedParams("aux_findings")
	}
	var ps []nn.NamedParam
	for i, l := range h.Linears {
		ps = append(ps, l.NamedParams("aux_findings."+h.Pools[i])...)
	}
	return ps
}

// features returns what pool reads from f, [B, in]. Every pool centres
// its features over the batch: their common part, the same for every
// image, would only offset the logits from the priors, and the quickest
// way to undo an offset that every image shares is to make the features
// the same for every image (the collapse SetPriors is about).
func features(pool string, f ImageFeatures) (*autograd.Var, error) {
	image := f.Tokens
	b := image.Value.Dim(0)
	switch pool {
	case PoolFlat:
		return centre(autograd.Reshape(image, b, image.Value.Dim(1)*image.Value.Dim(2))), nil
	case PoolFirst:
		if f.First == nil {
			return nil, fmt.Errorf("auxiliary finding head: the model gives no decoder output for pooling %q", pool)
		}
		return centre(f.First), nil
	case PoolAvg:
		return centre(autograd.Mean(image, []int{1}, false)), nil
	case PoolText:
		if f.Text == nil {
			return nil, fmt.Errorf("auxiliary finding head: the model gives no decoder output for pooling %q", pool)
		}
		l, w := f.Text.Value.Dim(1), f.Text.Value.Dim(2)
		return autograd.Reshape(centre(f.Text), b*l, w), nil
	}
	return standardise(autograd.Mean(image, []int{1}, false)), nil
}

// repeatRows repeats each of b rows of k labels n times in a row.
func repeatRows(ids []int64, b, n, k int) *tensor.Tensor {
	out := make([]int64, 0, b*n*k)
	for i := range b {
		for range n {
			out = append(out, ids[i*k:(i+1)*k]...)
		}
	}
	return tensor.FromI64(out, b*n*k)
}

// centre subtracts the batch mean from every feature of x [B, F].
func centre(x *autograd.Var) *autograd.Var {
	return autograd.Sub(x, autograd.Mean(x, []int{0}, true))
}

// standardise scales every feature of x [B, F] to mean 0 and variance 1
// over the batch (batch normalisation without running statistics: the
// head is used in training only). Image tokens, and what the decoder has
// read from them, share a large common component and differ little from
// image to image; a plain linear head learns from those differences far
// too slowly.
func standardise(x *autograd.Var) *autograd.Var {
	centred := centre(x)
	variance := autograd.Mean(autograd.Square(centred), []int{0}, true)
	return autograd.Div(centred, autograd.Sqrt(autograd.AddScalar(variance, 1e-5)))
}

// Loss is the weighted binary cross entropy of the head's layers on f
// against targets F32 [B, K], summed over the layers. The binary cross
// entropy of a logit x is the two-class cross entropy of the logits
// (0, x), which is how it is computed here.
func (h *FindingHead) Loss(f ImageFeatures, targets *tensor.Tensor) (*autograd.Var, error) {
	if targets == nil {
		return nil, fmt.Errorf("auxiliary finding loss: the batch has no finding targets (only the synthetic set has them)")
	}
	b, k := targets.Dim(0), targets.Dim(1)
	t := targets.Contiguous().F32()
	ids := make([]int64, len(t))
	for i, v := range t {
		if v > 0.5 {
			ids[i] = 1
		}
	}
	labels := tensor.FromI64(ids, b*k)
	var total *autograd.Var
	for i, l := range h.Linears {
		x, err := features(h.Pools[i], f)
		if err != nil {
			return nil, err
		}
		rows, lab := b, labels
		if h.Pools[i] == PoolText {
			// One row per caption position, each with its image's targets.
			rows = x.Value.Dim(0)
			lab = repeatRows(ids, b, rows/b, k)
		}
		if l.Weight.Value.Dim(0) != k || rows%b != 0 || l.Weight.Value.Dim(1) != x.Value.Dim(1) {
			return nil, fmt.Errorf("auxiliary finding loss (%s): %d targets of %d classes for %d images with %d features and a head of %d classes on %d features",
				h.Pools[i], b, k, x.Value.Dim(0), x.Value.Dim(1), l.Weight.Value.Dim(0), l.Weight.Value.Dim(1))
		}
		logits := autograd.Reshape(l.Forward(x), rows*k, 1)
		zeros := autograd.Const(tensor.ZerosOn(logits.Value.Device(), logits.DType(), rows*k, 1))
		pair := autograd.Concat(1, zeros, logits) // [rows*K, 2]: class 1 is "present"
		ce := autograd.CrossEntropy(pair, lab, autograd.IgnoreIndex, 0)
		if total == nil {
			total = ce
		} else {
			total = autograd.Add(total, ce)
		}
	}
	return autograd.Scale(total, h.Weight), nil
}

// save writes the head into a checkpoint folder.
func (h *FindingHead) save(dir string) error {
	var names []string
	var ts []*tensor.Tensor
	for _, p := range h.NamedParams() {
		names = append(names, p.Name)
		ts = append(ts, p.Var.Value)
	}
	return safetensors.WriteTensors(filepath.Join(dir, auxFile), names, ts, nil)
}

// load reads the head from a checkpoint folder.
func (h *FindingHead) load(dir string) error {
	path := filepath.Join(dir, auxFile)
	f, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("auxiliary finding head: %w", err)
	}
	defer f.Close()
	for _, p := range h.NamedParams() {
		t, err := f.Tensor(p.Name)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if fmt.Sprint(t.Shape()) != fmt.Sprint(p.Var.Value.Shape()) {
			return fmt.Errorf("%s: %s has shape %v, want %v", path, p.Name, t.Shape(), p.Var.Value.Shape())
		}
		p.Var.Value = t.To(p.Var.Value.DType())
	}
	return nil
}

// trainTargets reads the finding targets of every training example, with
// workers goroutines (synthetic examples are rendered on each read).
func trainTargets(ds data.Dataset, workers int) ([][]float32, error) {
	out := make([][]float32, ds.Len())
	errs := make([]error, max(1, workers))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(out); i += len(errs) {
				ex, err := ds.Item(i)
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = ex.Targets
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
