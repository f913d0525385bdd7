package synth

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"radcap/data"
)

// VarietyStats says how varied a set of chest X-ray captions is, in the
// terms of the synthetic set's captions: which sentence patterns they are
// written in and which phrasing of each finding they use. Variety fills
// it in.
type VarietyStats struct {
	// Captions is the number of captions read.
	Captions int
	// PatternCounts[k] counts the captions written in abnormal sentence
	// pattern k ("%P showing %A.", "%P: %N.", "%P demonstrates %A.",
	// "%N on %p."), NormalPatternCounts[k] those in normal pattern k, and
	// OtherPatterns those in none of them.
	PatternCounts, NormalPatternCounts []int
	OtherPatterns                      int
	// Patterns and NormalPatterns are the numbers of distinct abnormal and
	// normal patterns seen ("other" not counted).
	Patterns, NormalPatterns int
	// PhrasingCounts[kind][v] counts the mentions of kind in phrasing v
	// (0 to 2); its last entry counts the captions that name kind (as
	// data.Label reads them) in none of the known phrasings.
	PhrasingCounts map[data.Kind][]int
	// Phrasings[kind] is the number of distinct phrasings of kind seen
	// ("other" not counted); every finding kind has an entry, 0 when
	// absent.
	Phrasings map[data.Kind]int
}

// String summarises the statistics on one line, for example
// "patterns 4 (normal 4, other 2/200); phrasings: pneumothorax 3,
// pleural effusion 3, ...".
func (v VarietyStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "patterns %d (normal %d, other %d/%d); phrasings:", v.Patterns, v.NormalPatterns, v.OtherPatterns, v.Captions)
	for i, k := range data.AllKinds()[1:] {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s %s %d", sep, k, v.Phrasings[k])
	}
	return b.String()
}

// Variety classifies each caption by the sentence pattern it is written in
// (one of the abnormal and normal patterns of the synthetic set's
// captions, with any of their prefixes; or none, "other") and each finding
// it names by the phrasing it uses (one of the three of that finding, or
// "other"), and counts them. Captions and templates are compared after the
// same normalisation (lower case, punctuation split off as its own word,
// runs of spaces collapsed, a final full stop optional), so text decoded
// by a BERT tokenizer ("chest x - ray showing a large left - sided
// pneumothorax .") matches as the original does.
func Variety(captions []string) VarietyStats {
	m := newVarietyMatcher()
	st := VarietyStats{
		Captions:            len(captions),
		PatternCounts:       make([]int, len(patterns)),
		NormalPatternCounts: make([]int, len(normalPatterns)),
		PhrasingCounts:      map[data.Kind][]int{},
		Phrasings:           map[data.Kind]int{},
	}
	for _, k := range data.AllKinds()[1:] {
		st.PhrasingCounts[k] = make([]int, numPhrasings+1)
	}
	for _, c := range captions {
		norm := normalizeCaption(c)
		normal, k := m.pattern(norm)
		switch {
		case k < 0:
			st.OtherPatterns++
		case normal:
			st.NormalPatternCounts[k]++
		default:
			st.PatternCounts[k]++
		}
		if normal {
			continue // a normal study names no finding
		}
		named := map[data.Kind]bool{}
		for _, f := range m.phrasings(norm) {
			st.PhrasingCounts[f.kind][f.v]++
			named[f.kind] = true
		}
		for _, f := range data.Label(c) {
			if f.Kind != data.KindNone && !named[f.Kind] {
				st.PhrasingCounts[f.Kind][numPhrasings]++
				named[f.Kind] = true
			}
		}
	}
	st.Patterns, st.NormalPatterns = distinct(st.PatternCounts), distinct(st.NormalPatternCounts)
	for k, counts := range st.PhrasingCounts {
		st.Phrasings[k] = distinct(counts[:numPhrasings])
	}
	return st
}

// distinct returns the number of non-zero counts.
func distinct(counts []int) int {
	n := 0
	for _, c := range counts {
		if c > 0 {
			n++
		}
	}
	return n
}

// normalizeCaption lower-cases s, makes every character that is neither a
// letter, a digit nor a space a word of its own, and joins the words with
// single spaces: "Chest X-ray: large left-sided pneumothorax." and
// "chest x - ray : large left - sided pneumothorax ." both become the
// latter.
func normalizeCaption(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// A phrasingRef is one finding's phrasing: kind and phrasing index.
type phrasingRef struct {
	kind data.Kind
	v    int
}

// varietyMatcher holds the normalised templates and phrasings Variety
// matches against.
type varietyMatcher struct {
	normal, abnormal []*regexp.Regexp
	// byFirst lists the normalised phrasings (as word lists) by their
	// first word, longest first.
	byFirst map[string][]knownPhrasing
}

// knownPhrasing is one normalised phrasing of one finding.
type knownPhrasing struct {
	words []string
	ref   phrasingRef
}

// newVarietyMatcher compiles the sentence patterns and lists every
// phrasing of every finding, side, zone and size, with and without its
// article. A wording that two different (kind, phrasing) pairs would
// write is left out, so a match is never ambiguous.
func newVarietyMatcher() *varietyMatcher {
	var alts []string
	seen := map[string]bool{}
	for _, p := range prefixes {
		n := normalizeCaption(p)
		if !seen[n] {
			seen[n] = true
			alts = append(alts, regexp.QuoteMeta(n))
		}
	}
	prefix := "(?:" + strings.Join(alts, "|") + ")"
	compile := func(tmpls []string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, t := range tmpls {
			// placeholders become words that survive normalisation
			t = strings.NewReplacer("%P", " qqprefixqq ", "%p", " qqprefixqq ", "%A", " qqfindingsqq ", "%N", " qqfindingsqq ").Replace(t)
			n := normalizeCaption(t)
			n = strings.TrimSuffix(n, " .")
			re := regexp.QuoteMeta(n)
			re = strings.ReplaceAll(re, "qqprefixqq", prefix)
			re = strings.ReplaceAll(re, "qqfindingsqq", "(.+)")
			out = append(out, regexp.MustCompile("^"+re+"(?: \\.)?$"))
		}
		return out
	}
	m := &varietyMatcher{normal: compile(normalPatterns), abnormal: compile(patterns), byFirst: map[string][]knownPhrasing{}}
	refs := map[string]phrasingRef{}
	ambiguous := map[string]bool{}
	for _, l := range everyLesion() {
		for v := 0; v < numPhrasings; v++ {
			for _, art := range []bool{false, true} {
				n := normalizeCaption(phrase(l, v, art))
				r := phrasingRef{l.Kind, v}
				if old, ok := refs[n]; ok && old != r {
					ambiguous[n] = true
				}
				refs[n] = r
			}
		}
	}
	for n, r := range refs {
		if ambiguous[n] {
			continue
		}
		w := strings.Fields(n)
		m.byFirst[w[0]] = append(m.byFirst[w[0]], knownPhrasing{w, r})
	}
	for first, list := range m.byFirst {
		// longest first; equal lengths in a fixed order
		slices.SortFunc(list, func(a, b knownPhrasing) int {
			if len(a.words) != len(b.words) {
				return len(b.words) - len(a.words)
			}
			return strings.Compare(strings.Join(a.words, " "), strings.Join(b.words, " "))
		})
		m.byFirst[first] = list
	}
	return m
}

// pattern returns the pattern the normalised caption norm is written in:
// normal or abnormal, and its index; index -1 when it matches none.
// Normal patterns are tried first, as one of them ("%P showing clear
// lungs ...") also fits the abnormal "%P showing %A.".
func (m *varietyMatcher) pattern(norm string) (normal bool, k int) {
	for i, re := range m.normal {
		if re.MatchString(norm) {
			return true, i
		}
	}
	for i, re := range m.abnormal {
		if re.MatchString(norm) {
			return false, i
		}
	}
	return false, -1
}

// phrasings returns the known phrasings in the normalised caption norm,
// reading it left to right and taking the longest phrasing that starts at
// each word.
func (m *varietyMatcher) phrasings(norm string) []phrasingRef {
	words := strings.Fields(norm)
	var out []phrasingRef
	for i := 0; i < len(words); {
		matched := 0
		for _, p := range m.byFirst[words[i]] {
			if i+len(p.words) <= len(words) && slices.Equal(words[i:i+len(p.words)], p.words) {
				out = append(out, p.ref)
				matched = len(p.words)
				break
			}
		}
		i += max(matched, 1)
	}
	return out
}

// everyLesion lists every finding with every side, zone and size it can
// take.
func everyLesion() []Lesion {
	var out []Lesion
	for _, k := range data.AllKinds()[1:] {
		if !k.Lateral() {
			out = append(out, Lesion{Kind: k, Side: data.SideNone})
			continue
		}
		for _, s := range []data.Side{data.SideLeft, data.SideRight, data.SideBilateral} {
			for _, z := range []Zone{ZoneUpper, ZoneMid, ZoneLower} {
				for _, sz := range []Size{SizeSmall, SizeLarge} {
					out = append(out, Lesion{Kind: k, Side: s, Zone: z, Size: sz})
				}
			}
		}
	}
	return out
}
