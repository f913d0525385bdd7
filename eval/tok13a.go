package eval

import (
	"strings"
	"unicode"
)

// Tokenize13a splits text with sacreBLEU's "13a" tokenizer (the mteval-v13a
// rules that `evaluate`'s "bleu" metric uses by default). It does not
// lowercase. The steps, in order:
//
//  1. remove "<skipped>", remove "-\n" (joining words hyphenated at a line
//     break), turn the remaining "\n" into spaces;
//  2. if the text contains "&", decode &quot; &amp; &lt; &gt; in that order;
//  3. pad with one space at each end and put spaces around the ASCII
//     punctuation { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /;
//     around "." and "," unless preceded by a digit; around "." and ","
//     unless followed by a digit; after "-" preceded by a digit;
//  4. split on (Python's) whitespace.
//
// Each rule of step 3 is a left-to-right, non-overlapping regular-expression
// substitution in sacreBLEU; the loops below scan the same way so that runs
// such as "a.." or "1-2-3" come out exactly as there.
func Tokenize13a(text string) []string {
	text = strings.ReplaceAll(text, "<skipped>", "")
	text = strings.ReplaceAll(text, "-\n", "")
	text = strings.ReplaceAll(text, "\n", " ")
	if strings.Contains(text, "&") {
		text = strings.ReplaceAll(text, "&quot;", `"`)
		text = strings.ReplaceAll(text, "&amp;", "&")
		text = strings.ReplaceAll(text, "&lt;", "<")
		text = strings.ReplaceAll(text, "&gt;", ">")
	}
	s := []rune(" " + text + " ")
	s = padPunctuation(s)
	s = splitPeriodCommaAfterNonDigit(s)
	s = splitPeriodCommaBeforeNonDigit(s)
	s = splitDashAfterDigit(s)
	return splitPythonSpace(string(s))
}

// is13aPunct reports whether r is in the class [\{-\~\[-\` -\&\(-\+\:-\@\/]
// that 13a surrounds with spaces.
func is13aPunct(r rune) bool {
	switch {
	case r >= '{' && r <= '~', r >= '[' && r <= '`', r >= ' ' && r <= '&',
		r >= '(' && r <= '+', r >= ':' && r <= '@', r == '/':
		return true
	}
	return false
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isPeriodComma(r rune) bool { return r == '.' || r == ',' }

// padPunctuation applies `([{-~[-` -&(-+:-@/])` -> ` \1 `.
func padPunctuation(s []rune) []rune {
	out := make([]rune, 0, len(s)+len(s)/2)
	for _, r := range s {
		if is13aPunct(r) {
			out = append(out, ' ', r, ' ')
		} else {
			out = append(out, r)
		}
	}
	return out
}

// splitPeriodCommaAfterNonDigit applies `([^0-9])([\.,])` -> `\1 \2 `.
func splitPeriodCommaAfterNonDigit(s []rune) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && !isDigit(s[i]) && isPeriodComma(s[i+1]) {
			out = append(out, s[i], ' ', s[i+1], ' ')
			i++
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// splitPeriodCommaBeforeNonDigit applies `([\.,])([^0-9])` -> ` \1 \2`.
func splitPeriodCommaBeforeNonDigit(s []rune) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && isPeriodComma(s[i]) && !isDigit(s[i+1]) {
			out = append(out, ' ', s[i], ' ', s[i+1])
			i++
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// splitDashAfterDigit applies `([0-9])(-)` -> `\1 \2 `.
func splitDashAfterDigit(s []rune) []rune {
	out := make([]rune, 0, len(s)+8)
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && isDigit(s[i]) && s[i+1] == '-' {
			out = append(out, s[i], ' ', '-', ' ')
			i++
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// isPythonSpace reports whether Python's str.split() treats r as whitespace:
// Unicode White_Space plus the ASCII separators U+001C..U+001F.
func isPythonSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// splitPythonSpace is Python's str.split() without arguments.
func splitPythonSpace(s string) []string {
	return strings.FieldsFunc(s, isPythonSpace)
}

// rstripPython is Python's str.rstrip() without arguments.
func rstripPython(s string) string {
	return strings.TrimRightFunc(s, isPythonSpace)
}
