package pretrain

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/blip"
	"radcap/nn"
	"radcap/safetensors"
	"radcap/tensor"
	"radcap/tokenizer"
	"radcap/train"
)

// tinyBLIPConfig is a BLIP small enough for a test: 32x32 images, 8x8
// patches, width 32, one layer each (the vocabulary stays blip-small's:
// BERT's with [DEC] and [ENC]).
func tinyBLIPConfig() blip.Config {
	c := BlipSmallConfig()
	c.TextConfig.HiddenSize, c.TextConfig.IntermediateSize, c.TextConfig.NumHiddenLayers = 32, 64, 1
	c.TextConfig.MaxPositionEmbeddings = 40
	v := &c.VisionConfig
	v.HiddenSize, v.IntermediateSize, v.NumHiddenLayers, v.NumAttentionHeads, v.ImageSize = 32, 64, 1, 2, 32
	c.TextConfig.EncoderHiddenSize = v.HiddenSize
	return c
}

// TestBLIPRunWritesLoadableCheckpoint runs blip-small's pretraining path
// for a few steps of each stage on the tiny config, checks the losses are
// finite and the LM loss falls, and loads the written folder back with
// the blip package (same parameters, to float16 precision), the
// tokenizer (with [DEC] and [ENC] at their ids) and train.LoadModel.
func TestBLIPRunWritesLoadableCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blip-tiny")
	cfg := tinyBLIPConfig()
	var log bytes.Buffer
	res, err := Run(Options{
		Model: BlipSmall, Out: dir, BLIPConfig: &cfg, Steps: 16, TowerSteps: 6, Batch: 8, LR: 1e-3, LMLR: 5e-3, Warmup: 2,
		MaxLength: 24, EmbedDim: 16, LogEvery: 4, SaveEvery: 10, Seed: 3, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 16 || strings.Count(log.String(), "\n") != 4 {
		t.Errorf("steps %d, log:\n%s\nwant 16 steps and 4 lines", res.Steps, log.String())
	}
	for _, v := range []float64{res.First.ITC, res.First.ITM, res.First.Attr, res.First.DecoderAttr, res.First.LM, res.Last.ITC, res.Last.ITM, res.Last.Attr, res.Last.DecoderAttr, res.Last.LM} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			t.Fatalf("loss terms first %+v last %+v: want every term finite and positive", res.First, res.Last)
		}
	}
	// The LM loss starts near ln(30524) ≈ 10.3; ten steps on templated
	// captions take it well down.
	if !(res.Last.LM < res.First.LM-0.5) {
		t.Errorf("LM loss %.3f -> %.3f: want a drop of more than 0.5", res.First.LM, res.Last.LM)
	}
	for _, f := range []string{"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("checkpoint file: %v", err)
		}
	}
	m, _, err := blip.LoadCaptionModel(dir, blip.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.TextConfig.HiddenSize != 32 || m.Config.VisionConfig.ImageSize != 32 || m.Config.TextConfig.VocabSize != 30524 {
		t.Errorf("loaded config %+v differs from the trained one", m.Config)
	}
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if n := len(ck.Names()); n != len(m.NamedParams()) {
		t.Errorf("checkpoint holds %d tensors, the captioning model has %d (pretraining heads must not be saved)", n, len(m.NamedParams()))
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
	var top map[string]any
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	if top["model_type"] != "blip" || top["torch_dtype"] != "float16" || !strings.Contains(string(raw), `"BlipForConditionalGeneration"`) {
		t.Errorf("config.json: model_type %v, torch_dtype %v, want blip, float16 and BlipForConditionalGeneration", top["model_type"], top["torch_dtype"])
	}
	text, _ := top["text_config"].(map[string]any)
	if top["tie_word_embeddings"] != false || text == nil || text["tie_word_embeddings"] != false {
		t.Errorf("config.json: tie_word_embeddings %v, text_config's %v; want false in both (the LM head is its own tensor)", top["tie_word_embeddings"], text["tie_word_embeddings"])
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc, ok := tok.TokenID("[ENC]")
	if tok.BOSID() != 30522 || !ok || enc != 30523 || tok.CLSID() != 101 || tok.SEPID() != 102 {
		t.Errorf("tokenizer from the folder: bos %d, [ENC] %d (%v), cls %d, sep %d; want 30522, 30523, 101, 102", tok.BOSID(), enc, ok, tok.CLSID(), tok.SEPID())
	}
	e, err := tok.Encode("[DEC] a circle [ENC]", tokenizer.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ids := e.IDs; len(ids) < 2 || ids[1] != 30522 || ids[len(ids)-2] != 30523 {
		t.Errorf("[DEC] and [ENC] do not encode as single tokens: %v", ids)
	}
	tm, err := train.LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tm.Arch() != "blip" {
		t.Errorf("train.LoadModel: arch %q, want blip", tm.Arch())
	}
}

// TestBLIPTrainerSharesVisionTower checks that the retrieval model uses
// the captioning model's vision tower and that the optimizer sees every
// parameter exactly once (the tower once, not twice), the temperature
// and the attribute heads included.
func TestBLIPTrainerSharesVisionTower(t *testing.T) {
	cfg := tinyBLIPConfig()
	o := DefaultBLIPOptions()
	o.EmbedDim = 16
	tr, err := newBLIPTrainer(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if tr.retr.Vision != tr.model.Vision {
		t.Fatal("the retrieval model has a vision tower of its own")
	}
	seen := map[*autograd.Var]string{}
	names := map[string]bool{}
	for _, p := range tr.trainingParams() {
		if prev, ok := seen[p.Var]; ok {
			t.Errorf("%s is the same tensor as %s: listed twice", p.Name, prev)
		}
		if names[p.Name] {
			t.Errorf("name %s listed twice", p.Name)
		}
		seen[p.Var], names[p.Name] = p.Name, true
	}
	for _, want := range []string{"vision_model.embeddings.patch_embedding.weight", "text_decoder.cls.predictions.decoder.weight",
		"text_encoder.embeddings.word_embeddings.weight", "vision_proj.weight", "itm_head.bias", "temp", "attribute_head.weight", "decoder_attribute_head.bias"} {
		if !names[want] {
			t.Errorf("%s is not trained", want)
		}
	}
	want := len(tr.model.NamedParams()) + len(tr.retr.TrainingParams()) - len(tr.model.Vision.NamedParams("")) + len(tr.heads.NamedParams())
	if len(names) != want {
		t.Errorf("%d parameters trained, want %d", len(names), want)
	}
	if tr.enc != 30523 {
		t.Errorf("[ENC] id %d, want 30523", tr.enc)
	}
	var itmBias []float64
	for _, p := range tr.retr.NamedParams() {
		if p.Name == "itm_head.bias" {
			itmBias = p.Var.Value.Float64s()
		}
	}
	if len(itmBias) != 2 || math.Abs(itmBias[1]-itmBias[0]+math.Ln2) > 1e-6 {
		t.Errorf("itm_head.bias %v: want the log-odds of one match to two mismatches (difference -ln 2)", itmBias)
	}
}

// TestAttrHeadsZeroLogits checks the attribute losses against the formula
// on a hand-made case: logits 0 give log 2 per entry whatever the
// targets; targets of the wrong width are an error.
func TestAttrHeadsZeroLogits(t *testing.T) {
	h := newAttrHeads(nn.NewInit(1), 32, 16, 4, [][4]float64{{0, 0, 1, 1}}, 3, 0.02)
	h.attrs.Weight.Value = tensor.Zeros(tensor.F32, 3, 32)
	h.decAttrs.Weight.Value = tensor.Zeros(tensor.F32, 3, 16)
	targets := tensor.FromF32([]float32{1, 0, 1, 0, 0, 1}, 2, 3)
	image := autograd.Const(tensor.Full(tensor.F32, 0.5, 2, 17, 32))
	loss, err := h.attrLoss(image, targets)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := h.decoderAttrLoss(autograd.Const(tensor.Full(tensor.F32, 0.3, 2, 16)), targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*autograd.Var{loss, dec} {
		if got := l.Item(); math.Abs(got-math.Ln2) > 1e-6 {
			t.Errorf("attribute loss at zero logits %v, want ln 2 = %v", got, math.Ln2)
		}
	}
	if _, err := h.attrLoss(image, tensor.Zeros(tensor.F32, 2, 4)); err == nil {
		t.Error("targets of the wrong width: no error")
	}
	if _, err := h.attrLoss(autograd.Const(tensor.Zeros(tensor.F32, 2, 10, 32)), targets); err == nil {
		t.Error("image of the wrong token count: no error")
	}
	// Base rates: a target always on gets a large positive bias, one
	// never on a large negative one.
	h.initBiases([][]float32{{1, 0, 1}, {1, 0, 0}})
	b := h.attrBias.Value.Float64s()
	if !(b[0] > 0.5 && b[1] < -0.5 && math.Abs(b[2]) < 1e-9) {
		t.Errorf("biases %v: want positive, negative, 0 for rates 1, 0, 1/2", b)
	}
}

// TestBLIPOptionsErrors checks blip-small's option errors.
func TestBLIPOptionsErrors(t *testing.T) {
	cfg := tinyBLIPConfig()
	bad := tinyBLIPConfig()
	bad.TextConfig.BosTokenID = bad.TextConfig.VocabSize - 1
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Model: BlipSmall, Out: "x", BLIPConfig: &cfg, MaxLength: 50}, "exceeds the model's 40 positions"},
		{Options{Model: BlipSmall, Out: "x", BLIPConfig: &bad}, "[ENC]"},
		{Options{Model: BlipSmall, Out: "x", Steps: 2, TowerSteps: 3}, "tower steps"},
	} {
		_, err := Run(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%+v) = %v, want an error containing %q", c.o, err, c.want)
		}
	}
	if _, err := ModelOptions("blip-huge"); err == nil {
		t.Error("ModelOptions of an unknown model: no error")
	}
	if o, err := ModelOptions(BlipSmall); err != nil || o.Model != BlipSmall {
		t.Errorf("ModelOptions(blip-small) = %+v, %v", o, err)
	}
}

// TestSinCosPositions checks the vision tower's starting position table:
// shape [1, 1 + g², d], the class token's row 0, patch (0, 0) at sin 0 = 0
// and cos 0 = 1, patch (1, 2) at the formula's values, every patch row
// distinct, and newBLIPTrainer's tower starting from it.
func TestSinCosPositions(t *testing.T) {
	const g, d = 4, 8 // d/4 = 2 frequencies: 1 and 10000^(-1/2) = 0.01
	p := sinCosPositions(g, d)
	if !slices.Equal(p.Shape(), []int{1, 17, 8}) {
		t.Fatalf("shape %v, want [1 17 8]", p.Shape())
	}
	v := p.Float64s()
	row := func(i int) []float64 { return v[i*d : (i+1)*d] }
	if !slicesClose(row(0), make([]float64, d), 0) {
		t.Errorf("class token row %v, want zeros", row(0))
	}
	if !slicesClose(row(1), []float64{0, 0, 1, 1, 0, 0, 1, 1}, 1e-7) {
		t.Errorf("patch (0,0) row %v", row(1))
	}
	want := []float64{math.Sin(1), math.Sin(0.01), math.Cos(1), math.Cos(0.01), math.Sin(2), math.Sin(0.02), math.Cos(2), math.Cos(0.02)}
	if !slicesClose(row(1+1*g+2), want, 1e-6) {
		t.Errorf("patch (1,2) row %v, want %v", row(1+g+2), want)
	}
	for i := 1; i <= g*g; i++ {
		for j := i + 1; j <= g*g; j++ {
			if slicesClose(row(i), row(j), 1e-4) {
				t.Errorf("patches %d and %d have the same position row", i-1, j-1)
			}
		}
	}
	cfg := tinyBLIPConfig()
	tr, err := newBLIPTrainer(cfg, DefaultBLIPOptions())
	if err != nil {
		t.Fatal(err)
	}
	grid := cfg.VisionConfig.ImageSize / cfg.VisionConfig.PatchSize
	if got := tr.model.Vision.PositionEmbedding.Value.Float64s(); !slicesClose(got, sinCosPositions(grid, cfg.VisionConfig.HiddenSize).Float64s(), 0) {
		t.Error("the trainer's vision tower does not start from the sine-cosine table")
	}
}
