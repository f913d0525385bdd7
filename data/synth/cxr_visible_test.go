package synth

import (
	"fmt"
	"testing"

	"radcap/data"
)

// footprint compares an image with a finding against the same film
// without it (same anatomy, placement, exposure and noise) and summarises
// the pixels that changed by more than 3 levels.
type footprint struct {
	n      int     // changed pixels
	mean   float64 // mean signed change over them
	dark   int     // pixels darker by more than 3 levels
	cx, cy float64 // centroid in [0,1] image coordinates
	darkCx float64 // centroid of the darker pixels
}

func (f footprint) String() string {
	return fmt.Sprintf("n=%d mean=%+.1f dark=%d centroid=(%.2f,%.2f) darkCx=%.2f", f.n, f.mean, f.dark, f.cx, f.cy, f.darkCx)
}

func renderPair(seed uint64, i int, ls []Lesion, size int) (normal, abnormal []uint8) {
	a := newAnatomy(newRNG(seed, 9, uint64(i), streamAnatomy))
	n := newScene(a, nil, newRNG(seed, 9, uint64(i), streamPlacement))
	s := newScene(a, ls, newRNG(seed, 9, uint64(i), streamPlacement))
	return n.render(size, newRNG(seed, 9, uint64(i), streamNoise)), s.render(size, newRNG(seed, 9, uint64(i), streamNoise))
}

// measure summarises the changed pixels in columns [x0, x1) of the image
// (fractions of its width).
func measure(normal, abnormal []uint8, size int, x0, x1 float64) footprint {
	var f footprint
	sum, sx, sy, dx := 0.0, 0.0, 0.0, 0.0
	for i := range normal {
		x, y := (float64(i%size)+0.5)/float64(size), (float64(i/size)+0.5)/float64(size)
		if x < x0 || x >= x1 {
			continue
		}
		d := float64(abnormal[i]) - float64(normal[i])
		if d > 3 || d < -3 {
			f.n++
			sum += d
			sx += x
			sy += y
			if d < -3 {
				f.dark++
				dx += x
			}
		}
	}
	if f.n > 0 {
		f.mean, f.cx, f.cy = sum/float64(f.n), sx/float64(f.n), sy/float64(f.n)
	}
	if f.dark > 0 {
		f.darkCx = dx / float64(f.dark)
	}
	return f
}

// halves returns the image columns of the side(s) a lesion lies on: the
// patient's left is the viewer's right.
func halves(s data.Side) [][2]float64 {
	switch s {
	case data.SideLeft:
		return [][2]float64{{0.5, 1}}
	case data.SideRight:
		return [][2]float64{{0, 0.5}}
	case data.SideBilateral:
		return [][2]float64{{0, 0.5}, {0.5, 1}}
	}
	return [][2]float64{{0, 1}}
}

// TestFindingsAreVisible renders every finding (each side, zone and size)
// on two films (different ones for each finding) and compares each with the same film without it: the
// finding must change enough pixels, in the expected direction (brighter
// for fluid, opacities, masses and a larger heart; darker for air), on the
// stated side and, for zoned findings, at the stated height; and nothing
// must change on the other side.
func TestFindingsAreVisible(t *testing.T) {
	const size = 128
	for li, l := range everyLesion() {
		for i := 2 * li; i < 2*li+2; i++ {
			normal, abnormal := renderPair(11, i, []Lesion{l}, size)
			if l.Side == data.SideLeft || l.Side == data.SideRight {
				other := [2]float64{0, 0.5}
				if l.Side == data.SideRight {
					other = [2]float64{0.5, 1}
				}
				if f := measure(normal, abnormal, size, other[0], other[1]); f.n > 0 {
					t.Errorf("%v (film %d): %d pixels changed on the other side", l, i, f.n)
				}
			}
			for _, h := range halves(l.Side) {
				f := measure(normal, abnormal, size, h[0], h[1])
				if msg := checkFootprint(l, f); msg != "" {
					t.Errorf("%v (film %d, columns %.1f-%.1f): %s: %v", l, i, h[0], h[1], msg, f)
				}
			}
		}
	}
}

// checkFootprint returns what is wrong with the footprint f of lesion l,
// or "".
func checkFootprint(l Lesion, f footprint) string {
	zoneOK := func() bool {
		switch l.Zone {
		case ZoneUpper:
			return f.cy < 0.37
		case ZoneMid:
			return f.cy > 0.33 && f.cy < 0.54
		}
		return f.cy > 0.5
	}
	switch l.Kind {
	case data.KindPneumothorax:
		// air without lung markings: many darker pixels
		if f.dark < 150 {
			return "too few darker pixels"
		}
	case data.KindEffusion:
		if f.n < 40 || f.mean < 30 {
			return "not a bright enough basal opacity"
		}
		if f.cy < 0.55 {
			return "not at the base"
		}
	case data.KindConsolidation:
		if f.n < 150 || f.mean < 15 {
			return "not a bright enough opacity"
		}
		if !zoneOK() {
			return "wrong zone"
		}
	case data.KindMass:
		least := 25
		if l.Size == SizeLarge {
			least = 120
		}
		if f.n < least || f.mean < 30 {
			return "not a dense enough round opacity"
		}
		if !zoneOK() {
			return "wrong zone"
		}
	case data.KindCardiomegaly:
		if f.n < 200 || f.mean < 20 {
			return "heart not visibly larger"
		}
		if f.cy < 0.45 || f.cy > 0.85 {
			return "change not at the heart"
		}
	case data.KindPneumomediastinum:
		if f.n < 150 || f.mean > -15 {
			return "no dark mediastinal streaks"
		}
		if f.cx < 0.4 || f.cx > 0.6 {
			return "streaks not along the mediastinum"
		}
	}
	return ""
}
