package synth

import (
	"slices"
	"strings"
	"testing"

	"radcap/data"
)

// TestVarietyHandWritten classifies hand-written captions, most of them
// as a BERT tokenizer decodes them (lower case, punctuation spaced out).
func TestVarietyHandWritten(t *testing.T) {
	caps := []string{
		"chest x - ray showing a large left - sided pneumothorax .",                             // abnormal 0, pneumothorax 0
		"Chest radiograph: small right pneumothorax.",                                           // abnormal 1, pneumothorax 1
		"chest x - ray demonstrates a small pneumothorax on the right",                          // abnormal 2, pneumothorax 2, no full stop
		"Large left pleural effusion on PA chest radiograph.",                                   // abnormal 3, effusion 0
		"chest radiograph : small right - sided pleural effusion .",                             // abnormal 1, effusion 1
		"frontal chest x - ray showing a large left effusion blunting the costophrenic angle .", // abnormal 0, effusion 2
		"chest x - ray showing cardiomegaly and air in the mediastinum .",                       // abnormal 0, cardiomegaly 0, pneumomediastinum 1
		"Chest X-ray showing an enlarged heart.",                                                // abnormal 0, cardiomegaly 2
		"patchy right middle lobe consolidation on chest x - ray .",                             // abnormal 3, consolidation 0
		"chest radiograph demonstrates extensive consolidation in the left lower zone",          // abnormal 2, consolidation 1
		"chest x - ray : small rounded nodules in both upper zones .",                           // abnormal 1, mass 2
		"Chest X-ray: no acute cardiopulmonary abnormality.",                                    // normal 0
		"normal chest radiograph .",                                                             // normal 1
		"chest x - ray showing clear lungs with no pneumothorax or pleural effusion .",          // normal 2, not abnormal 0
		"the lungs are hyperinflated .",                                                         // other, no finding
		"there is a big pneumothorax in the left lung .",                                        // other, pneumothorax other
		"chest x - ray showing showing",                                                         // other: no known finding wording
	}
	st := Variety(caps)
	if st.Captions != len(caps) {
		t.Errorf("Captions = %d, want %d", st.Captions, len(caps))
	}
	if want := []int{5, 3, 2, 2}; !slices.Equal(st.PatternCounts, want) {
		t.Errorf("PatternCounts = %v, want %v", st.PatternCounts, want)
	}
	if want := []int{1, 1, 1, 0}; !slices.Equal(st.NormalPatternCounts, want) {
		t.Errorf("NormalPatternCounts = %v, want %v", st.NormalPatternCounts, want)
	}
	if st.OtherPatterns != 2 || st.Patterns != 4 || st.NormalPatterns != 3 {
		t.Errorf("OtherPatterns, Patterns, NormalPatterns = %d, %d, %d; want 2, 4, 3", st.OtherPatterns, st.Patterns, st.NormalPatterns)
	}
	wantCounts := map[data.Kind][]int{
		data.KindPneumothorax:      {1, 1, 1, 1},
		data.KindEffusion:          {1, 1, 1, 0},
		data.KindConsolidation:     {1, 1, 0, 0},
		data.KindMass:              {0, 0, 1, 0},
		data.KindCardiomegaly:      {1, 0, 1, 0},
		data.KindPneumomediastinum: {0, 1, 0, 0},
	}
	wantDistinct := map[data.Kind]int{data.KindPneumothorax: 3, data.KindEffusion: 3, data.KindConsolidation: 2,
		data.KindMass: 1, data.KindCardiomegaly: 2, data.KindPneumomediastinum: 1}
	for k, want := range wantCounts {
		if !slices.Equal(st.PhrasingCounts[k], want) {
			t.Errorf("PhrasingCounts[%v] = %v, want %v", k, st.PhrasingCounts[k], want)
		}
		if st.Phrasings[k] != wantDistinct[k] {
			t.Errorf("Phrasings[%v] = %d, want %d", k, st.Phrasings[k], wantDistinct[k])
		}
	}
	want := "patterns 4 (normal 3, other 2/17); phrasings: pneumothorax 3, pleural effusion 3, consolidation 2, mass or nodule 1, cardiomegaly 2, pneumomediastinum 1"
	if got := st.String(); got != want {
		t.Errorf("String() =\n%q, want\n%q", got, want)
	}
}

// TestVarietyCollapsed: captions that all use one house style show one
// pattern and one phrasing per finding; no captions show nothing.
func TestVarietyCollapsed(t *testing.T) {
	caps := []string{
		"chest x - ray showing a small right - sided pneumothorax .",
		"chest x - ray showing a large left pleural effusion .",
		"chest x - ray showing small bilateral pleural effusions .",
		"chest x - ray showing cardiomegaly .",
		"chest x - ray showing a large left lower lobe mass .",
	}
	st := Variety(caps)
	if st.Patterns != 1 || st.OtherPatterns != 0 || st.Phrasings[data.KindEffusion] != 1 || st.Phrasings[data.KindMass] != 1 || st.Phrasings[data.KindConsolidation] != 0 {
		t.Errorf("collapsed captions: %v", st)
	}
	empty := Variety(nil)
	if got, want := empty.String(), "patterns 0 (normal 0, other 0/0); phrasings: pneumothorax 0, pleural effusion 0, consolidation 0, mass or nodule 0, cardiomegaly 0, pneumomediastinum 0"; got != want {
		t.Errorf("Variety(nil) = %q, want %q", got, want)
	}
}

// bertDecode writes s as a BERT tokenizer's decode does: lower case, with
// a space on both sides of each punctuation mark.
func bertDecode(s string) string {
	s = strings.ToLower(s)
	for _, p := range []string{"-", ":", ".", ","} {
		s = strings.ReplaceAll(s, p, " "+p+" ")
	}
	return strings.Join(strings.Fields(s), " ")
}

// TestVarietyEveryPlan: every caption the generator can write for one
// finding (every prefix, pattern, phrasing, finding, side, zone and size)
// and for a normal study is classified by the pattern and phrasing it was
// written with, as written and as a BERT tokenizer decodes it.
func TestVarietyEveryPlan(t *testing.T) {
	m := newVarietyMatcher()
	check := func(c string, normal bool, pat int, want []phrasingRef) {
		t.Helper()
		for _, s := range []string{c, bertDecode(c)} {
			n := normalizeCaption(s)
			gotNormal, gotPat := m.pattern(n)
			if gotNormal != normal || gotPat != pat {
				t.Errorf("%q: pattern (normal %v, %d), want (normal %v, %d)", s, gotNormal, gotPat, normal, pat)
			}
			if got := m.phrasings(n); !normal && !slices.Equal(got, want) {
				t.Errorf("%q: phrasings %v, want %v", s, got, want)
			}
		}
	}
	n := 0
	for pre := range prefixes {
		for pat := range normalPatterns {
			check(caption([]Lesion{{Kind: data.KindNone}}, captionPlan{prefix: pre, pattern: pat}), true, pat, nil)
			n++
		}
		for pat := range patterns {
			for v := 0; v < numPhrasings; v++ {
				for _, l := range everyLesion() {
					check(caption([]Lesion{l}, captionPlan{pre, pat, []int{v}}), false, pat, []phrasingRef{{l.Kind, v}})
					n++
				}
			}
		}
	}
	// two findings, as drawLesions makes them
	all := everyLesion()
	for i := 0; i+11 < len(all); i += 5 {
		a, b := all[i], all[i+11]
		if a.Kind == b.Kind {
			continue
		}
		ls := []Lesion{a, b}
		if b.Kind < a.Kind {
			ls = []Lesion{b, a}
		}
		plan := captionPlan{i % len(prefixes), i % len(patterns), []int{i % numPhrasings, (i + 1) % numPhrasings}}
		check(caption(ls, plan), false, plan.pattern, []phrasingRef{{ls[0].Kind, plan.phrasing[0]}, {ls[1].Kind, plan.phrasing[1]}})
		n++
	}
	t.Logf("%d captions classified, twice each", n)
}

// TestVarietyOfGeneratedSet: the generated training captions use every
// pattern and every phrasing of every finding, and none is "other".
func TestVarietyOfGeneratedSet(t *testing.T) {
	g, _ := NewCXR(Config{Seed: 2, Size: 16, Train: 700, Validation: 1, Test: 1})
	var caps []string
	for i := 0; i < 700; i++ {
		s, err := g.Sample("train", i)
		if err != nil {
			t.Fatal(err)
		}
		caps = append(caps, s.Caption)
	}
	st := Variety(caps)
	t.Logf("700 generated training captions: %v", st)
	if st.Patterns != len(patterns) || st.NormalPatterns != len(normalPatterns) || st.OtherPatterns != 0 {
		t.Errorf("patterns: %v", st)
	}
	for _, k := range data.AllKinds()[1:] {
		if st.Phrasings[k] != numPhrasings || st.PhrasingCounts[k][numPhrasings] != 0 {
			t.Errorf("%v: %d phrasings, %d other; want %d, 0", k, st.Phrasings[k], st.PhrasingCounts[k][numPhrasings], numPhrasings)
		}
	}
}
