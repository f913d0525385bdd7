package eval

import (
	"errors"
	"fmt"
	"math"
)

// SacreBLEUResult is what `evaluate`'s "sacrebleu" metric returns
// (sacreBLEU's corpus_bleu with its defaults).
type SacreBLEUResult struct {
	// Score is BLEU on a 0-100 scale.
	Score float64 `json:"score"`
	// Counts are the clipped n-gram matches for n = 1..4.
	Counts [BLEUMaxOrder]int `json:"counts"`
	// Totals are the prediction n-gram counts for n = 1..4.
	Totals [BLEUMaxOrder]int `json:"totals"`
	// Precisions are the (smoothed) precisions in percent.
	Precisions [BLEUMaxOrder]float64 `json:"precisions"`
	// BP is the brevity penalty.
	BP float64 `json:"bp"`
	// SysLen is the total prediction length in tokens.
	SysLen int `json:"sys_len"`
	// RefLen sums, per pair, the reference length closest to the
	// prediction's (the shorter on ties).
	RefLen int `json:"ref_len"`
}

// ErrUnevenReferences is returned by [SacreBLEU] when the predictions do not
// all have the same number of references, which `evaluate`'s "sacrebleu"
// wrapper refuses.
var ErrUnevenReferences = errors.New("sacreBLEU requires the same number of references for each prediction")

// sacreLogZero is sacreBLEU's stand-in for log(0).
const sacreLogZero = -9999999999.0

// SacreBLEU computes sacreBLEU's corpus BLEU as `evaluate`'s "sacrebleu"
// metric does by default: texts right-stripped and tokenized with 13a,
// case-sensitive, "exp" smoothing, the closest reference length, no
// effective order.
func SacreBLEU(predictions []string, references [][]string) (SacreBLEUResult, error) {
	if err := checkCorpus(predictions, references); err != nil {
		return SacreBLEUResult{}, fmt.Errorf("sacrebleu: %w", err)
	}
	perPrediction := len(references[0])
	for _, refs := range references {
		if len(refs) != perPrediction {
			return SacreBLEUResult{}, fmt.Errorf("sacrebleu: %w", ErrUnevenReferences)
		}
	}
	var res SacreBLEUResult
	for i, pred := range predictions {
		hyp := Tokenize13a(rstripPython(pred))
		refs := make([][]string, len(references[i]))
		closestDiff, closestLen := -1, -1
		for j, r := range references[i] {
			refs[j] = Tokenize13a(rstripPython(r))
			l := len(refs[j])
			diff := abs(len(hyp) - l)
			if closestDiff == -1 || diff < closestDiff {
				closestDiff, closestLen = diff, l
			} else if diff == closestDiff && l < closestLen {
				closestLen = l
			}
		}
		res.SysLen += len(hyp)
		res.RefLen += closestLen
		merged := maxRefCounts(refs, BLEUMaxOrder)
		for k, c := range ngramCounts(hyp, BLEUMaxOrder) {
			res.Counts[k.order-1] += min(c, merged[k])
		}
		for n := 1; n <= BLEUMaxOrder; n++ {
			res.Totals[n-1] += max(0, len(hyp)-n+1)
		}
	}
	res.BP = 1
	if res.SysLen < res.RefLen {
		if res.SysLen > 0 {
			res.BP = math.Exp(1 - float64(res.RefLen)/float64(res.SysLen))
		} else {
			res.BP = 0
		}
	}
	anyMatch := false
	for _, c := range res.Counts {
		anyMatch = anyMatch || c != 0
	}
	if !anyMatch {
		return res, nil // Score 0, precisions 0, as sacreBLEU's early stop.
	}
	smooth := 1.0
	for n := range BLEUMaxOrder {
		if res.Totals[n] == 0 {
			break
		}
		if res.Counts[n] == 0 {
			smooth *= 2
			res.Precisions[n] = 100 / (smooth * float64(res.Totals[n]))
		} else {
			res.Precisions[n] = 100 * float64(res.Counts[n]) / float64(res.Totals[n])
		}
	}
	logSum := 0.0
	for _, p := range res.Precisions {
		if p == 0 {
			logSum += sacreLogZero
		} else {
			logSum += math.Log(p)
		}
	}
	res.Score = res.BP * math.Exp(logSum/BLEUMaxOrder)
	return res, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
