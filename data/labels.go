package data

import (
	"fmt"
	"strings"
	"unicode"
)

// Kind is a chest X-ray finding.
type Kind int

// The findings of the synthetic chest X-ray set; KindNone is an explicitly
// normal study.
const (
	KindNone Kind = iota
	KindPneumothorax
	KindEffusion
	KindConsolidation
	KindMass
	KindCardiomegaly
	KindPneumomediastinum
	numKinds
)

// kindNames are the names String returns.
var kindNames = [numKinds]string{"none", "pneumothorax", "pleural effusion", "consolidation", "mass or nodule", "cardiomegaly", "pneumomediastinum"}

// String returns the finding's name.
func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Lateral reports whether the finding has a side (left, right or
// bilateral); cardiomegaly, pneumomediastinum and none are midline.
func (k Kind) Lateral() bool {
	return k == KindPneumothorax || k == KindEffusion || k == KindConsolidation || k == KindMass
}

// AllKinds returns every Kind, KindNone first.
func AllKinds() []Kind {
	out := make([]Kind, numKinds)
	for i := range out {
		out[i] = Kind(i)
	}
	return out
}

// Side is where a finding lies, on the patient's side (a PA radiograph
// shows the patient's right on the viewer's left).
type Side int

// The sides. SideNone is used for midline findings; SideUnknown for a
// lateral finding whose side the caption does not state.
const (
	SideNone Side = iota
	SideLeft
	SideRight
	SideBilateral
	SideUnknown
)

// String returns the side's name.
func (s Side) String() string {
	switch s {
	case SideNone:
		return "midline"
	case SideLeft:
		return "left"
	case SideRight:
		return "right"
	case SideBilateral:
		return "bilateral"
	case SideUnknown:
		return "unspecified"
	}
	return fmt.Sprintf("Side(%d)", int(s))
}

// Finding is one (finding, side) pair, the unit FindingF1 counts.
type Finding struct {
	Kind Kind
	Side Side
}

// String returns e.g. "left pneumothorax" or "cardiomegaly".
func (f Finding) String() string {
	if f.Side == SideNone {
		return f.Kind.String()
	}
	return f.Side.String() + " " + f.Kind.String()
}

// ClassIndex numbers the (kind, side) pairs of Label's output densely, for
// multi-hot targets: none, then left/right/bilateral for each lateral
// finding, then the midline findings. SideUnknown maps to -1.
func ClassIndex(f Finding) int {
	switch {
	case f.Kind == KindNone:
		return 0
	case f.Kind.Lateral():
		if f.Side < SideLeft || f.Side > SideBilateral {
			return -1
		}
		return 1 + 3*int(f.Kind-KindPneumothorax) + int(f.Side-SideLeft)
	case f.Kind == KindCardiomegaly:
		return 13
	case f.Kind == KindPneumomediastinum:
		return 14
	}
	return -1
}

// NumClasses is the length of the vectors MultiHot returns.
const NumClasses = 15

// MultiHot returns the NumClasses-long 0/1 vector of fs (see ClassIndex).
func MultiHot(fs []Finding) []float32 {
	v := make([]float32, NumClasses)
	for _, f := range fs {
		if i := ClassIndex(f); i >= 0 {
			v[i] = 1
		}
	}
	return v
}

// word is one lower-cased token of a caption with its clause number.
type word struct {
	text   string
	clause int
}

// tokenizeCaption lower-cases s and splits it into words; '.', ';', ':',
// '!' and '?' end a clause (so a negation never reaches past them), and a
// hyphen or slash splits words ("left-sided" -> "left", "sided").
func tokenizeCaption(s string) []word {
	var out []word
	var b strings.Builder
	clause := 0
	flush := func() {
		if b.Len() > 0 {
			out = append(out, word{b.String(), clause})
			b.Reset()
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case r == '\'' || r == '\u2019':
			// "there's" stays one word.
		case r == '.' || r == ';' || r == ':' || r == '!' || r == '?':
			flush()
			clause++
		case r == ',':
			flush()
			out = append(out, word{",", clause})
		default:
			flush()
		}
	}
	flush()
	return out
}
