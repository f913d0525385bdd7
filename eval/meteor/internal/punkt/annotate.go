package punkt

import "strings"

// wordStartExcluded are the characters NLTK's _re_word_start excludes from
// starting a word token.
const wordStartExcluded = "(\"`{[:;&#*@)}]-,"

// multiCharAt returns the length of NLTK's _re_multi_char_punct
// (-{2,}|\.{2,}|(?:\.\s){2,}\.) matched at rs[i:], or 0.
func multiCharAt(rs []rune, i int) int {
	n := len(rs)
	if i+1 < n && rs[i] == '-' && rs[i+1] == '-' {
		j := i
		for j < n && rs[j] == '-' {
			j++
		}
		return j - i
	}
	if i+1 < n && rs[i] == '.' && rs[i+1] == '.' {
		j := i
		for j < n && rs[j] == '.' {
			j++
		}
		return j - i
	}
	k := 0
	for i+2*k+1 < n && rs[i+2*k] == '.' && IsSpace(rs[i+2*k+1]) {
		k++
	}
	if k >= 2 && i+2*k < n && rs[i+2*k] == '.' {
		return 2*k + 1
	}
	if k >= 3 {
		return 2*(k-1) + 1
	}
	return 0
}

// wordEndAt reports whether the lookahead that ends a word token holds at
// rs[q:]: whitespace, end of text, a non-word character, multi-character
// punctuation, or a comma followed by one of those.
func wordEndAt(rs []rune, q int) bool {
	n := len(rs)
	if q >= n || IsSpace(rs[q]) || nonWord(rs[q]) || multiCharAt(rs, q) > 0 {
		return true
	}
	if rs[q] == ',' {
		return q+1 >= n || IsSpace(rs[q+1]) || nonWord(rs[q+1]) || multiCharAt(rs, q+1) > 0
	}
	return false
}

// wordTokenize is NLTK's PunktLanguageVars.word_tokenize: findall of its
// word-tokenizer expression, which splits off punctuation other than periods.
func wordTokenize(rs []rune) [][]rune {
	var toks [][]rune
	n := len(rs)
	for i := 0; i < n; {
		if m := multiCharAt(rs, i); m > 0 {
			toks = append(toks, rs[i:i+m])
			i += m
			continue
		}
		if IsSpace(rs[i]) {
			i++
			continue
		}
		if !strings.ContainsRune(wordStartExcluded, rs[i]) {
			q := i + 1
			for q < n && !IsSpace(rs[q]) && !wordEndAt(rs, q) {
				q++
			}
			toks = append(toks, rs[i:q])
			i = q
			continue
		}
		toks = append(toks, rs[i:i+1])
		i++
	}
	return toks
}

// tokenizeWords is NLTK's _tokenize_words: the word tokens of every
// non-blank line.
func tokenizeWords(text string) []*token {
	var out []*token
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimFunc(line, IsSpace) == "" {
			continue
		}
		for _, tk := range wordTokenize([]rune(line)) {
			out = append(out, newToken(tk))
		}
	}
	return out
}

// firstPass is NLTK's _first_pass_annotation.
func (t *Tokenizer) firstPass(tk *token) {
	s := string(tk.tok)
	switch {
	case s == "." || s == "?" || s == "!":
		tk.sentbreak = true
	case tk.isEllipsis():
		tk.ellipsis = true
	case tk.periodFinal && !strings.HasSuffix(s, ".."):
		base := lower(s[:len(s)-1])
		parts := strings.Split(base, "-")
		if t.p.AbbrevTypes[base] || t.p.AbbrevTypes[parts[len(parts)-1]] {
			tk.abbr = true
		} else {
			tk.sentbreak = true
		}
	}
}

// orthoResult is the three-valued answer of the orthographic heuristic.
type orthoResult int

const (
	orthoFalse orthoResult = iota
	orthoTrue
	orthoUnknown
)

// orthoHeuristic is NLTK's _ortho_heuristic: does tk start a sentence?
func (t *Tokenizer) orthoHeuristic(tk *token) orthoResult {
	if len(tk.tok) == 1 && strings.ContainsRune(";:,.!?", tk.tok[0]) {
		return orthoFalse
	}
	ctx := t.p.OrthoContext[tk.typeNoSentPeriod()]
	if tk.firstUpper() && ctx&orthoLC != 0 && ctx&orthoMidUC == 0 {
		return orthoTrue
	}
	if tk.firstLower() && (ctx&orthoUC != 0 || ctx&orthoBegLC == 0) {
		return orthoFalse
	}
	return orthoUnknown
}

// secondPass is NLTK's _second_pass_annotation for the pair (t1, t2).
func (t *Tokenizer) secondPass(t1, t2 *token) {
	if !t1.periodFinal {
		return
	}
	typ := t1.typeNoPeriod()
	next := t2.typeNoSentPeriod()
	initial := t1.isInitial()

	if t.p.Collocations[[2]string{typ, next}] {
		t1.sentbreak, t1.abbr = false, true
		return
	}
	if (t1.abbr || t1.ellipsis) && !initial {
		if t.orthoHeuristic(t2) == orthoTrue {
			t1.sentbreak = true
			return
		}
		if t2.firstUpper() && t.p.SentStarters[next] {
			t1.sentbreak = true
			return
		}
	}
	if initial || typ == "##number##" {
		h := t.orthoHeuristic(t2)
		if h == orthoFalse {
			t1.sentbreak, t1.abbr = false, true
			return
		}
		if h == orthoUnknown && initial && t2.firstUpper() && t.p.OrthoContext[next]&orthoLC == 0 {
			t1.sentbreak, t1.abbr = false, true
		}
	}
}

// containsSentbreak is NLTK's text_contains_sentbreak: whether some token
// other than the last is annotated as a sentence break.
func (t *Tokenizer) containsSentbreak(text string) bool {
	toks := tokenizeWords(text)
	for _, tk := range toks {
		t.firstPass(tk)
	}
	for i, tk := range toks {
		if i+1 == len(toks) {
			return false
		}
		t.secondPass(tk, toks[i+1])
		if tk.sentbreak {
			return true
		}
	}
	return false
}
