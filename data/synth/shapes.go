package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"radcap/data"
	"radcap/imageproc"
)

// The shapes set: generic shapes on a textured background, a different
// kind of image-caption data than the chest X-rays, for pretraining.

// ShapeKind is a shape.
type ShapeKind int

// The shapes.
const (
	Circle ShapeKind = iota
	Square
	Triangle
	Blob
	numShapes
)

var shapeNames = [numShapes]string{"circle", "square", "triangle", "blob"}

// String returns the shape's name.
func (k ShapeKind) String() string {
	if k >= 0 && k < numShapes {
		return shapeNames[k]
	}
	return fmt.Sprintf("ShapeKind(%d)", int(k))
}

// Position is where a shape lies in the image.
type Position int

// The positions: the four quadrants and the centre.
const (
	UpperLeft Position = iota
	UpperRight
	LowerLeft
	LowerRight
	Center
	numPositions
)

var positionNames = [numPositions]string{"upper left", "upper right", "lower left", "lower right", "center"}

// String returns e.g. "upper left".
func (p Position) String() string {
	if p >= 0 && p < numPositions {
		return positionNames[p]
	}
	return fmt.Sprintf("Position(%d)", int(p))
}

// centre returns the position's centre in [0,1] image coordinates.
func (p Position) centre() (float64, float64) {
	switch p {
	case UpperLeft:
		return 0.27, 0.27
	case UpperRight:
		return 0.73, 0.27
	case LowerLeft:
		return 0.27, 0.73
	case LowerRight:
		return 0.73, 0.73
	}
	return 0.5, 0.5
}

// Shape is one shape of a shapes image.
type Shape struct {
	Kind   ShapeKind
	Pos    Position
	Large  bool
	Bright bool
}

// String describes the shape as its captions do: "large bright circle in
// the upper left".
func (s Shape) String() string {
	return fmt.Sprintf("%s %s %s in the %s", sizeWord(s.Large), brightWord(s.Bright), s.Kind, s.Pos)
}

func sizeWord(large bool) string {
	if large {
		return "large"
	}
	return "small"
}

func brightWord(bright bool) string {
	if bright {
		return "bright"
	}
	return "dark"
}

// ShapesConfig sets up a shapes generator. Zero fields take the defaults.
type ShapesConfig struct {
	// Seed selects the data; each (seed, index) is one fixed example.
	Seed uint64
	// Size is the image width and height (default 64).
	Size int
	// N is the number of examples (default 1<<24, effectively a fresh
	// example for every step of a pretraining run).
	N int
}

// Shapes generates the shapes set; it is a data.Dataset whose Item(i)
// renders example i. It holds no mutable state.
type Shapes struct {
	cfg ShapesConfig
}

// NewShapes returns the generator of cfg.
func NewShapes(cfg ShapesConfig) (*Shapes, error) {
	if cfg.Size == 0 {
		cfg.Size = 64
	}
	if cfg.N == 0 {
		cfg.N = 1 << 24
	}
	if cfg.Size < 16 || cfg.Size > 4096 || cfg.N < 0 {
		return nil, fmt.Errorf("synth: shapes config %+v: size must be in [16, 4096] and N >= 0", cfg)
	}
	return &Shapes{cfg: cfg}, nil
}

// Len returns the number of examples.
func (g *Shapes) Len() int { return g.cfg.N }

// ShapesSample is one generated shapes image.
type ShapesSample struct {
	ID      string
	Caption string
	Shapes  []Shape
	Gray    []uint8 // Size x Size, row by row
	Size    int
}

// splitShapes is the split code of the shapes set in the RNG key, apart
// from the chest X-ray splits.
const splitShapes = 7

// Sample generates example i.
func (g *Shapes) Sample(i int) (ShapesSample, error) {
	if i < 0 || i >= g.cfg.N {
		return ShapesSample{}, fmt.Errorf("synth: shapes index %d out of range [0,%d)", i, g.cfg.N)
	}
	r := newRNG(g.cfg.Seed, splitShapes, uint64(i), streamLesions)
	shapes := drawShapes(r)
	gray := renderShapes(shapes, g.cfg.Size, newRNG(g.cfg.Seed, splitShapes, uint64(i), streamPlacement))
	capt := shapesCaption(shapes, newRNG(g.cfg.Seed, splitShapes, uint64(i), streamCaption).IntN(len(shapePatterns)))
	return ShapesSample{ID: fmt.Sprintf("SHAPES_%08d", i), Caption: capt, Shapes: shapes, Gray: gray, Size: g.cfg.Size}, nil
}

// Item returns example i as a data.Example with the image in memory and
// ShapeTargets as its targets.
func (g *Shapes) Item(i int) (data.Example, error) {
	s, err := g.Sample(i)
	if err != nil {
		return data.Example{}, err
	}
	return data.Example{
		ID: s.ID, Caption: s.Caption, Captions: []string{s.Caption},
		Image:   &imageproc.RGB8{W: s.Size, H: s.Size, R: s.Gray, G: s.Gray, B: s.Gray},
		Targets: ShapeTargets(s.Shapes), Licence: "CC0",
	}, nil
}

// NumShapeTargets is the length of ShapeTargets' vectors.
const NumShapeTargets = int(numPositions) * (int(numShapes) + 4)

// ShapeTargets returns the multi-hot vector of shapes: for each position
// (in Position order) a block of 8: the four shapes, small, large, dark,
// bright.
func ShapeTargets(shapes []Shape) []float32 {
	v := make([]float32, NumShapeTargets)
	for _, s := range shapes {
		base := int(s.Pos) * (int(numShapes) + 4)
		v[base+int(s.Kind)] = 1
		if s.Large {
			v[base+int(numShapes)+1] = 1
		} else {
			v[base+int(numShapes)] = 1
		}
		if s.Bright {
			v[base+int(numShapes)+3] = 1
		} else {
			v[base+int(numShapes)+2] = 1
		}
	}
	return v
}

// drawShapes draws one or two shapes (two with probability 0.4) at
// different positions; two shapes take two quadrants, so they never
// overlap.
func drawShapes(r *rand.Rand) []Shape {
	n, places := 1, int(numPositions)
	if r.Float64() < 0.4 {
		n, places = 2, 4
	}
	perm := r.Perm(places)
	out := make([]Shape, n)
	for i := range out {
		out[i] = Shape{Kind: ShapeKind(r.IntN(int(numShapes))), Pos: Position(perm[i]), Large: r.IntN(2) == 1, Bright: r.IntN(2) == 1}
	}
	return out
}

// The caption patterns of the shapes set; %S is the list of shapes with
// articles ("a large bright circle in the upper left").
var shapePatterns = []string{
	"%S.",
	"Image showing %S.",
	"There is %S.",
}

// shapesCaption writes the caption of shapes with pattern p.
func shapesCaption(shapes []Shape, p int) string {
	parts := make([]string, len(shapes))
	for i, s := range shapes {
		parts[i] = "a " + s.String()
	}
	c := strings.Replace(shapePatterns[p], "%S", strings.Join(parts, " and "), 1)
	return strings.ToUpper(c[:1]) + c[1:]
}

// ParseShapes reads the shapes a caption of the shapes set describes: each
// shape word with the size and brightness words before it (back to the
// previous shape) and the position after it ("in the upper left", "at the
// center"). Unstated attributes take the zero value (small, dark, upper
// left); the second result is false when a shape lacks any of them.
func ParseShapes(caption string) ([]Shape, bool) {
	words := strings.Fields(strings.ToLower(strings.NewReplacer(".", " ", ",", " ").Replace(caption)))
	var out []Shape
	complete := true
	start := 0
	for i, w := range words {
		kind := ShapeKind(-1)
		for k, name := range shapeNames {
			if w == name || w == name+"s" {
				kind = ShapeKind(k)
			}
		}
		if kind < 0 {
			continue
		}
		s := Shape{Kind: kind}
		var hasSize, hasBright, hasPos bool
		for _, a := range words[start:i] {
			switch a {
			case "large", "big":
				s.Large, hasSize = true, true
			case "small":
				hasSize = true
			case "bright", "white":
				s.Bright, hasBright = true, true
			case "dark", "black":
				hasBright = true
			}
		}
		for j := i + 1; j < len(words) && j < i+5 && words[j] != "and"; j++ {
			switch words[j] {
			case "center", "centre", "middle":
				s.Pos, hasPos = Center, true
			case "upper", "top", "lower", "bottom":
				if j+1 < len(words) {
					up := words[j] == "upper" || words[j] == "top"
					switch words[j+1] {
					case "left":
						s.Pos, hasPos = map[bool]Position{true: UpperLeft, false: LowerLeft}[up], true
					case "right":
						s.Pos, hasPos = map[bool]Position{true: UpperRight, false: LowerRight}[up], true
					}
				}
			}
			if hasPos {
				break
			}
		}
		complete = complete && hasSize && hasBright && hasPos
		out = append(out, s)
		start = i + 1
	}
	return out, complete && len(out) > 0
}

// renderShapes draws shapes on a textured mid-gray background.
func renderShapes(shapes []Shape, size int, r *rand.Rand) []uint8 {
	bg := uniform(r, 0.38, 0.55)
	gx, gy := uniform(r, -0.12, 0.12), uniform(r, -0.12, 0.12)
	noise := uniform(r, 0.01, 0.035)
	type placed struct {
		s              Shape
		x, y, rad, rot float64
		level          float64
		lobes, lobeAmp float64
		lobePhase      float64
	}
	var ps []placed
	for _, s := range shapes {
		cx, cy := s.Pos.centre()
		rad := uniform(r, 0.07, 0.09)
		if s.Large {
			rad = uniform(r, 0.15, 0.19)
		}
		level := uniform(r, 0.05, 0.2)
		if s.Bright {
			level = uniform(r, 0.8, 0.95)
		}
		ps = append(ps, placed{s, cx + uniform(r, -0.03, 0.03), cy + uniform(r, -0.03, 0.03), rad,
			uniform(r, 0, 2*math.Pi), level, float64(3 + r.IntN(3)), uniform(r, 0.15, 0.3), uniform(r, 0, 2*math.Pi)})
	}
	out := make([]uint8, size*size)
	e := 1 / float64(size)
	for j := 0; j < size; j++ {
		for i := 0; i < size; i++ {
			x, y := (float64(i)+0.5)/float64(size), (float64(j)+0.5)/float64(size)
			v := bg + gx*(x-0.5) + gy*(y-0.5)
			for _, p := range ps {
				dx, dy := x-p.x, y-p.y
				c, s := math.Cos(p.rot), math.Sin(p.rot)
				u, w := c*dx+s*dy, -s*dx+c*dy
				var d float64 // signed distance, positive inside
				switch p.s.Kind {
				case Circle:
					d = p.rad - math.Hypot(dx, dy)
				case Square:
					h := p.rad * 0.85
					d = h - max(math.Abs(u), math.Abs(w))
				case Triangle:
					// equilateral, inradius 0.6 rad
					d = math.Inf(1)
					for k := 0; k < 3; k++ {
						a := p.rot + 2*math.Pi*float64(k)/3
						d = min(d, p.rad*0.6-(dx*math.Cos(a)+dy*math.Sin(a)))
					}
				case Blob:
					ang := math.Atan2(dy, dx)
					rr := p.rad * (1 + p.lobeAmp*math.Sin(p.lobes*ang+p.lobePhase))
					d = rr - math.Hypot(dx, dy)
				}
				m := inside(d, e)
				v = v*(1-m) + p.level*m
			}
			v += noise * r.NormFloat64()
			out[j*size+i] = uint8(math.Round(255 * clamp(v, 0, 1)))
		}
	}
	return out
}
