package synth

import "math/rand/v2"

// splitmix64 scrambles x (Steele, Lea and Flood's SplitMix64 finaliser).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newRNG returns the generator of stream `stream` of example `index` of
// split code `split` for seed `seed`: a PCG whose state depends on all
// four, so no two examples or streams share a sequence.
func newRNG(seed uint64, split, index, stream uint64) *rand.Rand {
	a := splitmix64(seed ^ splitmix64(split<<56|stream<<48|index))
	b := splitmix64(a ^ 0x6a09e667f3bcc909 ^ index)
	return rand.New(rand.NewPCG(a, b))
}

// uniform returns a number in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// pick returns an index drawn with the given weights (which need not sum
// to 1).
func pick(r *rand.Rand, weights ...float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}
