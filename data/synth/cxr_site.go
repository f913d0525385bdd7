package synth

import (
	"math/rand/v2"
)

// Sites: every film comes from one of NumSites hospitals. As on real
// radiographs, the site leaves three traces: a marker plate burnt into the
// film (like the lead side markers and labels real films carry), the edge
// its collimator leaves down the film's sides and along its bottom (none,
// white, light or mid grey), and the house style its radiologists write
// their reports in. Marker and edge make the house style visible, so a
// captioning model can learn to write each site's phrasing instead of
// collapsing onto the single most common one. The edge is the cue a small
// model picks up: it runs along three sides of the film, so it survives
// the averaging over image tokens that a decoder's first, nearly uniform
// attention amounts to, where a plate in one place does not. Measured with
// git-small and the built-in preset: with plates alone the fine-tuned
// captions used 2 sentence patterns and ROUGE-L 0.37; with the edge, 3
// patterns and ROUGE-L 0.49 (8 epochs).

// NumSites is the number of sites (hospitals) films come from.
const NumSites = 4

// HouseStyleRate is the probability that a caption follows its site's
// house style; otherwise its choices are drawn as for any site.
const HouseStyleRate = 0.85

// houseStyle is a site's preferred way of writing a report.
type houseStyle struct {
	prefix   int // index into prefixes
	pattern  int // index into patterns and normalPatterns
	phrasing int // phrasing of every finding
}

// houseStyles are the sites' house styles: site s writes sentence pattern
// s and phrasing s%3, so across the sites every pattern and every phrasing
// of every finding is some site's habit. Two sites prefer "Chest X-ray",
// which keeps it the most frequent prefix.
var houseStyles = [NumSites]houseStyle{
	{prefix: 0, pattern: 0, phrasing: 0}, // "Chest X-ray showing a large left-sided pneumothorax."
	{prefix: 1, pattern: 1, phrasing: 1}, // "Chest radiograph: large left pneumothorax."
	{prefix: 0, pattern: 2, phrasing: 2}, // "Chest X-ray demonstrates a large pneumothorax on the left."
	{prefix: 2, pattern: 3, phrasing: 0}, // "Large left-sided pneumothorax on PA chest radiograph."
}

// drawSite draws the site of a film, all sites equally likely.
func drawSite(r *rand.Rand) int { return r.IntN(NumSites) }

// housePlan returns the caption plan of site's house style for n lesions.
func housePlan(site, n int) captionPlan {
	h := houseStyles[site]
	p := captionPlan{prefix: h.prefix, pattern: h.pattern}
	for range n {
		p.phrasing = append(p.phrasing, h.phrasing)
	}
	return p
}

// A marker is a plate burnt into the bottom edge of the film: a dark
// square carrying a bright glyph on a 3x3 grid. Every site has its own
// place and its own glyph, so a vision transformer with 8x8-pixel patches
// at 64x64 sees both where and what the marker is.
type marker struct {
	x0, y0 float64 // top-left corner of the plate, fractions of the image
	glyph  [3]string
}

// markerSize is the width and height of a plate, a fraction of the image
// (8 pixels at 64x64); markerMargin its distance from the film's edges.
// The plates lie outside the lungs and heart, over the abdomen below the
// diaphragm.
const (
	markerSize   = 0.125
	markerMargin = 0.008
	markerTop    = 1 - markerMargin - markerSize
)

// markers are the sites' plates, in a row along the bottom edge of the
// film, over the abdomen between the costophrenic angles (on some films
// the lung bases reach into the bottom corners, and the apices into the
// top ones): an L, a T, a plus and a ring, from left to right.
var markers = [NumSites]marker{
	{0.14, markerTop, [3]string{"#..", "#..", "###"}},
	{0.30, markerTop, [3]string{"###", ".#.", ".#."}},
	{0.46, markerTop, [3]string{".#.", "###", ".#."}},
	{0.62, markerTop, [3]string{"###", "#.#", "###"}},
}

// The gray levels of a plate and its glyph.
const (
	plateLevel = 12
	glyphLevel = 240
)

// burnMarker draws site's marker into the size x size image gray. The
// plate's border (an eighth of it on each side) stays dark; the inner
// three quarters is the glyph's 3x3 grid. A pixel belongs to the plate
// when its centre does.
func burnMarker(gray []uint8, size, site int) {
	m := markers[site]
	const border = markerSize / 8
	cell := (markerSize - 2*border) / 3
	for j := 0; j < size; j++ {
		y := (float64(j) + 0.5) / float64(size)
		if y < m.y0 || y >= m.y0+markerSize {
			continue
		}
		for i := 0; i < size; i++ {
			x := (float64(i) + 0.5) / float64(size)
			if x < m.x0 || x >= m.x0+markerSize {
				continue
			}
			v := uint8(plateLevel)
			gx, gy := int((x-m.x0-border)/cell), int((y-m.y0-border)/cell)
			if x >= m.x0+border && y >= m.y0+border && gx < 3 && gy < 3 && m.glyph[gy][gx] == '#' {
				v = glyphLevel
			}
			gray[j*size+i] = v
		}
	}
}

// edgeLevels are the gray levels of the sites' collimator edges (-1: no
// edge, the film reaches the border). All are well above the dark air
// around the body (about 25), so every edge stands out.
var edgeLevels = [NumSites]int{-1, 240, 170, 100}

// edgeWidth is the width in pixels of a collimator edge on a size x size
// film: 2 pixels at 64, 4 at 128.
func edgeWidth(size int) int { return max(1, size/32) }

// inEdge reports whether pixel (i, j) of a size x size film lies in the
// collimator edge: bands down the left and right sides and along the
// bottom (not the top, where the lung apices and the neck, with a
// pneumothorax's or a pneumomediastinum's air, reach the film's border).
func inEdge(i, j, size int) bool {
	w := edgeWidth(size)
	return i < w || i >= size-w || j >= size-w
}

// burnEdge draws site's collimator edge into the size x size image gray.
func burnEdge(gray []uint8, size, site int) {
	v := edgeLevels[site]
	if v < 0 {
		return
	}
	for j := 0; j < size; j++ {
		for i := 0; i < size; i++ {
			if inEdge(i, j, size) {
				gray[j*size+i] = uint8(v)
			}
		}
	}
}
