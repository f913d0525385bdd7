package eval

import (
	"math"
	"testing"

	"radcap/eval/meteor"
)

// TestComputeMETEOR: Compute reports METEOR exactly as package meteor
// computes it (its agreement with evaluate is tested in package meteor),
// and SkipMETEOR leaves it out.
func TestComputeMETEOR(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			if c.Expected.BLEUError != "" {
				return // Compute stops at evaluate's bleu error; see TestComputeBadInput.
			}
			s, err := Compute(c.Predictions, c.refs, Options{})
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if s.METEOR == nil {
				t.Fatal("METEOR missing")
			}
			want, err := meteor.Corpus(c.Predictions, c.refs)
			if err != nil {
				t.Fatal(err)
			}
			if *s.METEOR != want {
				t.Errorf("Compute METEOR = %.17g, meteor.Corpus = %.17g", *s.METEOR, want)
			}
			if math.IsNaN(want) || want < 0 || want > 1 {
				t.Errorf("METEOR = %v outside [0, 1]", want)
			}
			skipped, err := Compute(c.Predictions, c.refs, Options{SkipMETEOR: true})
			if err != nil || skipped.METEOR != nil {
				t.Errorf("SkipMETEOR: METEOR = %v, err %v", skipped.METEOR, err)
			}
		})
	}
}
