package vit

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/internal/hffixtures"
	"radcap/nn"
	"radcap/safetensors"
	"radcap/tensor"
)

// fixtureDir returns the folder of one fixture model: $RADCAP_HF_FIXTURES/name
// when the variable is set, else testdata/hf/name.
func fixtureDir(name string) string { return hffixtures.Path(name) }

func readTensor(t *testing.T, path, name string) *tensor.Tensor {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, err := f.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func maxAbsDiff(t *testing.T, got, want *tensor.Tensor) float64 {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("shape %v, want %v", got.Shape(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	m := 0.0
	for i := range g {
		m = max(m, math.Abs(g[i]-w[i]))
	}
	return m
}

// loadFixtureTower builds the vision tower of a fixture model and loads its
// weights.
func loadFixtureTower(t *testing.T, model string, flavor Flavor) *Model {
	t.Helper()
	dir := fixtureDir(model)
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var top struct {
		Vision json.RawMessage `json:"vision_config"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	defaults, prefix := CLIPDefaults(), "git.image_encoder.vision_model"
	if flavor == BLIP {
		defaults, prefix = BLIPDefaults(), "vision_model"
	}
	cfg, err := ParseConfig(top.Vision, defaults)
	if err != nil {
		t.Fatal(err)
	}
	var m *Model
	if flavor == CLIP {
		m, err = NewCLIP(cfg, nn.NewInit(1), nn.NewMode(1))
	} else {
		m, err = NewBLIP(cfg, nn.NewInit(1), nn.NewMode(1))
	}
	if err != nil {
		t.Fatal(err)
	}
	unexpected, err := nn.LoadParams(dir, m.NamedParams(prefix), nn.LoadOptions{AllowUnexpected: true})
	if err != nil {
		t.Fatal(err)
	}
	// Everything of the checkpoint under the prefix must have been used.
	for _, u := range unexpected {
		if strings.HasPrefix(u, prefix+".") {
			t.Errorf("checkpoint tensor %s has no parameter in the vision model", u)
		}
	}
	return m
}

func TestCLIPParity(t *testing.T) {
	m := loadFixtureTower(t, "git", CLIP)
	dir := fixtureDir("git")
	px := readTensor(t, filepath.Join(dir, "inputs.safetensors"), "pixel_values")
	if err := m.CheckPixels(px); err != nil {
		t.Fatal(err)
	}
	got := m.Forward(autograd.Const(px))
	want := readTensor(t, filepath.Join(dir, "expected.safetensors"), "vision_last_hidden_state")
	d := maxAbsDiff(t, got.Value, want)
	t.Logf("CLIP vision_last_hidden_state max abs error %.3g", d)
	if d > 5e-5 {
		t.Errorf("CLIP vision_last_hidden_state max abs error %g > 5e-5", d)
	}
}

func TestBLIPParity(t *testing.T) {
	m := loadFixtureTower(t, "blip", BLIP)
	dir := fixtureDir("blip")
	px := readTensor(t, filepath.Join(dir, "inputs.safetensors"), "pixel_values")
	last := m.Forward(autograd.Const(px))
	exp := filepath.Join(dir, "expected.safetensors")
	for _, c := range []struct {
		name string
		got  *autograd.Var
	}{{"vision_last_hidden_state", last}, {"vision_pooler_output", m.Pooled(last)}} {
		d := maxAbsDiff(t, c.got.Value, readTensor(t, exp, c.name))
		t.Logf("BLIP %s max abs error %.3g", c.name, d)
		if d > 5e-5 {
			t.Errorf("BLIP %s max abs error %g > 5e-5", c.name, d)
		}
	}
}

func TestParamNamesAndCounts(t *testing.T) {
	// The ViT-B/16 towers: CLIP at 224 is GIT-base's vision model, 85,799,424
	// parameters in PyTorch; BLIP at 384 is blip-base's, 86,090,496.
	for _, c := range []struct {
		flavor Flavor
		cfg    Config
		want   int
	}{{CLIP, CLIPDefaults(), 85_799_424}, {BLIP, BLIPDefaults(), 86_090_496}} {
		m, err := build(c.cfg, c.flavor, nn.NewInit(3), nn.NewMode(3))
		if err != nil {
			t.Fatal(err)
		}
		ps := m.NamedParams("vision_model")
		if n := nn.CountParams(ps); n != c.want {
			t.Errorf("flavor %d: %d parameters, PyTorch counts %d", c.flavor, n, c.want)
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if seen[p.Name] {
				t.Errorf("duplicate name %s", p.Name)
			}
			seen[p.Name] = true
		}
	}
	// Names match the fixture checkpoints exactly.
	for _, c := range []struct {
		model, prefix string
		flavor        Flavor
	}{{"git", "git.image_encoder.vision_model", CLIP}, {"blip", "vision_model", BLIP}} {
		m := loadFixtureTower(t, c.model, c.flavor)
		ck, err := safetensors.OpenCheckpoint(fixtureDir(c.model))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, n := range ck.Names() {
			if strings.HasPrefix(n, c.prefix+".") {
				want = append(want, n)
			}
		}
		ck.Close()
		var got []string
		for _, p := range m.NamedParams(c.prefix) {
			got = append(got, p.Name)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: names %v, checkpoint has %v", c.model, got, want)
		}
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	full := filepath.Join(fixtureDir("git"), "config_full.json")
	if raw, err := os.ReadFile(full); err == nil {
		var top struct {
			Vision json.RawMessage `json:"vision_config"`
		}
		if err := json.Unmarshal(raw, &top); err != nil {
			t.Fatal(err)
		}
		cfgFull, err := ParseConfig(top.Vision, CLIPDefaults())
		if err != nil {
			t.Fatal(err)
		}
		if cfgFull.HiddenAct != "quick_gelu" || cfgFull.NumChannels != 3 {
			t.Errorf("config_full vision: %+v", cfgFull)
		}
	}
	c, err := ParseConfig([]byte(`{"hidden_size": 64, "num_attention_heads": 4, "some_future_key": [1, 2]}`), CLIPDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if c.HiddenSize != 64 || c.IntermediateSize != 3072 || c.LayerNormEps != 1e-5 || c.HiddenAct != "quick_gelu" {
		t.Errorf("defaults not filled: %+v", c)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(out, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Extra["some_future_key"]) != "[1,2]" || back.HiddenSize != 64 || back.PatchSize != 16 {
		t.Errorf("round trip lost fields: %s", out)
	}
	for _, bad := range []string{
		`{"hidden_act": "swishy"}`,
		`{"hidden_size": 100, "num_attention_heads": 12}`,
		`{"patch_size": 0}`,
		`{"hidden_size": "big"}`,
		`[1]`,
	} {
		if _, err := ParseConfig([]byte(bad), CLIPDefaults()); err == nil {
			t.Errorf("ParseConfig(%s) accepted", bad)
		}
	}
	small := CLIPDefaults()
	small.HiddenSize, small.IntermediateSize, small.NumHiddenLayers, small.NumAttentionHeads, small.ImageSize = 8, 16, 1, 2, 64
	m, err := NewCLIP(small, nn.NewInit(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckPixels(tensor.Zeros(tensor.F32, 1, 3, 32, 32)); err == nil || !strings.Contains(err.Error(), "64") {
		t.Errorf("CheckPixels accepted a 32x32 image for a 64 model: %v", err)
	}
	if err := m.CheckPixels(tensor.Zeros(tensor.F64, 1, 3, 64, 64)); err == nil {
		t.Error("CheckPixels accepted float64 pixels for a float32 model")
	}
	if err := m.CheckPixels(tensor.Zeros(tensor.F32, 1, 3, 64, 64)); err != nil {
		t.Error(err)
	}
}

// FuzzParseConfig: no vision_config makes the parser panic; an accepted
// one validates and survives a round trip.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"hidden_size": 32, "num_attention_heads": 4, "patch_size": 8, "image_size": 32}`))
	f.Add([]byte(`{"hidden_act": "gelu", "layer_norm_eps": 0}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, CLIPDefaults())
		if err != nil {
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseConfig(out, Config{}); err != nil {
			t.Fatalf("round trip of an accepted config fails: %v\n%s", err, out)
		}
	})
}

// TestNamedParamsOrder checks the embeddings' order against PyTorch's
// named_parameters(): a module's own nn.Parameters come before its children.
func TestNamedParamsOrder(t *testing.T) {
	for _, c := range []struct {
		flavor Flavor
		cfg    Config
		want   []string
	}{
		{CLIP, CLIPDefaults(), []string{"class_embedding", "patch_embedding.weight", "position_embedding.weight"}},
		{BLIP, BLIPDefaults(), []string{"class_embedding", "position_embedding", "patch_embedding.weight", "patch_embedding.bias"}},
	} {
		cfg := c.cfg
		cfg.NumHiddenLayers = 1
		m, err := build(cfg, c.flavor, nn.NewInit(1), nn.NewMode(1))
		if err != nil {
			t.Fatal(err)
		}
		ps := m.NamedParams("v")
		for i, w := range c.want {
			if got := ps[i].Name; got != "v.embeddings."+w {
				t.Errorf("flavor %d: param %d is %s, want v.embeddings.%s", c.flavor, i, got, w)
			}
		}
	}
}
