package blip

import (
	"testing"

	"radcap/generate"
	"radcap/generate/generatetest"
	"radcap/internal/hffixtures"
	"radcap/nn"
	"radcap/tensor"
)

// Parity of generation (greedy, greedy with a prompt, beam search) with
// the reference's generate on the fixture model: the ids must be equal
// exactly, the per-step greedy logits and the beams' sequence scores
// within the fixtures' float32 tolerance. The generation settings are read
// from generation.json, so another fixture set (RADCAP_HF_FIXTURES) with
// other kwargs is checked without code changes.

// genFixture loads the blip fixture model (RADCAP_HF_FIXTURES overrides
// testdata/hf) for inference and its generation fixture.
func genFixture(t *testing.T) (*CaptionModel, *generatetest.Fixture) {
	t.Helper()
	dir := hffixtures.Path("blip")
	m, unexpected, err := LoadCaptionModel(dir, LoadOptions{})
	if err != nil || len(unexpected) != 0 {
		t.Fatalf("load %s: %v (unexpected %v)", dir, err, unexpected)
	}
	nn.SetRequiresGrad(m.NamedParams(), false) // inference: record nothing
	return m, generatetest.Load(t, dir)
}

// runFixtureGeneration runs one generation.json entry through m.Generate's
// path (BLIP's prompt handling) with a cache-checking decoder. The model's
// own Generate must give the same ids.
func runFixtureGeneration(t *testing.T, m *CaptionModel, c generatetest.Call, pixels *tensor.Tensor, prompts [][]int64) *generate.Result {
	t.Helper()
	opts, err := generate.ApplyHF(m.GenerateOptions(), c.Kwargs)
	if err != nil {
		t.Fatal(err)
	}
	opts.OutputScores = true
	d, err := m.Decoder(pixels)
	if err != nil {
		t.Fatal(err)
	}
	// BlipForConditionalGeneration.generate: rows start from bos; a
	// prompt's first token becomes bos and its last (sep) is dropped.
	bos := int64(m.Config.TextConfig.BosTokenID)
	rows := make([][]int64, d.Batch())
	for i := range rows {
		rows[i] = []int64{bos}
		if prompts != nil {
			rows[i] = append([]int64{bos}, prompts[i][1:len(prompts[i])-1]...)
		}
	}
	res, err := generate.Generate(&generatetest.CacheChecker{Decoder: d, T: t}, rows, opts)
	if err != nil {
		t.Fatal(err)
	}
	viaModel, err := m.Generate(pixels, prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := generatetest.Rows(viaModel.Sequences), generatetest.Rows(res.Sequences); !generatetest.Equal(got, want) {
		t.Errorf("CaptionModel.Generate ids %v, generate.Generate ids %v", got, want)
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
