package tensor

import "math/rand/v2"

// RandN returns a new tensor of standard normal samples drawn from rng
// (converted to dt, which should be a float dtype).
func RandN(rng *rand.Rand, dt DType, shape ...int) *Tensor {
	t := Zeros(dt, shape...)
	for i := range t.Numel() {
		t.storeAt(i, rng.NormFloat64())
	}
	return t
}

// RandU returns a new tensor of samples uniform on [lo, hi) drawn from rng.
func RandU(rng *rand.Rand, dt DType, lo, hi float64, shape ...int) *Tensor {
	t := Zeros(dt, shape...)
	for i := range t.Numel() {
		t.storeAt(i, lo+(hi-lo)*rng.Float64())
	}
	return t
}
