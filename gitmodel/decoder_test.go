package gitmodel

import (
	"math"
	"slices"
	"testing"

	"radcap/generate"
	"radcap/tensor"
)

func rowsOf(t *tensor.Tensor) [][]int64 {
	n, w := t.Dim(0), t.Dim(1)
	all := t.Contiguous().I64()
	out := make([][]int64, n)
	for i := range n {
		out[i] = slices.Clone(all[i*w : (i+1)*w])
	}
	return out
}

func TestGenerateParity(t *testing.T) {
	m := loadFixtureModel(t)
	f := openFixture(t)
	px := f.input(t, "pixel_values")
	opts := m.GenerationOptions()
	opts.MaxNewTokens = 10

	// Greedy, with the per-step logits.
	g := opts
	g.OutputScores = true
	res, err := m.Generate(px, nil, g)
	if err != nil {
		t.Fatal(err)
	}
	want := f.want(t, "generate_greedy")
	if !slices.Equal(res.Sequences.Shape(), want.Shape()) || !slices.Equal(res.Sequences.I64(), want.Contiguous().I64()) {
		t.Errorf("greedy ids\n got %v\nwant %v", rowsOf(res.Sequences), rowsOf(want))
	}
	scores := f.want(t, "generate_greedy_scores") // [steps, batch, vocab]
	if len(res.Scores) != scores.Dim(0) {
		t.Fatalf("%d greedy steps, want %d", len(res.Scores), scores.Dim(0))
	}
	worst := 0.0
	for s, got := range res.Scores {
		ref := scores.Select(0, s)
		// Rows that already stopped have no defined logits to compare
		// only if the reference does not either; compare every row.
		worst = max(worst, maxAbs(t, "scores", got, ref))
	}
	t.Logf("greedy step logits max abs error %.3g", worst)
	if worst > 5e-5 {
		t.Errorf("greedy step logits max abs error %g > 5e-5", worst)
	}

	// Beam search, 3 beams.
	b := opts
	b.NumBeams = 3
	res, err = m.Generate(px, nil, b)
	if err != nil {
		t.Fatal(err)
	}
	want = f.want(t, "generate_beam3")
	if !slices.Equal(res.Sequences.Shape(), want.Shape()) || !slices.Equal(res.Sequences.I64(), want.Contiguous().I64()) {
		t.Errorf("beam ids\n got %v\nwant %v", rowsOf(res.Sequences), rowsOf(want))
	}
	d := maxAbs(t, "sequences_scores", res.SequencesScores, f.want(t, "generate_beam3_sequences_scores"))
	t.Logf("beam sequences_scores max abs error %.3g", d)
	if d > 1e-5 {
		t.Errorf("beam sequences_scores error %g > 1e-5", d)
	}

	// Greedy continuing a prompt.
	res, err = m.Generate(px, rowsOf(f.input(t, "prompt_input_ids")), opts)
	if err != nil {
		t.Fatal(err)
	}
	want = f.want(t, "generate_greedy_prompt")
	if !slices.Equal(res.Sequences.Shape(), want.Shape()) || !slices.Equal(res.Sequences.I64(), want.Contiguous().I64()) {
		t.Errorf("prompted greedy ids\n got %v\nwant %v", rowsOf(res.Sequences), rowsOf(want))
	}
}

// Decoding with the cache gives the logits of the full forward pass at
// every text position, and leaves the parameters' gradient flags alone.
func TestDecoderMatchesForward(t *testing.T) {
	m := loadFixtureModel(t)
	f := openFixture(t)
	in := fixtureInputs(t, f)
	in.AttentionMask, in.Labels = nil, nil
	out, err := m.Forward(in)
	if err != nil {
		t.Fatal(err)
	}
	full := m.Logits(out).Value // [B, I+L, V]
	dec, err := m.Decoder(in.Pixels)
	if err != nil {
		t.Fatal(err)
	}
	st, err := dec.Start()
	if err != nil {
		t.Fatal(err)
	}
	img, l := m.Config.NumImageTokens(), in.InputIDs.Dim(1)
	// First two tokens at once, then one at a time.
	logits, err := dec.Step(st, generate.StepInput{IDs: in.InputIDs.Narrow(1, 0, 2).Contiguous()})
	if err != nil {
		t.Fatal(err)
	}
	worst := maxAbs(t, "step", logits, full.Narrow(1, img+1, 1).Squeeze(1))
	for p := 2; p < l; p++ {
		if logits, err = dec.Step(st, generate.StepInput{IDs: in.InputIDs.Narrow(1, p, 1).Contiguous(), Past: p}); err != nil {
			t.Fatal(err)
		}
		worst = max(worst, maxAbs(t, "step", logits, full.Narrow(1, img+p, 1).Squeeze(1)))
	}
	t.Logf("cached decoding vs full forward: max abs error %.3g", worst)
	if worst > 5e-5 {
		t.Errorf("cached decoding differs from the forward pass by %g", worst)
	}
	for _, p := range m.NamedParams() {
		if !p.Var.RequiresGrad {
			t.Fatalf("%s lost RequiresGrad after decoding", p.Name)
		}
	}
	// Misuse is an error, not a panic.
	if _, err := dec.Step(st, generate.StepInput{IDs: in.InputIDs.Narrow(1, 0, 1).Contiguous(), Past: 0}); err == nil {
		t.Error("a step with the wrong Past was accepted")
	}
	if _, err := dec.Reorder(st, []int{5}); err == nil {
		t.Error("reorder to a missing row was accepted")
	}
	if _, err := m.Decoder(tensor.Zeros(tensor.F32, 1, 3, 8, 8)); err == nil {
		t.Error("a decoder for wrongly sized images was made")
	}
	if math.IsNaN(worst) {
		t.Error("NaN logits")
	}
}
