package eval

import (
	"fmt"
	"math"
	"sort"
)

// BootstrapOptions configures [Bootstrap]. The zero value means
// `evaluate`'s defaults with seed 0.
type BootstrapOptions struct {
	// Samples is the number of resamples (default 1000).
	Samples int
	// Confidence is the confidence level of the interval (default 0.95).
	Confidence float64
	// Seed seeds the Mersenne Twister as `np.random.seed(Seed)` would.
	Seed uint32
}

// Interval is a bootstrap estimate: the low and high percentiles of the
// confidence interval and the median (what `evaluate` reports).
type Interval struct {
	Low  float64 `json:"low"`
	Mid  float64 `json:"mid"`
	High float64 `json:"high"`
}

// RougeBootstrap holds the bootstrap F-measure intervals of the four ROUGE
// types.
type RougeBootstrap struct {
	Rouge1    Interval `json:"rouge1"`
	Rouge2    Interval `json:"rouge2"`
	RougeL    Interval `json:"rougeL"`
	RougeLsum Interval `json:"rougeLsum"`
}

// Bootstrap reproduces rouge_score's BootstrapAggregator, which `evaluate`'s
// "rouge" uses by default: for each ROUGE type in turn (rouge1, rouge2,
// rougeL, rougeLsum), draw Samples resamples of the pairs with replacement
// (`np.random.choice(n, size=n)` on numpy's legacy Mersenne Twister, seeded
// once with Seed before the first type, as `evaluate` seeds numpy around
// the computation), average each resample, and take the percentiles
// (1-Confidence)/2, 0.5 and 1-(1-Confidence)/2 of those means with numpy's
// linear interpolation. `evaluate` reports Mid.
func Bootstrap(perPair []RougePair, opts BootstrapOptions) (RougeBootstrap, error) {
	n := len(perPair)
	if n == 0 {
		return RougeBootstrap{}, fmt.Errorf("rouge bootstrap: %w", ErrNoPredictions)
	}
	if int64(n) > math.MaxUint32 {
		return RougeBootstrap{}, fmt.Errorf("rouge bootstrap: %d pairs is more than 2^32-1", n)
	}
	samples := opts.Samples
	if samples == 0 {
		samples = 1000
	}
	conf := opts.Confidence
	if conf == 0 {
		conf = 0.95
	}
	if samples < 0 || !(conf > 0 && conf < 1) {
		return RougeBootstrap{}, fmt.Errorf("rouge bootstrap: need Samples >= 1 and 0 < Confidence < 1, got %d and %g", samples, conf)
	}
	rng := newMT19937(opts.Seed)
	var out [4]Interval
	means := make([]float64, samples)
	for k := range out {
		for s := range means {
			sum := 0.0
			for range n {
				sum += perPair[rng.intn(n)][k].FMeasure
			}
			means[s] = sum / float64(n)
		}
		out[k] = percentiles(means, conf)
	}
	return RougeBootstrap{out[0], out[1], out[2], out[3]}, nil
}

// percentiles returns numpy.percentile(values, 100*[d, 0.5, 1-d]) with
// d = (1-conf)/2 and the default linear method. values is sorted in place.
func percentiles(values []float64, conf float64) Interval {
	sort.Float64s(values)
	delta := (1 - conf) / 2
	qs := [3]float64{100 * delta, 100 * 0.5, 100 * (1 - delta)}
	var r [3]float64
	for i, q := range qs {
		r[i] = numpyLinearQuantile(values, q/100)
	}
	return Interval{r[0], r[1], r[2]}
}

// numpyLinearQuantile is numpy's "linear" quantile of sorted values:
// virtual index (n-1)*q, the neighbours below and above it, and numpy's
// lerp, which interpolates from the upper neighbour when gamma >= 0.5.
func numpyLinearQuantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	vi := float64(n-1) * q
	prev := math.Floor(vi)
	lo, hi := int(prev), int(prev)+1
	switch {
	case vi >= float64(n-1):
		lo, hi = n-1, n-1
	case vi < 0:
		lo, hi = 0, 0
	}
	gamma := vi - prev
	a, b := sorted[lo], sorted[hi]
	diff := b - a
	if gamma >= 0.5 {
		return b - diff*(1-gamma)
	}
	return a + diff*gamma
}
