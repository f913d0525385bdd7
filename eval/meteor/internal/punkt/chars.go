package punkt

import (
	"strings"
	"unicode"
)

// IsSpace reports whether r is whitespace for Python's str.isspace, str.split
// and the \s of its re module (Unicode patterns).
func IsSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0,
		0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// IsWord reports whether r matches Python's \w for Unicode patterns:
// letters, numbers and the underscore.
func IsWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// IsDigit reports whether r matches Python's \d (Unicode decimal digits).
func IsDigit(r rune) bool { return unicode.Is(unicode.Nd, r) }

// Fields splits s around runs of Python whitespace, like Python's str.split().
func Fields(s string) []string { return strings.FieldsFunc(s, IsSpace) }

// asciiWhitespace is Python's string.whitespace.
func asciiWhitespace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// lower lowercases like Python's str.lower for the characters where Go's
// strings.ToLower differs (U+0130 and a word-final capital sigma).
func lower(s string) string {
	if !strings.ContainsAny(s, "\u0130\u03a3") {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch {
		case r == '\u0130':
			b.WriteString("i\u0307")
		case r == '\u03a3' && i > 0 && unicode.IsLetter(rs[i-1]) && (i+1 == len(rs) || !unicode.IsLetter(rs[i+1])):
			b.WriteRune('\u03c2')
		default:
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

// Lower is Python's str.lower (see lower).
func Lower(s string) string { return lower(s) }
