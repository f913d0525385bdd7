package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// pickCases returns transformers cases with the given ids.
func pickCases(t *testing.T, ids ...string) []hfCase {
	t.Helper()
	var out []hfCase
	for _, c := range readCases(t) {
		if slices.Contains(ids, c.ID) {
			out = append(out, c)
		}
	}
	if len(out) != len(ids) {
		t.Fatalf("found %d of the cases %v", len(out), ids)
	}
	return out
}

func TestEncodeBatchPadding(t *testing.T) {
	tok := BertBaseUncased()
	cases := pickCases(t, "edge-0", "edge-2", "edge-8", "edge-11")
	texts := make([]string, len(cases))
	longest := 0
	for i, c := range cases {
		texts[i] = c.Text
		longest = max(longest, len(c.InputIDs))
	}
	for _, tc := range []struct {
		opts EncodeOptions
		n    int
	}{
		{EncodeOptions{Padding: PadToLongest}, longest},
		{EncodeOptions{Padding: PadToMaxLength, MaxLength: 40}, 40},
	} {
		ids, mask, err := tok.EncodeBatch(texts, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			want := append(slices.Clone(c.InputIDs), make([]int64, tc.n-len(c.InputIDs))...) // [PAD] is 0
			wantMask := make([]int64, tc.n)
			for j := range c.InputIDs {
				wantMask[j] = 1
			}
			if !slices.Equal(ids[i], want) || !slices.Equal(mask[i], wantMask) {
				t.Errorf("%v, text %d:\n ids  %v\n want %v\n mask %v", tc.opts.Padding, i, ids[i], want, mask[i])
			}
		}
	}
	// Without padding every row keeps its length.
	ids, mask, err := tok.EncodeBatch(texts, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if !slices.Equal(ids[i], c.InputIDs) || len(mask[i]) != len(c.InputIDs) {
			t.Errorf("text %d: %v", i, ids[i])
		}
	}
}

func TestEncodeTruncation(t *testing.T) {
	tok := BertBaseUncased()
	c := pickCases(t, "edge-2")[0]
	for _, n := range []int{2, 3, 10, len(c.InputIDs), len(c.InputIDs) + 5} {
		enc, err := tok.Encode(c.Text, EncodeOptions{Truncate: true, MaxLength: n})
		if err != nil {
			t.Fatal(err)
		}
		keep := min(n, len(c.InputIDs)) - 2
		want := append(append([]int64{101}, c.InputIDs[1:1+keep]...), 102)
		if !slices.Equal(enc.IDs, want) {
			t.Errorf("max length %d: %v, want %v", n, enc.IDs, want)
		}
	}
	if _, err := tok.Encode(c.Text, EncodeOptions{Truncate: true, MaxLength: 1}); err == nil {
		t.Error("max length 1 accepted with [CLS] and [SEP] to add")
	}
	if _, err := tok.Encode(c.Text, EncodeOptions{MaxLength: -1}); err == nil {
		t.Error("negative max length accepted")
	}
	if _, err := tok.Encode(c.Text, EncodeOptions{Padding: Padding(7)}); err == nil {
		t.Error("unknown padding accepted")
	}
	// Without special tokens the limit applies to the text's ids.
	enc, err := tok.Encode(c.Text, EncodeOptions{NoSpecialTokens: true, Truncate: true, MaxLength: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(enc.IDs, c.InputIDs[1:4]) || !slices.Equal(enc.Tokens, c.Tokens[1:4]) {
		t.Errorf("no special tokens: %v %q", enc.IDs, enc.Tokens)
	}
	// MaxLength 0 means model_max_length (512 for the built-in tokenizer).
	long := strings.Repeat("chest ", 600)
	enc, err = tok.Encode(long, EncodeOptions{Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(enc.IDs) != 512 || enc.IDs[511] != 102 {
		t.Errorf("default truncation: %d ids, last %d", len(enc.IDs), enc.IDs[len(enc.IDs)-1])
	}
	if enc, _ = tok.Encode(long, EncodeOptions{}); len(enc.IDs) != 602 {
		t.Errorf("no truncation: %d ids", len(enc.IDs))
	}
}

func TestEncodeSidesAndMissingPad(t *testing.T) {
	dir := writeFolder(t, map[string]string{
		VocabFile:        string(bertBaseUncasedVocab),
		TokenizerConfig:  `{"padding_side": "left", "truncation_side": "left", "model_max_length": 1e30}`,
		SpecialTokensMap: specialTokensMapJSON,
	})
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Config().ModelMaxLength != 0 {
		t.Errorf("model_max_length 1e30 should mean no limit, got %d", tok.Config().ModelMaxLength)
	}
	enc, err := tok.Encode("chest x", EncodeOptions{Padding: PadToMaxLength, MaxLength: 6})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{0, 0, 101, 3108, 1060, 102}; !slices.Equal(enc.IDs, want) || !slices.Equal(enc.AttentionMask, []int64{0, 0, 1, 1, 1, 1}) {
		t.Errorf("left padding: %v %v", enc.IDs, enc.AttentionMask)
	}
	enc, err = tok.Encode("chest x ray", EncodeOptions{Truncate: true, MaxLength: 4})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{101, 1060, 4097, 102}; !slices.Equal(enc.IDs, want) {
		t.Errorf("left truncation: %v, want %v", enc.IDs, want)
	}

	noPad, err := Load(writeFolder(t, map[string]string{VocabFile: string(bertBaseUncasedVocab), SpecialTokensMap: `{"pad_token": null}`}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noPad.Encode("chest", EncodeOptions{Padding: PadToMaxLength, MaxLength: 8}); err == nil {
		t.Error("padding without a pad_token accepted")
	}
	if noPad.PadID() != -1 {
		t.Errorf("pad id %d without a pad_token", noPad.PadID())
	}
}

func TestSpecialIDsAndLookups(t *testing.T) {
	tok := BertBaseUncased()
	got := []int{tok.PadID(), tok.UnkID(), tok.CLSID(), tok.SEPID(), tok.MaskID(), tok.BOSID(), tok.EOSID()}
	if want := []int{0, 100, 101, 102, 103, -1, -1}; !slices.Equal(got, want) {
		t.Errorf("special ids %v, want %v", got, want)
	}
	// Ids from ../shared/data/tokenizers/README.md.
	for tokStr, id := range map[string]int{".": 1012, ",": 1010, "-": 1011, ":": 1024, "x": 1060, "chest": 3108, "ray": 4097, "lung": 11192, "the": 1996, "##～": 30521} {
		if got, ok := tok.TokenID(tokStr); !ok || got != id {
			t.Errorf("TokenID(%q) = %d %v, want %d", tokStr, got, ok, id)
		}
		if s, ok := tok.IDToken(id); !ok || s != tokStr {
			t.Errorf("IDToken(%d) = %q %v", id, s, ok)
		}
	}
	if _, ok := tok.TokenID("pneumothorax"); ok {
		t.Error("pneumothorax is not a single token of bert-base-uncased")
	}
	// Ids outside the vocabulary decode as [UNK], which skip_special drops.
	if got := tok.Decode([]int64{-5, 3108, 99999}, false); got != "[UNK] chest [UNK]" {
		t.Errorf("decode out of range: %q", got)
	}
	if got := tok.Decode([]int64{-5, 3108, 99999}, true); got != "chest" {
		t.Errorf("decode out of range, skipping special: %q", got)
	}
	if got := tok.ConvertIDsToTokens([]int64{101, 1052, 2638, 102}, true); !slices.Equal(got, []string{"p", "##ne"}) {
		t.Errorf("ConvertIDsToTokens: %q", got)
	}
}

func TestPreTokenizeRules(t *testing.T) {
	tok := BertBaseUncased()
	cases := []struct {
		in   string
		want []string
	}{
		// Python's str.split also splits on U+2028, which clean-up keeps
		// (category Zl is neither Zs nor C*).
		{"a\u2028b", []string{"a", "b"}},
		{"Ünicode NFD: e\u0301", []string{"unicode", "nfd", ":", "e"}},
		{"[CLS]x[SEP]", []string{"[CLS]", "x", "[SEP]"}},
		{"[cls]", []string{"[", "cls", "]"}},
		{"胸部", []string{"胸", "部"}},
	}
	for _, c := range cases {
		if got := tok.PreTokenize(c.in); !slices.Equal(got, c.want) {
			t.Errorf("PreTokenize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCasedConfigAndNeverSplit(t *testing.T) {
	vocab := string(bertBaseUncasedVocab)
	cased, err := Load(writeFolder(t, map[string]string{VocabFile: vocab, TokenizerConfig: `{"do_lower_case": false, "never_split": ["x-ray"]}`}))
	if err != nil {
		t.Fatal(err)
	}
	// The Python tokenizer composes to NFC and, cased, keeps accents.
	if got := cased.PreTokenize("Cafe\u0301 x-ray X-ray"); !slices.Equal(got, []string{"Caf\u00e9", "x-ray", "X", "-", "ray"}) {
		t.Errorf("cased PreTokenize: %q", got)
	}
	// A never_split word is looked up whole: [UNK] when it is not a token.
	enc, err := cased.Encode("x-ray", EncodeOptions{NoSpecialTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(enc.IDs, []int64{100}) {
		t.Errorf("never_split x-ray: %v", enc.IDs)
	}
	stripped, err := Load(writeFolder(t, map[string]string{VocabFile: vocab, TokenizerConfig: `{"do_lower_case": false, "strip_accents": true}`}))
	if err != nil {
		t.Fatal(err)
	}
	if got := stripped.PreTokenize("Café"); !slices.Equal(got, []string{"Cafe"}) {
		t.Errorf("strip_accents without lower-casing: %q", got)
	}
}

func TestNonSpecialAddedTokens(t *testing.T) {
	plain := BertBaseUncased()
	tok := BertBaseUncased()
	// As transformers' add_tokens: a normalized token of a lower-casing
	// tokenizer is stored lower-cased and matched in the lower-cased text.
	if err := tok.AddTokens(AddedToken{Content: "MyTok", ID: -1, Normalized: true}, AddedToken{Content: "tok", ID: -1, SingleWord: true}); err != nil {
		t.Fatal(err)
	}
	id, ok := tok.TokenID("mytok")
	if !ok || id != 30522 || tok.VocabSize() != 30524 {
		t.Fatalf("mytok = %d %v, vocab size %d", id, ok, tok.VocabSize())
	}
	enc, err := tok.Encode("a MyTok b", EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{101, 1037, 30522, 1038, 102}; !slices.Equal(enc.IDs, want) {
		t.Errorf("ids %v, want %v", enc.IDs, want)
	}
	// Non-special added tokens are decoded as texts of their own and are
	// kept by skip_special_tokens.
	if got := tok.Decode(enc.IDs, true); got != "a mytok b" {
		t.Errorf("decode: %q", got)
	}
	// A single_word token inside a word is not cut out.
	inWord, _ := tok.Encode("atok b", EncodeOptions{})
	base, _ := plain.Encode("atok b", EncodeOptions{})
	if !slices.Equal(inWord.IDs, base.IDs) {
		t.Errorf("single_word token matched inside a word: %v, want %v", inWord.IDs, base.IDs)
	}
	alone, _ := tok.Encode("a tok b", EncodeOptions{})
	if want := []int64{101, 1037, 30523, 1038, 102}; !slices.Equal(alone.IDs, want) {
		t.Errorf("single_word token alone: %v, want %v", alone.IDs, want)
	}
}
