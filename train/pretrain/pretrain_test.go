package pretrain

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/gitmodel"
	"radcap/safetensors"
	"radcap/tensor"
	"radcap/tokenizer"
	"radcap/vit"
)

// tinyConfig is a GIT small enough for a test: 32x32 images, 8x8
// patches, width 32 (the vocabulary stays BERT's).
func tinyConfig() gitmodel.Config {
	c := gitmodel.DefaultConfig()
	c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize = 32, 1, 2, 64
	c.MaxPositionEmbeddings = 40
	c.TieWordEmbeddings = true
	v := vit.CLIPDefaults()
	v.HiddenSize, v.NumHiddenLayers, v.NumAttentionHeads, v.IntermediateSize = 32, 1, 2, 64
	v.ImageSize, v.PatchSize = 32, 8
	c.Vision = v
	return c
}

// TestRunWritesLoadableCheckpoint runs the pretraining path for a few
// steps of each stage on the tiny config, checks the losses are finite
// and fall, and loads the written folder back: same parameters (to
// float16 precision), every Hugging Face file present.
func TestRunWritesLoadableCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "git-tiny")
	cfg := tinyConfig()
	var log bytes.Buffer
	res, err := Run(Options{
		Out: dir, Config: &cfg, Steps: 24, TowerSteps: 12, Batch: 8, LR: 1e-3, LMLR: 5e-3, Warmup: 2,
		MaxLength: 24, EmbedDim: 16, LogEvery: 4, SaveEvery: 10, Seed: 3, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 24 {
		t.Errorf("steps %d, want 24", res.Steps)
	}
	lines := strings.Count(log.String(), "\n")
	if lines != 6 {
		t.Errorf("log has %d lines, want 6 (every 4 of 24 steps):\n%s", lines, log.String())
	}
	for _, v := range []float64{res.First.ITC, res.First.ITM, res.First.Attr, res.First.LM, res.Last.ITC, res.Last.ITM, res.Last.Attr, res.Last.LM} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			t.Fatalf("loss terms first %+v last %+v: want every term finite and positive", res.First, res.Last)
		}
	}
	// The LM loss starts near ln(30522) ≈ 10.3 and a dozen steps on
	// templated captions take it well down.
	if !(res.Last.LM < res.First.LM-0.5) {
		t.Errorf("LM loss %.3f -> %.3f: want a drop of more than 0.5", res.First.LM, res.Last.LM)
	}
	for _, f := range []string{"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("checkpoint file: %v", err)
		}
	}
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	m, err := gitmodel.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.HiddenSize != 32 || !m.Config.TieWordEmbeddings || m.Config.Vision.ImageSize != 32 {
		t.Errorf("loaded config %+v differs from the trained one", m.Config)
	}
	for _, p := range m.NamedParams() {
		raw, err := ck.Tensor(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		if raw.DType() != tensor.F16 {
			t.Errorf("%s stored as %v, want F16", p.Name, raw.DType())
		}
		if !slicesClose(raw.Float64s(), p.Var.Value.Float64s(), 0) {
			t.Errorf("%s: loaded values differ from the stored float16 ones", p.Name)
		}
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 30522 || tok.CLSID() != 101 || tok.SEPID() != 102 {
		t.Errorf("tokenizer from the folder: vocab %d cls %d sep %d", tok.VocabSize(), tok.CLSID(), tok.SEPID())
	}
}

func slicesClose(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// TestOptionsErrors checks that bad options are errors that say what is
// wrong.
func TestOptionsErrors(t *testing.T) {
	cfg := tinyConfig()
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Model: "gpt", Out: "x"}, "unknown model"},
		{Options{}, "no output folder"},
		{Options{Out: "x", Steps: 5, TowerSteps: 6}, "tower steps"},
		{Options{Out: "x", Batch: 1}, "at least 2"},
		{Options{Out: "x", LR: -1}, "learning rate"},
		{Options{Out: "x", MaxLength: 100}, "max length"},
		{Options{Out: "x", Config: &cfg, MaxLength: 50}, "exceeds the model's 40 positions"},
	} {
		_, err := Run(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%+v) = %v, want an error containing %q", c.o, err, c.want)
		}
	}
}

// TestDrawNegative checks the hard-negative sampler: never itself, never
// a same-scene example, -1 when nothing is left, and the most similar
// candidate drawn most often.
func TestDrawNegative(t *testing.T) {
	rng := newTestRNG()
	same := func(i, j int) bool { return (i == 0 && j == 1) || (i == 1 && j == 0) }
	counts := make([]int, 4)
	for range 2000 {
		j := drawNegative([]float64{5, 9, 3, 0}, 0, same, rng)
		if j == 0 || j == 1 {
			t.Fatalf("drew %d: self or same scene", j)
		}
		counts[j]++
	}
	if counts[2] <= counts[3] {
		t.Errorf("counts %v: want index 2 (logit 3) drawn more than index 3 (logit 0)", counts)
	}
	if j := drawNegative([]float64{1, 2}, 0, same, rng); j != -1 {
		t.Errorf("only same-scene candidates: drew %d, want -1", j)
	}
}

// TestAttrLossValue checks the attribute loss against the formula on a
// hand-made case: logits 0 give log 2 per entry whatever the targets.
func TestAttrLossValue(t *testing.T) {
	cfg := tinyConfig()
	m, err := gitmodel.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newGITHeads(m, 8, [][4]float64{{0, 0, 1, 1}}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	h.attrs.Weight.Value = tensor.Zeros(tensor.F32, 3, 32)
	image := autograd.Const(tensor.Full(tensor.F32, 0.5, 2, 17, 32))
	loss, err := h.attrLoss(image, tensor.FromF32([]float32{1, 0, 1, 0, 0, 1}, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	if got := loss.Item(); math.Abs(got-math.Ln2) > 1e-6 {
		t.Errorf("attribute loss at zero logits %v, want ln 2 = %v", got, math.Ln2)
	}
	if _, err := h.attrLoss(image, tensor.Zeros(tensor.F32, 2, 4)); err == nil {
		t.Error("targets of the wrong width: no error")
	}
}

func newTestRNG() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// TestRegionPooling checks the region pooling matrix of the shapes
// positions on a 4x4 patch grid: each column averages the tokens of its
// box (weights sum to 1), the class token is in none, and the upper-left
// box holds exactly the four top-left patches.
func TestRegionPooling(t *testing.T) {
	p := regionPooling(4, shapeRegions())
	if p.Dim(0) != 17 || p.Dim(1) != 5 {
		t.Fatalf("shape %v, want [17 5]", p.Shape())
	}
	w := p.F32()
	for r := range 5 {
		sum := 0.0
		for tok := range 17 {
			sum += float64(w[tok*5+r])
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("region %d: weights sum to %v, want 1", r, sum)
		}
		if w[r] != 0 {
			t.Errorf("region %d pools the class token", r)
		}
	}
	for _, tok := range []int{1, 2, 5, 6} { // rows 0-1, columns 0-1
		if w[tok*5] != 0.25 {
			t.Errorf("upper-left weight of token %d is %v, want 0.25", tok, w[tok*5])
		}
	}
	for _, tok := range []int{6, 7, 10, 11} { // centre: rows 1-2, columns 1-2
		if w[tok*5+4] != 0.25 {
			t.Errorf("centre weight of token %d is %v, want 0.25", tok, w[tok*5+4])
		}
	}
}
