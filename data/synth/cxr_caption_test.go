package synth

import (
	"slices"
	"testing"

	"radcap/data"
)

func findingsOf(ls []Lesion) []data.Finding {
	var out []data.Finding
	for _, l := range ls {
		out = append(out, l.Finding())
	}
	slices.SortFunc(out, func(a, b data.Finding) int {
		if a.Kind != b.Kind {
			return int(a.Kind - b.Kind)
		}
		return int(a.Side - b.Side)
	})
	return out
}

// TestLabelRoundTripsEveryCaption: every prefix x pattern x phrasing x
// finding x side (x zone x size) caption, and every pair of findings,
// labels back to exactly its findings.
func TestLabelRoundTripsEveryCaption(t *testing.T) {
	n := 0
	check := func(ls []Lesion, plan captionPlan) {
		t.Helper()
		c := caption(ls, plan)
		got := data.Label(c)
		want := findingsOf(ls)
		if ls[0].Kind == data.KindNone {
			want = []data.Finding{{Kind: data.KindNone, Side: data.SideNone}}
		}
		if !slices.Equal(got, want) {
			t.Errorf("Label(%q) = %v, want %v", c, got, want)
		}
		n++
	}
	for pre := range prefixes {
		for pat := range normalPatterns {
			check([]Lesion{{Kind: data.KindNone}}, captionPlan{prefix: pre, pattern: pat})
		}
		for pat := range patterns {
			for v := 0; v < numPhrasings; v++ {
				for _, l := range everyLesion() {
					check([]Lesion{l}, captionPlan{pre, pat, []int{v}})
				}
			}
		}
	}
	// pairs of different findings, as drawLesions makes them
	all := everyLesion()
	for i, a := range all {
		for j, b := range all {
			if a.Kind >= b.Kind || (i+j)%5 != 0 {
				continue
			}
			for pat := range patterns {
				for v := 0; v < numPhrasings; v++ {
					check([]Lesion{a, b}, captionPlan{(i + pat) % len(prefixes), pat, []int{v, (v + j) % numPhrasings}})
				}
			}
		}
	}
	t.Logf("%d captions round-trip", n)
}

// TestCaptionVariety: at least three sentence patterns, and at least three
// different phrasings of every finding and side.
func TestCaptionVariety(t *testing.T) {
	if len(patterns) < 3 || len(normalPatterns) < 3 {
		t.Fatalf("%d abnormal and %d normal patterns, want >= 3 each", len(patterns), len(normalPatterns))
	}
	for _, l := range everyLesion() {
		seen := map[string]bool{}
		for v := 0; v < numPhrasings; v++ {
			seen[phrase(l, v, false)] = true
		}
		if len(seen) < 3 {
			t.Errorf("%v has %d phrasings, want >= 3: %v", l, len(seen), seen)
		}
	}
}
