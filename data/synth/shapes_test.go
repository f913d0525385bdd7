package synth

import (
	"bytes"
	"slices"
	"testing"
)

// TestParseShapesRoundTrip: every shape x position x size x brightness x
// pattern, alone and paired, parses back to itself.
func TestParseShapesRoundTrip(t *testing.T) {
	var all []Shape
	for k := ShapeKind(0); k < numShapes; k++ {
		for p := Position(0); p < numPositions; p++ {
			for _, large := range []bool{false, true} {
				for _, bright := range []bool{false, true} {
					all = append(all, Shape{k, p, large, bright})
				}
			}
		}
	}
	for pat := range shapePatterns {
		for i, a := range all {
			for _, ls := range [][]Shape{{a}, {a, all[(i*7+3)%len(all)]}} {
				c := shapesCaption(ls, pat)
				got, ok := ParseShapes(c)
				if !ok || !slices.Equal(got, ls) {
					t.Errorf("ParseShapes(%q) = %v, %v; want %v", c, got, ok, ls)
				}
			}
		}
	}
	if _, ok := ParseShapes("A circle."); ok {
		t.Error(`ParseShapes("A circle.") reports complete`)
	}
	if got, ok := ParseShapes("nothing here"); ok || len(got) != 0 {
		t.Errorf("ParseShapes(nothing) = %v, %v", got, ok)
	}
}

// TestShapesVisibleAndDeterministic: each shape brightens (bright) or
// darkens (dark) the image around its position's centre relative to the
// background far from every shape, and the same seed gives the same bytes.
func TestShapesVisibleAndDeterministic(t *testing.T) {
	g, err := NewShapes(ShapesConfig{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := NewShapes(ShapesConfig{Seed: 5})
	for i := 0; i < 60; i++ {
		s, err := g.Sample(i)
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := g2.Sample(i)
		if !bytes.Equal(s.Gray, s2.Gray) || s.Caption != s2.Caption {
			t.Fatalf("shapes %d differs between two generators with one seed", i)
		}
		got, ok := ParseShapes(s.Caption)
		if !ok || !slices.Equal(got, s.Shapes) {
			t.Errorf("shapes %d: caption %q parses to %v, want %v", i, s.Caption, got, s.Shapes)
		}
		used := map[Position]bool{}
		for _, sh := range s.Shapes {
			used[sh.Pos] = true
		}
		var bg float64
		nbg := 0
		for p := Position(0); p < numPositions; p++ {
			if !used[p] && p != Center {
				bg += meanAround(s, p, 0.04)
				nbg++
			}
		}
		bg /= float64(nbg)
		for _, sh := range s.Shapes {
			m := meanAround(s, sh.Pos, 0.025)
			if sh.Bright && m < bg+50 || !sh.Bright && m > bg-50 {
				t.Errorf("shapes %d: %v: mean %.0f near its centre, background %.0f", i, sh, m, bg)
			}
		}
	}
	if _, err := g.Sample(-1); err == nil {
		t.Error("Sample(-1): no error")
	}
	if _, err := NewShapes(ShapesConfig{Size: 4}); err == nil {
		t.Error("NewShapes(size 4): no error")
	}
	ex, err := g.Item(3)
	if err != nil || len(ex.Targets) != NumShapeTargets || ex.Image == nil {
		t.Errorf("Item(3) = %+v, %v", ex, err)
	}
}

// meanAround is the mean pixel value in a square of half width h (image
// fraction) around the centre of position p.
func meanAround(s ShapesSample, p Position, h float64) float64 {
	cx, cy := p.centre()
	sum, n := 0.0, 0
	for j := 0; j < s.Size; j++ {
		for i := 0; i < s.Size; i++ {
			x, y := (float64(i)+0.5)/float64(s.Size), (float64(j)+0.5)/float64(s.Size)
			if x > cx-h && x < cx+h && y > cy-h && y < cy+h {
				sum += float64(s.Gray[j*s.Size+i])
				n++
			}
		}
	}
	return sum / float64(n)
}
