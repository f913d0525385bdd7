package autograd

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"radcap/tensor"
)

// testSeeds returns the seeds every randomised test runs with: two fixed
// ones, so failures reproduce, and one taken from the clock (logged) so
// each run also sees fresh inputs. RADCAP_AUTOGRAD_SEED replaces the
// clock seed to replay a failure.
func testSeeds(t *testing.T) []uint64 {
	t.Helper()
	fresh := uint64(time.Now().UnixNano())
	if s := os.Getenv("RADCAP_AUTOGRAD_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("RADCAP_AUTOGRAD_SEED=%q: %v", s, err)
		}
		fresh = v
	}
	t.Logf("seeds 1, 2 and %d (set RADCAP_AUTOGRAD_SEED to replay the last)", fresh)
	return []uint64{1, 2, fresh}
}

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

func randn(rng *rand.Rand, shape ...int) *tensor.Tensor {
	return tensor.RandN(rng, tensor.F64, shape...)
}

func randu(rng *rand.Rand, lo, hi float64, shape ...int) *tensor.Tensor {
	return tensor.RandU(rng, tensor.F64, lo, hi, shape...)
}

// distinct returns values in random order that differ pairwise by at
// least 0.1, so max and similar ops have no near-ties for the finite
// differences to cross.
func distinct(rng *rand.Rand, shape ...int) *tensor.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float64, n)
	for i, p := range rng.Perm(n) {
		v[i] = 0.25*float64(p) - 0.1*float64(n) + 0.05*rng.Float64()
	}
	return tensor.FromF64(v, shape...)
}

// closeTo reports the largest relative difference between two tensors of
// one shape (relative to max(|a|, |b|, floor)).
func maxRelDiff(t *testing.T, what string, a, b *tensor.Tensor, floor float64) float64 {
	t.Helper()
	if !sameShape(a.Shape(), b.Shape()) {
		t.Fatalf("%s: shapes %v and %v differ", what, a.Shape(), b.Shape())
	}
	x, y := a.Float64s(), b.Float64s()
	worst := 0.0
	for i := range x {
		e := math.Abs(x[i]-y[i]) / max(math.Abs(x[i]), math.Abs(y[i]), floor)
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		worst = max(worst, e)
	}
	return worst
}

// assertClose fails unless a and b agree to tol (relative, floor 1e-3).
func assertClose(t *testing.T, what string, a, b *tensor.Tensor, tol float64) {
	t.Helper()
	if e := maxRelDiff(t, what, a, b, 1e-3); e > tol {
		t.Errorf("%s: relative difference %.3g > %.3g\n got  %v\n want %v", what, e, tol, a, b)
	}
}
