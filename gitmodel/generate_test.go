package gitmodel

import (
	"testing"

	"radcap/generate"
	"radcap/generate/generatetest"
	"radcap/internal/hffixtures"
	"radcap/nn"
	"radcap/tensor"
)

// Parity of generation (greedy, greedy with a prompt, beam search) with
// GitForCausalLM.generate on the fixture model: the ids must be equal
// exactly, the per-step greedy logits and the beams' sequence scores
// within the fixtures' float32 tolerance. The generation settings are read
// from generation.json, so another fixture set (RADCAP_HF_FIXTURES) with
// other kwargs is checked without code changes.

// genFixture loads the git fixture model (RADCAP_HF_FIXTURES overrides
// testdata/hf) for inference and its generation fixture.
func genFixture(t *testing.T) (*Model, *generatetest.Fixture) {
	t.Helper()
	dir := hffixtures.Path("git")
	m, err := Load(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	nn.SetRequiresGrad(m.NamedParams(), false) // inference: record nothing
	return m, generatetest.Load(t, dir)
}

// runFixtureGeneration runs one generation.json entry with a
// cache-checking decoder; prompts nil starts every row from bos, as
// GitForCausalLM.generate does without input_ids. The model's own
// Generate must give the same ids.
func runFixtureGeneration(t *testing.T, m *Model, c generatetest.Call, pixels *tensor.Tensor, prompts [][]int64) *generate.Result {
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
	res, err := generate.Generate(&generatetest.CacheChecker{Decoder: d, T: t}, prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	viaModel, err := m.Generate(pixels, prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := generatetest.Rows(viaModel.Sequences), generatetest.Rows(res.Sequences); !generatetest.Equal(got, want) {
		t.Errorf("Model.Generate ids %v, generate.Generate ids %v", got, want)
	}
	return res
}

func TestGenerateGreedyParity(t *testing.T) {
	m, fx := genFixture(t)
	res := runFixtureGeneration(t, m, fx.Calls["generate_greedy"], fx.Inputs["pixel_values"], nil)
	fx.CheckIDs(t, "generate_greedy", res)
	fx.CheckGreedyScores(t, res)
}

func TestGenerateGreedyPromptParity(t *testing.T) {
	m, fx := genFixture(t)
	res := runFixtureGeneration(t, m, fx.Calls["generate_greedy_prompt"], fx.Inputs["pixel_values"],
		generatetest.Rows(fx.Inputs["prompt_input_ids"]))
	fx.CheckIDs(t, "generate_greedy_prompt", res)
}

func TestGenerateBeamParity(t *testing.T) {
	m, fx := genFixture(t)
	res := runFixtureGeneration(t, m, fx.Calls["generate_beam3"], fx.Inputs["pixel_values"], nil)
	fx.CheckIDs(t, "generate_beam3", res)
	fx.CheckBeamScores(t, res)
}
