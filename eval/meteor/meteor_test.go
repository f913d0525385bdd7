package meteor

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestCorpusErrors(t *testing.T) {
	_, err := Corpus([]string{"a", "b"}, [][]string{{"a"}})
	if err == nil || !strings.Contains(err.Error(), "2 predictions but 1 reference lists") {
		t.Errorf("err = %v, want a count-mismatch error", err)
	}
	got, err := Corpus(nil, nil)
	if err != nil || got != 0 {
		t.Errorf("empty corpus = %v, %v; want 0, nil", got, err)
	}
}

func TestScoreFormula(t *testing.T) {
	// Identical texts of n tokens score 1 - 0.5/n^3 (one chunk, P = R = 1).
	got := Score("the heart is enlarged", []string{"the heart is enlarged"})
	if want := 1 - 0.5/64.0; math.Abs(got-want) > 1e-12 {
		t.Errorf("identical 4-token texts: %v, want %v", got, want)
	}
	// Nothing in common, empty sides and no references all score 0.
	for _, c := range []struct {
		pred string
		refs []string
	}{{"alpha beta", []string{"gamma delta"}}, {"", []string{"x"}}, {"x", []string{""}}, {"x", nil}} {
		if got := Score(c.pred, c.refs); got != 0 {
			t.Errorf("Score(%q, %q) = %v, want 0", c.pred, c.refs, got)
		}
	}
	// Word order: "b a" against "a b" has two matches in two chunks:
	// P = R = 1, frag = 1, penalty 0.5.
	if got := Score("b a", []string{"a b"}); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("swapped pair = %v, want 0.5", got)
	}
	// Options: with gamma 0 there is no fragmentation penalty.
	o := DefaultOptions()
	o.Gamma = 0
	if got := ScoreWith("b a", []string{"a b"}, o); math.Abs(got-1) > 1e-12 {
		t.Errorf("gamma 0 = %v, want 1", got)
	}
	// Several references: the best one counts.
	best := Score("chest x-ray", []string{"nothing alike", "chest x-ray"})
	if want := 1 - 0.5/8.0; math.Abs(best-want) > 1e-12 {
		t.Errorf("best reference = %v, want %v", best, want)
	}
}

func TestAlignStages(t *testing.T) {
	hyp := Tokenize("The chest shows big opacities")
	ref := Tokenize("Thorax presents large opacity")
	// exact: none; stem: opacities/opacity (opac); wordnet on stems:
	// chest~thorax, show~present; big vs larg fails (stems compared).
	want := [][2]int{{1, 0}, {2, 1}, {4, 3}}
	if got := Align(hyp, ref, false); !reflect.DeepEqual(got, want) {
		t.Errorf("Align = %v, want %v", got, want)
	}
	if got := Align(hyp, ref, true); !reflect.DeepEqual(got, [][2]int{{4, 3}}) {
		t.Errorf("Align without WordNet = %v, want [[4 3]]", got)
	}
	// Exact matching pairs from the last hypothesis token with the last
	// free reference token.
	if got := Align([]string{"a", "a"}, []string{"A", "b", "a"}, false); !reflect.DeepEqual(got, [][2]int{{0, 0}, {1, 2}}) {
		t.Errorf("Align(a a | A b a) = %v, want [[0 0] [1 2]]", got)
	}
}
