package eval

import (
	"errors"
	"fmt"
	"math"
)

// BLEUMaxOrder is the longest n-gram BLEU counts (`evaluate`'s default).
const BLEUMaxOrder = 4

// BLEUResult is what `evaluate`'s "bleu" metric returns.
type BLEUResult struct {
	// BLEU is the score on a 0-1 scale.
	BLEU float64 `json:"bleu"`
	// Precisions are the corpus n-gram precisions for n = 1..4 (0 when no
	// n-gram of that order exists).
	Precisions [BLEUMaxOrder]float64 `json:"precisions"`
	// BrevityPenalty is 1 when the translation is longer than the
	// reference, else exp(1 - 1/LengthRatio).
	BrevityPenalty float64 `json:"brevity_penalty"`
	// LengthRatio is TranslationLength / ReferenceLength.
	LengthRatio float64 `json:"length_ratio"`
	// TranslationLength is the total number of prediction tokens.
	TranslationLength int `json:"translation_length"`
	// ReferenceLength sums the length of each pair's shortest reference.
	ReferenceLength int `json:"reference_length"`
}

// Errors returned where `evaluate` itself raises.
var (
	// ErrNoPredictions: the corpus is empty.
	ErrNoPredictions = errors.New("no predictions")
	// ErrZeroTranslationLength: every prediction tokenizes to nothing
	// (Python raises ZeroDivisionError).
	ErrZeroTranslationLength = errors.New("BLEU is undefined: all predictions are empty (translation length 0; evaluate raises ZeroDivisionError)")
	// ErrZeroReferenceLength: the shortest references are all empty
	// (Python raises ZeroDivisionError).
	ErrZeroReferenceLength = errors.New("BLEU is undefined: reference length 0 (every pair's shortest reference is empty; evaluate raises ZeroDivisionError)")
)

// checkCorpus validates the shape shared by all metrics: one reference list
// per prediction and at least one reference in each.
func checkCorpus(predictions []string, references [][]string) error {
	if len(predictions) != len(references) {
		return fmt.Errorf("%d predictions but %d reference lists", len(predictions), len(references))
	}
	if len(predictions) == 0 {
		return ErrNoPredictions
	}
	for i, refs := range references {
		if len(refs) == 0 {
			return fmt.Errorf("prediction %d has no references", i+1)
		}
	}
	return nil
}

// BLEU computes `evaluate`'s "bleu" metric with its defaults: 13a
// tokenization, n-grams up to 4, no smoothing. Counts are summed over the
// corpus before dividing; clipping uses the element-wise maximum over a
// pair's references; the reference length of a pair is its shortest
// reference. Inputs on which `evaluate` raises (count mismatch, a pair
// without references, total prediction or reference length 0) are errors.
func BLEU(predictions []string, references [][]string) (BLEUResult, error) {
	if err := checkCorpus(predictions, references); err != nil {
		return BLEUResult{}, fmt.Errorf("bleu: %w", err)
	}
	var matches, possible [BLEUMaxOrder]int
	refLen, transLen := 0, 0
	for i, pred := range predictions {
		hyp := Tokenize13a(pred)
		refs := make([][]string, len(references[i]))
		shortest := -1
		for j, r := range references[i] {
			refs[j] = Tokenize13a(r)
			if shortest < 0 || len(refs[j]) < shortest {
				shortest = len(refs[j])
			}
		}
		refLen += shortest
		transLen += len(hyp)
		merged := maxRefCounts(refs, BLEUMaxOrder)
		for k, c := range ngramCounts(hyp, BLEUMaxOrder) {
			matches[k.order-1] += min(c, merged[k])
		}
		for n := 1; n <= BLEUMaxOrder; n++ {
			if p := len(hyp) - n + 1; p > 0 {
				possible[n-1] += p
			}
		}
	}
	var res BLEUResult
	res.TranslationLength, res.ReferenceLength = transLen, refLen
	minPrecision := math.Inf(1)
	for n := range BLEUMaxOrder {
		if possible[n] > 0 {
			res.Precisions[n] = float64(matches[n]) / float64(possible[n])
		}
		minPrecision = min(minPrecision, res.Precisions[n])
	}
	geoMean := 0.0
	if minPrecision > 0 {
		logSum := 0.0
		for _, p := range res.Precisions {
			logSum += (1.0 / BLEUMaxOrder) * math.Log(p)
		}
		geoMean = math.Exp(logSum)
	}
	if refLen == 0 {
		return BLEUResult{}, fmt.Errorf("bleu: %w", ErrZeroReferenceLength)
	}
	res.LengthRatio = float64(transLen) / float64(refLen)
	if transLen == 0 {
		return BLEUResult{}, fmt.Errorf("bleu: %w", ErrZeroTranslationLength)
	}
	if res.LengthRatio > 1 {
		res.BrevityPenalty = 1
	} else {
		res.BrevityPenalty = math.Exp(1 - 1/res.LengthRatio)
	}
	res.BLEU = geoMean * res.BrevityPenalty
	return res, nil
}
