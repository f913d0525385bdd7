package eval

import (
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"", " ", "chest x-ray showing a left-\nsided pneumothorax", "ratio &gt; 0.5 &amp; <skipped>",
	"3-4 2.5cm a.. b,, 1-2-3", "R\u00f6ntgen 30\u00b0\u00a0x", "\x1c\x1fA\u212aB\u0130C", "\xff\xfe broken utf8",
	"line one\n\nline two\n", "\t\r\v\f",
}

// FuzzTokenize13a: the 13a tokenizer never panics and never returns empty
// or whitespace-containing tokens.
func FuzzTokenize13a(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range Tokenize13a(s) {
			if tok == "" || strings.IndexFunc(tok, isPythonSpace) >= 0 {
				t.Fatalf("Tokenize13a(%q) gave token %q", s, tok)
			}
		}
	})
}

// FuzzTokenizeRouge: the ROUGE tokenizer never panics and returns only
// [a-z0-9]+ tokens; scoring a text against itself never panics and gives
// F = 1 for ROUGE-1 whenever it has a token.
func FuzzTokenizeRouge(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := TokenizeRouge(s)
		for _, tok := range toks {
			if tok == "" || strings.Trim(tok, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
				t.Fatalf("TokenizeRouge(%q) gave token %q", s, tok)
			}
		}
		p := RougeScore(s, s)
		if len(toks) > 0 && p[0].FMeasure != 1 {
			t.Fatalf("ROUGE-1 of %q against itself = %v", s, p[0].FMeasure)
		}
	})
}
