package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tokenizer files of microsoft/git-base and
// Salesforce/blip-image-captioning-base, as ../shared/data/tokenizers/README.md
// quotes them from the Hugging Face Hub.
const (
	gitTokenizerConfig   = `{"cls_token":"[CLS]","do_lower_case":true,"mask_token":"[MASK]","model_input_names":["input_ids","attention_mask"],"model_max_length":512,"name_or_path":"bert-base-uncased","pad_token":"[PAD]","processor_class":"GitProcessor","sep_token":"[SEP]","special_tokens_map_file":null,"strip_accents":null,"tokenize_chinese_chars":true,"tokenizer_class":"BertTokenizer","unk_token":"[UNK]"}`
	blipTokenizerConfig  = `{"cls_token":"[CLS]","do_basic_tokenize":true,"do_lower_case":true,"mask_token":"[MASK]","model_max_length":512,"name_or_path":"bert-base-uncased","never_split":null,"pad_token":"[PAD]","processor_class":"BlipProcessor","sep_token":"[SEP]","special_tokens_map_file":null,"strip_accents":null,"tokenize_chinese_chars":true,"tokenizer_class":"BertTokenizer","unk_token":"[UNK]","model_input_names":["input_ids","attention_mask"]}`
	specialTokensMapJSON = `{"cls_token":"[CLS]","mask_token":"[MASK]","pad_token":"[PAD]","sep_token":"[SEP]","unk_token":"[UNK]"}`
)

// writeFolder makes a model folder holding files (name -> content).
func writeFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// bertTokenizerJSON builds a tokenizer.json with the settings of
// bert-base-uncased's (listed in ../shared/data/tokenizers/README.md) around
// the built-in vocabulary.
func bertTokenizerJSON(t *testing.T) string {
	t.Helper()
	vocab, err := parseVocab(bertBaseUncasedVocab)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]int, len(vocab))
	for i, tok := range vocab {
		m[tok] = i
	}
	var added []map[string]any
	for _, a := range []struct {
		id  int
		tok string
	}{{0, "[PAD]"}, {100, "[UNK]"}, {101, "[CLS]"}, {102, "[SEP]"}, {103, "[MASK]"}} {
		added = append(added, map[string]any{"id": a.id, "content": a.tok, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true})
	}
	doc := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added,
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single": []any{map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 0}}},
		},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model":   map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": m},
	}
	data, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestLoadGitFolder(t *testing.T) {
	dir := writeFolder(t, map[string]string{
		VocabFile: string(bertBaseUncasedVocab), TokenizerConfig: gitTokenizerConfig, SpecialTokensMap: specialTokensMapJSON,
	})
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Config().ModelMaxLength != 512 || tok.VocabSize() != 30522 {
		t.Errorf("model_max_length %d, vocab size %d", tok.Config().ModelMaxLength, tok.VocabSize())
	}
	checkCases(t, tok, readCases(t))
}

func TestLoadTokenizerJSON(t *testing.T) {
	dir := writeFolder(t, map[string]string{
		TokenizerFile: bertTokenizerJSON(t), TokenizerConfig: gitTokenizerConfig, SpecialTokensMap: specialTokensMapJSON,
	})
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Config().NFC {
		t.Error("tokenizer.json folders must not use the Python tokenizer's NFC step")
	}
	checkCases(t, tok, readCases(t))
}

func TestLoadBLIPFolder(t *testing.T) {
	dir := writeFolder(t, map[string]string{
		VocabFile: string(bertBaseUncasedVocab), TokenizerConfig: blipTokenizerConfig, SpecialTokensMap: specialTokensMapJSON,
	})
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// BLIP-base's config.json: bos_token_id 30522, vocab_size 30524.
	if err := tok.AddBLIPTokens(30522); err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 30524 || tok.BaseVocabSize() != 30522 {
		t.Errorf("vocab size %d (base %d), want 30524 (30522)", tok.VocabSize(), tok.BaseVocabSize())
	}
	if id, ok := tok.TokenID("[DEC]"); !ok || id != 30522 || tok.BOSID() != 30522 {
		t.Errorf("[DEC] = %d %v, bos %d", id, ok, tok.BOSID())
	}
	if id, ok := tok.TokenID("[ENC]"); !ok || id != 30523 {
		t.Errorf("[ENC] = %d %v", id, ok)
	}
	// The cases hold no [DEC]/[ENC], so adding them changes none of them.
	checkCases(t, tok, readCases(t))

	enc, err := tok.Encode("[DEC] Chest[ENC]x", EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{101, 30522, 3108, 30523, 1060, 102}; !slices.Equal(enc.IDs, want) {
		t.Errorf("ids %v, want %v", enc.IDs, want)
	}
	if got := tok.Decode(enc.IDs, true); got != "chest x" {
		t.Errorf("decode skipping special tokens: %q", got)
	}
	if got := tok.Decode(enc.IDs, false); got != "[CLS] [DEC] chest [ENC] x [SEP]" {
		t.Errorf("decode: %q", got)
	}
	// transformers' _decode keeps additional special tokens beyond the base
	// vocabulary ([ENC]) as texts of their own, so a "##" piece after one
	// keeps its prefix, while after [DEC] (the bos_token) it is glued on.
	if got := tok.Decode([]int64{30523, 2015}, false); got != "[ENC] ##s" {
		t.Errorf("decode [ENC] ##s: %q", got)
	}
	if got := tok.Decode([]int64{30522, 2015}, false); got != "[DEC]s" {
		t.Errorf("decode [DEC] ##s: %q", got)
	}
}

func TestAddSpecialTokens(t *testing.T) {
	tok := BertBaseUncased()
	if err := tok.AddSpecialTokens(map[string]int{"[ENC]": 30523, "[DEC]": 30522}); err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 30524 || !tok.IsSpecialID(30522) || !tok.IsSpecialID(30523) {
		t.Errorf("vocab size %d, special %v %v", tok.VocabSize(), tok.IsSpecialID(30522), tok.IsSpecialID(30523))
	}
	if got := tok.SpecialTokens(); !slices.Equal(got, []string{"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]", "[DEC]", "[ENC]"}) {
		t.Errorf("special tokens %q", got)
	}
	for _, bad := range []map[string]int{{"chest": 5}, {"[X]": 0}, {"[DEC]": 7}, {"[Y]": -1}} {
		if err := tok.AddSpecialTokens(bad); err == nil {
			t.Errorf("AddSpecialTokens(%v) accepted", bad)
		}
	}
	if err := tok.SetSpecialToken("boss_token", "[DEC]"); err == nil {
		t.Error("unknown role accepted")
	}
}

func TestParseVocabLineEndings(t *testing.T) {
	// Python's readlines() with universal newlines gives these lines
	// (checked with CPython 3.11).
	got, err := parseVocab([]byte("a\r\nb\rc\n\nd"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c", "", "d"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDuplicateAndMissingVocabTokens(t *testing.T) {
	// As transformers' load_vocab: a repeated token keeps its last id, and
	// the earlier id has no token (it decodes as [UNK]). Special tokens
	// missing from the vocabulary are added after it.
	vocab := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "a"}
	tok, err := New(vocab, NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := tok.TokenID("a"); id != 6 {
		t.Errorf("a = %d, want 6", id)
	}
	if got := tok.Decode([]int64{4, 5}, false); got != "[UNK] b" {
		t.Errorf("decode [4 5] = %q", got)
	}
	if tok.MaskID() != 7 || tok.VocabSize() != 8 {
		t.Errorf("mask id %d, vocab size %d", tok.MaskID(), tok.VocabSize())
	}
	if _, err := New(nil, NewConfig()); err == nil {
		t.Error("empty vocabulary accepted")
	}
}

func TestLoadErrors(t *testing.T) {
	vocab := string(bertBaseUncasedVocab)
	good := bertTokenizerJSON(t)
	cases := []struct {
		name  string
		files map[string]string
		want  string // the error must contain this
	}{
		{"no vocabulary", map[string]string{TokenizerConfig: gitTokenizerConfig}, "neither vocab.txt nor tokenizer.json"},
		{"empty vocab", map[string]string{VocabFile: ""}, "vocab.txt: empty vocabulary"},
		{"bad utf-8", map[string]string{VocabFile: "[PAD]\n[UNK]\nab\xffc\n"}, "vocab.txt: line 3: invalid UTF-8"},
		{"config syntax", map[string]string{VocabFile: vocab, TokenizerConfig: "{\n \"do_lower_case\": tru\n}"}, "tokenizer_config.json:2:"},
		{"config type", map[string]string{VocabFile: vocab, TokenizerConfig: `{"do_lower_case": "yes"}`}, `tokenizer_config.json: "do_lower_case"`},
		{"config class", map[string]string{VocabFile: vocab, TokenizerConfig: `{"tokenizer_class": "GPT2Tokenizer"}`}, "not a BERT WordPiece tokenizer"},
		{"config length", map[string]string{VocabFile: vocab, TokenizerConfig: `{"model_max_length": -3}`}, "model_max_length"},
		{"config side", map[string]string{VocabFile: vocab, TokenizerConfig: `{"padding_side": "middle"}`}, "padding_side"},
		{"config array", map[string]string{VocabFile: vocab, TokenizerConfig: `[1, 2]`}, "tokenizer_config.json:1:"},
		{"added decoder key", map[string]string{VocabFile: vocab, TokenizerConfig: `{"added_tokens_decoder": {"x": {"content": "[X]"}}}`}, "added_tokens_decoder"},
		{"added decoder clash", map[string]string{VocabFile: vocab, TokenizerConfig: `{"added_tokens_decoder": {"5": {"content": "[X]", "special": true}}}`}, "id taken by vocabulary token"},
		{"special token type", map[string]string{VocabFile: vocab, SpecialTokensMap: `{"cls_token": 5}`}, `special_tokens_map.json: "cls_token"`},
		{"special map syntax", map[string]string{VocabFile: vocab, SpecialTokensMap: `{"cls_token": "[CLS]",}`}, "special_tokens_map.json:1:"},
		{"added tokens file", map[string]string{VocabFile: vocab, AddedTokensFile: `{"[X]": "a"}`}, "added_tokens.json:1:"},
		{"added tokens clash", map[string]string{VocabFile: vocab, AddedTokensFile: `{"[X]": 101}`}, "added_tokens.json"},
		{"json syntax", map[string]string{TokenizerFile: "{\n\"model\": {\n\"type\": \"WordPiece\",,\n}}"}, "tokenizer.json:3:"},
		{"json model", map[string]string{TokenizerFile: strings.Replace(good, `"type": "WordPiece",
  "unk_token"`, `"type": "BPE",
  "unk_token"`, 1)}, `model type "BPE"`},
		{"json no model", map[string]string{TokenizerFile: `{"normalizer": null}`}, "tokenizer.json: no model"},
		{"json empty vocab", map[string]string{TokenizerFile: `{"model": {"type": "WordPiece", "vocab": {}}}`}, "model.vocab is empty"},
		{"json duplicate id", map[string]string{TokenizerFile: `{"pre_tokenizer": {"type": "BertPreTokenizer"}, "model": {"type": "WordPiece", "vocab": {"a": 0, "b": 0}}}`}, "id 0 is given to both"},
		{"json normalizer", map[string]string{TokenizerFile: strings.Replace(good, `"type": "BertNormalizer"`, `"type": "Lowercase"`, 1)}, `normalizer type "Lowercase"`},
		{"json pre-tokenizer", map[string]string{TokenizerFile: `{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`}, "pre_tokenizer null"},
		{"json huge id", map[string]string{TokenizerFile: `{"model": {"type": "WordPiece", "vocab": {"a": 2000000000}}}`}, "has id 2000000000"},
		{"no unk", map[string]string{VocabFile: "[CLS]\n[SEP]\na\n", SpecialTokensMap: `{"unk_token": null}`}, "unknown token \"[UNK]\""},
		{"json vocab type", map[string]string{TokenizerFile: `{"model": {"type": "WordPiece", "vocab": {"a": "x"}}}`}, "tokenizer.json:1:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFolder(t, c.files)
			tok, err := Load(dir)
			if err == nil {
				t.Fatalf("loaded (vocab size %d), want an error with %q", tok.VocabSize(), c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}
