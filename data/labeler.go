package data

import (
	"sort"
	"strings"
)

// kindIgnore marks phrases that contain a finding word but name something
// else ("pericardial effusion", "mass effect"); they are consumed and
// ignored.
const kindIgnore Kind = -1

// phrase is a word sequence that names a finding; a word ending in '*'
// matches any word with that prefix.
type phrase struct {
	words []string
	kind  Kind
}

// findingPhrases lists the words and synonyms the labeler recognises.
var findingPhrases = buildPhrases(map[Kind][]string{
	KindPneumothorax: {"pneumothorax", "pneumothoraces", "pneumothoraxes", "hydropneumothorax",
		"collapsed lung", "ptx"},
	KindEffusion: {"pleural effusion", "pleural effusions", "effusion", "effusions", "pleural fluid",
		"hydrothorax", "fluid in the pleural", "pleural collection", "pleural collections"},
	KindConsolidation: {"consolidation", "consolidations", "consolidated", "consolidative", "opacity", "opacities",
		"opacification", "opacifications", "infiltrate", "infiltrates", "infiltration", "infiltrations",
		"airspace disease", "air space disease", "airspace opacity", "pneumonia", "pneumonic",
		"ground glass"},
	KindMass: {"mass", "masses", "nodule", "nodules", "nodular", "nodular opacity", "nodular opacities",
		"mass lesion", "tumour", "tumor", "coin lesion", "round opacity", "rounded opacity"},
	KindCardiomegaly: {"cardiomegaly", "enlarged heart", "enlarged cardiac", "cardiac enlargement",
		"heart enlargement", "heart is enlarged", "cardiac silhouette is enlarged",
		"heart size is enlarged", "increased cardiothoracic ratio", "enlargement of the cardiac",
		"enlargement of the heart", "cardiac silhouette enlargement"},
	KindPneumomediastinum: {"pneumomediastinum", "mediastinal emphysema", "mediastinal air",
		"air in the mediastinum", "air within the mediastinum"},
	kindIgnore: {"pericardial effusion", "pericardial effusions", "mass effect", "pleural thickening"},
})

// normalPhrases state an explicitly normal study.
var normalPhrases = buildPhrases(map[Kind][]string{KindNone: {
	"normal", "unremarkable", "no acute", "no abnormality", "no abnormalities",
	"no significant abnormality", "clear lungs", "lungs are clear", "lungs clear", "no active",
}})

// buildPhrases splits the phrase lists and sorts them longest first, so a
// longer phrase wins over its prefix ("pleural effusion" over "effusion").
func buildPhrases(m map[Kind][]string) []phrase {
	var out []phrase
	for k, list := range m {
		for _, s := range list {
			out = append(out, phrase{strings.Fields(s), k})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].words) != len(out[j].words) {
			return len(out[i].words) > len(out[j].words)
		}
		if out[i].kind != out[j].kind {
			return out[i].kind < out[j].kind
		}
		return strings.Join(out[i].words, " ") < strings.Join(out[j].words, " ")
	})
	return out
}

// matchAt returns the first phrase of list that matches words at i.
func matchAt(words []word, i int, list []phrase) (phrase, bool) {
	for _, p := range list {
		if i+len(p.words) > len(words) {
			continue
		}
		ok := true
		for j, w := range p.words {
			got := words[i+j]
			if got.clause != words[i].clause {
				ok = false
				break
			}
			if strings.HasSuffix(w, "*") {
				ok = strings.HasPrefix(got.text, w[:len(w)-1])
			} else {
				ok = got.text == w
			}
			if !ok {
				break
			}
		}
		if ok {
			return p, true
		}
	}
	return phrase{}, false
}

// Words that open a negation, close its scope, and negate a finding named
// just before them.
var (
	negationCues = wordSet("no", "not", "without", "absence", "negative", "free", "neither", "nor",
		"resolution", "resolved")
	scopeBreaks = wordSet("but", "however", "although", "though", "with", "except", "while",
		"whereas", "showing", "shows", "shown", "demonstrates", "demonstrating", "reveals",
		"revealing", "revealed", "and")
	postNegations = wordSet("resolved", "excluded", "absent", "not")
	forwardStops  = wordSet(",", "with", "and", "shift", "but", "showing")
	backwardStops = wordSet(",", "and", "or", "with", "but", "showing", "shows", "demonstrates",
		"demonstrating", "reveals", "revealing", "plus")
)

func wordSet(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// mention is a recognised finding phrase in a caption, words [start, end).
type mention struct {
	kind       Kind
	start, end int
}

// Label returns the set of (finding, side) pairs that caption states, in
// a fixed order (by kind, then side). The rules:
//
//   - Finding phrases and their synonyms are listed in findingPhrases
//     ("pleural fluid" is an effusion, "opacity"/"infiltrate"/"pneumonia"
//     a consolidation, "nodule" a mass, "enlarged heart" cardiomegaly, ...).
//   - A phrase is negated when a negation cue ("no", "without", "absence",
//     "negative", "free", ...) precedes it in the same clause ('.', ';' and
//     ':' end a clause) with no scope break ("but", "with", "and", "shows",
//     ...) in between, or when "resolved", "excluded", "absent" or "not"
//     follows within three words. "No pneumothorax or effusion" negates both.
//   - The side of a lateral finding is read from the side words ("left",
//     "right", "bilateral", "both") before it, back to the previous finding,
//     the clause start or a list break ("and", "or", ',', "with", "shows",
//     except inside "left and right"); failing that, from the first side
//     word in the eight words after it, up to the next finding or a list break
//     ("effusion on the left"). Left and right together, or the same
//     finding stated on both sides, make it bilateral. Without a side word the side
//     is SideUnknown. Midline findings always get SideNone.
//   - A caption with no positive finding yields {none} when it states a
//     normal study ("normal", "unremarkable", "no acute", "clear lungs", ...)
//     or negates a finding ("No pneumothorax."); otherwise it yields nothing.
func Label(caption string) []Finding {
	words := tokenizeCaption(caption)
	var mentions []mention
	for i := 0; i < len(words); {
		if p, ok := matchAt(words, i, findingPhrases); ok {
			mentions = append(mentions, mention{p.kind, i, i + len(p.words)})
			i += len(p.words)
			continue
		}
		i++
	}
	sides := map[Kind]map[Side]bool{}
	negated := false
	prevEnd := 0
	for mi, m := range mentions {
		if m.kind == kindIgnore {
			prevEnd = m.end
			continue
		}
		if isNegated(words, m) {
			negated = true
			prevEnd = m.end
			continue
		}
		side := SideNone
		if m.kind.Lateral() {
			next := len(words)
			if mi+1 < len(mentions) {
				next = mentions[mi+1].start
			}
			var used int
			side, used = findSide(words, m, prevEnd, next)
			prevEnd = max(m.end, used)
		} else {
			prevEnd = m.end
		}
		if sides[m.kind] == nil {
			sides[m.kind] = map[Side]bool{}
		}
		sides[m.kind][side] = true
	}
	var out []Finding
	for k := KindPneumothorax; k < numKinds; k++ {
		s := sides[k]
		if len(s) == 0 {
			continue
		}
		if s[SideLeft] && s[SideRight] {
			s[SideBilateral] = true
		}
		if s[SideBilateral] {
			delete(s, SideLeft)
			delete(s, SideRight)
		}
		if len(s) > 1 {
			delete(s, SideUnknown)
		}
		for side := SideNone; side <= SideUnknown; side++ {
			if s[side] {
				out = append(out, Finding{k, side})
			}
		}
	}
	if len(out) == 0 && (negated || hasNormal(words)) {
		out = []Finding{{KindNone, SideNone}}
	}
	return out
}

// isNegated applies the negation rules of Label to mention m.
func isNegated(words []word, m mention) bool {
	clause := words[m.start].clause
	for i := m.start - 1; i >= 0 && words[i].clause == clause; i-- {
		w := words[i].text
		if negationCues[w] {
			return true
		}
		if scopeBreaks[w] {
			break
		}
	}
	for i := m.end; i < len(words) && i < m.end+3 && words[i].clause == clause; i++ {
		if postNegations[words[i].text] {
			return true
		}
	}
	return false
}

// sideWord maps a word to the side it names.
func sideWord(w string) Side {
	switch w {
	case "left":
		return SideLeft
	case "right":
		return SideRight
	case "bilateral", "bilaterally", "both":
		return SideBilateral
	}
	return SideNone
}

// findSide finds the side of lateral mention m, looking back to prevEnd
// and forward to next (the neighbouring mentions). It also returns the
// end of the words it used, so that a side stated after one finding ("a
// pneumothorax on the left and ...") is not read again for the next.
func findSide(words []word, m mention, prevEnd, next int) (Side, int) {
	used := m.end
	clause := words[m.start].clause
	seen := map[Side]bool{}
	for i := m.start - 1; i >= prevEnd && words[i].clause == clause; i-- {
		w := words[i].text
		if s := sideWord(w); s != SideNone {
			seen[s] = true
			continue
		}
		if backwardStops[w] {
			// "left and right effusions" goes on; "... and a left effusion" not.
			if (w == "and" || w == "or") && len(seen) > 0 && i > 0 && sideWord(words[i-1].text) != SideNone {
				continue
			}
			break
		}
	}
	if len(seen) == 0 {
		for i := m.end; i < next && i < m.end+8 && words[i].clause == clause; i++ {
			w := words[i].text
			if forwardStops[w] {
				break
			}
			if s := sideWord(w); s != SideNone {
				seen[s] = true
				used = i + 1
				break
			}
		}
	}
	switch {
	case seen[SideBilateral] || (seen[SideLeft] && seen[SideRight]):
		return SideBilateral, used
	case seen[SideLeft]:
		return SideLeft, used
	case seen[SideRight]:
		return SideRight, used
	}
	return SideUnknown, used
}

// hasNormal reports whether words contain a normal-study phrase.
func hasNormal(words []word) bool {
	for i := range words {
		if _, ok := matchAt(words, i, normalPhrases); ok {
			return true
		}
	}
	return false
}

// FindingF1 scores predicted captions against reference captions on the
// findings they state. Each caption is turned into its set of (finding,
// side) pairs by Label; for caption pair i with sets P_i and R_i,
//
//	TP = sum_i |P_i ∩ R_i|,  precision = TP / sum_i |P_i|,
//	recall = TP / sum_i |R_i|,  f1 = 2 precision recall / (precision + recall)
//
// (micro-averaged over pairs). The "none" class is the pair (none,
// midline): a correctly predicted normal study is a true positive like any
// other pair, predicting "normal" for an abnormal study is a false positive
// and a false negative. A caption that states nothing recognisable has an
// empty set: as a prediction it costs recall only. Sides must match exactly
// (bilateral is its own side, not left plus right). A 0/0 ratio is 0. If
// the slices differ in length, the missing captions count as empty.
func FindingF1(preds, refs []string) (precision, recall, f1 float64) {
	tp, np, nr := 0, 0, 0
	for i := 0; i < max(len(preds), len(refs)); i++ {
		var p, r []Finding
		if i < len(preds) {
			p = Label(preds[i])
		}
		if i < len(refs) {
			r = Label(refs[i])
		}
		np += len(p)
		nr += len(r)
		for _, f := range p {
			for _, g := range r {
				if f == g {
					tp++
					break
				}
			}
		}
	}
	if np > 0 {
		precision = float64(tp) / float64(np)
	}
	if nr > 0 {
		recall = float64(tp) / float64(nr)
	}
	if precision+recall > 0 {
		f1 = 2 * precision * recall / (precision + recall)
	}
	return precision, recall, f1
}
