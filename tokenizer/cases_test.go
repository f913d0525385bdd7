package tokenizer

import (
	"fmt"
	"slices"
	"testing"
)

// checkCases runs every transformers case through tok and returns the
// number that agree in ids, tokens and all three decoded texts.
func checkCases(t *testing.T, tok *Tokenizer, cases []hfCase) int {
	t.Helper()
	pass, shown := 0, 0
	for _, c := range cases {
		opts := EncodeOptions{}
		if c.MaxLength != nil {
			opts.Truncate, opts.MaxLength = true, *c.MaxLength
		}
		var problems []string
		enc, err := tok.Encode(c.Text, opts)
		if err != nil {
			problems = append(problems, "encode: "+err.Error())
		} else {
			if !slices.Equal(enc.IDs, c.InputIDs) {
				problems = append(problems, fmt.Sprintf("ids\n got  %v\n want %v", enc.IDs, c.InputIDs))
			}
			if !slices.Equal(enc.Tokens, c.Tokens) {
				problems = append(problems, fmt.Sprintf("tokens\n got  %q\n want %q", enc.Tokens, c.Tokens))
			}
		}
		// Decoding is checked on transformers' ids, so that it is tested even
		// where encoding fails.
		if got := tok.Decode(c.InputIDs, false); got != c.Decoded {
			problems = append(problems, fmt.Sprintf("decode\n got  %q\n want %q", got, c.Decoded))
		}
		if got := tok.Decode(c.InputIDs, true); got != c.DecodedSkipSpecial {
			problems = append(problems, fmt.Sprintf("decode skip special\n got  %q\n want %q", got, c.DecodedSkipSpecial))
		}
		if got := tok.DecodeWithoutCleanup(c.InputIDs, true); got != c.DecodedSkipSpecialNoCleanup {
			problems = append(problems, fmt.Sprintf("decode no clean-up\n got  %q\n want %q", got, c.DecodedSkipSpecialNoCleanup))
		}
		if len(problems) == 0 {
			pass++
			continue
		}
		if shown < 10 {
			shown++
			t.Errorf("case %s (%q):", c.ID, c.Text)
			for _, p := range problems {
				t.Errorf("  %s", p)
			}
		}
	}
	t.Logf("%d of %d transformers cases pass", pass, len(cases))
	if pass != len(cases) {
		t.Errorf("%d of %d cases fail", len(cases)-pass, len(cases))
	}
	return pass
}

func TestTransformersCasesBuiltin(t *testing.T) {
	cases := readCases(t)
	checkCases(t, BertBaseUncased(), cases)
}
