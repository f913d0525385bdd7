package eval

import (
	"errors"
	"strings"
	"testing"
)

// TestComputeMatchesCases runs Compute on every fixture case and checks the
// headline numbers against the fixture, errors where `evaluate`'s bleu
// raises, and sacreBLEU's refusal of uneven references as a note.
func TestComputeMatchesCases(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			s, err := Compute(c.Predictions, c.refs, Options{Bootstrap: &BootstrapOptions{}, SkipMETEOR: true})
			if c.Expected.BLEUError != "" {
				if err == nil {
					t.Fatal("Compute: no error where evaluate's bleu raises")
				}
				return
			}
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if s.Pairs != len(c.Predictions) {
				t.Errorf("Pairs = %d", s.Pairs)
			}
			checkFloat(t, "bleu", s.BLEU, *c.Expected.BLEU)
			checkFloat(t, "rouge1", s.ROUGE1, c.Expected.Rouge1)
			checkFloat(t, "rouge2", s.ROUGE2, c.Expected.Rouge2)
			checkFloat(t, "rougeL", s.ROUGEL, c.Expected.RougeL)
			checkFloat(t, "rougeLsum", s.ROUGELsum, c.Expected.RougeLsum)
			checkFloat(t, "bootstrap rouge1 mid", s.ROUGEBootstrap.Rouge1.Mid, c.Variants.Bootstrap.Seed0[Rouge1])
			if s.METEOR != nil {
				t.Error("METEOR set although SkipMETEOR")
			}
			if c.Expected.SacreBLEU.Error != "" {
				if s.SacreBLEU != nil || s.SacreBLEUError == "" {
					t.Errorf("sacreBLEU = %+v, error %q; want a refusal", s.SacreBLEU, s.SacreBLEUError)
				}
			} else {
				if s.SacreBLEU == nil {
					t.Fatalf("sacreBLEU missing: %s", s.SacreBLEUError)
				}
				checkFloat(t, "sacrebleu", s.SacreBLEU.Score, c.Expected.SacreBLEU.Score)
			}
		})
	}
}

func TestComputeBadInput(t *testing.T) {
	cases := []struct {
		name  string
		preds []string
		refs  [][]string
		want  string
	}{
		{"count mismatch", []string{"a b", "c"}, [][]string{{"a b"}}, "2 predictions but 1 reference lists"},
		{"no predictions", nil, nil, "no predictions"},
		{"no references", []string{"a", "b"}, [][]string{{"a"}, {}}, "prediction 2 has no references"},
		{"all empty", []string{"", " "}, [][]string{{"a"}, {"b"}}, "translation length 0"},
		{"empty references", []string{"a"}, [][]string{{""}}, "reference length 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compute(tc.preds, tc.refs, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	_, err := BLEU([]string{""}, [][]string{{"x"}})
	if !errors.Is(err, ErrZeroTranslationLength) {
		t.Errorf("BLEU of an empty prediction: %v", err)
	}
	_, err = SacreBLEU([]string{"a", "b"}, [][]string{{"a", "b"}, {"b"}})
	if !errors.Is(err, ErrUnevenReferences) {
		t.Errorf("SacreBLEU with uneven references: %v", err)
	}
}
