package synth

import (
	"fmt"
	"math/rand/v2"

	"radcap/data"
)

// Zone is a lung zone.
type Zone int

// The zones, top to bottom.
const (
	ZoneUpper Zone = iota
	ZoneMid
	ZoneLower
)

// String returns "upper", "mid" or "lower".
func (z Zone) String() string {
	switch z {
	case ZoneUpper:
		return "upper"
	case ZoneMid:
		return "mid"
	case ZoneLower:
		return "lower"
	}
	return fmt.Sprintf("Zone(%d)", int(z))
}

// span returns the heights of the zone in a normal thorax.
func (z Zone) span() (float64, float64) {
	switch z {
	case ZoneUpper:
		return 0.17, 0.36
	case ZoneMid:
		return 0.37, 0.53
	}
	return 0.54, 0.68
}

// Size is a finding's size.
type Size int

// The sizes.
const (
	SizeSmall Size = iota
	SizeLarge
)

// String returns "small" or "large".
func (s Size) String() string {
	if s == SizeSmall {
		return "small"
	}
	return "large"
}

// Lesion is one finding of a synthetic image with all its attributes.
// Zone is used by consolidation and mass, Size by pneumothorax, effusion,
// consolidation and mass; Side is SideNone for midline findings.
type Lesion struct {
	Kind data.Kind
	Side data.Side
	Zone Zone
	Size Size
}

// Finding returns the (kind, side) pair that data.Label reads back.
func (l Lesion) Finding() data.Finding { return data.Finding{Kind: l.Kind, Side: l.Side} }

// String describes the lesion, e.g. "large left pneumothorax".
func (l Lesion) String() string {
	switch l.Kind {
	case data.KindNone, data.KindCardiomegaly, data.KindPneumomediastinum:
		return l.Kind.String()
	case data.KindConsolidation, data.KindMass:
		return fmt.Sprintf("%s %s %s zone %s", l.Size, l.Side, l.Zone, l.Kind)
	}
	return fmt.Sprintf("%s %s %s", l.Size, l.Side, l.Kind)
}

// drawLesions draws the findings of one example: each of the seven
// classes (six findings and none) with probability 1/7; an abnormal image
// gets a second, different finding with probability secondProb.
func drawLesions(r *rand.Rand) []Lesion {
	const secondProb = 0.2
	k := data.Kind(r.IntN(7))
	if k == data.KindNone {
		return []Lesion{{Kind: data.KindNone, Side: data.SideNone}}
	}
	out := []Lesion{drawLesion(r, k)}
	if r.Float64() < secondProb {
		k2 := data.Kind(1 + r.IntN(5))
		if k2 >= k {
			k2++
		}
		out = append(out, drawLesion(r, k2))
		if out[1].Kind < out[0].Kind {
			out[0], out[1] = out[1], out[0]
		}
	}
	return out
}

// drawLesion draws the side, zone and size of a finding of kind k: left
// and right 40% each, bilateral 20%.
func drawLesion(r *rand.Rand, k data.Kind) Lesion {
	l := Lesion{Kind: k, Side: data.SideNone}
	if k.Lateral() {
		l.Side = []data.Side{data.SideLeft, data.SideRight, data.SideBilateral}[pick(r, 0.4, 0.4, 0.2)]
		l.Zone = Zone(r.IntN(3))
		l.Size = Size(r.IntN(2))
	}
	return l
}
