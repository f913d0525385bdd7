package meteor

import "testing"

// Hand-verified stems. The first group is the worked examples of Porter
// (1980) and of the docstrings in NLTK's porter.py (with NLTK's departures:
// "ties" -> "tie", "dies" -> "die", "happy" -> "happi", "enjoy" -> "enjoy",
// "generously" -> "gener"); the second group are words from the caption
// fixtures worked through the steps by hand.
func TestStem(t *testing.T) {
	cases := map[string]string{
		"caresses": "caress", "ponies": "poni", "ties": "tie", "caress": "caress",
		"cats": "cat", "feed": "feed", "agreed": "agre", "plastered": "plaster",
		"bled": "bled", "motoring": "motor", "sing": "sing", "conflated": "conflat",
		"troubled": "troubl", "sized": "size", "hopping": "hop", "tanned": "tan",
		"falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail",
		"filing": "file", "happy": "happi", "sky": "sky", "skies": "sky",
		"dying": "die", "lying": "lie", "news": "news", "innings": "inning",
		"flies": "fli", "dies": "die", "spied": "spi", "died": "die",
		"enjoy": "enjoy", "matting": "mat", "mating": "mate", "meeting": "meet",
		"milling": "mill", "messing": "mess", "meetings": "meet", "disabled": "disabl",
		"relational": "relat", "conditional": "condit", "rational": "ration",
		"digitizer": "digit", "conformabli": "conform", "radicalli": "radic",
		"differentli": "differ", "vileli": "vile", "analogousli": "analog",
		"vietnamization": "vietnam", "predication": "predic", "operator": "oper",
		"feudalism": "feudal", "decisiveness": "decis", "hopefulness": "hope",
		"callousness": "callous", "formaliti": "formal", "sensitiviti": "sensit",
		"sensibiliti": "sensibl", "generously": "gener", "running": "run",
		"proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
		"is": "is", "a": "a", "x": "x", "": "",

		"demonstrates": "demonstr", "showing": "show", "shows": "show",
		"presents": "present", "opacities": "opac", "effusion": "effus",
		"nodules": "nodul", "lobes": "lobe", "chest": "chest", "large": "larg",
		"little": "littl", "ribs": "rib", "revealing": "reveal",
	}
	for in, want := range cases {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStemLowercasesAndKeepsCodePoints(t *testing.T) {
	if got := Stem("Running"); got != "run" {
		t.Errorf("Stem(Running) = %q, want run", got)
	}
	// Two code points, three bytes: returned unchanged (lowercased) as NLTK
	// does for words of at most two characters.
	if got := Stem("Ré"); got != "ré" {
		t.Errorf("Stem(Ré) = %q, want ré", got)
	}
	if got := Stem("röntgen"); got != "röntgen" {
		t.Errorf("Stem(röntgen) = %q, want röntgen", got)
	}
}

// The per-step examples of Porter (1980), as listed in the docstrings of
// NLTK's porter.py.
func TestPorterSteps(t *testing.T) {
	steps := []struct {
		name  string
		fn    func([]rune) []rune
		cases map[string]string
	}{
		{"step2", step2, map[string]string{
			"relational": "relate", "conditional": "condition", "rational": "rational",
			"valenci": "valence", "hesitanci": "hesitance", "digitizer": "digitize",
			"conformabli": "conformable", "radicalli": "radical", "differentli": "different",
			"vileli": "vile", "analogousli": "analogous", "vietnamization": "vietnamize",
			"predication": "predicate", "operator": "operate", "feudalism": "feudal",
			"decisiveness": "decisive", "hopefulness": "hopeful", "callousness": "callous",
			"formaliti": "formal", "sensitiviti": "sensitive", "sensibiliti": "sensible",
		}},
		{"step3", step3, map[string]string{
			"triplicate": "triplic", "formative": "form", "formalize": "formal",
			"electriciti": "electric", "electrical": "electric", "hopeful": "hope", "goodness": "good",
		}},
		{"step4", step4, map[string]string{
			"revival": "reviv", "allowance": "allow", "inference": "infer", "airliner": "airlin",
			"gyroscopic": "gyroscop", "adjustable": "adjust", "defensible": "defens",
			"irritant": "irrit", "replacement": "replac", "adjustment": "adjust",
			"dependent": "depend", "adoption": "adopt", "homologou": "homolog",
			"communism": "commun", "activate": "activ", "angulariti": "angular",
			"homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler",
		}},
		{"step5a", step5a, map[string]string{"probate": "probat", "rate": "rate", "cease": "ceas"}},
		{"step5b", step5b, map[string]string{"controll": "control", "roll": "roll"}},
	}
	for _, s := range steps {
		for in, want := range s.cases {
			if got := string(s.fn([]rune(in))); got != want {
				t.Errorf("%s(%q) = %q, want %q", s.name, in, got, want)
			}
		}
	}
}
