package tokenizer

import (
	"encoding/json"
	"fmt"
)

// maxVocabID bounds the ids of a tokenizer.json vocabulary, whose id -> token
// table is allocated whole (no WordPiece vocabulary comes near it).
const maxVocabID = 1 << 24

// tokenizerJSON is what Load takes from a Hugging Face tokenizer.json (the
// `tokenizers` library's file) of a BERT WordPiece tokenizer.
type tokenizerJSON struct {
	ids   map[string]int32
	size  int
	added []AddedToken

	noNormalizer                                bool
	lowercase, stripAccents, chinese, cleanText *bool
	unk, prefix                                 string
	maxChars                                    int
	cls, sep                                    string
	cleanup                                     *bool
}

// The parts of tokenizer.json that Load reads.
type rawTokenizerJSON struct {
	AddedTokens []jsonAddedToken `json:"added_tokens"`
	Normalizer  *struct {
		Type               string `json:"type"`
		CleanText          *bool  `json:"clean_text"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          *bool  `json:"lowercase"`
	} `json:"normalizer"`
	PreTokenizer *struct {
		Type string `json:"type"`
	} `json:"pre_tokenizer"`
	PostProcessor *struct {
		Type   string            `json:"type"`
		Single []json.RawMessage `json:"single"`
		CLS    []json.RawMessage `json:"cls"`
		SEP    []json.RawMessage `json:"sep"`
	} `json:"post_processor"`
	Decoder *struct {
		Type    string `json:"type"`
		Cleanup *bool  `json:"cleanup"`
	} `json:"decoder"`
	Model *struct {
		Type                    string           `json:"type"`
		UnkToken                *string          `json:"unk_token"`
		ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    *int             `json:"max_input_chars_per_word"`
		Vocab                   map[string]int64 `json:"vocab"`
	} `json:"model"`
}

// parseTokenizerJSON reads a tokenizer.json; path names it in errors.
func parseTokenizerJSON(data []byte, path string) (*tokenizerJSON, error) {
	var raw rawTokenizerJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, jsonError(path, data, err)
	}
	m := raw.Model
	if m == nil {
		return nil, fmt.Errorf("%s: no model", path)
	}
	if m.Type != "WordPiece" {
		return nil, fmt.Errorf("%s: model type %q is not WordPiece", path, m.Type)
	}
	if len(m.Vocab) == 0 {
		return nil, fmt.Errorf("%s: model.vocab is empty", path)
	}
	tj := &tokenizerJSON{ids: make(map[string]int32, len(m.Vocab)), unk: "[UNK]", prefix: "##", maxChars: 100}
	byID := make(map[int64]string, len(m.Vocab))
	for tok, id := range m.Vocab {
		if id < 0 || id >= maxVocabID {
			return nil, fmt.Errorf("%s: model.vocab: token %q has id %d, outside [0, %d)", path, tok, id, maxVocabID)
		}
		if other, ok := byID[id]; ok {
			return nil, fmt.Errorf("%s: model.vocab: id %d is given to both %q and %q", path, id, other, tok)
		}
		byID[id] = tok
		tj.ids[tok] = int32(id)
		tj.size = max(tj.size, int(id)+1)
	}
	if m.UnkToken != nil {
		tj.unk = *m.UnkToken
	}
	if m.ContinuingSubwordPrefix != nil {
		tj.prefix = *m.ContinuingSubwordPrefix
	}
	if m.MaxInputCharsPerWord != nil {
		if *m.MaxInputCharsPerWord <= 0 {
			return nil, fmt.Errorf("%s: model.max_input_chars_per_word must be positive, got %d", path, *m.MaxInputCharsPerWord)
		}
		tj.maxChars = *m.MaxInputCharsPerWord
	}
	tj.noNormalizer = raw.Normalizer == nil
	if n := raw.Normalizer; n != nil {
		if n.Type != "BertNormalizer" {
			return nil, fmt.Errorf("%s: normalizer type %q is not supported (only BertNormalizer)", path, n.Type)
		}
		tj.lowercase, tj.stripAccents, tj.chinese, tj.cleanText = n.Lowercase, n.StripAccents, n.HandleChineseChars, n.CleanText
	}
	if p := raw.PreTokenizer; p == nil || p.Type != "BertPreTokenizer" {
		typ := "null"
		if p != nil {
			typ = fmt.Sprintf("%q", p.Type)
		}
		return nil, fmt.Errorf("%s: pre_tokenizer %s is not supported (only BertPreTokenizer)", path, typ)
	}
	if err := tj.readPostProcessor(&raw, path); err != nil {
		return nil, err
	}
	if d := raw.Decoder; d != nil {
		if d.Type != "WordPiece" {
			return nil, fmt.Errorf("%s: decoder type %q is not supported (only WordPiece)", path, d.Type)
		}
		tj.cleanup = d.Cleanup
	}
	for i, a := range raw.AddedTokens {
		if a.ID == nil || *a.ID < 0 || a.Content == "" {
			return nil, fmt.Errorf("%s: added_tokens[%d]: needs an id and a content", path, i)
		}
		tj.added = append(tj.added, a.token(*a.ID, false))
	}
	return tj, nil
}

// readPostProcessor takes the [CLS] and [SEP] tokens from a BertProcessing
// or a TemplateProcessing of the form "[CLS] $A [SEP]".
func (tj *tokenizerJSON) readPostProcessor(raw *rawTokenizerJSON, path string) error {
	p := raw.PostProcessor
	if p == nil {
		return nil
	}
	switch p.Type {
	case "BertProcessing":
		if len(p.CLS) != 2 || len(p.SEP) != 2 {
			return fmt.Errorf("%s: post_processor: cls and sep must be [token, id] pairs", path)
		}
		if json.Unmarshal(p.CLS[0], &tj.cls) != nil || json.Unmarshal(p.SEP[0], &tj.sep) != nil {
			return fmt.Errorf("%s: post_processor: cls and sep tokens must be strings", path)
		}
	case "TemplateProcessing":
		type piece struct {
			SpecialToken *struct {
				ID string `json:"id"`
			}
			Sequence *struct {
				ID string `json:"id"`
			}
		}
		var ps []piece
		for _, r := range p.Single {
			var x piece
			if err := json.Unmarshal(r, &x); err != nil {
				return fmt.Errorf("%s: post_processor.single: %w", path, err)
			}
			ps = append(ps, x)
		}
		if len(ps) != 3 || ps[0].SpecialToken == nil || ps[1].Sequence == nil || ps[2].SpecialToken == nil {
			return fmt.Errorf("%s: post_processor: only the template \"[CLS] $A [SEP]\" is supported", path)
		}
		tj.cls, tj.sep = ps[0].SpecialToken.ID, ps[2].SpecialToken.ID
	default:
		return fmt.Errorf("%s: post_processor type %q is not supported", path, p.Type)
	}
	return nil
}

// apply sets the configuration that tokenizer.json gives; the Rust
// normalizer has no NFC step.
func (tj *tokenizerJSON) apply(cfg *Config) {
	cfg.NFC = false
	if tj.noNormalizer {
		off := false
		cfg.DoLowerCase, cfg.StripAccents, cfg.TokenizeChineseChars, cfg.CleanText = false, &off, false, false
	}
	if tj.lowercase != nil {
		cfg.DoLowerCase = *tj.lowercase
	}
	if tj.stripAccents != nil {
		cfg.StripAccents = tj.stripAccents
	}
	if tj.chinese != nil {
		cfg.TokenizeChineseChars = *tj.chinese
	}
	if tj.cleanText != nil {
		cfg.CleanText = *tj.cleanText
	}
	cfg.UnkToken = tj.unk
	cfg.ContinuingSubwordPrefix = tj.prefix
	cfg.MaxInputCharsPerWord = tj.maxChars
	if tj.cleanup != nil {
		cfg.CleanUpTokenizationSpaces = *tj.cleanup
	}
}

// applyRoles sets the unk, cls and sep roles from the model and the post
// processor.
func (tj *tokenizerJSON) applyRoles(roles map[string]string) {
	roles[RoleUNK] = tj.unk
	if tj.cls != "" {
		roles[RoleCLS] = tj.cls
	}
	if tj.sep != "" {
		roles[RoleSEP] = tj.sep
	}
}
