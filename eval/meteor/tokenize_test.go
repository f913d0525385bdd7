package meteor

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Expected token lists from NLTK's documentation (word_tokenize,
// NLTKWordTokenizer and TreebankWordTokenizer docstrings).
func TestTokenizeNLTKDocExamples(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{
			"Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\n\nThanks.",
			[]string{"Good", "muffins", "cost", "$", "3.88", "in", "New", "York", ".",
				"Please", "buy", "me", "two", "of", "them", ".", "Thanks", "."},
		},
		{"They'll save and invest more.", []string{"They", "'ll", "save", "and", "invest", "more", "."}},
		{"hi, my name can't hello,", []string{"hi", ",", "my", "name", "ca", "n't", "hello", ","}},
	}
	for _, c := range cases {
		if got := Tokenize(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Tokenize(%q)\n got %q\nwant %q", c.text, got, c.want)
		}
	}
}

func TestTreebankDocExample(t *testing.T) {
	// NLTKWordTokenizer().tokenize(s) from its docstring (no sentence
	// splitting: inner periods stay attached).
	s := "Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks."
	want := []string{"Good", "muffins", "cost", "$", "3.88", "(", "roughly", "3,36",
		"euros", ")", "in", "New", "York.", "Please", "buy", "me", "two",
		"of", "them.", "Thanks", "."}
	if got := treebankTokenize(s); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestTreebankRules(t *testing.T) {
	cases := map[string][]string{
		`He said "hi" to 'em.`:          {"He", "said", "``", "hi", "''", "to", "'em", "."},
		"I cannot, gonna wanna go.":     {"I", "can", "not", ",", "gon", "na", "wan", "na", "go", "."},
		"'Tis fine; wait... what?!":     {"'T", "is", "fine", ";", "wait", "...", "what", "?", "!"},
		"x-ray 2.5cm [a] {b} <c> --- d": {"x-ray", "2.5cm", "[", "a", "]", "{", "b", "}", "<", "c", ">", "--", "-", "d"},
		"anterior\u2013posterior":       {"anterior", "\u2013", "posterior"},
		"heart's\tsize":                 {"heart", "'s", "size"},
		"ratio: 3:1, 4,000 items":       {"ratio", ":", "3:1", ",", "4,000", "items"},
		"«quoted» “curly” ‘single’":     {"«", "quoted", "»", "“", "curly", "”", "‘", "single", "’"},
	}
	for in, want := range cases {
		if got := treebankTokenize(in); !reflect.DeepEqual(got, want) {
			t.Errorf("treebankTokenize(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestTokenizeEmpty(t *testing.T) {
	for _, s := range []string{"", " ", "\t\n", "\u00a0"} {
		if got := Tokenize(s); len(got) != 0 {
			t.Errorf("Tokenize(%q) = %q, want no tokens", s, got)
		}
	}
}

// FuzzTokenize checks that tokenization never panics and yields non-empty,
// whitespace-free, valid UTF-8 tokens.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"Chest X-Ray showing pneumothorax. A. Pleural white line B. Blocked chest tube",
		"\"('(And (this)) '?)\" [(and this. )]", ". . . ?!", "''``\"\"", "Dr. . .", "\u0130\u03a3 x.\u00a0y",
		"can't won't 'tis gonna", "a.\n\nb.", "-- --- .. ...", "\xff\xfe bad utf8.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range Tokenize(s) {
			if tok == "" || strings.ContainsFunc(tok, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }) {
				t.Fatalf("Tokenize(%q) produced bad token %q", s, tok)
			}
			if utf8.ValidString(s) && !utf8.ValidString(tok) {
				t.Fatalf("Tokenize(%q) produced invalid UTF-8 %q", s, tok)
			}
		}
		sc := Score(s, []string{s, "chest x-ray"})
		if sc < 0 || sc > 1 {
			t.Fatalf("Score(%q) = %v outside [0, 1]", s, sc)
		}
	})
}
