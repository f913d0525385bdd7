package meteor

import (
	"strings"

	"radcap/eval/meteor/internal/punkt"
)

// This file is NLTK's NLTKWordTokenizer (nltk/tokenize/destructive.py, NLTK
// 3.10) as word_tokenize applies it to each sentence. NLTK writes it as a
// list of regular-expression substitutions; several use lookahead, which Go's
// RE2 lacks, so each substitution is written out by hand over code points,
// with Python's Unicode meanings of \s, \w and \d.
//
// Relative to NLTK 3.8 the 3.9+ tokenizer has two more substitutions, placed
// here as in NLTK: whitespace runs become one space among the ending-quote
// rules, right before the clitic rules (so "heart's<TAB>size" splits 's),
// and U+2012..U+2015 dashes are padded among the punctuation rules, after
// [;@#$%&].

// treebankTokenize splits one sentence into tokens.
func treebankTokenize(text string) []string {
	s := []rune(text)

	// Starting quotes.
	s = padEach(s, func(r rune) bool { return strings.ContainsRune("«“‘„", r) })
	s = padBacktickRuns(s)
	if len(s) > 0 && s[0] == '"' {
		s = append([]rune("``"), s[1:]...)
	}
	s = replaceLiteral(s, "``", " `` ")
	s = openingDoubleQuotes(s)
	s = splitQuoteBeforeLetter(s)

	// Punctuation.
	s = finalPeriod(s, "])}>\"'»”’ ", true)
	s = padColonComma(s)
	if n := len(s); n > 0 && (s[n-1] == ':' || s[n-1] == ',') {
		s = append(append([]rune{}, s[:n-1]...), ' ', s[n-1], ' ')
	}
	s = padPeriodRuns(s)
	s = padEach(s, func(r rune) bool { return strings.ContainsRune(";@#$%&", r) })
	s = padEach(s, func(r rune) bool { return r >= '\u2012' && r <= '\u2015' })
	s = finalPeriod(s, "])}>\"'", false)
	s = padEach(s, func(r rune) bool { return r == '?' || r == '!' })
	s = splitQuoteBeforeSpace(s)
	s = padEach(s, func(r rune) bool { return r == '*' })

	// Parentheses, brackets and double dashes.
	s = padEach(s, func(r rune) bool { return strings.ContainsRune("][(){}<>", r) })
	s = replaceLiteral(s, "--", " -- ")

	s = append(append([]rune{' '}, s...), ' ')

	// Ending quotes.
	s = padEach(s, func(r rune) bool { return strings.ContainsRune("»”’", r) })
	s = replaceLiteral(s, "''", " '' ")
	s = replaceLiteral(s, "\"", " '' ")
	s = collapseSpace(s)
	s = splitClitics(s, []string{"'s", "'S", "'m", "'M", "'d", "'D", "'"})
	s = splitClitics(s, []string{"'ll", "'LL", "'re", "'RE", "'ve", "'VE", "n't", "N'T"})

	// Contractions (MacIntyre).
	for _, c := range contractions2 {
		s = splitContraction(s, c[0], c[1], c[2] == "lookahead-space")
	}
	s = splitTIsWas(s, "is")
	s = splitTIsWas(s, "was")

	return punkt.Fields(string(s))
}

// padEach surrounds every rune for which match is true with spaces.
func padEach(s []rune, match func(rune) bool) []rune {
	out := make([]rune, 0, len(s)+8)
	for _, r := range s {
		if match(r) {
			out = append(out, ' ', r, ' ')
		} else {
			out = append(out, r)
		}
	}
	return out
}

// padBacktickRuns surrounds every run of backticks with spaces ([`]+).
func padBacktickRuns(s []rune) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); {
		if s[i] != '`' {
			out = append(out, s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '`' {
			j++
		}
		out = append(out, ' ')
		out = append(out, s[i:j]...)
		out = append(out, ' ')
		i = j
	}
	return out
}

// padPeriodRuns surrounds every run of two or more periods with spaces.
func padPeriodRuns(s []rune) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); {
		if s[i] != '.' || i+1 >= len(s) || s[i+1] != '.' {
			out = append(out, s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '.' {
			j++
		}
		out = append(out, ' ')
		out = append(out, s[i:j]...)
		out = append(out, ' ')
		i = j
	}
	return out
}

// replaceLiteral replaces the non-overlapping occurrences of old, left to
// right, by repl.
func replaceLiteral(s []rune, old, repl string) []rune {
	return []rune(strings.ReplaceAll(string(s), old, repl))
}

// openingDoubleQuotes is ([ \(\[{<])(\"|\'{2}) -> "\1 “ ".
func openingDoubleQuotes(s []rune) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); {
		if strings.ContainsRune(" ([{<", s[i]) && i+1 < len(s) {
			if s[i+1] == '"' {
				out = append(out, s[i], ' ', '`', '`', ' ')
				i += 2
				continue
			}
			if s[i+1] == '\'' && i+2 < len(s) && s[i+2] == '\'' {
				out = append(out, s[i], ' ', '`', '`', ' ')
				i += 3
				continue
			}
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// splitQuoteBeforeLetter is (?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b -> "\1 \2":
// a quote before a one-character word that is not a clitic letter.
func splitQuoteBeforeLetter(s []rune) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); {
		if s[i] == '\'' && i+1 < len(s) && punkt.IsWord(s[i+1]) &&
			(i+2 == len(s) || !punkt.IsWord(s[i+2])) &&
			!strings.ContainsRune("mtsdnMTSDNſ", s[i+1]) {
			out = append(out, '\'', ' ', s[i+1])
			i += 2
			continue
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// finalPeriod is ([^\.])(\.)([<closers>]*)\s*$ -> "\1 \2 \3 " (spaced) or
// "\1 \2\3 ": the period that ends the text, before closing brackets and
// quotes, is split off and the trailing whitespace dropped.
func finalPeriod(s []rune, closers string, spaced bool) []rune {
	for p := 0; p+1 < len(s); p++ {
		if s[p] == '.' || s[p+1] != '.' {
			continue
		}
		tail := s[p+2:]
		a := 0
		for a < len(tail) && strings.ContainsRune(closers, tail[a]) {
			a++
		}
		allSpace := true
		for _, r := range tail[a:] {
			if !punkt.IsSpace(r) {
				allSpace = false
				break
			}
		}
		if !allSpace {
			continue
		}
		out := append([]rune{}, s[:p+1]...)
		out = append(out, ' ', '.')
		if spaced {
			out = append(out, ' ')
		}
		out = append(out, tail[:a]...)
		return append(out, ' ')
	}
	return s
}

// padColonComma is ([:,])([^\d]) -> " \1 \2".
func padColonComma(s []rune) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); {
		if (s[i] == ':' || s[i] == ',') && i+1 < len(s) && !punkt.IsDigit(s[i+1]) {
			out = append(out, ' ', s[i], ' ', s[i+1])
			i += 2
			continue
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// splitQuoteBeforeSpace is ([^'])' -> "\1 ' ".
func splitQuoteBeforeSpace(s []rune) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); {
		if s[i] != '\'' && i+2 < len(s) && s[i+1] == '\'' && s[i+2] == ' ' {
			out = append(out, s[i], ' ', '\'', ' ')
			i += 3
			continue
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// collapseSpace replaces every run of whitespace by one space (NLTK >= 3.9
// does this before splitting clitics).
func collapseSpace(s []rune) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		if punkt.IsSpace(s[i]) {
			for i < len(s) && punkt.IsSpace(s[i]) {
				i++
			}
			out = append(out, ' ')
			continue
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// splitClitics is ([^' ])(alt1|alt2|...) -> "\1 \2 ": a clitic after a
// character other than a quote or space, followed by a space. Alternatives
// are tried in order.
func splitClitics(s []rune, alts []string) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); {
		if s[i] != '\'' && s[i] != ' ' {
			matched := false
			for _, a := range alts {
				ar := []rune(a)
				end := i + 1 + len(ar)
				if end < len(s) && string(s[i+1:end]) == a && s[end] == ' ' {
					out = append(out, s[i], ' ')
					out = append(out, ar...)
					out = append(out, ' ')
					i = end + 1
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// contractions2 are MacIntyre's two-part contractions NLTK splits, written
// (first part, second part, end condition): \b(can)(not)\b and so on, case
// insensitive; "wan"+"na" must be followed by whitespace instead of a word
// boundary.
var contractions2 = [][3]string{
	{"can", "not", ""}, {"d", "'ye", ""}, {"gim", "me", ""}, {"gon", "na", ""},
	{"got", "ta", ""}, {"lem", "me", ""}, {"more", "'n", ""}, {"wan", "na", "lookahead-space"},
}

// splitContraction is (?i)\b(a)(b)\b -> " \1 \2 " (or (?=\s) instead of the
// final \b when spaceAfter is set).
func splitContraction(s []rune, a, b string, spaceAfter bool) []rune {
	ar, br := []rune(a), []rune(b)
	n := len(ar) + len(br)
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); {
		if i+n <= len(s) && (i == 0 || !punkt.IsWord(s[i-1])) &&
			strings.EqualFold(string(s[i:i+len(ar)]), a) &&
			strings.EqualFold(string(s[i+len(ar):i+n]), b) {
			var endOK bool
			if spaceAfter {
				endOK = i+n < len(s) && punkt.IsSpace(s[i+n])
			} else {
				endOK = i+n == len(s) || !punkt.IsWord(s[i+n])
			}
			if endOK {
				out = append(out, ' ')
				out = append(out, s[i:i+len(ar)]...)
				out = append(out, ' ')
				out = append(out, s[i+len(ar):i+n]...)
				out = append(out, ' ')
				i += n
				continue
			}
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// splitTIsWas is (?i) ('t)(is)\b -> " \1 \2 " (and the same for "was").
func splitTIsWas(s []rune, word string) []rune {
	pat := " 't" + word
	n := len([]rune(pat))
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); {
		if i+n <= len(s) && strings.EqualFold(string(s[i:i+n]), pat) &&
			(i+n == len(s) || !punkt.IsWord(s[i+n])) {
			out = append(out, ' ')
			out = append(out, s[i+1:i+3]...)
			out = append(out, ' ')
			out = append(out, s[i+3:i+n]...)
			out = append(out, ' ')
			i += n
			continue
		}
		out = append(out, s[i])
		i++
	}
	return out
}
