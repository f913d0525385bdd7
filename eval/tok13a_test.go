package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Expected token lists here are worked out by hand from sacreBLEU's
// regular expressions (left-to-right, non-overlapping substitutions) and
// rouge_score's rules; the fixture cases cover the common inputs.
func TestTokenize13aRules(t *testing.T) {
	cases := map[string][]string{
		"1-2-3":                {"1", "-", "2", "-", "3"},
		"a.. b":                {"a", ".", ".", "b"},
		"1..":                  {"1", ".", "."},
		"U.S.A.":               {"U", ".", "S", ".", "A", "."},
		"a,b 1,000 2.5cm":      {"a", ",", "b", "1,000", "2.5cm"},
		"$5 (x) {y} [z] a/b":   {"$", "5", "(", "x", ")", "{", "y", "}", "[", "z", "]", "a", "/", "b"},
		"it's x-ray":           {"it's", "x-ray"},
		"&quot;q&quot; &lt;":   {`"`, "q", `"`, "<"},
		"&amp;lt;":             {"<"}, // the replacements chain, in order
		"left-\nsided\nlung":   {"leftsided", "lung"},
		"a<skipped>b":          {"ab"},
		"x\u00a0y\u2003z\x1cw": {"x", "y", "z", "w"},
		"\u00e9t\u00e9.":       {"\u00e9t\u00e9", "."},
		"":                     nil,
		" \t\n":                nil,
	}
	for in, want := range cases {
		if diff := cmp.Diff(want, Tokenize13a(in), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Tokenize13a(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestTokenizeRougeRules(t *testing.T) {
	cases := map[string][]string{
		"X-Ray, 2.5cm!":          {"x", "ray", "2", "5cm"},
		"R\u00f6ntgen caf\u00e9": {"r", "ntgen", "caf"},
		"\u212a \u0130":          {"k", "i"},
		"__a__b":                 {"a", "b"},
		"":                       nil,
	}
	for in, want := range cases {
		got := TokenizeRouge(in)
		if len(got) != len(want) {
			t.Errorf("TokenizeRouge(%q) = %q, want %q", in, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("TokenizeRouge(%q) = %q, want %q", in, got, want)
				break
			}
		}
	}
}

// TestSacreBLEURightStrips: sacreBLEU right-strips each text before
// tokenizing, so a hyphen before a final newline stays ("left-"), while
// evaluate's bleu joins "-\n" away ("left").
func TestSacreBLEURightStrips(t *testing.T) {
	preds := []string{"a chest x-ray of the left-\n"}
	refs := [][]string{{"a chest x-ray of the left-"}}
	s, err := SacreBLEU(preds, refs)
	if err != nil {
		t.Fatal(err)
	}
	if s.SysLen != 6 || s.Counts != [4]int{6, 5, 4, 3} || s.Score < 100-1e-9 {
		t.Errorf("sacreBLEU = %+v, want a perfect match of 6 tokens", s)
	}
	b, err := BLEU(preds, refs)
	if err != nil {
		t.Fatal(err)
	}
	if b.TranslationLength != 6 || b.Precisions[0] != 5.0/6 {
		t.Errorf("bleu = %+v, want 5 of 6 unigrams matched (\"left\" vs \"left-\")", b)
	}
}
