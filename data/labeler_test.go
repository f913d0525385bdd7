package data

import (
	"math"
	"slices"
	"testing"
)

// f is shorthand for a Finding.
func f(k Kind, s Side) Finding { return Finding{k, s} }

var none = []Finding{f(KindNone, SideNone)}

// TestLabelRealPhrasings: real and hand-written phrasings, with the
// findings a reader of Label's rules expects (several are verbatim ROCO
// captions from testdata).
func TestLabelRealPhrasings(t *testing.T) {
	cases := []struct {
		caption string
		want    []Finding
	}{
		// verbatim ROCO captions
		{"Chest radiograph showing moderate right pleural effusion.", []Finding{f(KindEffusion, SideRight)}},
		{"Chest X-ray showing consolidation in the lower lobe of the left lung.", []Finding{f(KindConsolidation, SideLeft)}},
		{"Chest x-ray showing enlarged cardiac shadow and bilateral pulmonary oedema", []Finding{f(KindCardiomegaly, SideNone)}},
		{"Initial chest x-ray showing a left tension pneumothorax with shift of the mediastinum to the right, pleural effusion left, basal dorsolateral rib fractures.",
			[]Finding{f(KindPneumothorax, SideLeft), f(KindEffusion, SideLeft)}},
		{"Chest X-ray posterior-anterior view showing no features that indicate a mass lesion.", none},
		{"Chest radiography from a patient with right lower lobe pneumonia.", []Finding{f(KindConsolidation, SideRight)}},
		{"CXR showing multiple bilateral lung metastases at diagnosis.", nil},
		{"Postoperative day 1 chest radiograph reveals large left pneumothorax.", []Finding{f(KindPneumothorax, SideLeft)}},
		// synonyms
		{"Pleural fluid on the right.", []Finding{f(KindEffusion, SideRight)}},
		{"Left lower lobe infiltrate.", []Finding{f(KindConsolidation, SideLeft)}},
		{"Bilateral patchy opacities.", []Finding{f(KindConsolidation, SideBilateral)}},
		{"A 2 cm nodule in the right upper lobe.", []Finding{f(KindMass, SideRight)}},
		{"Enlarged heart.", []Finding{f(KindCardiomegaly, SideNone)}},
		{"The heart is enlarged.", []Finding{f(KindCardiomegaly, SideNone)}},
		{"Chest X-ray showing enlargement of the cardiac silhouette.", []Finding{f(KindCardiomegaly, SideNone)}},
		{"Air in the mediastinum and neck.", []Finding{f(KindPneumomediastinum, SideNone)}},
		{"Collapsed lung on the left.", []Finding{f(KindPneumothorax, SideLeft)}},
		{"Right hydropneumothorax.", []Finding{f(KindPneumothorax, SideRight)}},
		// sides
		{"Left and right pleural effusions.", []Finding{f(KindEffusion, SideBilateral)}},
		{"Effusions on both sides.", []Finding{f(KindEffusion, SideBilateral)}},
		{"Right pneumothorax. Left pneumothorax.", []Finding{f(KindPneumothorax, SideBilateral)}},
		{"Pneumothorax.", []Finding{f(KindPneumothorax, SideUnknown)}},
		{"Large pneumothorax on the left and a right effusion.", []Finding{f(KindPneumothorax, SideLeft), f(KindEffusion, SideRight)}},
		// negation and normal studies
		{"No pneumothorax or pleural effusion.", none},
		{"Chest x-ray: no acute cardiopulmonary abnormality.", none},
		{"Normal chest radiograph.", none},
		{"Unremarkable chest X-ray.", none},
		{"Right pneumothorax has resolved.", none},
		{"Left pleural effusion without pneumothorax.", []Finding{f(KindEffusion, SideLeft)}},
		{"No pneumothorax, but a small left effusion.", []Finding{f(KindEffusion, SideLeft)}},
		{"Normal heart size with a right upper lobe mass.", []Finding{f(KindMass, SideRight)}},
		{"Pericardial effusion.", nil},
		{"Chest X-ray after 48 hours of PCV.", nil},
		{"", nil},
	}
	for _, c := range cases {
		if got := Label(c.caption); !slices.Equal(got, c.want) {
			t.Errorf("Label(%q) = %v, want %v", c.caption, got, c.want)
		}
	}
}

// TestFindingF1: a small case worked by hand from the definition.
func TestFindingF1(t *testing.T) {
	refs := []string{
		"Chest X-ray showing a large left pneumothorax.",                     // {left PTX}
		"Normal chest radiograph.",                                           // {none}
		"PA chest radiograph: bilateral pleural effusions and cardiomegaly.", // {bilateral effusion, cardiomegaly}
	}
	preds := []string{
		"Chest X-ray showing a small left-sided pneumothorax.", // {left PTX}: 1 TP
		"Chest X-ray showing cardiomegaly.",                    // {cardiomegaly}: 1 FP (ref none: 1 FN)
		"Bilateral pleural effusions.",                         // {bilateral effusion}: 1 TP, ref cardiomegaly FN
	}
	// TP 2, predicted 3, reference 4: P = 2/3, R = 1/2, F1 = 4/7
	p, r, f1 := FindingF1(preds, refs)
	if math.Abs(p-2.0/3) > 1e-12 || math.Abs(r-0.5) > 1e-12 || math.Abs(f1-4.0/7) > 1e-12 {
		t.Errorf("FindingF1 = %v %v %v, want 2/3 1/2 4/7", p, r, f1)
	}
	// perfect
	if p, r, f1 := FindingF1(refs, refs); p != 1 || r != 1 || f1 != 1 {
		t.Errorf("FindingF1(refs, refs) = %v %v %v", p, r, f1)
	}
	// the wrong side scores nothing
	if _, _, f1 := FindingF1([]string{"Right pneumothorax."}, []string{"Left pneumothorax."}); f1 != 0 {
		t.Errorf("wrong side: f1 %v", f1)
	}
	// an unreadable prediction costs recall only; a missing one counts empty
	p, r, _ = FindingF1([]string{"asdf", "Left pneumothorax."}, []string{"Left pneumothorax.", "Left pneumothorax.", "Normal."})
	if p != 1 || math.Abs(r-1.0/3) > 1e-12 {
		t.Errorf("partial: %v %v, want 1 1/3", p, r)
	}
	if p, r, f1 := FindingF1(nil, nil); p != 0 || r != 0 || f1 != 0 {
		t.Errorf("empty: %v %v %v", p, r, f1)
	}
}

// TestClassIndex: the 15 (kind, side) classes are numbered densely.
func TestClassIndex(t *testing.T) {
	seen := map[int]bool{}
	for _, k := range AllKinds() {
		sides := []Side{SideNone}
		if k.Lateral() {
			sides = []Side{SideLeft, SideRight, SideBilateral}
		}
		for _, s := range sides {
			i := ClassIndex(Finding{k, s})
			if i < 0 || i >= NumClasses || seen[i] {
				t.Errorf("ClassIndex(%v) = %d", Finding{k, s}, i)
			}
			seen[i] = true
		}
	}
	if len(seen) != NumClasses || ClassIndex(Finding{KindEffusion, SideUnknown}) != -1 {
		t.Errorf("%d classes", len(seen))
	}
	v := MultiHot([]Finding{{KindCardiomegaly, SideNone}, {KindEffusion, SideLeft}})
	if v[13] != 1 || v[4] != 1 || len(v) != NumClasses {
		t.Errorf("MultiHot = %v", v)
	}
}

// FuzzLabel: Label never panics and returns each pair once.
func FuzzLabel(f *testing.F) {
	f.Add("Chest X-ray showing a large left-sided pneumothorax.")
	f.Add("no no no pneumothorax left and right, , effusion: ;")
	f.Fuzz(func(t *testing.T, s string) {
		got := Label(s)
		seen := map[Finding]bool{}
		for _, x := range got {
			if seen[x] {
				t.Fatalf("Label(%q) repeats %v", s, x)
			}
			seen[x] = true
		}
	})
}
