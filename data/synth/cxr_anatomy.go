package synth

import (
	"math"
	"math/rand/v2"
)

// anatomy is the normal thorax of one example plus its exposure: the
// geometry is in patient coordinates, x from the midline (negative = the
// patient's right = the viewer's left) and v from the top of the image
// (0) to the bottom (1).
type anatomy struct {
	scale, rot, tx, ty float64 // patient placement on the film
	wf, hf, dv         float64 // thorax width, heart size, diaphragm height
	contrast, bright   float64 // exposure: I = (contrast*D + bright)^gamma
	gamma, noise       float64
	tex                [texN * texN]float64 // parenchyma texture, [-1,1]
	vessels            [2][]segment         // lung markings, [0]=right, [1]=left
}

// texN is the size of the texture grid.
const texN = 14

// segment is a tapered line, from (x0,v0) with width w0 and density d0 to
// (x1,v1) with w1 and d1.
type segment struct {
	x0, v0, x1, v1 float64
	w0, w1, d0, d1 float64
}

// newAnatomy draws a normal thorax and exposure from r.
func newAnatomy(r *rand.Rand) *anatomy {
	a := &anatomy{
		scale: uniform(r, 0.95, 1.04), rot: uniform(r, -0.05, 0.05),
		tx: uniform(r, -0.025, 0.025), ty: uniform(r, -0.02, 0.02),
		wf: uniform(r, 0.94, 1.05), hf: uniform(r, 0.93, 1.06), dv: uniform(r, -0.02, 0.02),
		contrast: uniform(r, 0.9, 1.12), bright: uniform(r, 0.02, 0.09),
		gamma: uniform(r, 0.8, 1.15), noise: uniform(r, 0.008, 0.025),
	}
	for i := range a.tex {
		a.tex[i] = 2*r.Float64() - 1
	}
	for s := 0; s < 2; s++ {
		sg := float64(2*s - 1)
		hx, hv := sg*0.10*a.wf, 0.45
		n := 8 + r.IntN(4)
		for i := 0; i < n; i++ {
			phi := uniform(r, -1.25, 1.35) // angle below the horizontal
			l := uniform(r, 0.13, 0.24)
			dx, dy := sg*math.Cos(phi)*l, math.Sin(phi)*l
			x0, v0 := hx+uniform(r, -0.01, 0.01), hv+uniform(r, -0.03, 0.03)
			main := segment{x0, v0, x0 + dx, v0 + dy, 0.006, 0.002, 0.11, 0.01}
			a.vessels[s] = append(a.vessels[s], main)
			// one side branch from 35-70% along the main vessel
			t := uniform(r, 0.35, 0.7)
			bx, bv := x0+t*dx, v0+t*dy
			phi2 := phi + uniform(r, 0.3, 0.6)*float64(1-2*r.IntN(2))
			l2 := uniform(r, 0.05, 0.10)
			a.vessels[s] = append(a.vessels[s], segment{bx, bv, bx + sg*math.Cos(phi2)*l2, bv + math.Sin(phi2)*l2,
				0.004, 0.0015, 0.08 * (1 - t), 0.0})
		}
	}
	return a
}

// texture returns the parenchyma texture at (x, v), in [-1, 1], smoothly
// interpolated from the grid.
func (a *anatomy) texture(x, v float64) float64 {
	gx := clamp((x+0.5)*(texN-1), 0, texN-1.001)
	gy := clamp(v*(texN-1), 0, texN-1.001)
	ix, iy := int(gx), int(gy)
	fx, fy := smooth01(gx-float64(ix)), smooth01(gy-float64(iy))
	at := func(i, j int) float64 { return a.tex[j*texN+i] }
	top := at(ix, iy)*(1-fx) + at(ix+1, iy)*fx
	bot := at(ix, iy+1)*(1-fx) + at(ix+1, iy+1)*fx
	return top*(1-fy) + bot*fy
}

// Lung geometry: a superellipse per lung, cut by the mediastinum and the
// diaphragm dome.
const (
	lungN  = 3    // superellipse exponent (sharper costophrenic corners)
	lungVC = 0.47 // centre height
	lungB  = 0.40 // half height
)

// lungXC and lungA are the lung's centre and half width from the midline.
func (a *anatomy) lungXC() float64 { return 0.235 * a.wf }
func (a *anatomy) lungA() float64  { return 0.165 * a.wf }

// medial is the half width of the mediastinum.
func (a *anatomy) medial() float64 { return 0.065 * a.wf }

// dia is the height of the hemidiaphragm at distance ax from the midline;
// the right (left=false) dome sits higher, as the liver pushes it up.
func (a *anatomy) dia(ax float64, left bool) float64 {
	vd := 0.70 + a.dv
	if left {
		vd += 0.025
	}
	d := ax - 0.19*a.wf
	return vd + 3.0*d*d
}

// pleuralDist is an approximate signed distance (positive inside) to the
// lung outline without the diaphragm cut: the pleural space.
func (a *anatomy) pleuralDist(ax, v float64) float64 {
	xa, xc := a.lungA(), a.lungXC()
	dx := math.Abs(ax-xc) / xa
	dy := math.Abs(v-lungVC) / lungB
	r := math.Cbrt(dx*dx*dx + dy*dy*dy) // lungN = 3
	return min((1-r)*xa, ax-a.medial())
}

// lungDist is the approximate signed distance to the lung outline.
func (a *anatomy) lungDist(ax, v float64, left bool) float64 {
	return min(a.pleuralDist(ax, v), a.dia(ax, left)-v)
}

// heart is an ellipse: centre, half axes.
type heart struct{ x, v, rx, ry float64 }

// normalHeart returns the heart of a normal thorax: cardiothoracic ratio
// about 0.45.
func (a *anatomy) normalHeart() heart {
	return heart{0.045 * a.wf, 0.655 + a.dv, 0.18 * a.hf * a.wf, 0.13}
}

// enlargedHeart returns the heart of cardiomegaly: ratio about 0.62.
func (a *anatomy) enlargedHeart() heart {
	return heart{0.06 * a.wf, 0.655 + a.dv, 0.25 * a.wf, 0.15}
}

// dist is the approximate signed distance to the heart's outline.
func (h heart) dist(x, v float64) float64 {
	dx, dy := (x-h.x)/h.rx, (v-h.v)/h.ry
	return (1 - math.Sqrt(dx*dx+dy*dy)) * min(h.rx, h.ry)
}

// bodyHalfWidth is the half width of the body outline at height v: the
// neck at the top widening to the shoulders.
func (a *anatomy) bodyHalfWidth(v float64) float64 {
	return 0.11 + (0.49*a.wf-0.11)*smoothstep(0.0, 0.11, v) - 0.03*smoothstep(0.15, 0.5, v)
}

// smoothstep is 0 below e0, 1 above e1, a cubic in between.
func smoothstep(e0, e1, x float64) float64 {
	return smooth01(clamp((x-e0)/(e1-e0), 0, 1))
}

// smooth01 is the cubic 3t²-2t³.
func smooth01(t float64) float64 { return t * t * (3 - 2*t) }

// inside is an anti-aliased indicator of d > 0 with an edge e wide.
func inside(d, e float64) float64 { return smoothstep(-e, e, d) }

func clamp(x, lo, hi float64) float64 { return max(lo, min(hi, x)) }

// line is the density of a thin line of width w and density d at
// distance dist, widened to at least the pixel size px so that thin lines
// neither vanish nor alias; the integral across the line is kept.
func line(dist, w, d, px float64) float64 {
	if dist > 3*(w+0.6*px) || dist < -3*(w+0.6*px) {
		return 0
	}
	we := math.Sqrt(w*w + 0.36*px*px)
	q := dist / we
	if q > 3 {
		return 0
	}
	return d * (w / we) * math.Exp(-q*q)
}

// near reports whether (x, v) lies within r of s's bounding box.
func (s segment) near(x, v, r float64) bool {
	return x > min(s.x0, s.x1)-r && x < max(s.x0, s.x1)+r && v > min(s.v0, s.v1)-r && v < max(s.v0, s.v1)+r
}

// segDist returns the distance from (x, v) to s and the position t in
// [0, 1] of the nearest point.
func segDist(s segment, x, v float64) (float64, float64) {
	dx, dy := s.x1-s.x0, s.v1-s.v0
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = clamp(((x-s.x0)*dx+(v-s.v0)*dy)/l2, 0, 1)
	}
	ex, ey := x-(s.x0+t*dx), v-(s.v0+t*dy)
	return math.Sqrt(ex*ex + ey*ey), t
}

// segValue is the density of tapered segment s at (x, v).
func segValue(s segment, x, v, px float64) float64 {
	if !s.near(x, v, 3*(max(s.w0, s.w1)+0.6*px)) {
		return 0
	}
	d, t := segDist(s, x, v)
	return line(d, s.w0+(s.w1-s.w0)*t, s.d0+(s.d1-s.d0)*t, px)
}
