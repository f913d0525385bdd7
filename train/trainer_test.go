package train

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/blip"
	"radcap/data"
	"radcap/data/synth"
	"radcap/tensor"
)

// TestRunSmokeSynthetic runs the whole job on a tiny model and the
// synthetic set: base evaluation, 2 epochs with validation, checkpoints,
// best model, final test, results.json, log.jsonl, report.html.
func TestRunSmokeSynthetic(t *testing.T) {
	splits := synthSplits(t, 20, 8, 8)
	m := tinyGIT(t, 1, splits.Train, splits.Validation, splits.Test)
	out := t.TempDir()
	cfg := tinyConfig(out)
	before := paramsCopy(m)
	res, err := Run(context.Background(), cfg, m, splits, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 20 examples / batch 4 = 5 batches, accumulation 2 -> 3 steps per epoch.
	if res.Steps != 6 {
		t.Errorf("steps = %d, want 6", res.Steps)
	}
	if changed := paramsChanged(before, m); changed == 0 {
		t.Error("no parameter changed")
	}
	if len(res.Table.Rows) != 2 || res.Table.Rows[0].Model != "tiny-git" || res.Table.Rows[1].Model != "tiny-git fine-tuned" {
		t.Errorf("table rows %+v", res.Table.Rows)
	}
	if got := res.Table.Columns; len(got) != 7 || got[6] != "Finding F1" || got[0] != "ROUGE-1" {
		t.Errorf("table columns %v", got)
	}
	if len(res.Tuned.Predictions) != 8 || len(res.Base.Predictions) != 8 {
		t.Errorf("%d / %d test predictions, want 8", len(res.Tuned.Predictions), len(res.Base.Predictions))
	}
	if math.IsNaN(res.Tuned.Loss) || res.Tuned.Scores.METEOR == nil {
		t.Errorf("final test lacks loss or METEOR: %+v", res.Tuned)
	}
	// The files of the output folder.
	for _, f := range []string{"results.json", "log.jsonl", "report.html", "predictions_test.jsonl",
		"best/config.json", "best/model.safetensors", "best/vocab.txt", "best/preprocessor_config.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	dirs, steps, err := checkpoints(out)
	if err != nil || len(dirs) != 2 || steps[0] != 3 || steps[1] != 6 {
		t.Errorf("checkpoints %v %v (%v), want steps 3 and 6", dirs, steps, err)
	}
	for _, f := range []string{"config.json", "model.safetensors", OptimizerFile, TrainerStateFile} {
		if _, err := os.Stat(filepath.Join(dirs[len(dirs)-1], f)); err != nil {
			t.Error(err)
		}
	}
	r, err := ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Settings.LR != cfg.LR || r.Results["test"]["tiny-git fine-tuned"] == nil || r.Results["test"]["tiny-git"] == nil {
		t.Errorf("results.json: %+v", r)
	}
	// The synthetic set's captions get their variety counted, from the
	// predictions themselves.
	if v := r.Results["test"]["tiny-git fine-tuned"].Variety; v == nil || v.Captions != 8 {
		t.Errorf("results.json: caption variety %+v, want 8 captions counted", v)
	} else if want := synth.Variety(res.Tuned.Predictions); v.Patterns != want.Patterns || v.OtherPatterns != want.OtherPatterns {
		t.Errorf("results.json: caption variety %+v, want %+v", v, want)
	}
	// log.jsonl: one line per step (LogEvery 1), one validation per epoch,
	// two test evaluations.
	b, err := os.ReadFile(filepath.Join(out, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e LogEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		kinds[e.Kind]++
	}
	if kinds["train"] != 6 || kinds["eval"] != 2 || kinds["test"] != 2 {
		t.Errorf("log kinds %v, want 6 train, 2 eval, 2 test", kinds)
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	for _, want := range []string{"<svg", "data:image/png;base64,", "tiny-git fine-tuned", "Finding F1", "training loss", "Caption variety"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if n := strings.Count(string(html), "data:image/png;base64,"); n != 3 {
		t.Errorf("report.html has %d images, want 3", n)
	}
	// The best model loads back and equals the weights the final test used.
	back, err := LoadModel(filepath.Join(out, "best"))
	if err != nil {
		t.Fatal(err)
	}
	if d := paramsChanged(paramsCopy(m), back); d != 0 {
		t.Errorf("best model loads back with %d differing tensors", d)
	}
	// A second run into the same folder without --resume is refused.
	if _, err := Run(context.Background(), cfg, m, splits, RunOptions{}); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("rerun into a used folder: %v", err)
	}
}

// paramsCopy snapshots a model's parameter values.
func paramsCopy(m Model) map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range m.NamedParams() {
		out[p.Name] = append([]float32(nil), p.Var.Value.Contiguous().F32()...)
	}
	return out
}

// paramsChanged counts the tensors of m that differ bit for bit from snap
// (a missing or extra tensor counts too).
func paramsChanged(snap map[string][]float32, m Model) int {
	n := 0
	params := m.NamedParams()
	if len(params) != len(snap) {
		n += int(math.Abs(float64(len(params) - len(snap))))
	}
	for _, p := range params {
		old, ok := snap[p.Name]
		cur := p.Var.Value.Contiguous().F32()
		if !ok || len(old) != len(cur) {
			n++
			continue
		}
		for i := range cur {
			if math.Float32bits(cur[i]) != math.Float32bits(old[i]) {
				n++
				break
			}
		}
	}
	return n
}

// TestResumeIsBitIdentical runs 8 steps straight, and a run that is
// abandoned (as by SIGKILL) after step 7 with checkpoints every 2 steps,
// then resumed from step 6: both end with the same parameters, bit for
// bit. Dropout and the auxiliary finding head are on, so their state
// matters.
func TestResumeIsBitIdentical(t *testing.T) {
	splits := synthSplits(t, 24, 4, 4)
	cfg := func(out string) Config {
		c := tinyConfig(out)
		c.Epochs, c.BatchSize, c.Accumulation = 2, 3, 2 // 8 batches, 4 steps per epoch
		c.SaveSteps, c.SaveTotalLimit = 2, 3
		c.Generate.MaxNewTokens = 4
		c.AuxFindings = 0.5 // its head is part of the state too
		// Two heads, and an auxiliary-only stage that the checkpoint at
		// step 6 is in: parameters outside the heads' reach have no
		// optimizer state there yet.
		c.AuxPool, c.AuxOnlySteps = "flat+first", 7
		c.Samples = 0
		return c
	}
	// Dropout on, so that the dropout generator's state matters.
	withDropout := func(g *GIT) *GIT {
		g.M.Config.HiddenDropoutProb = 0.1
		return rebuildGIT(t, g)
	}
	straight := withDropout(tinyGIT(t, 3, splits.Train, splits.Validation, splits.Test))
	outA := t.TempDir()
	if _, err := Run(context.Background(), cfg(outA), straight, splits, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// The straight run's last-step weights are in its newest checkpoint
	// (the model itself ends holding the best weights).
	dirs, _, _ := checkpoints(outA)
	want, err := LoadModel(dirs[len(dirs)-1])
	if err != nil {
		t.Fatal(err)
	}

	outB := t.TempDir()
	killed := errors.New("killed")
	m1 := withDropout(tinyGIT(t, 3, splits.Train, splits.Validation, splits.Test))
	_, err = Run(context.Background(), cfg(outB), m1, splits, RunOptions{afterStep: func(step int64) error {
		if step == 7 {
			return killed
		}
		return nil
	}})
	if !errors.Is(err, killed) {
		t.Fatalf("first part: %v", err)
	}
	_, steps, _ := checkpoints(outB)
	if steps[len(steps)-1] != 6 {
		t.Fatalf("newest checkpoint after the kill is at step %d, want 6", steps[len(steps)-1])
	}
	// A fresh process: a new model with other random weights.
	m2 := withDropout(tinyGIT(t, 99, splits.Train, splits.Validation, splits.Test))
	if _, err := Run(context.Background(), cfg(outB), m2, splits, RunOptions{Resume: true}); err != nil {
		t.Fatal(err)
	}
	dirs, _, _ = checkpoints(outB)
	got, err := LoadModel(dirs[len(dirs)-1])
	if err != nil {
		t.Fatal(err)
	}
	if d := paramsChanged(paramsCopy(want), got); d != 0 {
		t.Errorf("resumed run ends with %d tensors differing from the uninterrupted run", d)
	}
	// Same optimizer moments too.
	a, _ := os.ReadFile(filepath.Join(dirs[len(dirs)-1], OptimizerFile))
	wantDirs, _, _ := checkpoints(outA)
	b, _ := os.ReadFile(filepath.Join(wantDirs[len(wantDirs)-1], OptimizerFile))
	if string(a) != string(b) {
		t.Error("optimizer state files differ")
	}
	a, _ = os.ReadFile(filepath.Join(dirs[len(dirs)-1], auxFile))
	b, _ = os.ReadFile(filepath.Join(wantDirs[len(wantDirs)-1], auxFile))
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("auxiliary head files differ or are missing (%d bytes)", len(a))
	}
}

// rebuildGIT makes a new GIT from g's (changed) config with the same
// weights.
func rebuildGIT(t *testing.T, g *GIT) *GIT {
	t.Helper()
	dir := t.TempDir()
	if err := g.Save(dir); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m.(*GIT)
}

// TestInterruptSavesAndResumes cancels the context mid-run (Ctrl-C): the
// run saves a checkpoint, returns ErrInterrupted, and --resume finishes.
func TestInterruptSavesAndResumes(t *testing.T) {
	splits := synthSplits(t, 16, 4, 4)
	m := tinyGIT(t, 5, splits.Train, splits.Validation, splits.Test)
	out := t.TempDir()
	cfg := tinyConfig(out)
	cfg.Generate.MaxNewTokens = 4
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, cfg, m, splits, RunOptions{afterStep: func(step int64) error {
		if step == 1 {
			cancel()
		}
		return nil
	}})
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("interrupted run: %v", err)
	}
	_, steps, _ := checkpoints(out)
	if len(steps) != 1 || steps[0] != 1 {
		t.Fatalf("checkpoints after Ctrl-C at step 1: %v", steps)
	}
	res, err := Run(context.Background(), cfg, m, splits, RunOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 4 {
		t.Errorf("resumed run ended at step %d, want 4", res.Steps)
	}
	// Resuming a folder without checkpoints is an error.
	if _, err := Run(context.Background(), tinyConfig(t.TempDir()), m, splits, RunOptions{Resume: true}); err == nil {
		t.Error("resume without a checkpoint succeeded")
	}
}

// TestRunSmokeRealImages runs a few steps on real chest radiographs of
// ROCO (testdata/roco-cxr, CC BY): the ROCO loader, JPEG decoding and
// preprocessing, evaluation, checkpoints and loading the best model back.
func TestRunSmokeRealImages(t *testing.T) {
	splits, err := OpenData(filepath.Join("testdata", "roco-cxr"), SynthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if splits.Train.Len() != 6 || splits.Validation.Len() != 3 || splits.Test.Len() != 3 {
		t.Fatalf("splits of %d/%d/%d images, want 6/3/3", splits.Train.Len(), splits.Validation.Len(), splits.Test.Len())
	}
	m := tinyGIT(t, 11, splits.Train, splits.Validation, splits.Test)
	out := t.TempDir()
	cfg := tinyConfig(out)
	cfg.Data = "roco-cxr"
	cfg.Epochs, cfg.BatchSize, cfg.Accumulation, cfg.EvalBatchSize = 1, 2, 1, 2
	res, err := Run(context.Background(), cfg, m, splits, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 3 || len(res.Tuned.Predictions) != 3 || math.IsNaN(res.Tuned.Loss) {
		t.Errorf("steps %d, %d predictions, loss %v", res.Steps, len(res.Tuned.Predictions), res.Tuned.Loss)
	}
	if want := "ROCO_78315"; res.Tuned.IDs[0] != want {
		t.Errorf("first test id %s, want %s", res.Tuned.IDs[0], want)
	}
	back, err := LoadModel(filepath.Join(out, "best"))
	if err != nil {
		t.Fatal(err)
	}
	if d := paramsChanged(paramsCopy(m), back); d != 0 {
		t.Errorf("best model loads back with %d differing tensors", d)
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if n := strings.Count(string(html), "data:image/png;base64,"); n != 3 {
		t.Errorf("report.html has %d images, want 3", n)
	}
}

// TestRunSmokeBLIP runs a few steps of a tiny random BLIP captioner
// through the same loop, and loads its best model back.
func TestRunSmokeBLIP(t *testing.T) {
	splits := synthSplits(t, 8, 4, 4)
	g := tinyGIT(t, 1, splits.Train, splits.Validation, splits.Test)
	tok := g.Tok
	c := blip.DefaultConfig()
	tc := &c.TextConfig
	tc.VocabSize = tok.VocabSize() + 2
	tc.HiddenSize, tc.NumHiddenLayers, tc.NumAttentionHeads, tc.IntermediateSize = 32, 1, 2, 64
	tc.MaxPositionEmbeddings = 96
	tc.BosTokenID, tc.PadTokenID, tc.SepTokenID = tok.VocabSize(), tok.PadID(), tok.SEPID()
	vc := &c.VisionConfig
	vc.HiddenSize, vc.NumHiddenLayers, vc.NumAttentionHeads, vc.IntermediateSize = 32, 1, 2, 64
	vc.ImageSize, vc.PatchSize = 32, 16
	tc.EncoderHiddenSize = vc.HiddenSize
	m, err := blip.NewCaptionModel(c, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.AddBLIPTokens(tc.BosTokenID); err != nil {
		t.Fatal(err)
	}
	b, err := NewBLIP(m, tok, blipProcessor(32))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cfg := tinyConfig(out)
	cfg.Model, cfg.Epochs, cfg.Generate.MaxNewTokens = "tiny-blip", 1, 5
	res, err := Run(context.Background(), cfg, b, splits, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 1 || len(res.Tuned.Predictions) != 4 || math.IsNaN(res.Tuned.Loss) {
		t.Errorf("steps %d, %d predictions, loss %v", res.Steps, len(res.Tuned.Predictions), res.Tuned.Loss)
	}
	back, err := LoadModel(filepath.Join(out, "best"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Arch() != "blip" {
		t.Errorf("loaded back as %s", back.Arch())
	}
	if d := paramsChanged(paramsCopy(b), back); d != 0 {
		t.Errorf("best model loads back with %d differing tensors", d)
	}
}

// TestAuxFindingHead: the auxiliary loss is the mean binary cross entropy
// of sigmoid(logits) of the batch-standardised pooled tokens against the
// targets, times the weight, and it needs targets.
func TestAuxFindingHead(t *testing.T) {
	h, err := newFindingHead(2, 3, 4, 2, 0.5, PoolMean, 1)
	if err != nil {
		t.Fatal(err)
	}
	img := autograd.Const(tensor.FromF32([]float32{1, 2, 3, 3, 2, 1, 0, 1, 0, 1, 0, 1}, 2, 2, 3))
	targets := tensor.FromF32([]float32{1, 0, 0, 1}, 2, 2)
	loss, err := h.Loss(ImageFeatures{Tokens: img}, targets)
	if err != nil {
		t.Fatal(err)
	}
	w, bias := h.Linears[0].Weight.Value.Float64s(), h.Linears[0].Bias.Value.Float64s()
	// Image means (2,2,2) and (0.5,0.5,0.5), standardised over the batch of
	// two: +1 and -1 in every feature (up to the 1e-5 in the variance).
	s := 0.75 / math.Sqrt(0.75*0.75+1e-5)
	pooled := [][]float64{{s, s, s}, {-s, -s, -s}}
	want := 0.0
	for i, p := range pooled {
		for k := range 2 {
			x := bias[k]
			for j := range 3 {
				x += w[k*3+j] * p[j]
			}
			y := float64(targets.Float64s()[i*2+k])
			sig := 1 / (1 + math.Exp(-x))
			want -= y*math.Log(sig) + (1-y)*math.Log(1-sig)
		}
	}
	want = 0.5 * want / 4
	if got := loss.Item(); math.Abs(got-want) > 1e-6 {
		t.Errorf("aux loss %v, want %v", got, want)
	}
	if _, err := h.Loss(ImageFeatures{Tokens: img}, nil); err == nil {
		t.Error("no targets accepted")
	}
	// On data without targets the run refuses the objective up front.
	ds := data.Slice{{ID: "a", Caption: "x", Captions: []string{"x"}, Image: nil}}
	cfg := tinyConfig(t.TempDir())
	cfg.AuxFindings = 1
	splits := synthSplits(t, 2, 1, 1)
	m := tinyGIT(t, 1, splits.Train)
	if _, err := Run(context.Background(), cfg, m, Splits{Train: ds, Validation: ds, Test: ds}, RunOptions{}); err == nil ||
		!strings.Contains(err.Error(), "known findings") {
		t.Errorf("aux objective on data without findings: %v", err)
	}
}
