package punkt

import (
	"strings"
	"unicode"
)

// Tokenizer splits text into sentences with a set of Punkt parameters, as
// NLTK's PunktSentenceTokenizer.tokenize(text) does (realign_boundaries on).
type Tokenizer struct {
	p *Params
}

// New returns a sentence tokenizer that uses p.
func New(p *Params) *Tokenizer { return &Tokenizer{p: p} }

// Sentences returns the sentences of text.
func (t *Tokenizer) Sentences(text string) []string {
	rs := []rune(text)
	var out []string
	for _, s := range t.realign(rs, t.slices(rs)) {
		out = append(out, string(rs[s[0]:s[1]]))
	}
	return out
}

// nonWord reports the characters of NLTK's _re_non_word_chars for English.
func nonWord(r rune) bool { return strings.ContainsRune(")\";}]*:@'({[?!", r) }

// periodMatch is one match of NLTK's period_context_re: the sentence-end
// character at pos, and the token after it.
type periodMatch struct {
	pos           int // index of the '.', '?' or '!'
	after         []rune
	nextTokStart  int // -1 when the match has no next_tok group
	hasNextTokGrp bool
}

// findPeriodContexts is finditer over period_context_re:
// [.?!](?=(?P<after_tok>NonWord|\s+(?P<next_tok>\S+))).
func findPeriodContexts(rs []rune) []periodMatch {
	var ms []periodMatch
	for i, r := range rs {
		if r != '.' && r != '?' && r != '!' {
			continue
		}
		if i+1 >= len(rs) {
			continue
		}
		if nonWord(rs[i+1]) {
			ms = append(ms, periodMatch{pos: i, after: rs[i+1 : i+2], nextTokStart: -1})
			continue
		}
		if !IsSpace(rs[i+1]) {
			continue
		}
		j := i + 1
		for j < len(rs) && IsSpace(rs[j]) {
			j++
		}
		if j == len(rs) {
			continue
		}
		k := j
		for k < len(rs) && !IsSpace(rs[k]) {
			k++
		}
		ms = append(ms, periodMatch{pos: i, after: rs[i+1 : k], nextTokStart: j, hasNextTokGrp: true})
	}
	return ms
}

// lastWhitespaceIndex is NLTK's _get_last_whitespace_index: the index of the
// last ASCII whitespace character, or 0 when there is none.
func lastWhitespaceIndex(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if asciiWhitespace(rs[i]) {
			return i
		}
	}
	return 0
}

// potentialEnd is a candidate sentence break with its decision context.
type potentialEnd struct {
	m       periodMatch
	context string
}

// matchPotentialEndContexts follows NLTK 3.10's _match_potential_end_contexts.
func matchPotentialEndContexts(rs []rune) []potentialEnd {
	var out []potentialEnd
	prevStart, prevStop := 0, 0
	var prev *periodMatch
	ms := findPeriodContexts(rs)
	ctx := func(m *periodMatch, start, stop int) string {
		return string(rs[start:stop]) + string(rs[m.pos]) + string(m.after)
	}
	for i := range ms {
		m := &ms[i]
		before := rs[prevStop:m.pos]
		idx := lastWhitespaceIndex(before)
		if idx != 0 {
			idx += prevStop + 1
		} else {
			idx = prevStart
		}
		if prev != nil && prevStop <= idx {
			out = append(out, potentialEnd{*prev, ctx(prev, prevStart, prevStop)})
		}
		prev = m
		prevStart, prevStop = idx, m.pos
	}
	if prev != nil {
		out = append(out, potentialEnd{*prev, ctx(prev, prevStart, prevStop)})
	}
	return out
}

// slices is NLTK's _slices_from_text, as [start, end) rune offsets.
func (t *Tokenizer) slices(rs []rune) [][2]int {
	var out [][2]int
	last := 0
	for _, pe := range matchPotentialEndContexts(rs) {
		if t.containsSentbreak(pe.context) {
			out = append(out, [2]int{last, pe.m.pos + 1})
			if pe.m.hasNextTokGrp {
				last = pe.m.nextTokStart
			} else {
				last = pe.m.pos + 1
			}
		}
	}
	end := len(rs)
	for end > 0 && IsSpace(rs[end-1]) {
		end--
	}
	return append(out, [2]int{last, end})
}

// realignClose matches NLTK's re_boundary_realignment at the start of rs,
// ["')\]}]+?(?:\s+|(?=--)|$) with MULTILINE, returning the match length and
// the length without trailing whitespace, or ok=false.
func realignClose(rs []rune) (n, trimmed int, ok bool) {
	for k := 1; k <= len(rs); k++ {
		if !strings.ContainsRune("\"')]}", rs[k-1]) {
			return 0, 0, false
		}
		rest := rs[k:]
		switch {
		case len(rest) > 0 && IsSpace(rest[0]):
			j := 0
			for j < len(rest) && IsSpace(rest[j]) {
				j++
			}
			return k + j, k, true
		case len(rest) >= 2 && rest[0] == '-' && rest[1] == '-':
			return k, k, true
		case len(rest) == 0 || rest[0] == '\n':
			return k, k, true
		}
	}
	return 0, 0, false
}

// realign is NLTK's _realign_boundaries: closing quotes and brackets after a
// sentence end move to the sentence they close.
func (t *Tokenizer) realign(rs []rune, slices [][2]int) [][2]int {
	var out [][2]int
	realign := 0
	for i, s1 := range slices {
		s1 = [2]int{s1[0] + realign, s1[1]}
		if i+1 == len(slices) {
			if s1[0] < s1[1] {
				out = append(out, s1)
			}
			continue
		}
		s2 := slices[i+1]
		var seg []rune
		if s2[0] < s2[1] {
			seg = rs[s2[0]:s2[1]]
		}
		if n, trimmed, ok := realignClose(seg); ok {
			out = append(out, [2]int{s1[0], s2[0] + trimmed})
			realign = n
		} else {
			realign = 0
			if s1[0] < s1[1] {
				out = append(out, s1)
			}
		}
	}
	return out
}

// token is NLTK's PunktToken with the annotations the tokenizer uses.
type token struct {
	tok         []rune
	typ         string
	periodFinal bool
	sentbreak   bool
	abbr        bool
	ellipsis    bool
}

func newToken(tok []rune) *token {
	t := &token{tok: tok, periodFinal: tok[len(tok)-1] == '.'}
	low := lower(string(tok))
	if isNumeric([]rune(low)) {
		t.typ = "##number##"
	} else {
		t.typ = low
	}
	return t
}

// isNumeric is NLTK's _RE_NUMERIC full match: ^-?[\.,]?\d[\d,\.-]*\.?$.
func isNumeric(rs []rune) bool {
	i := 0
	if i < len(rs) && rs[i] == '-' {
		i++
	}
	if i < len(rs) && (rs[i] == '.' || rs[i] == ',') {
		i++
	}
	if i >= len(rs) || !IsDigit(rs[i]) {
		return false
	}
	i++
	for i < len(rs) && (IsDigit(rs[i]) || rs[i] == ',' || rs[i] == '.' || rs[i] == '-') {
		i++
	}
	// [\d,\.-]* is greedy and may give back a final '.', which \.? takes;
	// either way the whole rest must have been consumed.
	return i == len(rs)
}

func (t *token) typeNoPeriod() string {
	if len([]rune(t.typ)) > 1 && strings.HasSuffix(t.typ, ".") {
		return t.typ[:len(t.typ)-1]
	}
	return t.typ
}

func (t *token) typeNoSentPeriod() string {
	if t.sentbreak {
		return t.typeNoPeriod()
	}
	return t.typ
}

func (t *token) firstUpper() bool { return unicode.IsUpper(t.tok[0]) }
func (t *token) firstLower() bool { return unicode.IsLower(t.tok[0]) }

// letterNotDigit matches Python's [^\W\d].
func letterNotDigit(r rune) bool { return IsWord(r) && !IsDigit(r) }

func (t *token) isEllipsis() bool {
	if len(t.tok) < 2 {
		return false
	}
	for _, r := range t.tok {
		if r != '.' {
			return false
		}
	}
	return true
}

func (t *token) isInitial() bool {
	return len(t.tok) == 2 && letterNotDigit(t.tok[0]) && t.tok[1] == '.'
}
