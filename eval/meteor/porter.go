package meteor

import "radcap/eval/meteor/internal/punkt"

// This file is a Porter stemmer that behaves like NLTK's PorterStemmer in its
// default NLTK_EXTENSIONS mode: words of one or two characters are returned
// unchanged, a small table of irregular forms bypasses the algorithm, and the
// steps carry NLTK's departures from Porter (1980): "ies"/"ied" on
// four-letter words, y->i only after a consonant, the "alli" and "fulli"
// rules, "logi" -> "log", and the two-letter cvc case. Words are handled as
// sequences of Unicode code points, as Python indexes strings.

// porterIrregular maps NLTK's irregular forms to their stems.
var porterIrregular = map[string]string{
	"sky": "sky", "skies": "sky",
	"dying":   "die",
	"lying":   "lie",
	"tying":   "tie",
	"news":    "news",
	"innings": "inning", "inning": "inning",
	"outings": "outing", "outing": "outing",
	"cannings": "canning", "canning": "canning",
	"howe":    "howe",
	"proceed": "proceed",
	"exceed":  "exceed",
	"succeed": "succeed",
}

// Stem returns the NLTK Porter stem of word (lowercased first, as NLTK does).
func Stem(word string) string {
	if s, ok := porterIrregular[word]; ok {
		return s
	}
	w := []rune(punkt.Lower(word))
	if len([]rune(word)) <= 2 {
		return string(w)
	}
	w = step1a(w)
	w = step1b(w)
	w = step1c(w)
	w = step2(w)
	w = step3(w)
	w = step4(w)
	w = step5a(w)
	w = step5b(w)
	return string(w)
}

func isVowel(r rune) bool { return r == 'a' || r == 'e' || r == 'i' || r == 'o' || r == 'u' }

// isConsonant follows NLTK: a, e, i, o, u are vowels; y is a consonant at the
// start or after a vowel, a vowel after a consonant.
func isConsonant(w []rune, i int) bool {
	if isVowel(w[i]) {
		return false
	}
	if w[i] == 'y' {
		if i == 0 {
			return true
		}
		return !isConsonant(w, i-1)
	}
	return true
}

// measure counts the "vc" sequences of the word's consonant/vowel pattern.
func measure(w []rune) int {
	m := 0
	prevVowel := false
	for i := range w {
		c := isConsonant(w, i)
		if c && prevVowel {
			m++
		}
		prevVowel = !c
	}
	return m
}

func positiveMeasure(w []rune) bool { return measure(w) > 0 }
func measureGT1(w []rune) bool      { return measure(w) > 1 }

func containsVowel(w []rune) bool {
	for i := range w {
		if !isConsonant(w, i) {
			return true
		}
	}
	return false
}

func endsDoubleConsonant(w []rune) bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && isConsonant(w, n-1)
}

func endsCVC(w []rune) bool {
	n := len(w)
	if n >= 3 && isConsonant(w, n-3) && !isConsonant(w, n-2) && isConsonant(w, n-1) &&
		w[n-1] != 'w' && w[n-1] != 'x' && w[n-1] != 'y' {
		return true
	}
	return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1)
}

func hasSuffix(w []rune, s string) bool {
	rs := []rune(s)
	if len(rs) > len(w) {
		return false
	}
	off := len(w) - len(rs)
	for i, r := range rs {
		if w[off+i] != r {
			return false
		}
	}
	return true
}

// withSuffix returns stem followed by s, in a fresh slice.
func withSuffix(stem []rune, s string) []rune {
	out := make([]rune, 0, len(stem)+len(s))
	out = append(out, stem...)
	return append(out, []rune(s)...)
}

func trim(w []rune, s string) []rune { return w[:len(w)-len([]rune(s))] }

// rule is one (suffix, replacement, condition) entry of a rule list; a nil
// condition always holds. The suffix "*d" means "ends in a double consonant".
type rule struct {
	suffix, repl string
	cond         func(stem []rune) bool
}

// applyRules applies the first rule whose suffix matches, as NLTK's
// _apply_rule_list does: when its condition fails, the word is returned
// unchanged and no later rule is tried.
func applyRules(w []rune, rules []rule) []rune {
	for _, r := range rules {
		if r.suffix == "*d" && endsDoubleConsonant(w) {
			stem := w[:len(w)-2]
			if r.cond == nil || r.cond(stem) {
				return withSuffix(stem, r.repl)
			}
			return w
		}
		if hasSuffix(w, r.suffix) {
			stem := trim(w, r.suffix)
			if r.cond == nil || r.cond(stem) {
				return withSuffix(stem, r.repl)
			}
			return w
		}
	}
	return w
}

func step1a(w []rune) []rune {
	if hasSuffix(w, "ies") && len(w) == 4 {
		return withSuffix(trim(w, "ies"), "ie")
	}
	return applyRules(w, []rule{
		{"sses", "ss", nil}, {"ies", "i", nil}, {"ss", "ss", nil}, {"s", "", nil},
	})
}

func step1b(w []rune) []rune {
	if hasSuffix(w, "ied") {
		if len(w) == 4 {
			return withSuffix(trim(w, "ied"), "ie")
		}
		return withSuffix(trim(w, "ied"), "i")
	}
	if hasSuffix(w, "eed") {
		stem := trim(w, "eed")
		if measure(stem) > 0 {
			return withSuffix(stem, "ee")
		}
		return w
	}
	var inter []rune
	ok := false
	for _, s := range []string{"ed", "ing"} {
		if hasSuffix(w, s) {
			inter = trim(w, s)
			if containsVowel(inter) {
				ok = true
				break
			}
		}
	}
	if !ok {
		return w
	}
	last := string(inter[len(inter)-1])
	return applyRules(inter, []rule{
		{"at", "ate", nil},
		{"bl", "ble", nil},
		{"iz", "ize", nil},
		{"*d", last, func([]rune) bool { return last != "l" && last != "s" && last != "z" }},
		{"", "e", func(stem []rune) bool { return measure(stem) == 1 && endsCVC(stem) }},
	})
}

func step1c(w []rune) []rune {
	return applyRules(w, []rule{{"y", "i", func(stem []rune) bool {
		return len(stem) > 1 && isConsonant(stem, len(stem)-1)
	}}})
}

func step2(w []rune) []rune {
	if hasSuffix(w, "alli") && positiveMeasure(trim(w, "alli")) {
		return step2(withSuffix(trim(w, "alli"), "al"))
	}
	pm := positiveMeasure
	return applyRules(w, []rule{
		{"ational", "ate", pm}, {"tional", "tion", pm}, {"enci", "ence", pm},
		{"anci", "ance", pm}, {"izer", "ize", pm}, {"bli", "ble", pm},
		{"alli", "al", pm}, {"entli", "ent", pm}, {"eli", "e", pm},
		{"ousli", "ous", pm}, {"ization", "ize", pm}, {"ation", "ate", pm},
		{"ator", "ate", pm}, {"alism", "al", pm}, {"iveness", "ive", pm},
		{"fulness", "ful", pm}, {"ousness", "ous", pm}, {"aliti", "al", pm},
		{"iviti", "ive", pm}, {"biliti", "ble", pm}, {"fulli", "ful", pm},
		// The "l" of "logi" stays with the stem for the measure test.
		{"logi", "log", func([]rune) bool { return positiveMeasure(w[:len(w)-3]) }},
	})
}

func step3(w []rune) []rune {
	pm := positiveMeasure
	return applyRules(w, []rule{
		{"icate", "ic", pm}, {"ative", "", pm}, {"alize", "al", pm},
		{"iciti", "ic", pm}, {"ical", "ic", pm}, {"ful", "", pm}, {"ness", "", pm},
	})
}

func step4(w []rune) []rune {
	g := measureGT1
	return applyRules(w, []rule{
		{"al", "", g}, {"ance", "", g}, {"ence", "", g}, {"er", "", g},
		{"ic", "", g}, {"able", "", g}, {"ible", "", g}, {"ant", "", g},
		{"ement", "", g}, {"ment", "", g}, {"ent", "", g},
		{"ion", "", func(stem []rune) bool {
			return measure(stem) > 1 && (stem[len(stem)-1] == 's' || stem[len(stem)-1] == 't')
		}},
		{"ou", "", g}, {"ism", "", g}, {"ate", "", g}, {"iti", "", g},
		{"ous", "", g}, {"ive", "", g}, {"ize", "", g},
	})
}

func step5a(w []rune) []rune {
	if hasSuffix(w, "e") {
		stem := trim(w, "e")
		m := measure(stem)
		if m > 1 || (m == 1 && !endsCVC(stem)) {
			return stem
		}
	}
	return w
}

func step5b(w []rune) []rune {
	return applyRules(w, []rule{{"ll", "l", func([]rune) bool { return measure(w[:len(w)-1]) > 1 }}})
}
