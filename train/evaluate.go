package train

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"radcap/autograd"
	"radcap/data"
	"radcap/data/synth"
	"radcap/eval"
	"radcap/nn"
)

// EvalOptions configure Evaluate.
type EvalOptions struct {
	// BatchSize is the number of images per forward pass (default 8).
	BatchSize int
	// Loss computes the mean caption loss; Captions generates captions
	// and scores them.
	Loss, Captions bool
	// Generate chooses greedy or beam search and the caption length.
	Generate GenerateOptions
	// MaxLength truncates reference captions for the loss (tokens).
	MaxLength int
	// Limit evaluates only the first Limit examples (0: all).
	Limit int
	// Workers prepare batches (0: 2).
	Workers int
	// SkipMETEOR leaves METEOR out.
	SkipMETEOR bool
	// Progress, when set, is called after every batch with the number of
	// examples done and the total.
	Progress func(done, total int)
}

// EvalResult is what Evaluate measured on one split.
type EvalResult struct {
	Split    string  `json:"split"`
	Examples int     `json:"examples"`
	Loss     float64 `json:"loss"` // NaN without EvalOptions.Loss
	// Scores are the caption metrics (zero without captions).
	Scores eval.Scores `json:"scores"`
	// FindingPrecision, FindingRecall and FindingF1 compare the findings
	// the generated and reference captions state (data.FindingF1).
	FindingPrecision float64 `json:"finding_precision"`
	FindingRecall    float64 `json:"finding_recall"`
	FindingF1        float64 `json:"finding_f1"`
	// Variety counts the sentence patterns and per-finding phrasings of
	// the generated captions (synth.Variety); set for the built-in
	// synthetic set only, whose caption templates it knows.
	Variety *synth.VarietyStats `json:"caption_variety,omitempty"`
	// Note explains a metric that could not be computed.
	Note        string     `json:"note,omitempty"`
	IDs         []string   `json:"ids,omitempty"`
	Predictions []string   `json:"predictions,omitempty"`
	References  [][]string `json:"references,omitempty"`
	Seconds     float64    `json:"seconds"`
}

// Metric returns a named metric: loss, rouge1, rouge2, rougeL, rougeLsum,
// bleu, meteor or finding_f1.
func (r *EvalResult) Metric(name string) (float64, error) {
	switch name {
	case "loss":
		return r.Loss, nil
	case "rouge1":
		return r.Scores.ROUGE1, nil
	case "rouge2":
		return r.Scores.ROUGE2, nil
	case "rougeL":
		return r.Scores.ROUGEL, nil
	case "rougeLsum":
		return r.Scores.ROUGELsum, nil
	case "bleu":
		return r.Scores.BLEU, nil
	case "meteor":
		if r.Scores.METEOR == nil {
			return math.NaN(), nil
		}
		return *r.Scores.METEOR, nil
	case "finding_f1":
		return r.FindingF1, nil
	}
	return 0, fmt.Errorf("unknown metric %q (want loss, rouge1, rouge2, rougeL, rougeLsum, bleu, meteor or finding_f1)", name)
}

// Evaluate runs m in evaluation mode (dropout off, no gradients recorded)
// over ds: the mean caption loss over batches (as the Trainer's eval_loss)
// and/or generated captions scored with eval.Compute and data.FindingF1
// against each example's references. The model's training mode and its
// parameters' RequiresGrad is set back to true afterwards; the model stays in evaluation mode. A cancelled ctx stops
// it between batches with ctx's error.
func Evaluate(ctx context.Context, m Model, ds data.Dataset, split string, opts EvalOptions) (*EvalResult, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 8
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.Limit > 0 && opts.Limit < ds.Len() {
		ds = limited{ds, opts.Limit}
	}
	if ds.Len() == 0 {
		return nil, fmt.Errorf("evaluate %s: the split is empty", split)
	}
	lo := data.LoaderOptions{BatchSize: opts.BatchSize, Processor: m.Processor(), MaxLength: opts.MaxLength, Workers: opts.Workers}
	if opts.Loss {
		lo.Tokenizer = m.Tokenizer()
	}
	loader, err := data.NewLoader(ds, lo)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", split, err)
	}
	params := m.NamedParams()
	m.SetTraining(false)
	nn.SetRequiresGrad(params, false)
	defer nn.SetRequiresGrad(params, true)

	start := time.Now()
	res := &EvalResult{Split: split, Examples: ds.Len(), Loss: math.NaN()}
	stream := newBatchStream(loader, 0, 0, opts.Workers)
	defer stream.Close()
	lossSum, batches := 0.0, 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, ok, err := stream.Next()
		if err != nil {
			return nil, fmt.Errorf("evaluate %s: %w", split, err)
		}
		if !ok {
			break
		}
		// One upload of the batch's pixels to the model's device.
		if b.PixelValues, err = onDevice(m, b.PixelValues); err != nil {
			return nil, fmt.Errorf("evaluate %s: batch %d: %w", split, b.Index, err)
		}
		if opts.Loss {
			var loss *autograd.Var
			if loss, err = m.Loss(b); err != nil {
				return nil, fmt.Errorf("evaluate %s: batch %d: %w", split, b.Index, err)
			}
			l, err := hostScalar(loss.Value) // one explicit download per batch
			if err != nil {
				return nil, fmt.Errorf("evaluate %s: batch %d: loss: %w", split, b.Index, err)
			}
			lossSum += l
			batches++
		}
		if opts.Captions {
			caps, err := m.Generate(b.PixelValues, opts.Generate)
			if err != nil {
				return nil, fmt.Errorf("evaluate %s: batch %d: %w", split, b.Index, err)
			}
			res.Predictions = append(res.Predictions, caps...)
		}
		res.IDs = append(res.IDs, b.IDs...)
		res.References = append(res.References, b.References...)
		if opts.Progress != nil {
			opts.Progress(len(res.IDs), ds.Len())
		}
	}
	if opts.Loss {
		res.Loss = lossSum / float64(batches)
	}
	if opts.Captions {
		if err := res.score(opts.SkipMETEOR); err != nil {
			return nil, fmt.Errorf("evaluate %s: %w", split, err)
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// score fills the caption metrics from Predictions and References.
func (r *EvalResult) score(skipMETEOR bool) error {
	first := make([]string, len(r.References))
	for i, refs := range r.References {
		first[i] = refs[0]
	}
	r.FindingPrecision, r.FindingRecall, r.FindingF1 = data.FindingF1(r.Predictions, first)
	s, err := eval.Compute(r.Predictions, r.References, eval.Options{SkipMETEOR: skipMETEOR})
	if err == nil {
		r.Scores = s
		return nil
	}
	if !allEmpty(r.Predictions) {
		return err
	}
	// A model that generates nothing (an untrained base, say) scores 0:
	// evaluate's "bleu" refuses empty predictions, ROUGE and METEOR of an
	// empty caption are 0.
	zero := 0.0
	r.Scores = eval.Scores{Pairs: len(r.Predictions)}
	if !skipMETEOR {
		r.Scores.METEOR = &zero
	}
	r.Note = "every generated caption was empty; all metrics are 0"
	return nil
}

func allEmpty(ss []string) bool {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// limited is the first n examples of a dataset.
type limited struct {
	data.Dataset
	n int
}

func (l limited) Len() int { return l.n }
