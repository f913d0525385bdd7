package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The fixture layout of cases.json (see the metrics fixture README).
type metricCase struct {
	ID          string            `json:"id"`
	Predictions []string          `json:"predictions"`
	References  json.RawMessage   `json:"references"`
	Expected    expectedMetrics   `json:"expected"`
	Variants    caseVariants      `json:"variants"`
	PerPair     []perPairExpected `json:"per_pair"`
	refs        [][]string
}

type expectedMetrics struct {
	BLEU              *float64      `json:"bleu"`
	Precisions        []float64     `json:"precisions"`
	BrevityPenalty    *float64      `json:"brevity_penalty"`
	LengthRatio       *float64      `json:"length_ratio"`
	TranslationLength *int          `json:"translation_length"`
	ReferenceLength   *int          `json:"reference_length"`
	BLEUError         string        `json:"bleu_error"`
	Rouge1            float64       `json:"rouge1"`
	Rouge2            float64       `json:"rouge2"`
	RougeL            float64       `json:"rougeL"`
	RougeLsum         float64       `json:"rougeLsum"`
	METEOR            float64       `json:"meteor"`
	SacreBLEU         sacreExpected `json:"sacrebleu"`
}

type sacreExpected struct {
	Error      string    `json:"error"`
	Score      float64   `json:"score"`
	Counts     []int     `json:"counts"`
	Totals     []int     `json:"totals"`
	Precisions []float64 `json:"precisions"`
	BP         float64   `json:"bp"`
	SysLen     int       `json:"sys_len"`
	RefLen     int       `json:"ref_len"`
}

type caseVariants struct {
	Bootstrap struct {
		Seed0          map[string]float64    `json:"seed_0"`
		SeedsRun       []int                 `json:"seeds_run"`
		RangeOverSeeds map[string][2]float64 `json:"range_over_seeds"`
	} `json:"rouge_evaluate_bootstrap"`
}

type tokenLists struct {
	Prediction []string   `json:"prediction"`
	References [][]string `json:"references"`
}

type perPairExpected struct {
	Rouge  map[string]PRF `json:"rouge"`
	Tokens *struct {
		BLEU13a tokenLists `json:"bleu_13a"`
		Rouge   tokenLists `json:"rouge"`
	} `json:"tokens"`
}

const tol = 1e-9

// loadCases reads $RADCAP_METRIC_CASES when set, else testdata/cases.json.
func loadCases(t testing.TB) []metricCase {
	t.Helper()
	path := os.Getenv("RADCAP_METRIC_CASES")
	if path == "" {
		path = filepath.Join("testdata", "cases.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read metric cases: %v", err)
	}
	var cases []metricCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s holds no cases", path)
	}
	for i := range cases {
		c := &cases[i]
		refs, err := decodeReferences(c.References)
		if err != nil {
			t.Fatalf("%s: case %s: %v", path, c.ID, err)
		}
		if len(refs) != len(c.Predictions) {
			t.Fatalf("%s: case %s: %d predictions, %d references", path, c.ID, len(c.Predictions), len(refs))
		}
		c.refs = refs
	}
	return cases
}

// decodeReferences accepts the flat form (one string per prediction) and
// the nested form (a list per prediction).
func decodeReferences(raw json.RawMessage) ([][]string, error) {
	var flat []string
	if err := json.Unmarshal(raw, &flat); err == nil {
		out := make([][]string, len(flat))
		for i, r := range flat {
			out[i] = []string{r}
		}
		return out, nil
	}
	var nested [][]string
	if err := json.Unmarshal(raw, &nested); err != nil {
		return nil, fmt.Errorf("references are neither strings nor lists of strings: %w", err)
	}
	return nested, nil
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= tol
}

func checkFloat(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %.17g, want %.17g (diff %.3g)", what, got, want, got-want)
	}
}

func checkTokens(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %q, want %q", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %q, want %q", what, got, want)
			return
		}
	}
}

func TestCasesBLEU(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			got, err := BLEU(c.Predictions, c.refs)
			e := c.Expected
			if e.BLEUError != "" {
				if err == nil {
					t.Fatalf("BLEU returned %+v, want an error (evaluate: %s)", got, e.BLEUError)
				}
				if e.BLEU != nil {
					t.Fatalf("fixture has both bleu and bleu_error")
				}
				return
			}
			if err != nil {
				t.Fatalf("BLEU: %v", err)
			}
			if e.BLEU == nil || e.BrevityPenalty == nil || e.LengthRatio == nil || e.TranslationLength == nil || e.ReferenceLength == nil || len(e.Precisions) != BLEUMaxOrder {
				t.Fatalf("fixture lacks BLEU fields")
			}
			checkFloat(t, "bleu", got.BLEU, *e.BLEU)
			for n := range BLEUMaxOrder {
				checkFloat(t, fmt.Sprintf("precisions[%d]", n), got.Precisions[n], e.Precisions[n])
			}
			checkFloat(t, "brevity_penalty", got.BrevityPenalty, *e.BrevityPenalty)
			checkFloat(t, "length_ratio", got.LengthRatio, *e.LengthRatio)
			if got.TranslationLength != *e.TranslationLength || got.ReferenceLength != *e.ReferenceLength {
				t.Errorf("lengths = %d/%d, want %d/%d", got.TranslationLength, got.ReferenceLength, *e.TranslationLength, *e.ReferenceLength)
			}
		})
	}
}

func TestCasesSacreBLEU(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			got, err := SacreBLEU(c.Predictions, c.refs)
			e := c.Expected.SacreBLEU
			if e.Error != "" {
				if err == nil {
					t.Fatalf("SacreBLEU returned %+v, want an error (sacrebleu: %s)", got, e.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("SacreBLEU: %v", err)
			}
			if len(e.Counts) != BLEUMaxOrder || len(e.Totals) != BLEUMaxOrder || len(e.Precisions) != BLEUMaxOrder {
				t.Fatalf("fixture lacks sacrebleu fields")
			}
			checkFloat(t, "score", got.Score, e.Score)
			checkFloat(t, "bp", got.BP, e.BP)
			for n := range BLEUMaxOrder {
				checkFloat(t, fmt.Sprintf("precisions[%d]", n), got.Precisions[n], e.Precisions[n])
				if got.Counts[n] != e.Counts[n] || got.Totals[n] != e.Totals[n] {
					t.Errorf("order %d: counts/totals = %d/%d, want %d/%d", n+1, got.Counts[n], got.Totals[n], e.Counts[n], e.Totals[n])
				}
			}
			if got.SysLen != e.SysLen || got.RefLen != e.RefLen {
				t.Errorf("sys_len/ref_len = %d/%d, want %d/%d", got.SysLen, got.RefLen, e.SysLen, e.RefLen)
			}
		})
	}
}

func TestCasesROUGE(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			got, err := ROUGE(c.Predictions, c.refs)
			if err != nil {
				t.Fatalf("ROUGE: %v", err)
			}
			e := c.Expected
			checkFloat(t, "rouge1", got.Rouge1, e.Rouge1)
			checkFloat(t, "rouge2", got.Rouge2, e.Rouge2)
			checkFloat(t, "rougeL", got.RougeL, e.RougeL)
			checkFloat(t, "rougeLsum", got.RougeLsum, e.RougeLsum)
			if len(c.PerPair) != len(c.Predictions) {
				t.Fatalf("fixture has %d per_pair entries for %d predictions", len(c.PerPair), len(c.Predictions))
			}
			for i, pp := range c.PerPair {
				for k, typ := range RougeTypes {
					want, ok := pp.Rouge[typ]
					if !ok {
						t.Fatalf("pair %d: fixture lacks %s", i, typ)
					}
					g := got.PerPair[i][k]
					checkFloat(t, fmt.Sprintf("pair %d %s precision", i, typ), g.Precision, want.Precision)
					checkFloat(t, fmt.Sprintf("pair %d %s recall", i, typ), g.Recall, want.Recall)
					checkFloat(t, fmt.Sprintf("pair %d %s fmeasure", i, typ), g.FMeasure, want.FMeasure)
				}
			}
		})
	}
}

func TestCasesTokens(t *testing.T) {
	checked := 0
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			for i, pp := range c.PerPair {
				if pp.Tokens == nil {
					continue
				}
				checked++
				b, r := pp.Tokens.BLEU13a, pp.Tokens.Rouge
				checkTokens(t, fmt.Sprintf("pair %d 13a prediction", i), Tokenize13a(c.Predictions[i]), b.Prediction)
				checkTokens(t, fmt.Sprintf("pair %d rouge prediction", i), TokenizeRouge(c.Predictions[i]), r.Prediction)
				if len(b.References) != len(c.refs[i]) || len(r.References) != len(c.refs[i]) {
					t.Fatalf("pair %d: fixture has %d/%d token lists for %d references", i, len(b.References), len(r.References), len(c.refs[i]))
				}
				for j, ref := range c.refs[i] {
					checkTokens(t, fmt.Sprintf("pair %d 13a reference %d", i, j), Tokenize13a(ref), b.References[j])
					checkTokens(t, fmt.Sprintf("pair %d rouge reference %d", i, j), TokenizeRouge(ref), r.References[j])
				}
			}
		})
	}
	if checked == 0 {
		t.Fatal("no case carries token lists")
	}
}

// TestCasesBootstrapSeed0 checks the bootstrap against `evaluate`'s own
// output with numpy seeded 0, and every seed's output against the range the
// fixture saw over its seeds.
func TestCasesBootstrapSeed0(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			r, err := ROUGE(c.Predictions, c.refs)
			if err != nil {
				t.Fatalf("ROUGE: %v", err)
			}
			v := c.Variants.Bootstrap
			if len(v.Seed0) != 4 {
				t.Fatalf("fixture lacks seed_0")
			}
			for _, seed := range v.SeedsRun {
				b, err := Bootstrap(r.PerPair, BootstrapOptions{Seed: uint32(seed)})
				if err != nil {
					t.Fatalf("Bootstrap: %v", err)
				}
				mids := map[string]float64{Rouge1: b.Rouge1.Mid, Rouge2: b.Rouge2.Mid, RougeL: b.RougeL.Mid, RougeLsum: b.RougeLsum.Mid}
				for typ, got := range mids {
					if seed == 0 {
						checkFloat(t, "seed 0 "+typ, got, v.Seed0[typ])
					}
					rg := v.RangeOverSeeds[typ]
					if got < rg[0]-tol || got > rg[1]+tol {
						t.Errorf("seed %d %s = %.17g outside the fixture's range [%.17g, %.17g]", seed, typ, got, rg[0], rg[1])
					}
				}
			}
		})
	}
}
