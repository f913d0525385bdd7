package train

import (
	"fmt"
	"path/filepath"

	"radcap/autograd"
	"radcap/data"
	"radcap/nn"
	"radcap/safetensors"
	"radcap/tensor"
)

// ImageLosser is a Model that also returns the image features its caption
// loss was computed from, so that an auxiliary image-level objective can
// share the forward pass. Both adapters implement it.
type ImageLosser interface {
	// LossAndImage returns the caption loss and the image tokens
	// [B, I, D] the decoder read.
	LossAndImage(b *data.Batch) (loss, image *autograd.Var, err error)
	// ImageWidth is the last dimension of those image tokens.
	ImageWidth() int
}

// LossAndImage returns GIT's caption loss and its projected image tokens.
func (g *GIT) LossAndImage(b *data.Batch) (*autograd.Var, *autograd.Var, error) {
	return g.lossAndImage(b)
}

// LossAndImage returns BLIP's caption loss and its vision tower output.
func (b *BLIP) LossAndImage(bt *data.Batch) (*autograd.Var, *autograd.Var, error) {
	return b.lossAndImage(bt)
}

// FindingHead is an optional auxiliary objective for data sets whose
// image-level findings are known (the synthetic set's data.Batch.Targets):
// a linear layer on the mean of the image tokens, standardised over the
// batch, predicts the multi-hot
// finding vector, scored by a per-class binary cross entropy and added to
// the caption loss with a weight. It gives the vision tower a direct
// signal about what is in the image, which a caption loss alone conveys
// slowly. It is not part of the model: it is trained alongside it, saved
// in checkpoints (for resuming) but not in the Hugging Face folders.
type FindingHead struct {
	Linear *nn.Linear
	Weight float64
}

// auxFile is the head's file in a checkpoint folder.
const auxFile = "aux_findings.safetensors"

// newFindingHead makes a head from width-dimensional image tokens to k
// classes, seeded.
func newFindingHead(width, k int, weight float64, seed uint64) *FindingHead {
	return &FindingHead{Linear: nn.NewLinear(nn.NewInit(seed), width, k, true, 0.02), Weight: weight}
}

// NamedParams lists the head's parameters (aux_findings.weight, .bias).
func (h *FindingHead) NamedParams() []nn.NamedParam { return h.Linear.NamedParams("aux_findings") }

// Loss is the weighted binary cross entropy of the head on image [B, I, D]
// against targets F32 [B, K]. The binary cross entropy of a logit x is the
// two-class cross entropy of the logits (0, x), which is how it is
// computed here.
func (h *FindingHead) Loss(image *autograd.Var, targets *tensor.Tensor) (*autograd.Var, error) {
	if targets == nil {
		return nil, fmt.Errorf("auxiliary finding loss: the batch has no finding targets (only the synthetic set has them)")
	}
	b, k := targets.Dim(0), targets.Dim(1)
	if h.Linear.Weight.Value.Dim(0) != k || image.Value.Dim(0) != b {
		return nil, fmt.Errorf("auxiliary finding loss: %d targets of %d classes for %d images and a head of %d classes",
			b, k, image.Value.Dim(0), h.Linear.Weight.Value.Dim(0))
	}
	pooled := autograd.Mean(image, []int{1}, false) // [B, D]
	// Standardise every feature over the batch (batch normalisation
	// without running statistics: the head is used in training only). The
	// image tokens share a large common component and differ little from
	// image to image, which a plain linear head learns from far too slowly.
	centred := autograd.Sub(pooled, autograd.Mean(pooled, []int{0}, true))
	variance := autograd.Mean(autograd.Square(centred), []int{0}, true)
	z := autograd.Div(centred, autograd.Sqrt(autograd.AddScalar(variance, 1e-5)))
	logits := autograd.Reshape(h.Linear.Forward(z), b*k, 1)
	zeros := autograd.Const(tensor.Zeros(logits.DType(), b*k, 1))
	pair := autograd.Concat(1, zeros, logits) // [B*K, 2]: class 1 is "present"
	t := targets.Contiguous().F32()
	ids := make([]int64, len(t))
	for i, v := range t {
		if v > 0.5 {
			ids[i] = 1
		}
	}
	ce := autograd.CrossEntropy(pair, tensor.FromI64(ids, b*k), autograd.IgnoreIndex, 0)
	return autograd.Scale(ce, h.Weight), nil
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
