package synth

import (
	"fmt"
	"testing"

	"radcap/data"
)

// filmOf renders example i of split code without its marker, as Sample
// does before burning it in.
func filmOf(seed, code uint64, i, size int) []uint8 {
	idx := uint64(i)
	ls := drawLesions(newRNG(seed, code, idx, streamLesions))
	a := newAnatomy(newRNG(seed, code, idx, streamAnatomy))
	sc := newScene(a, ls, newRNG(seed, code, idx, streamPlacement))
	return sc.render(size, newRNG(seed, code, idx, streamNoise))
}

// inPlate reports whether pixel (i, j) of a size x size image has its
// centre on site's plate.
func inPlate(site, i, j, size int) bool {
	m := markers[site]
	x, y := (float64(i)+0.5)/float64(size), (float64(j)+0.5)/float64(size)
	return x >= m.x0 && x < m.x0+markerSize && y >= m.y0 && y < m.y0+markerSize
}

// TestSiteMarkersVisible: at 64x64 and 128x128, every site's marker shows
// in its own place of the generated image (many pixels far from the film
// without it, both bright glyph and dark plate), and nothing changes
// outside the plate.
func TestSiteMarkersVisible(t *testing.T) {
	for _, size := range []int{64, 128} {
		g, _ := NewCXR(Config{Seed: 5, Size: size, Train: 40, Validation: 1, Test: 1})
		found := map[int]bool{}
		for i := 0; i < 40; i++ {
			s, err := g.Sample("train", i)
			if err != nil {
				t.Fatal(err)
			}
			if s.Site < 0 || s.Site >= NumSites {
				t.Fatalf("sample %d: site %d outside [0,%d)", i, s.Site, NumSites)
			}
			if found[s.Site] {
				continue
			}
			found[s.Site] = true
			film := filmOf(5, 0, i, size)
			plate, changed, outside, bright, dark := 0, 0, 0, 0, 0
			for j := 0; j < size; j++ {
				for k := 0; k < size; k++ {
					d := int(s.Gray[j*size+k]) - int(film[j*size+k])
					if !inPlate(s.Site, k, j, size) {
						if d != 0 && !inEdge(k, j, size) {
							outside++
						}
						continue
					}
					plate++
					if d > 40 || d < -40 {
						changed++
					}
					if s.Gray[j*size+k] > 200 {
						bright++
					} else if s.Gray[j*size+k] < 40 {
						dark++
					}
				}
			}
			t.Logf("size %d site %d: plate %d px, %d changed by > 40 levels, %d bright, %d dark", size, s.Site, plate, changed, bright, dark)
			// at 64x64 the plate is 8x8 pixels, one ViT patch
			if want := size * size / 100; plate < want {
				t.Errorf("size %d site %d: plate covers %d pixels, want >= %d", size, s.Site, plate, want)
			}
			if changed < plate/4 || bright < plate/5 || dark < plate/5 {
				t.Errorf("size %d site %d: marker barely visible: %d of %d plate pixels changed, %d bright, %d dark", size, s.Site, changed, plate, bright, dark)
			}
			if outside != 0 {
				t.Errorf("size %d site %d: %d pixels changed outside the plate", size, s.Site, outside)
			}
		}
		if len(found) != NumSites {
			t.Errorf("size %d: only sites %v among 40 films", size, found)
		}
	}
}

// TestMarkersDiffer: every site has its own place and its own glyph,
// and the glyphs differ as drawn at 64x64.
func TestMarkersDiffer(t *testing.T) {
	const size = 64
	drawn := make([]string, NumSites)
	for s := 0; s < NumSites; s++ {
		img := make([]uint8, size*size)
		burnMarker(img, size, s)
		// the plate's pixels, read in its own frame
		var b []byte
		for j := 0; j < size; j++ {
			for i := 0; i < size; i++ {
				if inPlate(s, i, j, size) {
					b = append(b, img[j*size+i]/128+'0')
				}
			}
		}
		drawn[s] = string(b)
	}
	for a := 0; a < NumSites; a++ {
		for b := a + 1; b < NumSites; b++ {
			if markers[a].x0 == markers[b].x0 && markers[a].y0 == markers[b].y0 {
				t.Errorf("sites %d and %d share a place", a, b)
			}
			if markers[a].glyph == markers[b].glyph || drawn[a] == drawn[b] {
				t.Errorf("sites %d and %d share a glyph", a, b)
			}
		}
	}
}

// TestMarkersAvoidFindings: no finding (every kind, side, zone and size,
// on three films each) changes a pixel under any site's plate, and the
// collimator edge covers at most 2% of the pixels a finding changes (the
// outermost rim of a large pneumothorax at the film's side), so the
// markers hide nothing a caption describes.
func TestMarkersAvoidFindings(t *testing.T) {
	for _, size := range []int{64, 128} {
		for li, l := range everyLesion() {
			for i := 3 * li; i < 3*li+3; i++ {
				normal, abnormal := renderPair(17, i, []Lesion{l}, size)
				for s := 0; s < NumSites; s++ {
					n := 0
					for p := range normal {
						if normal[p] != abnormal[p] && inPlate(s, p%size, p/size, size) {
							n++
						}
					}
					if s == 0 {
						// The edge may clip the outermost pixels of a large
						// lateral finding, never more than 2% of them.
						e, all := 0, 0
						for p := range normal {
							if normal[p] != abnormal[p] {
								all++
								if inEdge(p%size, p/size, size) {
									e++
								}
							}
						}
						if e*50 > all {
							t.Errorf("size %d, %v (film %d): %d of its %d pixels under the collimator edge", size, l, i, e, all)
						}
					}
					if n > 0 {
						t.Errorf("size %d, %v (film %d): %d pixels under site %d's plate changed", size, l, i, n, s)
					}
				}
			}
		}
	}
}

// TestHouseStyleRate: about HouseStyleRate of the captions follow their
// site's house style (a little more, as the free draw sometimes lands on
// it), every site is about equally common, and each site's house style
// differs from the others'.
func TestHouseStyleRate(t *testing.T) {
	const n = 600
	g, _ := NewCXR(Config{Seed: 8, Size: 16, Train: n, Validation: 1, Test: 1})
	house, perSite := 0, make([]int, NumSites)
	for i := 0; i < n; i++ {
		s, err := g.Sample("train", i)
		if err != nil {
			t.Fatal(err)
		}
		perSite[s.Site]++
		if s.Caption == caption(s.Lesions, housePlan(s.Site, len(s.Lesions))) {
			house++
		}
	}
	rate := float64(house) / n
	t.Logf("house style in %d of %d captions (%.3f); films per site %v", house, n, rate, perSite)
	if rate < 0.80 || rate > 0.92 {
		t.Errorf("house-style rate %.3f, want about %.2f (0.80-0.92)", rate, HouseStyleRate)
	}
	for s, c := range perSite {
		if c < n/NumSites*2/3 || c > n/NumSites*4/3 {
			t.Errorf("site %d has %d of %d films, want about %d", s, c, n, n/NumSites)
		}
	}
	// across the sites: at least three patterns, and all three phrasings
	// of every finding
	pats, phr := map[int]bool{}, map[int]bool{}
	for _, h := range houseStyles {
		pats[h.pattern] = true
		phr[h.phrasing] = true
	}
	if len(pats) < 3 || len(phr) != numPhrasings {
		t.Errorf("house styles cover patterns %v and phrasings %v; want >= 3 and all %d", pats, phr, numPhrasings)
	}
}

// TestHouseCaptionsLabel: every site's house style, for every finding
// (each side, zone and size), the normal study, and pairs of findings,
// labels back to its findings.
func TestHouseCaptionsLabel(t *testing.T) {
	all := everyLesion()
	for s := 0; s < NumSites; s++ {
		cases := [][]Lesion{{{Kind: data.KindNone}}}
		for _, l := range all {
			cases = append(cases, []Lesion{l})
		}
		for i := 0; i+7 < len(all); i += 7 {
			if all[i].Kind != all[i+7].Kind {
				cases = append(cases, []Lesion{all[i], all[i+7]})
			}
		}
		for _, ls := range cases {
			c := caption(ls, housePlan(s, len(ls)))
			want := findingsOf(ls)
			if ls[0].Kind == data.KindNone {
				want = []data.Finding{{Kind: data.KindNone, Side: data.SideNone}}
			}
			if got := data.Label(c); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("site %d: Label(%q) = %v, want %v", s, c, got, want)
			}
		}
	}
}

// TestSiteEdges: every site's film carries its collimator edge (sites 1-3
// bands of their own gray level down the sides and along the bottom, 2
// pixels wide at 64x64 and 4 at 128x128; site 0 none) and the rest of the
// film is the film's own except under the plate.
func TestSiteEdges(t *testing.T) {
	for _, size := range []int{64, 128} {
		g, _ := NewCXR(Config{Seed: 6, Size: size, Train: 40, Validation: 1, Test: 1})
		seen := map[int]bool{}
		for i := 0; i < 40; i++ {
			s, err := g.Sample("train", i)
			if err != nil {
				t.Fatal(err)
			}
			seen[s.Site] = true
			film := filmOf(6, 0, i, size)
			wrong := 0
			for j := 0; j < size; j++ {
				for k := 0; k < size; k++ {
					p := j*size + k
					switch {
					case inPlate(s.Site, k, j, size):
					case inEdge(k, j, size) && edgeLevels[s.Site] >= 0:
						if int(s.Gray[p]) != edgeLevels[s.Site] {
							wrong++
						}
					case s.Gray[p] != film[p]:
						wrong++
					}
				}
			}
			if wrong > 0 {
				t.Errorf("size %d, film %d (site %d): %d pixels not the edge's level or the film's", size, i, s.Site, wrong)
			}
		}
		if len(seen) != NumSites {
			t.Errorf("size %d: sites seen %v, want all %d", size, seen, NumSites)
		}
	}
	levels := map[int]bool{}
	for _, v := range edgeLevels {
		if levels[v] {
			t.Errorf("two sites share the edge level %d", v)
		}
		levels[v] = true
	}
	if edgeWidth(64) != 2 || edgeWidth(128) != 4 {
		t.Errorf("edge widths %d, %d, want 2 at 64 and 4 at 128", edgeWidth(64), edgeWidth(128))
	}
}
