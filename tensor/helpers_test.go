package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// arange returns a contiguous tensor 0, 1, 2, ... of the given shape.
func arange(dt DType, shape ...int) *Tensor {
	t := Zeros(dt, shape...)
	for i := range t.Numel() {
		t.storeAt(i, float64(i))
	}
	return t
}

// allIndices lists every multi-index of shape in C order.
func allIndices(shape []int) [][]int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	out := make([][]int, 0, n)
	idx := make([]int, len(shape))
	for range n {
		out = append(out, append([]int{}, idx...))
		incIndex(idx, shape)
	}
	return out
}

// srcIndex maps an index of a broadcast result back to an operand of shape
// src (aligned at the end, size-1 dims pinned to 0).
func srcIndex(idx, src []int) []int {
	lead := len(idx) - len(src)
	out := make([]int, len(src))
	for i := range src {
		if src[i] != 1 {
			out[i] = idx[lead+i]
		}
	}
	return out
}

// closeTo reports whether got is within tol (relative to max(1,|want|)) of want.
func closeTo(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// randT returns a random tensor, optionally made non-contiguous by building
// a larger tensor and taking a permuted, narrowed view of it.
func randT(rng *rand.Rand, dt DType, strided bool, shape ...int) *Tensor {
	if !strided || len(shape) == 0 {
		return RandN(rng, dt, shape...)
	}
	// Build a bigger tensor with the dims reversed and one extra element per
	// dim, then transpose back and narrow: the result has the right shape
	// and non-trivial strides and a non-zero offset.
	r := len(shape)
	big := make([]int, r)
	perm := make([]int, r)
	for i := range shape {
		big[r-1-i] = shape[i] + 1
		perm[i] = r - 1 - i
	}
	t := RandN(rng, dt, big...).Permute(perm...)
	for i := range shape {
		t = t.Narrow(i, 1, shape[i])
	}
	return t
}

func checkShape(t *testing.T, what string, got *Tensor, want ...int) {
	t.Helper()
	if !sameShape(got.Shape(), want) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want)
	}
}
