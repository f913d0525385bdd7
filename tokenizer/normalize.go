package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the character classes and Unicode transformations of BERT's
// normalizer, written to give exactly what transformers' Python code gives:
// `_is_whitespace`, `_is_control`, `_is_punctuation`, `str.lower`, `str.split`,
// `unicodedata.normalize("NFC"/"NFD")` and the accent stripping of
// `BasicTokenizer._run_strip_accents`.

// isBertWhitespace reports whether clean-up turns r into a space: tab,
// newline, carriage return, space and every character of category Zs.
func isBertWhitespace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r':
		return true
	}
	return r > 0x7f && unicode.Is(unicode.Zs, r)
}

// isBertControl reports whether clean-up drops r: every character of a C*
// category (Cc, Cf, Co, Cs and the unassigned Cn) except tab, newline and
// carriage return.
func isBertControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	if r < 0x20 || r == 0x7f {
		return true
	}
	if r < 0x80 {
		return false
	}
	// Go's unicode.C, like Python's "C*" categories, also covers the
	// unassigned code points (Cn).
	return unicode.Is(unicode.C, r)
}

// isAssigned reports whether r has a general category other than Cn.
func isAssigned(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z,
		unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// isBertPunctuation reports whether the pre-tokenizer makes r a token of its
// own: the ASCII ranges 33-47, 58-64, 91-96 and 123-126, and every character
// of a P* category.
func isBertPunctuation(r rune) bool {
	if r < 0x80 {
		return (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126)
	}
	return unicode.Is(unicode.P, r)
}

// isChineseChar reports whether r lies in one of the CJK ideograph blocks that
// BERT surrounds with spaces.
func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}

// isPySpace reports whether Python's str.isspace is true for r, which is what
// str.split() and str.strip() split and strip on.
func isPySpace(r rune) bool {
	switch {
	case r == ' ' || (r >= '\t' && r <= '\r') || (r >= 0x1c && r <= 0x1f):
		return true
	case r < 0x80:
		return false
	case r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a):
		return true
	case r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000:
		return true
	}
	return false
}

// pyStrip removes leading and trailing Python whitespace, like str.strip().
func pyStrip(s string) string { return strings.TrimFunc(s, isPySpace) }

// pyFields splits s on runs of Python whitespace, like str.split().
func pyFields(s string) []string { return strings.FieldsFunc(s, isPySpace) }

// appendLower appends Python's str.lower() of the single character r. Python
// applies the full case mapping, which differs from the simple one only for
// U+0130 (capital I with dot above), lowered to "i" + U+0307.
func appendLower(dst []byte, r rune) []byte {
	if r < 0x80 {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r))
	}
	if r == 0x130 {
		return append(dst, "i\u0307"...)
	}
	return utf8.AppendRune(dst, unicode.ToLower(r))
}

// lowerString applies appendLower to every character of s.
func lowerString(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	out := make([]byte, 0, len(s)+4)
	for _, r := range s {
		out = appendLower(out, r)
	}
	return string(out)
}

// Hangul syllable constants of the Unicode standard (section 3.12).
const (
	hangulSBase  = 0xAC00
	hangulLBase  = 0x1100
	hangulVBase  = 0x1161
	hangulTBase  = 0x11A7
	hangulLCount = 19
	hangulVCount = 21
	hangulTCount = 28
	hangulNCount = hangulVCount * hangulTCount
	hangulSCount = hangulLCount * hangulNCount
)

// decompose returns the canonical decomposition (NFD) of s as runes: every
// character fully decomposed, then the combining marks of each run put in
// canonical order (a stable sort by combining class).
func decompose(s string) []rune {
	out := make([]rune, 0, len(s)+8)
	for _, r := range s {
		switch {
		case r >= hangulSBase && r < hangulSBase+hangulSCount:
			si := r - hangulSBase
			out = append(out, hangulLBase+si/hangulNCount, hangulVBase+(si%hangulNCount)/hangulTCount)
			if t := si % hangulTCount; t != 0 {
				out = append(out, hangulTBase+t)
			}
		default:
			if d, ok := canonicalDecomposition[r]; ok {
				for _, dr := range d {
					out = append(out, dr)
				}
			} else {
				out = append(out, r)
			}
		}
	}
	// Canonical ordering: insertion sort of each run of non-starters.
	for i := 1; i < len(out); i++ {
		c := combiningClass[out[i]]
		if c == 0 {
			continue
		}
		for j := i; j > 0; j-- {
			p := combiningClass[out[j-1]]
			if p == 0 || p <= c {
				break
			}
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out
}

// nfd returns the Unicode normalization form D of s.
func nfd(s string) string { return string(decompose(s)) }

// nfc returns the Unicode normalization form C of s: the canonical
// decomposition followed by canonical composition.
func nfc(s string) string {
	if !needsNormalization(s) {
		return s
	}
	d := decompose(s)
	starter := -1 // index in d[:w] of the last starter
	last := -1    // combining class of d[w-1] when it follows the starter, -1 when adjacent
	w := 0
	for _, r := range d {
		cc := int(combiningClass[r])
		if starter >= 0 && (last == -1 || (last != 0 && last < cc)) {
			if c, ok := compose(d[starter], r); ok {
				d[starter] = c
				continue
			}
		}
		if cc == 0 {
			starter = w
			last = -1
		} else {
			last = cc
		}
		d[w] = r
		w++
	}
	return string(d[:w])
}

// compose returns the primary composite of the pair (a, b), if there is one.
func compose(a, b rune) (rune, bool) {
	if a >= hangulLBase && a < hangulLBase+hangulLCount && b >= hangulVBase && b < hangulVBase+hangulVCount {
		return hangulSBase + ((a-hangulLBase)*hangulVCount+(b-hangulVBase))*hangulTCount, true
	}
	if a >= hangulSBase && a < hangulSBase+hangulSCount && (a-hangulSBase)%hangulTCount == 0 &&
		b > hangulTBase && b < hangulTBase+hangulTCount {
		return a + (b - hangulTBase), true
	}
	c, ok := primaryComposite[[2]rune{a, b}]
	return c, ok
}

// needsNormalization reports whether NFC or NFD might change s. Every
// character below U+00C0 is its own decomposition and never combines with
// its neighbours unless one of them lies at or above U+00C0.
func needsNormalization(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xc3 { // the lead byte of U+00C0 and above
			return true
		}
	}
	return false
}

// stripAccents returns the NFD of s with every character of category Mn
// (nonspacing mark) removed.
func stripAccents(s string) string {
	if !needsNormalization(s) {
		return s
	}
	d := decompose(s)
	w := 0
	for _, r := range d {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		d[w] = r
		w++
	}
	return string(d[:w])
}
