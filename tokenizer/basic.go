package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// pieceSink collects the ids and tokens that tokenization produces.
type pieceSink struct {
	ids    []int64
	tokens []string
}

func (s *pieceSink) add(id int, tok string) {
	s.ids = append(s.ids, int64(id))
	s.tokens = append(s.tokens, tok)
}

// Tokenize returns the tokens of text, without [CLS] and [SEP], as
// transformers' tokenizer.tokenize(text) does.
func (t *Tokenizer) Tokenize(text string) []string {
	var s pieceSink
	t.tokenize(text, &s)
	return s.tokens
}

// PreTokenize returns the words that WordPiece receives: the added tokens
// cut out whole, and the rest of the text normalized and split on
// whitespace and punctuation. Joined by spaces they are the normalized text
// that decoding gives back (less the words that become [UNK]).
func (t *Tokenizer) PreTokenize(text string) []string {
	if t.cfg.DoLowerCase {
		text = t.lowerOutsideSpecial(text)
	}
	var words []string
	for _, seg := range t.splitOnAdded(text) {
		switch _, added := t.added[seg]; {
		case seg == "":
		case added:
			words = append(words, seg)
		case !t.cfg.DoBasicTokenize:
			words = append(words, pyFields(seg)...)
		default:
			t.basicTokenize(seg, func(w []byte) { words = append(words, string(w)) })
		}
	}
	return words
}

// tokenize runs the whole pipeline of PreTrainedTokenizer.tokenize followed
// by convert_tokens_to_ids on text.
func (t *Tokenizer) tokenize(text string, sink *pieceSink) {
	if t.cfg.DoLowerCase {
		text = t.lowerOutsideSpecial(text)
	}
	segs := t.splitOnAdded(text)
	for _, seg := range segs {
		if seg == "" {
			continue
		}
		if id, ok := t.added[seg]; ok {
			sink.add(id, seg)
			continue
		}
		t.tokenizeSegment(seg, sink)
	}
}

// lowerOutsideSpecial lower-cases every character of text except inside the
// special tokens (and non-special normalized added tokens), trying them at
// each position in the order of all_special_tokens, as the regular
// expression of transformers' tokenize does.
func (t *Tokenizer) lowerOutsideSpecial(text string) string {
	i := 0
	// Fast path: nothing to change in a leading run of lower-case ASCII.
	for i < len(text) {
		c := text[i]
		if c >= 0x80 || (c >= 'A' && c <= 'Z') || t.protectFirst[c] {
			break
		}
		i++
	}
	if i == len(text) {
		return text
	}
	out := make([]byte, i, len(text)+8)
	copy(out, text[:i])
	for i < len(text) {
		c := text[i]
		if t.protectFirst[c] {
			if p := t.matchProtected(text[i:]); p != "" {
				out = append(out, p...)
				i += len(p)
				continue
			}
		}
		if c < 0x80 {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		out = appendLower(out, r)
		i += size
	}
	return string(out)
}

// matchProtected returns the first token of t.protect that s starts with.
func (t *Tokenizer) matchProtected(s string) string {
	for _, p := range t.protect {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return ""
}

// splitOnAdded cuts the added tokens out of text (the longest match at the
// leftmost position, as transformers' Trie.split does) and applies their
// lstrip, rstrip and single_word options to the neighbouring pieces.
func (t *Tokenizer) splitOnAdded(text string) []string {
	var segs []string
	last := 0
	for i := 0; i < len(text); {
		if list := t.addedByFirst[text[i]]; list != nil {
			m := ""
			for _, c := range list {
				if strings.HasPrefix(text[i:], c) {
					m = c
					break
				}
			}
			if m != "" {
				if i > last {
					segs = append(segs, text[last:i])
				}
				segs = append(segs, m)
				i += len(m)
				last = i
				continue
			}
		}
		i++
	}
	if segs == nil {
		return []string{text}
	}
	if last < len(text) {
		segs = append(segs, text[last:])
	}
	for i, seg := range segs {
		id, ok := t.added[seg]
		if !ok {
			continue
		}
		at := t.addedByID[id]
		hasLeft, hasRight := i > 0 && segs[i-1] != "", i+1 < len(segs) && segs[i+1] != ""
		if at.RStrip && hasRight {
			segs[i+1] = strings.TrimLeftFunc(segs[i+1], isPySpace)
		}
		if at.LStrip && hasLeft {
			segs[i-1] = strings.TrimRightFunc(segs[i-1], isPySpace)
		}
		hasLeft, hasRight = i > 0 && segs[i-1] != "", i+1 < len(segs) && segs[i+1] != ""
		switch {
		case at.SingleWord && hasLeft && !strings.HasSuffix(segs[i-1], " "):
			segs[i-1] += seg
			segs[i] = ""
		case at.SingleWord && hasRight && !strings.HasPrefix(segs[i+1], " "):
			segs[i+1] = seg + segs[i+1]
			segs[i] = ""
		}
	}
	return segs
}

// tokenizeSegment runs BertTokenizer._tokenize on a piece of text that holds
// no added token, and converts the tokens to ids.
func (t *Tokenizer) tokenizeSegment(seg string, sink *pieceSink) {
	var scratch []byte
	if !t.cfg.DoBasicTokenize {
		for _, w := range pyFields(seg) {
			scratch = t.wordPiece([]byte(w), sink, scratch)
		}
		return
	}
	t.basicTokenize(seg, func(word []byte) {
		if len(t.neverSplit) > 0 && t.neverSplit[string(word)] {
			w := string(word)
			sink.add(t.convertToken(w), w)
			return
		}
		scratch = t.wordPiece(word, sink, scratch)
	})
}

// basicTokenize is BasicTokenizer.tokenize: clean-up, CJK spacing, NFC,
// whitespace split, lower-casing and accent stripping, punctuation split.
// It calls emit with every resulting word; the slice is only valid during the
// call.
func (t *Tokenizer) basicTokenize(seg string, emit func(word []byte)) {
	buf := t.cleanText(seg)
	if t.cfg.NFC && needsNormalization(string(buf)) {
		buf = []byte(nfc(string(buf)))
	}
	for start := 0; start < len(buf); {
		// Skip whitespace, then find the end of the token.
		r, size := decodeRune(buf[start:])
		if isPySpace(r) {
			start += size
			continue
		}
		end := start
		for end < len(buf) {
			r, size := decodeRune(buf[end:])
			if isPySpace(r) {
				break
			}
			end += size
		}
		t.processToken(buf[start:end], emit)
		start = end
	}
}

// decodeRune decodes the first character of b, with an ASCII fast path.
func decodeRune(b []byte) (rune, int) {
	if b[0] < utf8.RuneSelf {
		return rune(b[0]), 1
	}
	return utf8.DecodeRune(b)
}

// cleanText applies _clean_text (when CleanText is set) and
// _tokenize_chinese_chars (when TokenizeChineseChars is set).
func (t *Tokenizer) cleanText(s string) []byte {
	out := make([]byte, 0, len(s)+8)
	clean := t.cfg.CleanText
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if clean && (c < 0x20 || c == 0x7f) {
				if c == '\t' || c == '\n' || c == '\r' {
					out = append(out, ' ')
				}
				continue
			}
			out = append(out, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if clean {
			if r == 0 || r == utf8.RuneError || isBertControl(r) {
				continue
			}
			if isBertWhitespace(r) {
				out = append(out, ' ')
				continue
			}
		}
		if t.cfg.TokenizeChineseChars && isChineseChar(r) {
			out = append(out, ' ')
			out = utf8.AppendRune(out, r)
			out = append(out, ' ')
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// processToken lower-cases and strips one whitespace-separated token as
// configured, then splits it on punctuation.
func (t *Tokenizer) processToken(tok []byte, emit func(word []byte)) {
	if t.neverSplitAll[string(tok)] {
		emit(tok)
		return
	}
	ascii := true
	for _, c := range tok {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if t.cfg.DoLowerCase {
		if ascii {
			for i, c := range tok {
				if c >= 'A' && c <= 'Z' {
					tok[i] = c + 'a' - 'A'
				}
			}
		} else {
			tok = []byte(lowerString(string(tok)))
		}
	}
	if t.stripAccents && !ascii {
		tok = []byte(stripAccents(string(tok)))
	}
	if len(tok) == 0 {
		return
	}
	if !t.cfg.DoSplitOnPunc || t.neverSplitAll[string(tok)] {
		emit(tok)
		return
	}
	start := 0
	for i := 0; i < len(tok); {
		r, size := decodeRune(tok[i:])
		if isBertPunctuation(r) {
			if i > start {
				emit(tok[start:i])
			}
			emit(tok[i : i+size])
			start = i + size
		}
		i += size
	}
	if start < len(tok) {
		emit(tok[start:])
	}
}

// wordPiece splits one word into the longest vocabulary pieces from the left
// (WordpieceTokenizer.tokenize) and adds their ids to sink; a word longer
// than MaxInputCharsPerWord characters, or one that cannot be matched to its
// end, becomes the unknown token. scratch is a reusable buffer, returned for
// the next call.
func (t *Tokenizer) wordPiece(word []byte, sink *pieceSink, scratch []byte) []byte {
	if len(word) == 0 {
		return scratch
	}
	if utf8.RuneCount(word) > t.cfg.MaxInputCharsPerWord {
		sink.add(t.unkID(), t.unkToken())
		return scratch
	}
	prefix := t.cfg.ContinuingSubwordPrefix
	mark := len(sink.ids)
	for start := 0; start < len(word); {
		// No vocabulary token is longer than maxPieceRunes characters.
		limit, n := start, 0
		for limit < len(word) && n < t.maxPieceRunes {
			_, size := decodeRune(word[limit:])
			limit += size
			n++
		}
		found := false
		for end := limit; end > start; {
			var id int32
			var ok bool
			if start == 0 {
				id, ok = t.vocab[string(word[:end])]
			} else {
				scratch = append(append(scratch[:0], prefix...), word[start:end]...)
				id, ok = t.vocab[string(scratch)]
			}
			if ok {
				sink.add(int(id), t.idToToken[id])
				start = end
				found = true
				break
			}
			end--
			for end > start && !utf8.RuneStart(word[end]) {
				end--
			}
		}
		if !found {
			sink.ids = sink.ids[:mark]
			sink.tokens = sink.tokens[:mark]
			sink.add(t.unkID(), t.unkToken())
			return scratch
		}
	}
	return scratch
}
