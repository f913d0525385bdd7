// Package tokenizer is BERT's WordPiece tokenizer, as GIT and BLIP use it,
// giving the same tokens, ids and decoded text as the Python BertTokenizer of
// Hugging Face `transformers`.
//
// A Tokenizer is loaded from a model folder (Load: `vocab.txt` or
// `tokenizer.json`, with `tokenizer_config.json`, `special_tokens_map.json`
// and `added_tokens.json` when present), or built in (BertBaseUncased, the
// bert-base-uncased vocabulary embedded in the package). Text goes through
// four stages:
//
//  1. Added tokens. With lower-casing on, every character outside the special
//     tokens is lower-cased first (Python's str.lower, one character at a
//     time). Then the added tokens ([CLS], [SEP], [PAD], [MASK], [UNK], and
//     BLIP's [DEC] and [ENC] once added) are cut out of the text whole, the
//     longest match first; the rest is tokenized in pieces.
//  2. The BERT normalizer: drop U+0000, U+FFFD and control characters, turn
//     whitespace into spaces, put spaces around CJK ideographs, NFC (vocab.txt
//     folders only, as the Python tokenizer does), lower-case and strip
//     accents (NFD, then drop the nonspacing marks) as configured.
//  3. The pre-tokenizer: split on whitespace, and make every punctuation
//     character a word of its own.
//  4. WordPiece: greedy longest match from the left, continuation pieces
//     carrying "##"; a word longer than 100 characters, or one that cannot be
//     matched to the end, becomes [UNK].
//
// Encode adds [CLS] … [SEP], truncates and pads; Decode joins the pieces back,
// drops the special tokens on request and applies the clean-up of spaces
// before punctuation that transformers applies.
//
// A Tokenizer is safe for concurrent use by several goroutines once it is
// set up: AddTokens, AddSpecialTokens, AddBLIPTokens and SetSpecialToken
// change it and must not run at the same time as anything else.
package tokenizer

import (
	"fmt"
	"sort"
)

// The special-token roles of Hugging Face's special_tokens_map.json, in the
// order transformers lists them (SPECIAL_TOKENS_ATTRIBUTES).
const (
	RoleBOS  = "bos_token"
	RoleEOS  = "eos_token"
	RoleUNK  = "unk_token"
	RoleSEP  = "sep_token"
	RolePAD  = "pad_token"
	RoleCLS  = "cls_token"
	RoleMask = "mask_token"
)

// roleOrder is the order of the single-token roles in all_special_tokens.
var roleOrder = [...]string{RoleBOS, RoleEOS, RoleUNK, RoleSEP, RolePAD, RoleCLS, RoleMask}

// AddedToken is a token that is matched in the text before any other
// processing and kept whole, like transformers' AddedToken.
type AddedToken struct {
	// Content is the token's text, e.g. "[DEC]".
	Content string
	// ID is the token's id. A negative ID means "the next free id"
	// (VocabSize at the time it is added).
	ID int
	// Special marks tokens that skipSpecial drops in Decode and that
	// lower-casing leaves alone.
	Special bool
	// SingleWord keeps the token from matching inside a word.
	SingleWord bool
	// LStrip and RStrip make the token swallow the whitespace on its left
	// and right.
	LStrip, RStrip bool
	// Normalized marks non-special tokens that are matched in lower-cased
	// text (with lower-casing on, their content is lower-cased when added).
	Normalized bool
}

// Config holds the normalisation and model settings of a Tokenizer, with the
// meaning (and, in NewConfig, the defaults) of BertTokenizer's arguments.
type Config struct {
	// DoLowerCase lower-cases the text (do_lower_case).
	DoLowerCase bool
	// StripAccents removes accents; nil follows DoLowerCase (strip_accents).
	StripAccents *bool
	// TokenizeChineseChars puts spaces around CJK ideographs.
	TokenizeChineseChars bool
	// CleanText drops control characters and maps whitespace to spaces.
	CleanText bool
	// NFC composes the text to Unicode NFC before lower-casing, as the
	// Python BertTokenizer does (the Rust BertNormalizer does not).
	NFC bool
	// DoBasicTokenize runs the normalizer and pre-tokenizer; without it the
	// text is only split on whitespace before WordPiece.
	DoBasicTokenize bool
	// DoSplitOnPunc splits punctuation into words of its own.
	DoSplitOnPunc bool
	// NeverSplit lists words that are neither lower-cased nor split.
	NeverSplit []string
	// UnkToken is WordPiece's unknown token.
	UnkToken string
	// ContinuingSubwordPrefix starts every piece but the first of a word.
	ContinuingSubwordPrefix string
	// MaxInputCharsPerWord: longer words become UnkToken.
	MaxInputCharsPerWord int
	// ModelMaxLength is the default truncation and padding length; 0 means
	// none.
	ModelMaxLength int
	// CleanUpTokenizationSpaces makes Decode remove the spaces before
	// punctuation (clean_up_tokenization_spaces).
	CleanUpTokenizationSpaces bool
	// PaddingLeft and TruncationLeft pad and truncate on the left instead of
	// the right.
	PaddingLeft, TruncationLeft bool
}

// NewConfig returns the defaults of transformers' BertTokenizer.
func NewConfig() Config {
	return Config{
		DoLowerCase:               true,
		TokenizeChineseChars:      true,
		CleanText:                 true,
		NFC:                       true,
		DoBasicTokenize:           true,
		DoSplitOnPunc:             true,
		UnkToken:                  "[UNK]",
		ContinuingSubwordPrefix:   "##",
		MaxInputCharsPerWord:      100,
		CleanUpTokenizationSpaces: true,
	}
}

// Tokenizer is a BERT WordPiece tokenizer. Build one with Load,
// BertBaseUncased or New.
type Tokenizer struct {
	cfg          Config
	stripAccents bool

	vocab         map[string]int32 // token -> id; a repeated token keeps its last id
	idToToken     []string         // id -> token, for ids below len(idToToken)
	hasToken      []bool           // whether idToToken[id] is set
	baseSize      int              // number of ids of the base vocabulary
	maxPieceRunes int              // longest vocabulary token, in characters

	added      map[string]int     // added token content -> id
	addedByID  map[int]AddedToken // id -> added token
	roles      map[string]string  // role -> token content
	additional []string           // additional special tokens, in order
	neverSplit map[string]bool    // never_split of the configuration

	// Derived by refresh from the fields above.
	special       []string        // all_special_tokens, in transformers' order
	specialSet    map[string]bool // the same, as a set
	specialIDs    map[int]bool    // all_special_ids
	neverSplitAll map[string]bool // never_split plus all special tokens
	protect       []string        // what lower-casing leaves alone, in match order
	protectFirst  [256]bool       // first bytes of protect
	addedByFirst  [256][]string   // added tokens by first byte, longest first
}

// New builds a Tokenizer from a vocabulary (line n of a vocab.txt is id n;
// a repeated token keeps its last id, as transformers' load_vocab does) and
// a configuration, with BERT's special tokens [UNK], [SEP], [PAD], [CLS] and
// [MASK] in their roles. Special tokens missing from the vocabulary are
// added after it, as transformers does.
func New(vocab []string, cfg Config) (*Tokenizer, error) {
	if len(vocab) == 0 {
		return nil, fmt.Errorf("tokenizer: empty vocabulary")
	}
	ids := make(map[string]int32, len(vocab))
	for i, tok := range vocab {
		ids[tok] = int32(i)
	}
	t, err := newFromMap(ids, len(vocab), cfg)
	if err != nil {
		return nil, err
	}
	roles := map[string]string{RoleUNK: cfg.UnkToken, RoleSEP: "[SEP]", RolePAD: "[PAD]", RoleCLS: "[CLS]", RoleMask: "[MASK]"}
	if err := t.setRoles(roles, nil, nil); err != nil {
		return nil, err
	}
	if err := t.checkUnk(); err != nil {
		return nil, err
	}
	return t, nil
}

// checkUnk makes sure that WordPiece's unknown token has an id.
func (t *Tokenizer) checkUnk() error {
	if t.unkID() < 0 {
		return fmt.Errorf("tokenizer: the unknown token %q is neither in the vocabulary nor an added token", t.unkToken())
	}
	return nil
}

// newFromMap builds a Tokenizer without special tokens from token -> id.
func newFromMap(ids map[string]int32, size int, cfg Config) (*Tokenizer, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("tokenizer: empty vocabulary")
	}
	if cfg.MaxInputCharsPerWord <= 0 {
		return nil, fmt.Errorf("tokenizer: max_input_chars_per_word must be positive, got %d", cfg.MaxInputCharsPerWord)
	}
	if cfg.ModelMaxLength < 0 {
		return nil, fmt.Errorf("tokenizer: model_max_length must not be negative, got %d", cfg.ModelMaxLength)
	}
	t := &Tokenizer{
		cfg:        cfg,
		vocab:      ids,
		idToToken:  make([]string, size),
		hasToken:   make([]bool, size),
		baseSize:   size,
		added:      map[string]int{},
		addedByID:  map[int]AddedToken{},
		roles:      map[string]string{},
		neverSplit: map[string]bool{},
	}
	t.stripAccents = cfg.DoLowerCase
	if cfg.StripAccents != nil {
		t.stripAccents = *cfg.StripAccents
	}
	for tok, id := range ids {
		if id < 0 || int(id) >= size {
			return nil, fmt.Errorf("tokenizer: token %q has id %d outside [0, %d)", tok, id, size)
		}
		t.idToToken[id] = tok
		t.hasToken[id] = true
		if n := runeCount(tok); n > t.maxPieceRunes {
			t.maxPieceRunes = n
		}
	}
	for _, w := range cfg.NeverSplit {
		t.neverSplit[w] = true
	}
	t.refresh()
	return t, nil
}

// runeCount is utf8.RuneCountInString, counting as Python counts characters.
func runeCount(s string) int {
	n := 0
	for range s {
		n++
	}
	return n
}

// setRoles adds the special tokens of roles and additional (creating added
// tokens for them, like transformers' PreTrainedTokenizer.__init__), with the
// options of extended where given.
func (t *Tokenizer) setRoles(roles map[string]string, additional []string, extended map[string]AddedToken) error {
	var order []string
	for _, role := range roleOrder {
		if c, ok := roles[role]; ok && c != "" {
			t.roles[role] = c
			order = append(order, c)
		}
	}
	for _, c := range additional {
		if c != "" && !contains(t.additional, c) {
			t.additional = append(t.additional, c)
			order = append(order, c)
		}
	}
	for _, c := range order {
		if id, ok := t.added[c]; ok {
			at := t.addedByID[id]
			at.Special = true
			t.addedByID[id] = at
			continue
		}
		at := AddedToken{Content: c, ID: -1, Special: true}
		if e, ok := extended[c]; ok {
			at = e
			at.Special = true
			at.ID = -1
		}
		if err := t.addToken(at); err != nil {
			return err
		}
	}
	t.refresh()
	return nil
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// AddTokens adds tokens that are matched whole in the text, like
// transformers' add_tokens / add_special_tokens with explicit ids. A token
// already in the vocabulary keeps its id (ID must then be negative or that
// id); special tokens that get no role become additional special tokens.
func (t *Tokenizer) AddTokens(tokens ...AddedToken) error {
	for _, at := range tokens {
		if at.Content == "" {
			return fmt.Errorf("tokenizer: add token: empty content")
		}
		if !at.Special && at.Normalized && t.cfg.DoLowerCase {
			at.Content = lowerString(at.Content)
		}
		if err := t.addToken(at); err != nil {
			return err
		}
		if at.Special && !t.specialSet[at.Content] && !contains(t.additional, at.Content) {
			t.additional = append(t.additional, at.Content)
		}
	}
	t.refresh()
	return nil
}

// addToken records one added token.
func (t *Tokenizer) addToken(at AddedToken) error {
	if old, ok := t.added[at.Content]; ok {
		if at.ID >= 0 && at.ID != old {
			return fmt.Errorf("tokenizer: add token %q with id %d: already added with id %d", at.Content, at.ID, old)
		}
		at.ID = old
	}
	if id, ok := t.vocab[at.Content]; ok {
		if at.ID >= 0 && at.ID != int(id) {
			return fmt.Errorf("tokenizer: add token %q with id %d: the vocabulary has it as id %d", at.Content, at.ID, id)
		}
		at.ID = int(id)
	}
	if at.ID < 0 {
		at.ID = t.VocabSize()
	}
	if at.ID >= 1<<31-1 {
		return fmt.Errorf("tokenizer: add token %q: id %d too large", at.Content, at.ID)
	}
	if at.ID < len(t.idToToken) && t.hasToken[at.ID] && t.idToToken[at.ID] != at.Content {
		return fmt.Errorf("tokenizer: add token %q with id %d: id taken by vocabulary token %q", at.Content, at.ID, t.idToToken[at.ID])
	}
	if prev, ok := t.addedByID[at.ID]; ok && prev.Content != at.Content {
		return fmt.Errorf("tokenizer: add token %q with id %d: id taken by added token %q", at.Content, at.ID, prev.Content)
	}
	t.added[at.Content] = at.ID
	t.addedByID[at.ID] = at
	return nil
}

// AddSpecialTokens adds special tokens with the given ids as additional
// special tokens (in id order), e.g. {"[DEC]": 30522, "[ENC]": 30523}.
func (t *Tokenizer) AddSpecialTokens(tokens map[string]int) error {
	list := make([]AddedToken, 0, len(tokens))
	for c, id := range tokens {
		if id < 0 {
			return fmt.Errorf("tokenizer: add special token %q: negative id %d", c, id)
		}
		list = append(list, AddedToken{Content: c, ID: id, Special: true})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return t.AddTokens(list...)
}

// AddBLIPTokens adds the two tokens of BLIP's text decoder the way BLIP's
// init_tokenizer does: "[DEC]" with id bosID as the bos_token, and "[ENC]"
// with id bosID+1 as the first additional special token. The ids come from
// the model's config.json (bos_token_id 30522 for BLIP-base, vocab_size
// 30524), not from the vocabulary file.
func (t *Tokenizer) AddBLIPTokens(bosID int) error {
	if bosID < 0 {
		return fmt.Errorf("tokenizer: BLIP tokens: negative bos_token_id %d", bosID)
	}
	if err := t.AddTokens(AddedToken{Content: "[DEC]", ID: bosID, Special: true}); err != nil {
		return err
	}
	if err := t.SetSpecialToken(RoleBOS, "[DEC]"); err != nil {
		return err
	}
	return t.AddTokens(AddedToken{Content: "[ENC]", ID: bosID + 1, Special: true})
}

// SetSpecialToken gives the role (RoleBOS, RoleCLS, ...) to an added or
// vocabulary token, which becomes a special added token if it was not one.
func (t *Tokenizer) SetSpecialToken(role, content string) error {
	if !contains(roleOrder[:], role) {
		return fmt.Errorf("tokenizer: unknown special token role %q", role)
	}
	if _, ok := t.added[content]; !ok {
		id, ok := t.vocab[content]
		if !ok {
			return fmt.Errorf("tokenizer: set %s: %q is neither in the vocabulary nor added", role, content)
		}
		if err := t.addToken(AddedToken{Content: content, ID: int(id), Special: true}); err != nil {
			return err
		}
	}
	id := t.added[content]
	at := t.addedByID[id]
	at.Special = true
	t.addedByID[id] = at
	for i, c := range t.additional {
		if c == content {
			t.additional = append(t.additional[:i:i], t.additional[i+1:]...)
			break
		}
	}
	t.roles[role] = content
	t.refresh()
	return nil
}

// refresh recomputes the lookup tables derived from the added tokens.
func (t *Tokenizer) refresh() {
	t.special = t.special[:0]
	for _, role := range roleOrder {
		if c, ok := t.roles[role]; ok && !contains(t.special, c) {
			t.special = append(t.special, c)
		}
	}
	for _, c := range t.additional {
		if !contains(t.special, c) {
			t.special = append(t.special, c)
		}
	}
	t.specialSet = make(map[string]bool, len(t.special))
	t.specialIDs = make(map[int]bool, len(t.special))
	t.neverSplitAll = make(map[string]bool, len(t.neverSplit)+len(t.special))
	for w := range t.neverSplit {
		t.neverSplitAll[w] = true
	}
	t.protect = append(t.protect[:0], t.special...)
	for _, c := range t.special {
		t.specialSet[c] = true
		t.neverSplitAll[c] = true
		if id := t.convertToken(c); id >= 0 {
			t.specialIDs[id] = true
		}
	}
	ids := make([]int, 0, len(t.addedByID))
	for id := range t.addedByID {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	t.protectFirst = [256]bool{}
	t.addedByFirst = [256][]string{}
	for _, id := range ids {
		at := t.addedByID[id]
		if !at.Special && at.Normalized {
			t.protect = append(t.protect, at.Content)
		}
		f := at.Content[0]
		t.addedByFirst[f] = append(t.addedByFirst[f], at.Content)
	}
	for _, c := range t.protect {
		t.protectFirst[c[0]] = true
	}
	for f := range t.addedByFirst {
		list := t.addedByFirst[f]
		sort.SliceStable(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	}
}

// convertToken maps a token to its id: added tokens first, then the
// vocabulary, then the unknown token's id (-1 if there is none).
func (t *Tokenizer) convertToken(tok string) int {
	if id, ok := t.added[tok]; ok {
		return id
	}
	if id, ok := t.vocab[tok]; ok {
		return int(id)
	}
	return t.unkID()
}

// unkToken returns the unknown token: the unk_token role, or the
// configuration's UnkToken when the role is not set.
func (t *Tokenizer) unkToken() string {
	if c, ok := t.roles[RoleUNK]; ok {
		return c
	}
	return t.cfg.UnkToken
}

// unkID returns the id of the unknown token, or -1.
func (t *Tokenizer) unkID() int {
	unk := t.unkToken()
	if id, ok := t.added[unk]; ok {
		return id
	}
	if id, ok := t.vocab[unk]; ok {
		return int(id)
	}
	return -1
}
