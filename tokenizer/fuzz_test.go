package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEncode feeds arbitrary text (and a truncation length) to the built-in
// tokenizer with BLIP's tokens added: nothing may panic, every id must lie in
// the vocabulary, the three output slices must agree in length, truncation
// must hold, and decoding must give back the normalized words.
func FuzzEncode(f *testing.F) {
	seeds := []string{
		"", " ", "Chest X-ray showing a large left-sided pneumothorax.",
		"Réexpansion pulmonaire après drainage (flèche).", "胸部X線写真 肺炎",
		"control\x00chars\x07here\x1b", "[CLS] literal [SEP] tokens [MASK] [PAD]",
		"[DEC] a [ENC] b[ENC]c", "don't can't it's", "Ünicode NFD: e\u0301 a\u0300",
		"ΟΔΟΣ İstanbul ǅ", "한국어 텍스트", "\xff\xfe invalid utf8 \xc3",
		strings.Repeat("a", 101), "emoji 🙂 ± ° µ ×", "a\u2028b\u2029c\u00a0d\u3000e",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	tok := BertBaseUncased()
	if err := tok.AddBLIPTokens(30522); err != nil {
		f.Fatal(err)
	}
	vocab := int64(tok.VocabSize())
	f.Fuzz(func(t *testing.T, text string, maxLen uint8) {
		enc, err := tok.Encode(text, EncodeOptions{})
		if err != nil {
			t.Fatalf("encode %q: %v", text, err)
		}
		if len(enc.IDs) != len(enc.Tokens) || len(enc.IDs) != len(enc.AttentionMask) || len(enc.IDs) < 2 {
			t.Fatalf("encode %q: lengths %d/%d/%d", text, len(enc.IDs), len(enc.Tokens), len(enc.AttentionMask))
		}
		for i, id := range enc.IDs {
			if id < 0 || id >= vocab {
				t.Fatalf("encode %q: id %d out of range", text, id)
			}
			if want, _ := tok.IDToken(int(id)); want != enc.Tokens[i] {
				t.Fatalf("encode %q: token %q has id %d, which is %q", text, enc.Tokens[i], id, want)
			}
		}
		var want []string
		for _, w := range tok.PreTokenize(text) {
			if !utf8.ValidString(w) || w == "" {
				t.Fatalf("pre-tokenize %q: bad word %q", text, w)
			}
			if tok.specialSet[w] {
				continue
			}
			if p := tok.Tokenize(w); len(p) == 1 && p[0] == tok.unkToken() {
				continue
			}
			want = append(want, w)
		}
		if got := tok.DecodeWithoutCleanup(enc.IDs, true); got != strings.Join(want, " ") {
			t.Fatalf("round trip of %q\n got  %q\n want %q", text, got, strings.Join(want, " "))
		}
		_ = tok.Decode(enc.IDs, false)
		n := int(maxLen%40) + 2
		tr, err := tok.Encode(text, EncodeOptions{Truncate: true, MaxLength: n, Padding: PadToMaxLength})
		if err != nil {
			t.Fatalf("encode %q truncated to %d: %v", text, n, err)
		}
		if len(tr.IDs) != n || tr.IDs[0] != enc.IDs[0] {
			t.Fatalf("encode %q truncated to %d: %v", text, n, tr.IDs)
		}
	})
}
