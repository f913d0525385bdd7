package meteor

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// metricCase is the part of a cases.json entry (../shared/fixtures/metrics)
// that METEOR uses.
type metricCase struct {
	ID          string          `json:"id"`
	Predictions []string        `json:"predictions"`
	References  json.RawMessage `json:"references"`
	Expected    struct {
		Meteor *float64 `json:"meteor"`
	} `json:"expected"`
	Variants struct {
		MeteorWithoutWordNet *float64 `json:"meteor_without_wordnet"`
	} `json:"variants"`
	PerPair []struct {
		Meteor               *float64 `json:"meteor"`
		MeteorWithoutWordNet *float64 `json:"meteor_without_wordnet"`
		Tokens               *struct {
			Meteor *struct {
				Prediction []string   `json:"prediction"`
				References [][]string `json:"references"`
			} `json:"meteor_word_tokenize"`
		} `json:"tokens"`
		Alignment [][][2]int `json:"meteor_alignment"`
	} `json:"per_pair"`

	refs [][]string // references, one list per prediction
	flat bool       // references given as a flat list
}

// loadCases reads RADCAP_METRIC_CASES when set, else testdata/cases.json.
func loadCases(t *testing.T) []metricCase {
	t.Helper()
	path := os.Getenv("RADCAP_METRIC_CASES")
	if path == "" {
		path = filepath.Join("testdata", "cases.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read cases: %v", err)
	}
	var cases []metricCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s holds no cases", path)
	}
	for i := range cases {
		c := &cases[i]
		var flat []string
		if err := json.Unmarshal(c.References, &flat); err == nil {
			c.flat = true
			for _, r := range flat {
				c.refs = append(c.refs, []string{r})
			}
		} else if err := json.Unmarshal(c.References, &c.refs); err != nil {
			t.Fatalf("%s: references: %v", c.ID, err)
		}
		if len(c.refs) != len(c.Predictions) {
			t.Fatalf("%s: %d predictions, %d references", c.ID, len(c.Predictions), len(c.refs))
		}
	}
	return cases
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestCasesCorpus(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			if c.Expected.Meteor == nil {
				t.Fatal("case has no expected meteor")
			}
			got, err := Corpus(c.Predictions, c.refs)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, *c.Expected.Meteor, 1e-6) {
				t.Errorf("meteor = %.12f, want %.12f", got, *c.Expected.Meteor)
			}
			if w := c.Variants.MeteorWithoutWordNet; w != nil {
				got, err := CorpusWith(c.Predictions, c.refs, Options{Alpha: 0.9, Beta: 3, Gamma: 0.5, NoWordNet: true})
				if err != nil {
					t.Fatal(err)
				}
				if !near(got, *w, 1e-6) {
					t.Errorf("meteor without wordnet = %.12f, want %.12f", got, *w)
				}
			}
		})
	}
}

func TestCasesPerPair(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			if len(c.PerPair) != len(c.Predictions) {
				t.Fatalf("%d per_pair entries for %d predictions", len(c.PerPair), len(c.Predictions))
			}
			for i, pp := range c.PerPair {
				pred, refs := c.Predictions[i], c.refs[i]
				if pp.Meteor != nil {
					if got := Score(pred, refs); !near(got, *pp.Meteor, 1e-6) {
						t.Errorf("pair %d: meteor = %.12f, want %.12f", i, got, *pp.Meteor)
					}
				}
				if pp.MeteorWithoutWordNet != nil {
					o := DefaultOptions()
					o.NoWordNet = true
					if got := ScoreWith(pred, refs, o); !near(got, *pp.MeteorWithoutWordNet, 1e-6) {
						t.Errorf("pair %d: meteor without wordnet = %.12f, want %.12f", i, got, *pp.MeteorWithoutWordNet)
					}
				}
				if pp.Tokens != nil && pp.Tokens.Meteor != nil {
					tk := pp.Tokens.Meteor
					if got := Tokenize(pred); !sameTokens(got, tk.Prediction) {
						t.Errorf("pair %d: Tokenize(%q) = %q, want %q", i, pred, got, tk.Prediction)
					}
					for j, r := range refs {
						if j < len(tk.References) {
							if got := Tokenize(r); !sameTokens(got, tk.References[j]) {
								t.Errorf("pair %d ref %d: Tokenize(%q) = %q, want %q", i, j, r, got, tk.References[j])
							}
						}
					}
				}
				for j, want := range pp.Alignment {
					if j >= len(refs) {
						t.Errorf("pair %d: alignment for missing reference %d", i, j)
						continue
					}
					got := Align(Tokenize(pred), Tokenize(refs[j]), false)
					if !sameAlignment(got, want) {
						t.Errorf("pair %d ref %d: alignment = %v, want %v", i, j, got, want)
					}
				}
			}
		})
	}
}

func sameTokens(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func sameAlignment(a, b [][2]int) bool {
	return fmt.Sprint(a) == fmt.Sprint(b) || (len(a) == 0 && len(b) == 0)
}
