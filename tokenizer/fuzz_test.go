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

// FuzzLoad feeds arbitrary vocab.txt, tokenizer_config.json,
// special_tokens_map.json and tokenizer.json files to Load: it must return a
// tokenizer or an error, never panic, and a tokenizer it returns must encode
// and decode with every id in range.
func FuzzLoad(f *testing.F) {
	small := "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nchest\nx\n-\nray\n##s\n.\n"
	f.Add(small, gitTokenizerConfig, specialTokensMapJSON, "")
	f.Add(small, `{"do_lower_case": false, "never_split": ["X"], "added_tokens_decoder": {"11": {"content": "[DEC]", "special": true}}}`, `{"additional_special_tokens": ["[ENC]"], "bos_token": {"content": "[DEC]"}}`, "")
	f.Add("", "", "", `{"pre_tokenizer": {"type": "BertPreTokenizer"}, "added_tokens": [{"id": 0, "content": "[PAD]", "special": true}], "normalizer": {"type": "BertNormalizer", "lowercase": true}, "post_processor": {"type": "BertProcessing", "cls": ["[CLS]", 2], "sep": ["[SEP]", 3]}, "model": {"type": "WordPiece", "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "chest": 4, "##s": 5}}}`)
	f.Add("a\r\nb\rc", `{"model_max_length": 4, "padding_side": "left"}`, `{"pad_token": null}`, "{")
	f.Fuzz(func(t *testing.T, vocab, config, specialMap, tokJSON string) {
		files := map[string]string{}
		if vocab != "" {
			files[VocabFile] = vocab
		}
		if tokJSON != "" {
			files[TokenizerFile] = tokJSON
		}
		if config != "" {
			files[TokenizerConfig] = config
		}
		if specialMap != "" {
			files[SpecialTokensMap] = specialMap
		}
		tok, err := Load(writeFolder(t, files))
		if err != nil {
			return
		}
		for _, text := range []string{"Chest X-rays. [CLS] chest", vocab, ""} {
			enc, err := tok.Encode(text, EncodeOptions{Truncate: true, MaxLength: 8, Padding: PadToMaxLength})
			if err != nil {
				continue // e.g. no cls_token or pad_token to add
			}
			for _, id := range enc.IDs {
				if id < 0 || id >= int64(tok.VocabSize()) {
					t.Fatalf("id %d out of range [0, %d)", id, tok.VocabSize())
				}
			}
			_ = tok.Decode(enc.IDs, true)
			_ = tok.Decode(enc.IDs, false)
		}
	})
}
