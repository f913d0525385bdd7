package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// The file names of a Hugging Face model folder that Load reads.
const (
	VocabFile        = "vocab.txt"
	TokenizerFile    = "tokenizer.json"
	TokenizerConfig  = "tokenizer_config.json"
	SpecialTokensMap = "special_tokens_map.json"
	AddedTokensFile  = "added_tokens.json"
)

// Load reads the tokenizer of a Hugging Face model folder: the vocabulary
// from vocab.txt (the Python BertTokenizer's file, preferred when both are
// there) or tokenizer.json (a WordPiece model with BertNormalizer and
// BertPreTokenizer), the settings from tokenizer_config.json, the special
// tokens from special_tokens_map.json, and added_tokens.json. Only the
// vocabulary is required; missing settings take BertTokenizer's defaults.
func Load(dir string) (*Tokenizer, error) {
	t, err := load(dir)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", dir, err)
	}
	return t, nil
}

// jsonObject is a JSON object whose values are decoded on demand.
type jsonObject map[string]json.RawMessage

func load(dir string) (*Tokenizer, error) {
	cfgObj, cfgPath, err := readJSONObject(filepath.Join(dir, TokenizerConfig))
	if err != nil {
		return nil, err
	}
	mapObj, mapPath, err := readJSONObject(filepath.Join(dir, SpecialTokensMap))
	if err != nil {
		return nil, err
	}
	cfg := NewConfig()
	var t *Tokenizer
	var fromJSON *tokenizerJSON
	vocabPath := filepath.Join(dir, VocabFile)
	jsonPath := filepath.Join(dir, TokenizerFile)
	switch data, err := os.ReadFile(vocabPath); {
	case err == nil:
		vocab, err := parseVocab(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", vocabPath, err)
		}
		if err := applyConfig(&cfg, cfgObj, cfgPath); err != nil {
			return nil, err
		}
		ids := make(map[string]int32, len(vocab))
		for i, tok := range vocab {
			ids[tok] = int32(i)
		}
		if t, err = newFromMap(ids, len(vocab), cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", vocabPath, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		data, err := os.ReadFile(jsonPath)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("neither %s nor %s found", VocabFile, TokenizerFile)
		}
		if err != nil {
			return nil, err
		}
		if fromJSON, err = parseTokenizerJSON(data, jsonPath); err != nil {
			return nil, err
		}
		fromJSON.apply(&cfg)
		if err := applyConfig(&cfg, cfgObj, cfgPath); err != nil {
			return nil, err
		}
		if t, err = newFromMap(fromJSON.ids, fromJSON.size, cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", jsonPath, err)
		}
	default:
		return nil, err
	}

	// Added tokens saved with the tokenizer come first, with their ids.
	if fromJSON != nil {
		for _, at := range fromJSON.added {
			if err := t.addToken(at); err != nil {
				return nil, fmt.Errorf("%s: added_tokens: %w", jsonPath, err)
			}
		}
	}
	fromCfg, err := addedTokensDecoder(cfgObj, cfgPath)
	if err != nil {
		return nil, err
	}
	for _, at := range fromCfg {
		if err := t.addToken(at); err != nil {
			return nil, fmt.Errorf("%s: added_tokens_decoder: %w", cfgPath, err)
		}
	}

	// Special tokens: BertTokenizer's defaults, then tokenizer_config.json,
	// then special_tokens_map.json.
	roles := map[string]string{RoleUNK: cfg.UnkToken, RoleSEP: "[SEP]", RolePAD: "[PAD]", RoleCLS: "[CLS]", RoleMask: "[MASK]"}
	if fromJSON != nil {
		fromJSON.applyRoles(roles)
	}
	extended := map[string]AddedToken{}
	var additional []string
	for _, src := range []struct {
		obj  jsonObject
		path string
	}{{cfgObj, cfgPath}, {mapObj, mapPath}} {
		if err := readRoles(src.obj, src.path, roles, &additional, extended); err != nil {
			return nil, err
		}
	}
	if err := t.setRoles(roles, additional, extended); err != nil {
		return nil, fmt.Errorf("special tokens: %w", err)
	}
	if c, ok := roles[RoleUNK]; ok {
		t.cfg.UnkToken = c
	}
	if err := t.loadAddedTokensFile(filepath.Join(dir, AddedTokensFile)); err != nil {
		return nil, err
	}
	t.refresh()
	if err := t.checkUnk(); err != nil {
		return nil, err
	}
	return t, nil
}

// parseVocab splits a vocab.txt into its tokens, one a line, as Python's
// readlines() with universal newlines does ("\n", "\r\n" and "\r" end a line).
func parseVocab(data []byte) ([]string, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("empty vocabulary")
	}
	var vocab []string
	line := 1
	for len(data) > 0 {
		end := bytes.IndexAny(data, "\r\n")
		next := end + 1
		if end < 0 {
			end, next = len(data), len(data)
		} else if data[end] == '\r' && end+1 < len(data) && data[end+1] == '\n' {
			next = end + 2
		}
		tok := data[:end]
		if !utf8.Valid(tok) {
			return nil, fmt.Errorf("line %d: invalid UTF-8", line)
		}
		vocab = append(vocab, string(tok))
		data = data[next:]
		line++
	}
	return vocab, nil
}

// readJSONObject reads a JSON object file; a missing file gives nil.
func readJSONObject(path string) (jsonObject, string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, path, nil
	}
	if err != nil {
		return nil, path, err
	}
	var obj jsonObject
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, path, jsonError(path, data, err)
	}
	if obj == nil {
		return nil, path, fmt.Errorf("%s: not a JSON object", path)
	}
	return obj, path, nil
}

// jsonError names the file, line and column of a JSON decoding error.
func jsonError(path string, data []byte, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("%s: %w", path, err)
	}
	if off > 0 {
		off-- // the offset is just past the offending byte
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("%s:%d:%d: %w", path, line, col, err)
}

// field decodes obj[key] into v when the key is there and not null; it
// reports whether it was.
func (obj jsonObject) field(path, key string, v any) (bool, error) {
	raw, ok := obj[key]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("%s: %q: %w", path, key, err)
	}
	return true, nil
}

// bertClasses are the tokenizer classes that are BERT's WordPiece.
var bertClasses = map[string]bool{
	"BertTokenizer": true, "DistilBertTokenizer": true, "ElectraTokenizer": true,
	"MobileBertTokenizer": true, "SqueezeBertTokenizer": true, "ConvBertTokenizer": true,
	"LxmertTokenizer": true, "RetriBertTokenizer": true, "LayoutLMTokenizer": true,
}

// applyConfig reads the settings of tokenizer_config.json into cfg.
func applyConfig(cfg *Config, obj jsonObject, path string) error {
	var class string
	if ok, err := obj.field(path, "tokenizer_class", &class); err != nil {
		return err
	} else if ok && !bertClasses[strings.TrimSuffix(class, "Fast")] {
		return fmt.Errorf("%s: tokenizer_class %q is not a BERT WordPiece tokenizer", path, class)
	}
	bools := []struct {
		key string
		dst *bool
	}{
		{"do_lower_case", &cfg.DoLowerCase},
		{"do_basic_tokenize", &cfg.DoBasicTokenize},
		{"tokenize_chinese_chars", &cfg.TokenizeChineseChars},
		{"clean_up_tokenization_spaces", &cfg.CleanUpTokenizationSpaces},
		{"do_split_on_punc", &cfg.DoSplitOnPunc},
	}
	for _, b := range bools {
		if _, err := obj.field(path, b.key, b.dst); err != nil {
			return err
		}
	}
	var strip bool
	if ok, err := obj.field(path, "strip_accents", &strip); err != nil {
		return err
	} else if ok {
		cfg.StripAccents = &strip
	}
	if _, err := obj.field(path, "never_split", &cfg.NeverSplit); err != nil {
		return err
	}
	var maxLen float64
	if ok, err := obj.field(path, "model_max_length", &maxLen); err != nil {
		return err
	} else if ok {
		switch {
		case maxLen < 0 || maxLen != float64(int64(maxLen)) && maxLen < 1e15:
			return fmt.Errorf("%s: model_max_length %v is not a length", path, maxLen)
		case maxLen >= 1e15: // transformers' VERY_LARGE_INTEGER: no limit
			cfg.ModelMaxLength = 0
		default:
			cfg.ModelMaxLength = int(maxLen)
		}
	}
	for _, side := range []struct {
		key  string
		left *bool
	}{{"padding_side", &cfg.PaddingLeft}, {"truncation_side", &cfg.TruncationLeft}} {
		var s string
		if ok, err := obj.field(path, side.key, &s); err != nil {
			return err
		} else if ok {
			if s != "left" && s != "right" {
				return fmt.Errorf("%s: %s must be \"left\" or \"right\", got %q", path, side.key, s)
			}
			*side.left = s == "left"
		}
	}
	return nil
}

// jsonAddedToken is an AddedToken as transformers and tokenizers save it.
type jsonAddedToken struct {
	ID         *int   `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized *bool  `json:"normalized"`
	Special    *bool  `json:"special"`
}

func (j jsonAddedToken) token(id int, special bool) AddedToken {
	at := AddedToken{Content: j.Content, ID: id, Special: special, SingleWord: j.SingleWord, LStrip: j.LStrip, RStrip: j.RStrip}
	if j.Special != nil {
		at.Special = *j.Special
	}
	at.Normalized = !at.Special
	if j.Normalized != nil {
		at.Normalized = *j.Normalized
	}
	return at
}

// tokenValue decodes a special token given as a string or as an AddedToken
// object.
func tokenValue(raw json.RawMessage) (AddedToken, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return AddedToken{Content: s, ID: -1, Special: true}, nil
	}
	var j jsonAddedToken
	if err := json.Unmarshal(raw, &j); err != nil {
		return AddedToken{}, fmt.Errorf("neither a string nor a token object: %w", err)
	}
	if j.Content == "" {
		return AddedToken{}, fmt.Errorf("token object without content")
	}
	at := j.token(-1, true)
	at.Special = true
	return at, nil
}

// readRoles reads the special tokens of a tokenizer_config.json or
// special_tokens_map.json into roles, additional and extended.
func readRoles(obj jsonObject, path string, roles map[string]string, additional *[]string, extended map[string]AddedToken) error {
	for _, role := range roleOrder {
		raw, ok := obj[role]
		if !ok {
			continue
		}
		if string(raw) == "null" {
			delete(roles, role)
			continue
		}
		at, err := tokenValue(raw)
		if err != nil {
			return fmt.Errorf("%s: %q: %w", path, role, err)
		}
		roles[role] = at.Content
		extended[at.Content] = at
	}
	var list []json.RawMessage
	if ok, err := obj.field(path, "additional_special_tokens", &list); err != nil {
		return err
	} else if ok {
		*additional = (*additional)[:0]
		for i, raw := range list {
			at, err := tokenValue(raw)
			if err != nil {
				return fmt.Errorf("%s: additional_special_tokens[%d]: %w", path, i, err)
			}
			*additional = append(*additional, at.Content)
			extended[at.Content] = at
		}
	}
	return nil
}

// addedTokensDecoder reads tokenizer_config.json's added_tokens_decoder.
func addedTokensDecoder(obj jsonObject, path string) ([]AddedToken, error) {
	var m map[string]jsonAddedToken
	if ok, err := obj.field(path, "added_tokens_decoder", &m); err != nil || !ok {
		return nil, err
	}
	out := make([]AddedToken, 0, len(m))
	for key, j := range m {
		var id int
		if _, err := fmt.Sscanf(key, "%d", &id); err != nil || id < 0 || fmt.Sprint(id) != key {
			return nil, fmt.Errorf("%s: added_tokens_decoder: key %q is not a token id", path, key)
		}
		if j.Content == "" {
			return nil, fmt.Errorf("%s: added_tokens_decoder[%s]: no content", path, key)
		}
		out = append(out, j.token(id, false))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// loadAddedTokensFile reads the legacy added_tokens.json (token -> id), if
// there is one. Its tokens are special when they are special tokens.
func (t *Tokenizer) loadAddedTokensFile(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var m map[string]int
	if err := json.Unmarshal(data, &m); err != nil {
		return jsonError(path, data, err)
	}
	list := make([]AddedToken, 0, len(m))
	for c, id := range m {
		if c == "" || id < 0 {
			return fmt.Errorf("%s: bad entry %q: %d", path, c, id)
		}
		special := t.specialSet[c]
		list = append(list, AddedToken{Content: c, ID: id, Special: special, Normalized: !special})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	for _, at := range list {
		if err := t.addToken(at); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}
