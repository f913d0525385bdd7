package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"radcap/data"
)

// A captionPlan fixes every choice a caption makes, so that tests can
// enumerate all of them; drawPlan draws one with the weights below.
type captionPlan struct {
	prefix   int   // index into prefixes
	pattern  int   // index into patterns (or normalPatterns)
	phrasing []int // per lesion, index into that kind's phrasings
}

// prefixes name the study, with their weights.
var (
	prefixes       = []string{"Chest X-ray", "Chest radiograph", "PA chest radiograph", "Frontal chest X-ray", "Chest x-ray"}
	prefixWeights  = []float64{0.45, 0.2, 0.15, 0.1, 0.1}
	patternWeights = []float64{0.45, 0.25, 0.15, 0.15}
	phraseWeights  = []float64{0.5, 0.3, 0.2}
)

// The sentence patterns of an abnormal study: %P is the prefix, %p the
// prefix in running text, %A the findings with articles, %N without.
var patterns = []string{
	"%P showing %A.",
	"%P: %N.",
	"%P demonstrates %A.",
	"%N on %p.",
}

// The sentence patterns of a normal study.
var normalPatterns = []string{
	"%P: no acute cardiopulmonary abnormality.",
	"Normal %p.",
	"%P showing clear lungs with no pneumothorax or pleural effusion.",
	"%P within normal limits.",
}

// numPhrasings is the number of phrasings of each finding.
const numPhrasings = 3

// drawPlan draws the caption choices for lesions on a film from site:
// with probability HouseStyleRate the site's house style, otherwise
// prefix, pattern and phrasings drawn with the weights above.
func drawPlan(r *rand.Rand, lesions []Lesion, site int) captionPlan {
	if r.Float64() < HouseStyleRate {
		return housePlan(site, len(lesions))
	}
	p := captionPlan{prefix: pick(r, prefixWeights...), pattern: pick(r, patternWeights...)}
	for range lesions {
		p.phrasing = append(p.phrasing, pick(r, phraseWeights...))
	}
	return p
}

// caption writes the caption of lesions with the choices of plan.
func caption(lesions []Lesion, plan captionPlan) string {
	prefix := prefixes[plan.prefix]
	running := prefix
	if strings.HasPrefix(running, "Chest") || strings.HasPrefix(running, "Frontal") {
		running = strings.ToLower(running[:1]) + running[1:]
	}
	var tmpl string
	var withArt, bare []string
	if len(lesions) == 0 || lesions[0].Kind == data.KindNone {
		tmpl = normalPatterns[plan.pattern]
	} else {
		tmpl = patterns[plan.pattern]
		for i, l := range lesions {
			withArt = append(withArt, phrase(l, plan.phrasing[i], true))
			bare = append(bare, phrase(l, plan.phrasing[i], false))
		}
	}
	n := strings.Join(bare, " and ")
	if strings.HasPrefix(tmpl, "%N") {
		n = strings.ToUpper(n[:1]) + n[1:]
	}
	return strings.NewReplacer("%P", prefix, "%p", running, "%A", strings.Join(withArt, " and "), "%N", n).Replace(tmpl)
}

// article returns "a " or "an " for the word w when art is set, else "".
func article(art bool, w string) string {
	if !art {
		return ""
	}
	if strings.ContainsAny(w[:1], "aeiou") {
		return "an "
	}
	return "a "
}

// lobe names a zone the way radiologists name lobes: the right mid zone
// is the middle lobe; the left has no middle lobe, so "mid zone" stays.
func lobe(side data.Side, z Zone) string {
	switch z {
	case ZoneUpper:
		return "upper lobe"
	case ZoneLower:
		return "lower lobe"
	}
	if side == data.SideRight {
		return "middle lobe"
	}
	return "mid zone"
}

// phrase writes one finding in phrasing v (0..numPhrasings-1), with an
// article where the noun takes one and art is set.
func phrase(l Lesion, v int, art bool) string {
	side := l.Side.String()
	bi := l.Side == data.SideBilateral
	size := l.Size.String()
	zone := l.Zone.String()
	switch l.Kind {
	case data.KindPneumothorax:
		switch {
		case bi && v == 0:
			return size + " bilateral pneumothoraces"
		case bi && v == 1:
			return size + " pneumothoraces bilaterally"
		case bi:
			return size + " pneumothoraces on both sides"
		case v == 0:
			return article(art, size) + size + " " + side + "-sided pneumothorax"
		case v == 1:
			return article(art, size) + size + " " + side + " pneumothorax"
		}
		return article(art, size) + size + " pneumothorax on the " + side
	case data.KindEffusion:
		switch {
		case bi && v == 0:
			return size + " bilateral pleural effusions"
		case bi && v == 1:
			return size + " pleural effusions bilaterally"
		case bi:
			return size + " bilateral effusions blunting both costophrenic angles"
		case v == 0:
			return article(art, size) + size + " " + side + " pleural effusion"
		case v == 1:
			return article(art, size) + size + " " + side + "-sided pleural effusion"
		}
		return article(art, size) + size + " " + side + " effusion blunting the costophrenic angle"
	case data.KindConsolidation:
		size = map[Size]string{SizeSmall: "patchy", SizeLarge: "extensive"}[l.Size]
		switch {
		case bi && v == 0:
			return size + " bilateral " + zone + " zone consolidation"
		case bi && v == 1:
			return size + " consolidation in both " + zone + " zones"
		case bi:
			return size + " airspace opacities in both " + zone + " zones"
		case v == 0:
			return size + " " + side + " " + lobe(l.Side, l.Zone) + " consolidation"
		case v == 1:
			return size + " consolidation in the " + side + " " + zone + " zone"
		}
		return size + " airspace opacity in the " + side + " " + zone + " zone"
	case data.KindMass:
		noun, nouns := "nodule", "nodules"
		if l.Size == SizeLarge {
			noun, nouns = "mass", "masses"
		}
		switch {
		case bi && v == 0:
			return size + " bilateral " + zone + " zone " + nouns
		case bi && v == 1:
			return size + " " + nouns + " in both " + zone + " zones"
		case bi:
			return size + " rounded " + nouns + " in both " + zone + " zones"
		case v == 0:
			return article(art, size) + size + " " + side + " " + lobe(l.Side, l.Zone) + " " + noun
		case v == 1:
			return article(art, size) + size + " " + noun + " in the " + side + " " + zone + " zone"
		}
		return article(art, size) + size + " rounded " + noun + " in the " + side + " " + zone + " zone"
	case data.KindCardiomegaly:
		switch v {
		case 0:
			return "cardiomegaly"
		case 1:
			return article(art, "enlarged") + "enlarged cardiac silhouette"
		}
		return article(art, "enlarged") + "enlarged heart"
	case data.KindPneumomediastinum:
		switch v {
		case 0:
			return "pneumomediastinum"
		case 1:
			return "air in the mediastinum"
		}
		return "mediastinal emphysema"
	}
	panic(fmt.Sprintf("synth: no phrasing for %v", l.Kind))
}
