package train

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/data"
	"radcap/tensor"
)

// TestFindingHeadPriors: SetPriors puts log(p/(1-p)) of each class's
// frequency in every layer's bias, clamping classes never or always seen
// to 1/(2n) and 1-1/(2n); the run does it from the training split.
func TestFindingHeadPriors(t *testing.T) {
	h, err := newFindingHead(4, 3, 5, 3, 1, "flat+first", 1)
	if err != nil {
		t.Fatal(err)
	}
	targets := [][]float32{{1, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}}
	if err := h.SetPriors(targets); err != nil {
		t.Fatal(err)
	}
	// Class 0: 1 of 4; class 1: never (clamped to 1/8); class 2: always
	// (clamped to 7/8).
	want := []float64{math.Log(0.25 / 0.75), math.Log(1.0 / 7), math.Log(7)}
	if len(h.Linears) != 2 {
		t.Fatalf("%d layers for flat+first", len(h.Linears))
	}
	for i, l := range h.Linears {
		got := l.Bias.Value.Float64s()
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-6 {
				t.Errorf("layer %d (%s) bias %v, want %v", i, h.Pools[i], got, want)
				break
			}
		}
	}
	if err := h.SetPriors([][]float32{{1, 0}}); err == nil {
		t.Error("targets of the wrong length accepted")
	}
	if err := h.SetPriors(nil); err == nil {
		t.Error("no targets accepted")
	}

	// In a run, the head starts at the training split's priors.
	splits := synthSplits(t, 12, 2, 2)
	cfg := tinyConfig(t.TempDir())
	cfg.AuxFindings, cfg.AuxPool = 1, PoolFlat
	r := &runner{cfg: cfg, m: tinyGIT(t, 1, splits.Train), splits: splits}
	if err := r.setupAux(); err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, data.NumClasses)
	for i := range splits.Train.Len() {
		ex, err := splits.Train.Item(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ex.Findings {
			if c := data.ClassIndex(f); c >= 0 {
				counts[c]++
			}
		}
	}
	got := r.aux.Linears[0].Bias.Value.Float64s()
	for j, c := range counts {
		p := min(max(c/12, 1.0/24), 23.0/24)
		if w := math.Log(p / (1 - p)); math.Abs(got[j]-w) > 1e-5 {
			t.Errorf("class %d: bias %v, want %v (%v of 12 images)", j, got[j], w, c)
		}
	}
}

// TestFindingHeadFlat: the flat head is one linear layer on the
// concatenated tokens, centred over the batch, so it tells apart two
// images whose tokens have the same mean but sit at other positions
// (which the mean pool cannot).
func TestFindingHeadFlat(t *testing.T) {
	h, err := newFindingHead(2, 3, 4, 2, 1, PoolFlat, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s := h.Linears[0].Weight.Value.Shape(); s[0] != 2 || s[1] != 6 {
		t.Fatalf("flat weight shape %v, want [2 6]", s)
	}
	// Image 0 and image 1 hold the same two tokens in swapped order.
	vals := []float32{1, 0, 0, 0, 0, 2, 0, 0, 2, 1, 0, 0}
	img := autograd.Const(tensor.FromF32(vals, 2, 2, 3))
	targets := tensor.FromF32([]float32{1, 0, 0, 1}, 2, 2)
	f := ImageFeatures{Tokens: img}
	x, err := features(PoolFlat, f)
	if err != nil {
		t.Fatal(err)
	}
	logits := h.Linears[0].Forward(x).Value.Float64s()
	w, bias := h.Linears[0].Weight.Value.Float64s(), h.Linears[0].Bias.Value.Float64s()
	want := 0.0
	for i := range 2 {
		for k := range 2 {
			z := bias[k]
			for j := range 6 {
				// Each feature centred over the batch of two.
				c := float64(vals[i*6+j]) - float64(vals[j]+vals[6+j])/2
				z += w[k*6+j] * c
			}
			if math.Abs(logits[i*2+k]-z) > 1e-6 {
				t.Errorf("image %d class %d: logit %v, want %v", i, k, logits[i*2+k], z)
			}
			y := float64(targets.Float64s()[i*2+k])
			sig := 1 / (1 + math.Exp(-z))
			want -= y*math.Log(sig) + (1-y)*math.Log(1-sig)
		}
	}
	if logits[0] == logits[2] && logits[1] == logits[3] {
		t.Error("flat head gives the same logits to tokens at swapped positions")
	}
	loss, err := h.Loss(f, targets)
	if err != nil {
		t.Fatal(err)
	}
	if got := loss.Item(); math.Abs(got-want/4) > 1e-6 {
		t.Errorf("flat loss %v, want %v", got, want/4)
	}
	// The avg pool is the token average centred over the batch: the same
	// for both images, so 0.
	if a, err := features(PoolAvg, f); err != nil || a.Value.Dim(1) != 3 || a.Value.Float64s()[0] != 0 || a.Value.Float64s()[5] != 0 {
		t.Errorf("avg-pooled features of swapped tokens: %v (%v), want zeros", a, err)
	}
	// The mean pool sees the two images alike.
	m, err := features(PoolMean, f)
	if err != nil {
		t.Fatal(err)
	}
	if mv := m.Value.Float64s(); mv[0] != mv[3] || mv[1] != mv[4] || mv[2] != mv[5] {
		t.Errorf("mean-pooled features of swapped tokens differ: %v", mv)
	}
	// The head's gradient reaches the tokens.
	tokens := autograd.Param(tensor.FromF32(vals, 2, 2, 3))
	tp := autograd.NewTape()
	l2, err := h.Loss(ImageFeatures{Tokens: tokens}, targets)
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Backward(l2); err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for _, g := range tokens.Grad.Float64s() {
		if g != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Error("no gradient reaches the image tokens")
	}
}

// TestFindingHeadFirstAndPools: the first-position head reads
// ImageFeatures.First and needs it; bad pool names are refused.
func TestFindingHeadFirstAndPools(t *testing.T) {
	h, err := newFindingHead(2, 3, 4, 2, 1, PoolFirst, 5)
	if err != nil {
		t.Fatal(err)
	}
	img := autograd.Const(tensor.Zeros(tensor.F32, 2, 2, 3))
	targets := tensor.FromF32([]float32{1, 0, 0, 1}, 2, 2)
	if _, err := h.Loss(ImageFeatures{Tokens: img}, targets); err == nil {
		t.Error("first pooling without the decoder output accepted")
	}
	first := autograd.Const(tensor.FromF32([]float32{1, 2, 3, 4, 4, 3, 2, 1}, 2, 4))
	x, err := features(PoolFirst, ImageFeatures{Tokens: img, First: first})
	if err != nil {
		t.Fatal(err)
	}
	// The decoder output centred over the batch of two.
	for i, v := range []float64{-1.5, -0.5, 0.5, 1.5, 1.5, 0.5, -0.5, -1.5} {
		if got := x.Value.Float64s()[i]; math.Abs(got-v) > 1e-6 {
			t.Errorf("first pooling feature %d is %v, want %v", i, got, v)
		}
	}
	if _, err := h.Loss(ImageFeatures{Tokens: img, First: first}, targets); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"max", "flat+flat", "flat+", "mean+cls"} {
		if _, err := parsePools(bad); err == nil {
			t.Errorf("pooling %q accepted", bad)
		}
		c := Reference()
		c.OutDir, c.AuxPool = "x", bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "pooling") {
			t.Errorf("config with pooling %q: %v", bad, err)
		}
	}
	if p, err := parsePools(""); err != nil || len(p) != 1 || p[0] != PoolMean {
		t.Errorf(`pooling "" is %v (%v), want mean`, p, err)
	}
	// A GIT gives the decoder output at [CLS]: [B, hidden].
	splits := synthSplits(t, 4, 1, 1)
	g := tinyGIT(t, 2, splits.Train)
	loader, err := data.NewLoader(splits.Train, data.LoaderOptions{BatchSize: 4, Processor: g.Processor(), Tokenizer: g.Tokenizer(), MaxLength: 32, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := loader.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, feats, err := g.LossAndImage(b)
	if err != nil {
		t.Fatal(err)
	}
	if s := feats.First.Value.Shape(); s[0] != 4 || s[1] != g.TextWidth() {
		t.Errorf("GIT first-position output %v, want [4 %d]", s, g.TextWidth())
	}
	if s := feats.Tokens.Value.Shape(); s[1] != g.ImageTokens() || s[2] != g.ImageWidth() {
		t.Errorf("GIT image tokens %v, want [4 %d %d]", s, g.ImageTokens(), g.ImageWidth())
	}
}

// TestAuxOnlySteps: the first AuxOnlySteps optimizer steps train on the
// auxiliary loss alone (the logged loss is the auxiliary loss), the later
// ones on the caption loss plus it.
func TestAuxOnlySteps(t *testing.T) {
	splits := synthSplits(t, 8, 2, 2)
	cfg := tinyConfig(t.TempDir())
	cfg.Epochs, cfg.BatchSize, cfg.Accumulation = 1, 2, 1 // 4 steps
	cfg.AuxFindings, cfg.AuxPool, cfg.AuxOnlySteps = 1, PoolFlat, 2
	cfg.Samples = 0
	if _, err := Run(context.Background(), cfg, tinyGIT(t, 4, splits.Train, splits.Validation, splits.Test), splits, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(cfg.OutDir, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e LogEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Kind != "train" {
			continue
		}
		steps++
		if e.AuxLoss <= 0 {
			t.Errorf("step %d: auxiliary loss %v", e.Step, e.AuxLoss)
		}
		// The caption loss of a fresh tiny GIT is ~log(vocab), far above
		// the auxiliary loss.
		if aux := e.Step <= 2; aux != (math.Abs(e.Loss-e.AuxLoss) < 1e-6) {
			t.Errorf("step %d: loss %v, auxiliary loss %v (auxiliary-only stage: %v)", e.Step, e.Loss, e.AuxLoss, aux)
		}
	}
	if steps != 4 {
		t.Errorf("%d training log entries, want 4", steps)
	}
	c := Reference()
	c.OutDir, c.AuxOnlySteps = "x", -1
	if err := c.Validate(); err == nil {
		t.Error("negative auxiliary-only steps accepted")
	}
}

// TestNoDropout: with Config.NoDropout the model trains in evaluation
// mode (dropout off); without it, in training mode.
func TestNoDropout(t *testing.T) {
	splits := synthSplits(t, 4, 1, 1)
	for _, off := range []bool{false, true} {
		cfg := tinyConfig(t.TempDir())
		cfg.Epochs, cfg.BatchSize, cfg.Accumulation = 1, 2, 1
		cfg.NoDropout, cfg.Samples = off, 0
		g := tinyGIT(t, 5, splits.Train, splits.Validation, splits.Test)
		g.M.Config.HiddenDropoutProb = 0.1
		g = rebuildGIT(t, g)
		var modes []bool
		_, err := Run(context.Background(), cfg, g, splits, RunOptions{afterStep: func(int64) error {
			modes = append(modes, g.Mode().Training)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(modes) != 2 || modes[0] == off || modes[1] == off {
			t.Errorf("NoDropout %v: training mode at the steps %v", off, modes)
		}
	}
}

// TestFindingHeadText: the text head scores every caption position of
// every image against that image's targets.
func TestFindingHeadText(t *testing.T) {
	h, err := newFindingHead(2, 3, 2, 2, 1, PoolText, 6)
	if err != nil {
		t.Fatal(err)
	}
	// Two images, three caption positions, width 2.
	text := []float32{1, 0, 2, 1, 0, 0, 3, 1, 0, 1, 2, 2}
	f := ImageFeatures{Tokens: autograd.Const(tensor.Zeros(tensor.F32, 2, 2, 3)), Text: autograd.Const(tensor.FromF32(text, 2, 3, 2))}
	targets := tensor.FromF32([]float32{1, 0, 0, 1}, 2, 2)
	loss, err := h.Loss(f, targets)
	if err != nil {
		t.Fatal(err)
	}
	w, bias := h.Linears[0].Weight.Value.Float64s(), h.Linears[0].Bias.Value.Float64s()
	want := 0.0
	for i := range 2 {
		for p := range 3 {
			for k := range 2 {
				z := bias[k]
				for j := range 2 {
					// Centred over the batch at each position.
					c := float64(text[(i*3+p)*2+j]) - float64(text[p*2+j]+text[(3+p)*2+j])/2
					z += w[k*2+j] * c
				}
				y := float64(targets.Float64s()[i*2+k])
				sig := 1 / (1 + math.Exp(-z))
				want -= y*math.Log(sig) + (1-y)*math.Log(1-sig)
			}
		}
	}
	if got := loss.Item(); math.Abs(got-want/12) > 1e-6 {
		t.Errorf("text loss %v, want %v", got, want/12)
	}
	if _, err := h.Loss(ImageFeatures{Tokens: f.Tokens}, targets); err == nil {
		t.Error("text pooling without the decoder output accepted")
	}
}
