package synth

import (
	"math"
	"math/rand/v2"

	"radcap/data"
)

// scene is a thorax with its findings, ready to render.
type scene struct {
	a      *anatomy
	heart  heart
	ptx    [2]*pneumothorax // per side: [0] right, [1] left; nil = none
	eff    [2]float64       // effusion height per side; 0 = none
	consol []blob
	masses []blob
	pm     []segment // pneumomediastinum streaks
	pmOn   bool
}

// pneumothorax: the lung collapses towards (cx, cv) by factor f.
type pneumothorax struct{ f, cx, cv float64 }

// blob is a round opacity: centre, radius, density, lobulation.
type blob struct{ x, v, r, d, lob, phase float64 }

// sideIndexes returns the lung indexes a side covers.
func sideIndexes(s data.Side) []int {
	switch s {
	case data.SideRight:
		return []int{0}
	case data.SideLeft:
		return []int{1}
	case data.SideBilateral:
		return []int{0, 1}
	}
	return nil
}

// newScene places the lesions in the anatomy, drawing their details
// (positions, shapes) from r.
func newScene(a *anatomy, lesions []Lesion, r *rand.Rand) *scene {
	s := &scene{a: a, heart: a.normalHeart()}
	for _, l := range lesions {
		for _, si := range sideIndexes(l.Side) {
			sg := float64(2*si - 1)
			switch l.Kind {
			case data.KindPneumothorax:
				f := uniform(r, 0.5, 0.6)
				if l.Size == SizeSmall {
					f = uniform(r, 0.7, 0.76)
				}
				s.ptx[si] = &pneumothorax{f: f, cx: 0.14 * a.wf, cv: 0.62 + a.dv}
			case data.KindEffusion:
				h := uniform(r, 0.11, 0.13)
				if l.Size == SizeLarge {
					h = uniform(r, 0.19, 0.24)
				}
				s.eff[si] = h
			case data.KindConsolidation:
				v0, v1 := l.Zone.span()
				n, r0, r1 := 7, 0.028, 0.04
				if l.Size == SizeLarge {
					n, r0, r1 = 12, 0.03, 0.052
				}
				x0 := 0.10
				if si == 1 && l.Zone != ZoneUpper {
					x0 = 0.19 // lateral to the heart
				}
				cx := uniform(r, x0+0.03, 0.31) * a.wf
				for i := 0; i < n; i++ {
					s.consol = append(s.consol, blob{
						x: sg * clamp(cx+uniform(r, -0.07, 0.07), x0, 0.36) * a.wf,
						v: uniform(r, v0, v1) + a.dv, r: uniform(r, r0, r1), d: uniform(r, 0.6, 1.0),
					})
				}
			case data.KindMass:
				v0, v1 := l.Zone.span()
				rad, lob := uniform(r, 0.027, 0.033), 0.0
				if l.Size == SizeLarge {
					rad, lob = uniform(r, 0.047, 0.06), uniform(r, 0.04, 0.1)
				}
				x0 := 0.17
				if si == 1 && l.Zone != ZoneUpper {
					x0 = 0.23
				}
				s.masses = append(s.masses, blob{
					x: sg * uniform(r, x0, 0.30) * a.wf, v: uniform(r, v0+rad*0.5, v1-rad*0.5) + a.dv,
					r: rad, d: 1, lob: lob, phase: uniform(r, 0, 2*math.Pi),
				})
			}
		}
		switch l.Kind {
		case data.KindCardiomegaly:
			s.heart = a.enlargedHeart()
		case data.KindPneumomediastinum:
			s.pmOn = true
			s.pm = pmStreaks(a, r)
		}
	}
	return s
}

// pmStreaks draws the dark streaks of pneumomediastinum: wavy lines along
// both mediastinal borders, extending into the neck.
func pmStreaks(a *anatomy, r *rand.Rand) []segment {
	var out []segment
	for si := 0; si < 2; si++ {
		sg := float64(2*si - 1)
		for j := 0; j < 2; j++ {
			ax := a.medial() - 0.006 - 0.012*float64(j) + uniform(r, -0.003, 0.003)
			phase, amp := uniform(r, 0, 2*math.Pi), uniform(r, 0.002, 0.005)
			const steps = 10
			v0, v1 := uniform(r, 0.02, 0.08), uniform(r, 0.5, 0.58)
			for k := 0; k < steps; k++ {
				va, vb := v0+(v1-v0)*float64(k)/steps, v0+(v1-v0)*float64(k+1)/steps
				xa := sg * (ax + amp*math.Sin(phase+va*40))
				xb := sg * (ax + amp*math.Sin(phase+vb*40))
				out = append(out, segment{xa, va, xb, vb, 0.006, 0.006, 0.28, 0.28})
			}
		}
		// subcutaneous air tracking into the neck and supraclavicular soft tissue
		for j := 0; j < 2; j++ {
			x0 := sg * uniform(r, 0.08, 0.11)
			v0 := uniform(r, 0.03, 0.06)
			out = append(out, segment{x0, v0, x0 + sg*uniform(r, 0.08, 0.14), v0 + uniform(r, 0.04, 0.08), 0.006, 0.004, 0.25, 0.12})
		}
	}
	return out
}

// density is the radiographic density at patient point (x, v); px is the
// pixel size in patient units. 0 is air outside the body; soft tissue is
// about 0.4, the mediastinum and heart about 0.6.
func (s *scene) density(x, v, px float64) float64 {
	a := s.a
	ax, left, si := math.Abs(x), x > 0, 0
	if left {
		si = 1
	}
	sg := float64(2*si - 1)
	e := px
	body := inside(a.bodyHalfWidth(v)-ax, e)
	if body == 0 {
		return 0.02
	}
	tex := a.texture(x, v)
	diaV := a.dia(ax, left)
	// under the heart the domes meet in a flat line
	if ax < 0.19*a.wf {
		diaV = min(diaV, a.dia(0.19*a.wf, left)+0.05)
	}
	heartM := inside(s.heart.dist(x, v), e) * inside(diaV+0.02-v, e)
	mediM := inside(a.medial()-ax, e) * inside(diaV-v, e)
	abdM := inside(v-diaV, e)
	soft := max(0.19*heartM, 0.16*mediM, 0.2*abdM)

	ld := a.lungDist(ax, v, left)
	lung := inside(ld, 2*e) * (1 - heartM)
	air, marks, extra := lung, 1.0, 0.0
	vx, vv := x, v // where the lung markings are sampled
	if p := s.ptx[si]; p != nil && lung > 0 {
		qx, qv := p.cx+(ax-p.cx)/p.f, p.cv+(v-p.cv)/p.f
		dq := a.lungDist(qx, qv, left) * p.f
		in := inside(dq, e)
		marks, vx, vv = in, sg*qx, qv
		extra += lung * (0.05*in - 0.07*(1-in) + line(dq, 0.003, 0.2, px))
	}
	if h := s.eff[si]; h > 0 {
		t := clamp((ax-a.medial())/(a.lungXC()+a.lungA()-a.medial()), 0, 1)
		lvl := 0.865 + a.dv - h - 0.06*t*t
		fm := inside(a.pleuralDist(ax, v), e) * smoothstep(lvl-0.006, lvl+0.018, v) * (1 - heartM)
		air *= 1 - fm
		soft = max(soft, 0.2*fm)
	}
	d := 0.40*body + soft
	d -= 0.29 * air * (1 + 0.12*tex*marks)
	d += 0.06 * air * smoothstep(0.45, 0.85, v) // soft tissue over the bases
	if air > 0 && marks > 0 {
		ves := 0.0
		for _, sgm := range a.vessels[si] {
			ves += segValue(sgm, vx, vv, px)
		}
		d += min(ves, 0.12) * air * marks
	}
	d += extra
	// hila
	hx, hv := ax-0.10*a.wf, v-0.45
	d += 0.09 * math.Exp(-(hx*hx+hv*hv)/(0.03*0.03)) * body
	// consolidation: patchy, textured, only within the lung
	if len(s.consol) > 0 && lung > 0 {
		c := 0.0
		for _, b := range s.consol {
			dx, dy := x-b.x, v-b.v
			c += b.d * math.Exp(-(dx*dx+dy*dy)/(b.r*b.r))
		}
		d += 0.34 * (1 - math.Exp(-1.5*c)) * lung * (0.8 + 0.2*a.texture(2*x, 2*v-0.5))
	}
	for _, m := range s.masses {
		dx, dy := x-m.x, v-m.v
		dist := math.Hypot(dx, dy)
		r := m.r * (1 + m.lob*math.Sin(3*math.Atan2(dy, dx)+m.phase))
		d += 0.30 * inside(r-dist, e) * (0.85 + 0.15*clamp(1-dist/r, 0, 1))
	}
	d += body * s.bones(ax, v, px)
	// trachea and main bronchi (air, dark)
	d -= 0.15 * inside(0.017-ax, e) * (1 - smoothstep(0.33, 0.37, v)) * body
	d -= line(segDistOnly(segment{0, 0.355, sg * 0.085 * a.wf, 0.44, 0, 0, 0, 0}, x, v), 0.009, 0.09, px)
	// gastric bubble under the left dome
	if left {
		gx, gy := (ax-0.20*a.wf)/0.055, (v-a.dia(0.20*a.wf, true)-0.045)/0.026
		d -= 0.2 * inside(1-math.Hypot(gx, gy), e/0.03)
	}
	if s.pmOn {
		dark := 0.0
		for _, sgm := range s.pm {
			dark += segValue(sgm, x, v, px)
		}
		// a lucent rim along the upper left heart border
		if x > s.heart.x && v < s.heart.v {
			dark += line(s.heart.dist(x, v)+0.008, 0.006, 0.22, px)
		}
		d -= min(dark, 0.3)
	}
	return d
}

// segDistOnly returns the distance from (x, v) to segment s.
func segDistOnly(s segment, x, v float64) float64 {
	d, _ := segDist(s, x, v)
	return d
}

// bones returns the density of the spine, ribs and clavicles at (ax, v).
func (s *scene) bones(ax, v, px float64) float64 {
	a, e := s.a, px
	b := 0.08 * inside(0.036-ax, e) * (0.9 + 0.1*math.Cos(2*math.Pi*v/0.045))
	// lateral edge of the rib cage at this height
	dy := math.Abs(v-lungVC) / lungB
	edge := 0.0
	if dy < 1 {
		edge = a.lungXC() + a.lungA()*math.Cbrt(1-dy*dy*dy) + 0.02 // lungN = 3
	}
	if edge > 0 {
		cage := inside(edge-ax, 2*e)
		// posterior ribs: rise a little from the spine, then fall laterally
		g := -0.25*ax + 1.3*ax*ax
		k0 := int(math.Round((v - g - 0.115 - a.dv*0.5) / 0.062))
		ht := 0.0085 + 0.005*ax
		for k := k0 - 1; k <= k0+1; k++ {
			if k < 0 || k > 9 {
				continue
			}
			dist := math.Abs(v - (0.115 + 0.062*float64(k) + a.dv*0.5 + g))
			b += cage * inside(ax-0.04, e) * (0.05*inside(ht-dist, e) + line(dist-ht, 0.002, 0.025, px))
		}
		// anterior ribs: fainter, falling towards the midline
		if ax > 0.12 {
			gA := 0.104 + 0.5*(0.40*a.wf-ax)
			k1 := int(math.Round((v - gA - 0.115 - a.dv*0.5) / 0.062))
			for k := k1 - 1; k <= k1+1; k++ {
				if k < 0 || k > 8 {
					continue
				}
				dist := math.Abs(v - (0.115 + 0.062*float64(k) + a.dv*0.5 + gA))
				b += cage * smoothstep(0.12, 0.16, ax) * 0.035 * inside(0.008-dist, e)
			}
		}
	}
	// clavicles
	if ax > 0.02 && ax < 0.32*a.wf {
		dist := math.Abs(v - (0.150 + 0.3*a.dv - 0.2*(ax-0.03)))
		b += inside(0.012-dist, e) * (0.13 + 0.04*smoothstep(0.004, 0.012, dist)) * inside(0.31*a.wf-ax, e) * inside(ax-0.025, e)
	}
	return b
}

// render draws the scene as a size x size 8-bit grayscale image, with the
// film's placement, exposure and quantum noise (from noise).
func (s *scene) render(size int, noise *rand.Rand) []uint8 {
	a := s.a
	out := make([]uint8, size*size)
	cosR, sinR := math.Cos(a.rot), math.Sin(a.rot)
	px := 1 / (float64(size) * a.scale)
	// the exposure curve, tabulated: in [0,1] -> in^gamma
	const steps = 4096
	var curve [steps + 1]float64
	for i := range curve {
		curve[i] = math.Pow(float64(i)/steps, a.gamma)
	}
	for j := 0; j < size; j++ {
		for i := 0; i < size; i++ {
			cx := (float64(i)+0.5)/float64(size) - 0.5 - a.tx
			cy := (float64(j)+0.5)/float64(size) - 0.5 - a.ty
			x := (cosR*cx + sinR*cy) / a.scale
			v := (-sinR*cx+cosR*cy)/a.scale + 0.5
			d := s.density(x, v, px)
			in := clamp(a.contrast*d+a.bright, 0, 1)
			f := in * steps
			k := min(int(f), steps-1)
			val := curve[k] + (curve[k+1]-curve[k])*(f-float64(k)) + a.noise*noise.NormFloat64()
			out[j*size+i] = uint8(math.Round(255 * clamp(val, 0, 1)))
		}
	}
	return out
}
