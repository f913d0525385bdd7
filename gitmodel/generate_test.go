package gitmodel

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"radcap/generate"
	"radcap/nn"
	"radcap/safetensors"
	"radcap/tensor"
)

// Parity of generation (greedy, greedy with a prompt, beam search) with
// GitForCausalLM.generate on the fixture model: the ids must be equal
// exactly, the per-step greedy logits and the beams' sequence scores
// within the fixtures' float32 tolerance. The generation settings are read
// from generation.json, so another fixture set (RADCAP_HF_FIXTURES) with
// other kwargs is checked without code changes.

// genFixtureDir is the git fixture folder (RADCAP_HF_FIXTURES overrides
// testdata/hf).
func genFixtureDir() string {
	if d := os.Getenv("RADCAP_HF_FIXTURES"); d != "" {
		return filepath.Join(d, "git")
	}
	return filepath.Join("testdata", "hf", "git")
}

// genCall is one entry of generation.json.
type genCall struct {
	Kwargs         map[string]any `json:"kwargs"`
	ScoresTensor   string         `json:"scores_tensor"`
	SequenceScores string         `json:"sequences_scores_tensor"`
}

func genFixture(t *testing.T) (m *Model, calls map[string]genCall, in, ex map[string]*tensor.Tensor) {
	t.Helper()
	dir := genFixtureDir()
	m, err := Load(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	nn.SetRequiresGrad(m.NamedParams(), false) // inference: record nothing
	data, err := os.ReadFile(filepath.Join(dir, "generation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatalf("generation.json: %v", err)
	}
	calls = map[string]genCall{}
	for _, name := range []string{"generate_greedy", "generate_greedy_prompt", "generate_beam3"} {
		var c genCall
		if err := json.Unmarshal(all[name], &c); err != nil {
			t.Fatalf("generation.json %s: %v", name, err)
		}
		calls[name] = c
	}
	return m, calls, genTensors(t, filepath.Join(dir, "inputs.safetensors")), genTensors(t, filepath.Join(dir, "expected.safetensors"))
}

// genTensors reads the named tensors of a safetensors file.
func genTensors(t *testing.T, path string) map[string]*tensor.Tensor {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*tensor.Tensor{}
	for _, name := range []string{"pixel_values", "prompt_input_ids", "generate_greedy", "generate_greedy_prompt",
		"generate_greedy_scores", "generate_beam3", "generate_beam3_sequences_scores"} {
		if x, err := f.Tensor(name); err == nil {
			out[name] = x.Clone()
		}
	}
	return out
}

// genRows returns an I64 [rows, width] tensor's rows.
func genRows(x *tensor.Tensor) [][]int64 {
	out := make([][]int64, x.Dim(0))
	for i := range out {
		out[i] = x.Select(0, i).Contiguous().I64()
	}
	return out
}

// cacheChecker wraps a Decoder and fails the test if a step after the
// first feeds more than one token per row (the cache not used).
type cacheChecker struct {
	generate.Decoder
	t     *testing.T
	steps int
}

func (c *cacheChecker) Step(st generate.State, in generate.StepInput) (*tensor.Tensor, error) {
	if c.steps > 0 && (in.Past == 0 || in.IDs.Dim(1) != 1) {
		c.t.Errorf("step %d: %d new tokens with Past %d: the cache is not used", c.steps, in.IDs.Dim(1), in.Past)
	}
	c.steps++
	return c.Decoder.Step(st, in)
}

// runFixtureGeneration runs one generation.json entry with a
// cache-checking decoder; prompts nil starts every row from bos, as
// GitForCausalLM.generate does without input_ids.
func runFixtureGeneration(t *testing.T, m *Model, c genCall, pixels *tensor.Tensor, prompts [][]int64) *generate.Result {
	t.Helper()
	opts, err := generate.ApplyHF(m.GenerationOptions(), c.Kwargs)
	if err != nil {
		t.Fatal(err)
	}
	opts.OutputScores = true
	d, err := m.Decoder(pixels)
	if err != nil {
		t.Fatal(err)
	}
	cc := &cacheChecker{Decoder: d, t: t}
	res, err := generate.Generate(cc, prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	// the model's own Generate must give the same ids
	viaModel, err := m.Generate(pixels, prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := genRows(viaModel.Sequences), genRows(res.Sequences); !genEqual(got, want) {
		t.Errorf("Model.Generate ids %v, generate.Generate ids %v", got, want)
	}
	return res
}

func genEqual(a, b [][]int64) bool {
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

// genMaxDiff is max |got - want| over two equally shaped float tensors.
func genMaxDiff(t *testing.T, what string, got, want *tensor.Tensor) float64 {
	t.Helper()
	gs, ws := got.Shape(), want.Shape()
	if len(gs) != len(ws) {
		t.Fatalf("%s: shape %v, want %v", what, gs, ws)
	}
	for i := range gs {
		if gs[i] != ws[i] {
			t.Fatalf("%s: shape %v, want %v", what, gs, ws)
		}
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

func checkGeneratedIDs(t *testing.T, name string, res *generate.Result, want *tensor.Tensor) {
	t.Helper()
	if want == nil {
		t.Fatalf("%s: no expected tensor", name)
	}
	if got, w := genRows(res.Sequences), genRows(want); !genEqual(got, w) {
		t.Fatalf("%s: ids %v, want %v", name, got, w)
	}
}

func TestGenerateGreedyParity(t *testing.T) {
	m, calls, in, ex := genFixture(t)
	c := calls["generate_greedy"]
	res := runFixtureGeneration(t, m, c, in["pixel_values"], nil)
	checkGeneratedIDs(t, "generate_greedy", res, ex["generate_greedy"])
	want := ex[c.ScoresTensor]
	if want == nil || len(res.Scores) != want.Dim(0) {
		t.Fatalf("greedy: %d score steps, reference %v", len(res.Scores), want)
	}
	worst := 0.0
	for s, got := range res.Scores {
		worst = math.Max(worst, genMaxDiff(t, "greedy scores", got, want.Select(0, s)))
	}
	t.Logf("greedy per-step logits: max abs err %.3g over %d steps", worst, len(res.Scores))
	if worst > 2e-5 {
		t.Errorf("greedy per-step logits: max abs error %.3g > 2e-5", worst)
	}
}

func TestGenerateGreedyPromptParity(t *testing.T) {
	m, calls, in, ex := genFixture(t)
	res := runFixtureGeneration(t, m, calls["generate_greedy_prompt"], in["pixel_values"], genRows(in["prompt_input_ids"]))
	checkGeneratedIDs(t, "generate_greedy_prompt", res, ex["generate_greedy_prompt"])
}

func TestGenerateBeamParity(t *testing.T) {
	m, calls, in, ex := genFixture(t)
	c := calls["generate_beam3"]
	res := runFixtureGeneration(t, m, c, in["pixel_values"], nil)
	checkGeneratedIDs(t, "generate_beam3", res, ex["generate_beam3"])
	want := ex[c.SequenceScores]
	if want == nil {
		t.Fatalf("no %q tensor", c.SequenceScores)
	}
	d := genMaxDiff(t, "beam sequences_scores", res.SequencesScores, want)
	t.Logf("beam sequences_scores: got %v, reference %v, max abs err %.3g", res.SequencesScores.F32(), want.F32(), d)
	if d > 2e-5 {
		t.Errorf("beam sequences_scores: max abs error %.3g > 2e-5", d)
	}
}
