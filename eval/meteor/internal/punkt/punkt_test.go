package punkt

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func english(t *testing.T) *Tokenizer {
	t.Helper()
	p, err := English()
	if err != nil {
		t.Fatal(err)
	}
	return New(p)
}

// TestEnglishParamCounts checks the embedded tables against the sizes of
// nltk_data's punkt_tab/english files.
func TestEnglishParamCounts(t *testing.T) {
	p, err := English()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(p.AbbrevTypes); got != 156 {
		t.Errorf("%d abbreviation types, want 156", got)
	}
	if got := len(p.Collocations); got != 37 {
		t.Errorf("%d collocations, want 37", got)
	}
	if got := len(p.SentStarters); got != 39 {
		t.Errorf("%d sentence starters, want 39", got)
	}
	if got := len(p.OrthoContext); got != 20366 {
		t.Errorf("%d ortho-context entries, want 20366", got)
	}
	for _, a := range []string{"mr", "dr", "u.s", "jan", "w.va", "inc"} {
		if !p.AbbrevTypes[a] {
			t.Errorf("abbreviation %q missing", a)
		}
	}
	if !p.Collocations[[2]string{"##number##", "corrections"}] {
		t.Error("collocation (##number##, corrections) missing")
	}
	if !p.SentStarters["however"] || !p.SentStarters["among"] {
		t.Error("sentence starters however/among missing")
	}
}

// The expected splits below are the outputs printed in NLTK's own
// documentation (nltk/tokenize/punkt.py and nltk/tokenize/__init__.py).
func TestSentencesNLTKDocExamples(t *testing.T) {
	tok := english(t)
	cases := []struct {
		text string
		want []string
	}{
		{
			"Punkt knows that the periods in Mr. Smith and Johann S. Bach\n" +
				"do not mark sentence boundaries.  And sometimes sentences\n" +
				"can start with non-capitalized words.  i is a good variable\n" +
				"name.",
			[]string{
				"Punkt knows that the periods in Mr. Smith and Johann S. Bach\ndo not mark sentence boundaries.",
				"And sometimes sentences\ncan start with non-capitalized words.",
				"i is a good variable\nname.",
			},
		},
		{
			"(How does it deal with this parenthesis?)  \"It should be part of the\n" +
				"previous sentence.\" \"(And the same with this one.)\" ('And this one!')\n" +
				"\"('(And (this)) '?)\" [(and this. )]",
			[]string{
				"(How does it deal with this parenthesis?)",
				"\"It should be part of the\nprevious sentence.\"",
				"\"(And the same with this one.)\"",
				"('And this one!')",
				"\"('(And (this)) '?)\"",
				"[(and this. )]",
			},
		},
		{
			"Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\n\nThanks.",
			[]string{"Good muffins cost $3.88\nin New York.", "Please buy me\ntwo of them.", "Thanks."},
		},
	}
	for _, c := range cases {
		if got := tok.Sentences(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Sentences(%q)\n got %q\nwant %q", c.text, got, c.want)
		}
	}
}

func TestMatchPotentialEndContexts(t *testing.T) {
	// From the docstring of NLTK's _match_potential_end_contexts.
	got := matchPotentialEndContexts([]rune("Very bad acting!!! I promise."))
	if len(got) != 1 || got[0].context != "acting!!! I" || got[0].m.pos != 17 {
		t.Fatalf("got %+v, want one match at 17 with context %q", got, "acting!!! I")
	}
}

func TestWordTokenize(t *testing.T) {
	cases := map[string][]string{
		"Mr. Smith, (aged 3) said: hi--bye...": {"Mr.", "Smith", ",", "(", "aged", "3", ")", "said", ":", "hi", "--", "bye", "..."},
		"a . . . b":                            {"a", ". . .", "b"},
		"end.":                                 {"end."},
		"x,y, z":                               {"x,y", ",", "z"},
	}
	for in, want := range cases {
		var got []string
		for _, tk := range wordTokenize([]rune(in)) {
			got = append(got, string(tk))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("wordTokenize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInitialsAndAbbreviations(t *testing.T) {
	tok := english(t)
	// "A." before a word never seen in lower case stays inside the
	// sentence; "B." before a word seen in lower case ends one (the
	// fixture case pub-initials-sentences documents both).
	got := tok.Sentences("Chest X-Ray showing pneumothorax. A. Pleural white line B. Blocked chest tube")
	want := []string{"Chest X-Ray showing pneumothorax.", "A. Pleural white line B.", "Blocked chest tube"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// A known abbreviation before a frequent sentence starter breaks.
	got = tok.Sentences("He met Dr. Smith at 5 p.m. However, he left.")
	if len(got) != 2 {
		t.Errorf("got %q, want two sentences", got)
	}
}

func TestDegenerateInputs(t *testing.T) {
	tok := english(t)
	for _, in := range []string{"", "   ", ".", ". foo", "?! ", "\n\n", "..", "a. ."} {
		for _, s := range tok.Sentences(in) {
			if s == "" {
				t.Errorf("Sentences(%q) returned an empty sentence", in)
			}
		}
	}
	if got := tok.Sentences(""); len(got) != 0 {
		t.Errorf("Sentences(\"\") = %q, want none", got)
	}
}

func TestLoadParamsErrors(t *testing.T) {
	files := map[string]string{
		"abbrev_types.txt":  "mr\n",
		"sent_starters.txt": "the\n",
		"collocations.tab":  "a\tb\n",
		"ortho_context.tab": "word\t32\n",
	}
	open := func(name string) (io.ReadCloser, error) {
		s, ok := files[name]
		if !ok {
			return nil, errors.New("no such file " + name)
		}
		return io.NopCloser(strings.NewReader(s)), nil
	}
	if _, err := LoadParams(open); err != nil {
		t.Fatalf("valid parameters: %v", err)
	}
	files["ortho_context.tab"] = "word\tmany\n"
	if _, err := LoadParams(open); err == nil || !strings.Contains(err.Error(), "ortho_context.tab line 1") {
		t.Errorf("bad flags: err = %v, want one naming ortho_context.tab line 1", err)
	}
	files["ortho_context.tab"] = "word\t32\n"
	files["collocations.tab"] = "onlyone\n"
	if _, err := LoadParams(open); err == nil || !strings.Contains(err.Error(), "collocations.tab") {
		t.Errorf("bad collocation: err = %v", err)
	}
	delete(files, "collocations.tab")
	if _, err := LoadParams(open); err == nil {
		t.Error("missing file: no error")
	}
}
