package eval

import (
	"errors"
	"fmt"
)

// Options selects the optional parts of [Compute].
type Options struct {
	// Bootstrap, when non-nil, adds `evaluate`'s bootstrap confidence
	// intervals for ROUGE (see [Bootstrap]).
	Bootstrap *BootstrapOptions
	// SkipMETEOR leaves METEOR out (it is the slowest metric).
	SkipMETEOR bool
}

// Scores holds every metric of one corpus. The headline numbers are on a
// 0-1 scale, as `evaluate` reports them; SacreBLEU keeps its 0-100 scale.
type Scores struct {
	// Pairs is the number of prediction/references pairs scored.
	Pairs int `json:"pairs"`
	// BLEU is `evaluate`'s "bleu" (BLEUDetail.BLEU).
	BLEU float64 `json:"bleu"`
	// ROUGE1, ROUGE2, ROUGEL and ROUGELsum are the means over pairs of the
	// per-pair F-measures.
	ROUGE1    float64 `json:"rouge1"`
	ROUGE2    float64 `json:"rouge2"`
	ROUGEL    float64 `json:"rougeL"`
	ROUGELsum float64 `json:"rougeLsum"`
	// METEOR is `evaluate`'s "meteor" (mean of per-pair scores); nil when it
	// was skipped or is not available in this build.
	METEOR *float64 `json:"meteor"`
	// BLEUDetail is the full output of `evaluate`'s "bleu".
	BLEUDetail BLEUResult `json:"bleu_detail"`
	// SacreBLEU is sacreBLEU's corpus BLEU; nil when it cannot be computed
	// (SacreBLEUError says why, e.g. uneven reference counts).
	SacreBLEU      *SacreBLEUResult `json:"sacrebleu,omitempty"`
	SacreBLEUError string           `json:"sacrebleu_error,omitempty"`
	// ROUGEBootstrap holds the bootstrap intervals when Options.Bootstrap
	// was set.
	ROUGEBootstrap *RougeBootstrap `json:"rouge_bootstrap,omitempty"`
}

// Compute scores predictions against references (one list of one or more
// references per prediction) with every metric. Structural problems (count
// mismatch, no predictions, a prediction without references) and the
// inputs on which `evaluate`'s "bleu" raises are errors. sacreBLEU's
// refusal of uneven reference counts is not: it is reported in
// Scores.SacreBLEUError.
func Compute(predictions []string, references [][]string, opts Options) (Scores, error) {
	if err := checkCorpus(predictions, references); err != nil {
		return Scores{}, fmt.Errorf("score: %w", err)
	}
	s := Scores{Pairs: len(predictions)}
	b, err := BLEU(predictions, references)
	if err != nil {
		return Scores{}, err
	}
	s.BLEU, s.BLEUDetail = b.BLEU, b
	r, err := ROUGE(predictions, references)
	if err != nil {
		return Scores{}, err
	}
	s.ROUGE1, s.ROUGE2, s.ROUGEL, s.ROUGELsum = r.Rouge1, r.Rouge2, r.RougeL, r.RougeLsum
	if opts.Bootstrap != nil {
		bs, err := Bootstrap(r.PerPair, *opts.Bootstrap)
		if err != nil {
			return Scores{}, err
		}
		s.ROUGEBootstrap = &bs
	}
	sb, err := SacreBLEU(predictions, references)
	switch {
	case errors.Is(err, ErrUnevenReferences):
		s.SacreBLEUError = err.Error()
	case err != nil:
		return Scores{}, err
	default:
		s.SacreBLEU = &sb
	}
	if !opts.SkipMETEOR {
		m, ok, err := corpusMETEOR(predictions, references)
		if err != nil {
			return Scores{}, fmt.Errorf("meteor: %w", err)
		}
		if ok {
			s.METEOR = &m
		}
	}
	return s, nil
}
