package blip

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/nn"
	"radcap/safetensors"
	"radcap/tensor"
)

// PyTorch's counts for Salesforce/blip-image-captioning-base
// (shared/fixtures/hf/benchmark_pytorch_cpu.json): the tied decoder bias
// counted once.
const (
	baseCaptionParams = 247_414_076
	baseVisionParams  = 86_090_496
)

func TestBaseCaptionParamCount(t *testing.T) {
	m, err := NewCaptionModel(BaseConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := nn.CountParams(m.NamedParams()); got != baseCaptionParams {
		t.Errorf("BlipForConditionalGeneration base: %d parameters, want %d", got, baseCaptionParams)
	}
	if got := nn.CountParams(m.Vision.NamedParams("vision_model")); got != baseVisionParams {
		t.Errorf("vision model base: %d parameters, want %d", got, baseVisionParams)
	}
	tc := m.Config.TextConfig
	if tc.VocabSize != 30524 || tc.BosTokenID != 30522 || tc.SepTokenID != 102 || tc.PadTokenID != 0 ||
		tc.NumAttentionHeads != 12 || tc.EncoderHiddenSize != 768 || m.Vision.Config.NumTokens() != 577 {
		t.Errorf("base config %+v", tc)
	}
}

// Every name the model lists is in the fixture checkpoint (the loader
// checks the converse), each once, in the fixture's gradient set.
func TestNamedParamsMatchCheckpoint(t *testing.T) {
	for _, c := range []struct {
		model  string
		params []nn.NamedParam
	}{{"blip", loadCaption(t).NamedParams()}, {"blip_retrieval", loadRetrieval(t).NamedParams()}} {
		fx := openFixture(t, c.model, "model.safetensors")
		seen := map[string]bool{}
		for _, p := range c.params {
			if seen[p.Name] {
				t.Errorf("%s: %s listed twice", c.model, p.Name)
			}
			seen[p.Name] = true
		}
		if len(seen) != fx.f.Len() {
			t.Errorf("%s: %d parameters, checkpoint has %d tensors", c.model, len(seen), fx.f.Len())
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := loadCaption(t)
	for _, shard := range []int64{0, 40_000} {
		dir := filepath.Join(t.TempDir(), "out")
		if err := m.Save(dir, shard); err != nil {
			t.Fatal(err)
		}
		back, unexpected, err := LoadCaptionModel(dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(unexpected) != 0 {
			t.Errorf("unexpected %v", unexpected)
		}
		a, b := m.NamedParams(), back.NamedParams()
		for i := range a {
			if a[i].Name != b[i].Name || maxAbsDiff(t, a[i].Name, a[i].Var.Value, b[i].Var.Value) != 0 {
				t.Errorf("shard %d: %s changed on the round trip", shard, a[i].Name)
			}
		}
		if !reflect.DeepEqual(m.Config.TextConfig, back.Config.TextConfig) || !reflect.DeepEqual(m.Config.VisionConfig, back.Config.VisionConfig) {
			t.Errorf("config changed on the round trip")
		}
		raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		var top map[string]any
		if err := json.Unmarshal(raw, &top); err != nil {
			t.Fatal(err)
		}
		if top["model_type"] != "blip" || !reflect.DeepEqual(top["architectures"], []any{"BlipForConditionalGeneration"}) {
			t.Errorf("config.json: model_type %v, architectures %v", top["model_type"], top["architectures"])
		}
		if _, err := os.Stat(filepath.Join(dir, "model.safetensors.index.json")); (err == nil) != (shard > 0) {
			t.Errorf("shard %d: index present = %v", shard, err == nil)
		}
	}
	r := loadRetrieval(t)
	dir := t.TempDir()
	if err := r.Save(dir, 0); err != nil {
		t.Fatal(err)
	}
	back, _, err := LoadRetrievalModel(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if maxAbsDiff(t, "itm_head.weight", back.heads.itmHead.Weight.Value, r.heads.itmHead.Weight.Value) != 0 {
		t.Error("retrieval round trip changed itm_head.weight")
	}
}

// writeCheckpoint writes the fixture model with some tensors dropped,
// added or reshaped.
func writeCheckpoint(t *testing.T, edit func(names []string, ts []*tensor.Tensor) ([]string, []*tensor.Tensor)) string {
	t.Helper()
	src := filepath.Join(fixturesDir(), "blip")
	f, err := safetensors.Open(filepath.Join(src, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	var ts []*tensor.Tensor
	for _, n := range f.Names() {
		x, err := f.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		names, ts = append(names, n), append(ts, x)
	}
	names, ts = edit(names, ts)
	dir := t.TempDir()
	if err := safetensors.WriteTensors(filepath.Join(dir, "model.safetensors"), names, ts, nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadErrorsNameTensors(t *testing.T) {
	const victim = "text_decoder.bert.encoder.layer.1.crossattention.self.key.weight"
	missing := writeCheckpoint(t, func(ns []string, ts []*tensor.Tensor) ([]string, []*tensor.Tensor) {
		for i, n := range ns {
			if n == victim {
				return append(ns[:i:i], ns[i+1:]...), append(ts[:i:i], ts[i+1:]...)
			}
		}
		t.Fatal("victim not found")
		return nil, nil
	})
	if _, _, err := LoadCaptionModel(missing, LoadOptions{}); err == nil || !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing tensor: %v", err)
	}
	shaped := writeCheckpoint(t, func(ns []string, ts []*tensor.Tensor) ([]string, []*tensor.Tensor) {
		for i, n := range ns {
			if n == victim {
				ts[i] = tensor.Zeros(tensor.F32, 32, 31)
			}
		}
		return ns, ts
	})
	if _, _, err := LoadCaptionModel(shaped, LoadOptions{}); err == nil || !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), "shape") {
		t.Errorf("misshapen tensor: %v", err)
	}
	extra := writeCheckpoint(t, func(ns []string, ts []*tensor.Tensor) ([]string, []*tensor.Tensor) {
		return append(ns, "text_decoder.extra.weight", "text_decoder.bert.embeddings.position_ids", "text_decoder.cls.predictions.decoder.bias"),
			append(ts, tensor.Zeros(tensor.F32, 2), tensor.Zeros(tensor.I64, 1, 64), tensor.Zeros(tensor.F32, 99))
	})
	if _, _, err := LoadCaptionModel(extra, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "text_decoder.extra.weight") || strings.Contains(err.Error(), "position_ids") {
		t.Errorf("unexpected tensor: %v", err)
	}
	m, unexpected, err := LoadCaptionModel(extra, LoadOptions{AllowUnexpected: true})
	if err != nil || m == nil || !reflect.DeepEqual(unexpected, []string{"text_decoder.extra.weight"}) {
		t.Errorf("allowed unexpected: %v, %v", unexpected, err)
	}
	if _, _, err := LoadCaptionModel(t.TempDir(), LoadOptions{}); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("empty folder: %v", err)
	}
}

func TestInputErrors(t *testing.T) {
	m := loadCaption(t)
	in := openFixture(t, "blip", "inputs.safetensors")
	good := CaptionInputs{Pixels: in.get("pixel_values"), InputIDs: in.get("input_ids"), AttentionMask: in.get("attention_mask"), Labels: in.get("labels")}
	cases := map[string]CaptionInputs{}
	c := good
	c.Pixels = tensor.Zeros(tensor.F32, 2, 3, 16, 16)
	cases["pixel_values"] = c
	c = good
	c.InputIDs = tensor.FromI64([]int64{1, 2, 500, 3}, 2, 2)
	c.AttentionMask, c.Labels = nil, nil
	cases["id 500"] = c
	c = good
	c.AttentionMask = tensor.Zeros(tensor.I64, 2, 3)
	cases["attention mask"] = c
	c = good
	c.Labels = tensor.Full(tensor.I64, 99, 2, 8)
	cases["labels"] = c
	c = good
	c.InputIDs = tensor.Zeros(tensor.I64, 2, 65)
	c.AttentionMask, c.Labels = nil, nil
	cases["max_position_embeddings"] = c
	c = good
	c.InputIDs = in.get("input_ids").Narrow(0, 0, 1)
	c.AttentionMask, c.Labels = nil, nil
	cases["batch"] = c
	for want, c := range cases {
		if _, err := m.Forward(c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v", want, err)
		}
	}
}

// Dropout is active only in training mode; the fixture has every dropout
// at 0, so switch one on.
func TestTrainingModeDropout(t *testing.T) {
	m := loadCaption(t)
	in := openFixture(t, "blip", "inputs.safetensors")
	batch := CaptionInputs{Pixels: in.get("pixel_values"), InputIDs: in.get("input_ids"), AttentionMask: in.get("attention_mask")}
	eval, err := m.Forward(batch)
	if err != nil {
		t.Fatal(err)
	}
	m.text.bert.cfg.HiddenDropoutProb = 0.5
	again, err := m.Forward(batch)
	if err != nil {
		t.Fatal(err)
	}
	if maxAbsDiff(t, "logits", again.Logits.Value, eval.Logits.Value) != 0 {
		t.Error("eval mode: dropout changed the logits")
	}
	m.SetTraining(true)
	train, err := m.Forward(batch)
	if err != nil {
		t.Fatal(err)
	}
	if maxAbsDiff(t, "logits", train.Logits.Value, eval.Logits.Value) == 0 {
		t.Error("training mode with dropout 0.5 gave the eval logits")
	}
}

// The pretraining losses run end to end, are finite, and reach every
// parameter and the temperature.
func TestPretrainLosses(t *testing.T) {
	m := loadRetrieval(t)
	in := openFixture(t, "blip_retrieval", "inputs.safetensors")
	l, err := m.PretrainLosses(in.get("pixel_values"), in.get("itm_input_ids"), in.get("itm_attention_mask"), 98, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if v := l.Sum.Item(); v != v || v <= 0 {
		t.Fatalf("loss %v", v)
	}
	if err := autograd.NewTape().Backward(l.Sum); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.TrainingParams() {
		if p.Var.Grad == nil {
			t.Errorf("%s got no gradient", p.Name)
		}
	}
	if _, err := m.PretrainLosses(in.get("pixel_values"), in.get("itc_input_ids"), in.get("itc_attention_mask"), -1, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Error("3 texts for 2 images: no error")
	}
	if _, err := m.PretrainLosses(in.get("pixel_values"), in.get("itm_input_ids"), in.get("itm_attention_mask"), 99, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Error("[ENC] outside the vocabulary: no error")
	}
	ids := in.get("itm_input_ids")
	enc := ReplaceFirstToken(ids, 98)
	if enc.At(0, 0) != 98 || enc.At(1, 0) != 98 || enc.At(0, 1) != ids.At(0, 1) || ids.At(0, 0) == 98 {
		t.Errorf("ReplaceFirstToken: %v from %v", enc.I64(), ids.I64())
	}
}

// A model built from a config and a seed (no files) is reproducible and
// runs forward, backward and generation.
func TestRandomModelFromSeed(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join(fixturesDir(), "blip"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewCaptionModel(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewCaptionModel(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCaptionModel(cfg, 8)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb, pc := a.NamedParams(), b.NamedParams(), c.NamedParams()
	differs := false
	for i := range pa {
		if maxAbsDiff(t, pa[i].Name, pa[i].Var.Value, pb[i].Var.Value) != 0 {
			t.Fatalf("%s differs between two models of seed 7", pa[i].Name)
		}
		differs = differs || maxAbsDiff(t, pa[i].Name, pa[i].Var.Value, pc[i].Var.Value) != 0
	}
	if !differs {
		t.Error("seeds 7 and 8 gave the same weights")
	}
	in := openFixture(t, "blip", "inputs.safetensors")
	out, err := a.Forward(CaptionInputs{Pixels: in.get("pixel_values"), InputIDs: in.get("input_ids"), AttentionMask: in.get("attention_mask"), Labels: in.get("labels")})
	if err != nil {
		t.Fatal(err)
	}
	if err := autograd.NewTape().Backward(out.Loss); err != nil {
		t.Fatal(err)
	}
	opts := a.GenerateOptions()
	opts.MaxNewTokens = 3
	res, err := a.Generate(in.get("pixel_values"), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sequences.Dim(0) != 2 || res.Sequences.At(0, 0) != float64(cfg.TextConfig.BosTokenID) {
		t.Errorf("generated %v", res.Sequences.I64())
	}
	r, err := NewRetrievalModel(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	if float32(r.Temp.Item()) != float32(DefaultTemp) || len(r.TrainingParams()) != len(r.NamedParams())+1 {
		t.Errorf("temp %v", r.Temp.Item())
	}
}
