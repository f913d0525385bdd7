package cuda

import (
	"math"
	"testing"
)

// TestPhiloxKnownAnswers checks the host Philox4x32-10 against the three
// "philox4x32 10" known-answer lines of Random123's tests/kat_vectors.
func TestPhiloxKnownAnswers(t *testing.T) {
	for _, c := range []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff}, [4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0}, [4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	} {
		if got := Philox4x32(c.ctr, c.key); got != c.want {
			t.Errorf("Philox4x32(%08x, %08x) = %08x, want %08x", c.ctr, c.key, got, c.want)
		}
	}
}

// TestPhiloxKeepRate checks that PhiloxKeep keeps about 1−p of the
// elements (binomial: 5 standard deviations) and that the offset changes
// the mask.
func TestPhiloxKeepRate(t *testing.T) {
	const n = 200000
	for _, p := range []float32{0, 0.1, 0.5} {
		kept, same := 0, 0
		for i := int64(0); i < n; i++ {
			a := PhiloxKeep(42, 7, i, p)
			if a {
				kept++
			}
			if a == PhiloxKeep(42, 8, i, p) {
				same++
			}
		}
		q := 1 - float64(p)
		sd := 5 * math.Sqrt(n*q*(1-q))
		if d := float64(kept) - n*q; d > sd+0.5 || d < -sd-0.5 {
			t.Errorf("p=%v: kept %d of %d, want %.0f ± %.0f", p, kept, n, n*q, sd)
		}
		if p > 0 && same == n {
			t.Errorf("p=%v: offsets 7 and 8 give the same mask", p)
		}
	}
}
