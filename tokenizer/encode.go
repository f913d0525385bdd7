package tokenizer

import "fmt"

// Padding says how Encode and EncodeBatch pad sequences.
type Padding int

// The padding strategies of transformers' `padding` argument.
const (
	// NoPadding leaves every sequence at its own length (padding=False).
	NoPadding Padding = iota
	// PadToLongest pads every sequence of a batch to the longest one
	// (padding="longest" or True).
	PadToLongest
	// PadToMaxLength pads every sequence to MaxLength
	// (padding="max_length").
	PadToMaxLength
)

// String returns the name transformers gives the strategy.
func (p Padding) String() string {
	switch p {
	case NoPadding:
		return "do_not_pad"
	case PadToLongest:
		return "longest"
	case PadToMaxLength:
		return "max_length"
	}
	return fmt.Sprintf("Padding(%d)", int(p))
}

// EncodeOptions are the arguments of transformers' tokenizer call that
// radcap uses. The zero value encodes one text with [CLS] and [SEP], without
// truncation or padding, like tokenizer(text).
type EncodeOptions struct {
	// NoSpecialTokens leaves out [CLS] and [SEP] (add_special_tokens=False).
	NoSpecialTokens bool
	// Truncate cuts the ids to MaxLength, keeping [CLS] and [SEP]
	// (truncation=True, the longest_first strategy).
	Truncate bool
	// MaxLength is the length for truncation and PadToMaxLength; 0 means the
	// tokenizer's model_max_length (no limit when it has none).
	MaxLength int
	// Padding chooses the padding strategy.
	Padding Padding
}

// Encoding is the tokenizer output for one text.
type Encoding struct {
	// IDs are the input ids, [CLS] and [SEP] included.
	IDs []int64
	// Tokens are the tokens of IDs ("[PAD]" for padding).
	Tokens []string
	// AttentionMask is 1 for real tokens and 0 for padding.
	AttentionMask []int64
}

// maxLength resolves opts.MaxLength: 0 means the model's maximum, and 0 is
// returned when there is none.
func (t *Tokenizer) maxLength(opts EncodeOptions) (int, error) {
	if opts.MaxLength < 0 {
		return 0, fmt.Errorf("tokenizer: negative max length %d", opts.MaxLength)
	}
	if opts.Padding < NoPadding || opts.Padding > PadToMaxLength {
		return 0, fmt.Errorf("tokenizer: unknown padding strategy %d", int(opts.Padding))
	}
	if opts.MaxLength > 0 {
		return opts.MaxLength, nil
	}
	return t.cfg.ModelMaxLength, nil
}

// Encode tokenizes text and adds [CLS] and [SEP], truncates and pads as opts
// say, giving what transformers' tokenizer(text, ...) gives.
func (t *Tokenizer) Encode(text string, opts EncodeOptions) (Encoding, error) {
	maxLen, err := t.maxLength(opts)
	if err != nil {
		return Encoding{}, err
	}
	e, err := t.encodeOne(text, opts, maxLen)
	if err != nil {
		return Encoding{}, err
	}
	if opts.Padding == PadToMaxLength && maxLen > 0 {
		if err := t.pad(&e, maxLen); err != nil {
			return Encoding{}, err
		}
	}
	return e, nil
}

// encodeOne tokenizes, truncates and adds the special tokens.
func (t *Tokenizer) encodeOne(text string, opts EncodeOptions, maxLen int) (Encoding, error) {
	var sink pieceSink
	t.tokenize(text, &sink)
	ids, toks := sink.ids, sink.tokens
	nSpecial := 0
	var cls, sep int
	var clsTok, sepTok string
	if !opts.NoSpecialTokens {
		var ok bool
		if clsTok, ok = t.roles[RoleCLS]; !ok {
			return Encoding{}, fmt.Errorf("tokenizer: encode: no cls_token to add")
		}
		if sepTok, ok = t.roles[RoleSEP]; !ok {
			return Encoding{}, fmt.Errorf("tokenizer: encode: no sep_token to add")
		}
		cls, sep = t.convertToken(clsTok), t.convertToken(sepTok)
		nSpecial = 2
	}
	if opts.Truncate && maxLen > 0 && len(ids)+nSpecial > maxLen {
		remove := len(ids) + nSpecial - maxLen
		if remove > len(ids) {
			return Encoding{}, fmt.Errorf("tokenizer: encode: max length %d leaves no room for the %d special tokens", maxLen, nSpecial)
		}
		if t.cfg.TruncationLeft {
			ids, toks = ids[remove:], toks[remove:]
		} else {
			ids, toks = ids[:len(ids)-remove], toks[:len(toks)-remove]
		}
	}
	e := Encoding{
		IDs:           make([]int64, 0, len(ids)+nSpecial),
		Tokens:        make([]string, 0, len(ids)+nSpecial),
		AttentionMask: make([]int64, len(ids)+nSpecial),
	}
	if nSpecial > 0 {
		e.IDs = append(e.IDs, int64(cls))
		e.Tokens = append(e.Tokens, clsTok)
	}
	e.IDs = append(e.IDs, ids...)
	e.Tokens = append(e.Tokens, toks...)
	if nSpecial > 0 {
		e.IDs = append(e.IDs, int64(sep))
		e.Tokens = append(e.Tokens, sepTok)
	}
	for i := range e.AttentionMask {
		e.AttentionMask[i] = 1
	}
	return e, nil
}

// pad pads e to length n (nothing happens when it is already that long or
// longer, as in transformers).
func (t *Tokenizer) pad(e *Encoding, n int) error {
	diff := n - len(e.IDs)
	if diff <= 0 {
		return nil
	}
	padTok, ok := t.roles[RolePAD]
	if !ok {
		return fmt.Errorf("tokenizer: asked to pad but the tokenizer has no pad_token")
	}
	padID := int64(t.convertToken(padTok))
	ids := make([]int64, 0, n)
	toks := make([]string, 0, n)
	mask := make([]int64, 0, n)
	if t.cfg.PaddingLeft {
		for i := 0; i < diff; i++ {
			ids, toks, mask = append(ids, padID), append(toks, padTok), append(mask, 0)
		}
	}
	ids, toks, mask = append(ids, e.IDs...), append(toks, e.Tokens...), append(mask, e.AttentionMask...)
	if !t.cfg.PaddingLeft {
		for i := 0; i < diff; i++ {
			ids, toks, mask = append(ids, padID), append(toks, padTok), append(mask, 0)
		}
	}
	e.IDs, e.Tokens, e.AttentionMask = ids, toks, mask
	return nil
}

// EncodeBatch encodes every text as Encode does and pads the batch as opts
// say, returning the input ids and the attention mask, one row per text.
// Rows have one length with PadToLongest, and with PadToMaxLength when
// Truncate is set too; otherwise a text longer than MaxLength keeps its
// length, as in transformers.
func (t *Tokenizer) EncodeBatch(texts []string, opts EncodeOptions) (ids, mask [][]int64, err error) {
	encs, err := t.EncodeBatchFull(texts, opts)
	if err != nil {
		return nil, nil, err
	}
	ids = make([][]int64, len(encs))
	mask = make([][]int64, len(encs))
	for i, e := range encs {
		ids[i], mask[i] = e.IDs, e.AttentionMask
	}
	return ids, mask, nil
}

// EncodeBatchFull is EncodeBatch returning the whole Encoding of every text.
func (t *Tokenizer) EncodeBatchFull(texts []string, opts EncodeOptions) ([]Encoding, error) {
	maxLen, err := t.maxLength(opts)
	if err != nil {
		return nil, err
	}
	encs := make([]Encoding, len(texts))
	longest := 0
	for i, text := range texts {
		if encs[i], err = t.encodeOne(text, opts, maxLen); err != nil {
			return nil, fmt.Errorf("text %d: %w", i, err)
		}
		longest = max(longest, len(encs[i].IDs))
	}
	target := 0
	switch opts.Padding {
	case PadToLongest:
		target = longest
	case PadToMaxLength:
		target = maxLen
	}
	if target > 0 {
		for i := range encs {
			if err := t.pad(&encs[i], target); err != nil {
				return nil, err
			}
		}
	}
	return encs, nil
}
