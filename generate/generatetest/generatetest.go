// Package generatetest holds what the models' generation parity tests
// share: reading a Hugging Face generation fixture (generation.json,
// inputs.safetensors, expected.safetensors), a Decoder wrapper that fails
// the test when the key/value cache is not used, and the comparisons of
// ids, per-step logits and beam scores. It is imported by _test files only.
package generatetest

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"radcap/generate"
	"radcap/safetensors"
	"radcap/tensor"
)

// Tolerance is the float32 tolerance of per-step logits and beam scores
// (the fixtures' README: about 2e-5 absolute).
const Tolerance = 2e-5

// Call is one entry of generation.json: generate()'s keyword arguments and
// the names of the tensors holding its scores.
type Call struct {
	Kwargs         map[string]any `json:"kwargs"`
	ScoresTensor   string         `json:"scores_tensor"`
	SequenceScores string         `json:"sequences_scores_tensor"`
}

// Fixture is a model folder's generation fixture.
type Fixture struct {
	Calls    map[string]Call           // generate_greedy, generate_greedy_prompt, generate_beam3
	Inputs   map[string]*tensor.Tensor // pixel_values, prompt_input_ids
	Expected map[string]*tensor.Tensor // generated ids and scores
}

// Load reads the generation fixture of the model folder dir.
func Load(t testing.TB, dir string) *Fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "generation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatalf("%s: %v", filepath.Join(dir, "generation.json"), err)
	}
	fx := &Fixture{Calls: map[string]Call{}}
	for _, name := range []string{"generate_greedy", "generate_greedy_prompt", "generate_beam3"} {
		var c Call
		if err := json.Unmarshal(all[name], &c); err != nil {
			t.Fatalf("generation.json %s: %v", name, err)
		}
		fx.Calls[name] = c
	}
	fx.Inputs = readTensors(t, filepath.Join(dir, "inputs.safetensors"), "pixel_values", "prompt_input_ids")
	fx.Expected = readTensors(t, filepath.Join(dir, "expected.safetensors"), "generate_greedy",
		"generate_greedy_prompt", "generate_greedy_scores", "generate_beam3", "generate_beam3_sequences_scores")
	return fx
}

// readTensors reads the named tensors of a safetensors file; absent ones
// are left out (the tests that need them fail with a clear message).
func readTensors(t testing.TB, path string, names ...string) map[string]*tensor.Tensor {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*tensor.Tensor{}
	for _, name := range names {
		if x, err := f.Tensor(name); err == nil {
			out[name] = x.Clone()
		}
	}
	return out
}

// Rows returns an I64 [rows, width] tensor's rows.
func Rows(x *tensor.Tensor) [][]int64 {
	out := make([][]int64, x.Dim(0))
	for i := range out {
		out[i] = x.Select(0, i).Contiguous().I64()
	}
	return out
}

// CacheChecker wraps a Decoder and fails the test if a step after the
// first feeds more than one token per row (the cache not used).
type CacheChecker struct {
	generate.Decoder
	T     testing.TB
	steps int
}

// Step checks the step's input, then calls the wrapped Decoder.
func (c *CacheChecker) Step(st generate.State, in generate.StepInput) (*tensor.Tensor, error) {
	if c.steps > 0 && (in.Past == 0 || in.IDs.Dim(1) != 1) {
		c.T.Errorf("step %d: %d new tokens with Past %d: the cache is not used", c.steps, in.IDs.Dim(1), in.Past)
	}
	c.steps++
	return c.Decoder.Step(st, in)
}

// Equal reports whether two id matrices are equal.
func Equal(a, b [][]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

// MaxAbsDiff is max |got - want| over two equally shaped float tensors
// (+Inf when a difference is NaN).
func MaxAbsDiff(t testing.TB, what string, got, want *tensor.Tensor) float64 {
	t.Helper()
	gs, ws := got.Shape(), want.Shape()
	same := len(gs) == len(ws)
	for i := 0; same && i < len(gs); i++ {
		same = gs[i] == ws[i]
	}
	if !same {
		t.Fatalf("%s: shape %v, want %v", what, gs, ws)
	}
	g, w := got.Float64s(), want.Float64s()
	m := 0.0
	for i := range g {
		d := math.Abs(g[i] - w[i])
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		m = math.Max(m, d)
	}
	return m
}

// CheckIDs fails the test unless res's sequences equal the fixture
// tensor name exactly.
func (fx *Fixture) CheckIDs(t testing.TB, name string, res *generate.Result) {
	t.Helper()
	want := fx.Expected[name]
	if want == nil {
		t.Fatalf("%s: no expected tensor", name)
	}
	if got, w := Rows(res.Sequences), Rows(want); !Equal(got, w) {
		t.Fatalf("%s: ids %v, want %v", name, got, w)
	}
}

// CheckGreedyScores compares a greedy run's per-step logits with the
// fixture's, within Tolerance.
func (fx *Fixture) CheckGreedyScores(t testing.TB, res *generate.Result) {
	t.Helper()
	want := fx.Expected[fx.Calls["generate_greedy"].ScoresTensor]
	if want == nil || len(res.Scores) != want.Dim(0) {
		t.Fatalf("greedy: %d score steps, reference %v", len(res.Scores), want)
	}
	worst := 0.0
	for s, got := range res.Scores {
		worst = math.Max(worst, MaxAbsDiff(t, "greedy scores", got, want.Select(0, s)))
	}
	t.Logf("greedy per-step logits: max abs err %.3g over %d steps", worst, len(res.Scores))
	if worst > Tolerance {
		t.Errorf("greedy per-step logits: max abs error %.3g > %g", worst, Tolerance)
	}
}

// CheckBeamScores compares a beam run's sequence scores with the
// fixture's, within Tolerance.
func (fx *Fixture) CheckBeamScores(t testing.TB, res *generate.Result) {
	t.Helper()
	name := fx.Calls["generate_beam3"].SequenceScores
	want := fx.Expected[name]
	if want == nil {
		t.Fatalf("no %q tensor", name)
	}
	d := MaxAbsDiff(t, "beam sequences_scores", res.SequencesScores, want)
	t.Logf("beam sequences_scores: max abs err %.3g", d)
	if d > Tolerance {
		t.Errorf("beam sequences_scores: max abs error %.3g > %g", d, Tolerance)
	}
}
