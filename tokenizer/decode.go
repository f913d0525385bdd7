package tokenizer

import "strings"

// Decode turns ids back into text as transformers' tokenizer.decode(ids,
// skip_special_tokens=skipSpecial) does: the tokens joined with spaces, the
// "##" continuations glued to their word, and, when the tokenizer's
// clean_up_tokenization_spaces is on (the default), the spaces before
// punctuation and contractions removed (" ." → ".", " n't" → "n't", ...).
// An id outside the vocabulary decodes as the unknown token.
func (t *Tokenizer) Decode(ids []int64, skipSpecial bool) string {
	return t.decode(ids, skipSpecial, t.cfg.CleanUpTokenizationSpaces)
}

// DecodeWithoutCleanup is Decode with clean_up_tokenization_spaces=False.
func (t *Tokenizer) DecodeWithoutCleanup(ids []int64, skipSpecial bool) string {
	return t.decode(ids, skipSpecial, false)
}

// decode is PreTrainedTokenizer._decode with spaces_between_special_tokens.
func (t *Tokenizer) decode(ids []int64, skipSpecial, cleanUp bool) string {
	var subTexts []string
	var current []string
	for _, id := range ids {
		if skipSpecial && t.specialIDs[clampID(id)] {
			continue
		}
		tok := t.idToTokenOrUnk(id)
		if skipSpecial && t.specialSet[tok] {
			continue
		}
		if t.isLegacyAdded(tok) {
			if len(current) > 0 {
				if s := t.tokensToString(current); s != "" {
					subTexts = append(subTexts, s)
				}
				current = current[:0]
			}
			subTexts = append(subTexts, tok)
			continue
		}
		current = append(current, tok)
	}
	if len(current) > 0 {
		subTexts = append(subTexts, t.tokensToString(current))
	}
	text := strings.Join(subTexts, " ")
	if cleanUp {
		text = cleanUpTokenization(text)
	}
	return text
}

// clampID maps ids beyond the int range to -1 (no token has them).
func clampID(id int64) int {
	if id < 0 || id > 1<<31-1 {
		return -1
	}
	return int(id)
}

// idToTokenOrUnk returns the token of id: an added token, a vocabulary
// token, or the unknown token for any other id (convert_ids_to_tokens).
func (t *Tokenizer) idToTokenOrUnk(id int64) string {
	i := clampID(id)
	if at, ok := t.addedByID[i]; ok {
		return at.Content
	}
	if i >= 0 && i < len(t.idToToken) && t.hasToken[i] {
		return t.idToToken[i]
	}
	return t.unkToken()
}

// isLegacyAdded reports whether decode keeps tok as a text of its own: added
// tokens that are not special, and additional special tokens whose id lies
// beyond the base vocabulary (such as BLIP's [ENC]).
func (t *Tokenizer) isLegacyAdded(tok string) bool {
	id, ok := t.added[tok]
	if !ok {
		return false
	}
	if !t.specialSet[tok] {
		return true
	}
	return contains(t.additional, tok) && id >= t.baseSize
}

// tokensToString is BertTokenizer.convert_tokens_to_string: join with
// spaces, glue the continuation pieces, strip.
func (t *Tokenizer) tokensToString(tokens []string) string {
	s := strings.Join(tokens, " ")
	if p := t.cfg.ContinuingSubwordPrefix; p != "" {
		s = strings.ReplaceAll(s, " "+p, "")
	}
	return pyStrip(s)
}

// cleanUpPairs are the replacements that remove the spaces that decoding puts before punctuation
// and English contractions, in the order of transformers'
// clean_up_tokenization (each replacement applied to the whole text in turn).
var cleanUpPairs = [...][2]string{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
	{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}

// cleanUpTokenization is transformers' clean_up_tokenization.
func cleanUpTokenization(s string) string {
	for _, p := range cleanUpPairs {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// ConvertIDsToTokens returns the token of every id (convert_ids_to_tokens),
// leaving out the special ones when skipSpecial is set.
func (t *Tokenizer) ConvertIDsToTokens(ids []int64, skipSpecial bool) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if skipSpecial && t.specialIDs[clampID(id)] {
			continue
		}
		out = append(out, t.idToTokenOrUnk(id))
	}
	return out
}
