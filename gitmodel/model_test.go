package gitmodel

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"radcap/nn"
	"radcap/safetensors"
	"radcap/tensor"
)

// Parsing config.json (defaults left out) gives every value config_full.json
// spells out.
func TestConfigDefaultsMatchFull(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join(fixtureDir(), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(fixtureDir(), "config_full.json"))
	if err != nil {
		t.Fatal(err)
	}
	var full map[string]json.RawMessage
	if err := json.Unmarshal(raw, &full); err != nil {
		t.Fatal(err)
	}
	type plain Config
	mine, _ := json.Marshal(plain(cfg))
	var known map[string]json.RawMessage
	json.Unmarshal(mine, &known)
	compare := func(where string, ours, theirs map[string]json.RawMessage) {
		for k, v := range ours {
			w, ok := theirs[k]
			if !ok {
				t.Errorf("%s%s: not in config_full.json", where, k)
				continue
			}
			var a, b any
			json.Unmarshal(v, &a)
			json.Unmarshal(w, &b)
			ab, _ := json.Marshal(a)
			bb, _ := json.Marshal(b)
			if !bytes.Equal(ab, bb) {
				t.Errorf("%s%s = %s, config_full.json has %s", where, k, ab, bb)
			}
		}
	}
	vision := known["vision_config"]
	delete(known, "vision_config")
	compare("", known, full)
	var ov, fv map[string]json.RawMessage
	json.Unmarshal(vision, &ov)
	json.Unmarshal(full["vision_config"], &fv)
	compare("vision_config.", ov, fv)
	if len(known) < 15 || len(ov) < 10 {
		t.Errorf("only %d text and %d vision keys compared", len(known), len(ov))
	}
	// And config_full.json itself parses to the same configuration.
	cfg2, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(plain(cfg))
	cfg2.Extra, cfg2.Vision.Extra = nil, nil
	cfg.Vision.Extra = nil
	a, _ = json.Marshal(plain(cfg))
	b, _ := json.Marshal(plain(cfg2))
	if !bytes.Equal(a, b) {
		t.Errorf("config.json and config_full.json parse differently:\n%s\n%s", a, b)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"hidden_act": "mish"}`, "mish"},
		{`{"vision_config": {"hidden_act": "relu6"}}`, "relu6"},
		{`{"hidden_size": 100}`, "multiple"},
		{`{"position_embedding_type": "relative_key"}`, "relative_key"},
		{`{"num_image_with_embedding": 6}`, "num_image_with_embedding"},
		{`{"vocab_size": 10, "bos_token_id": 10}`, "bos_token_id"},
		{`{"vocab_size": "many"}`, "vocab_size"},
		{`not json`, "git config"},
	} {
		_, err := ParseConfig([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseConfig(%s): error %v, want one naming %q", c.json, err, c.want)
		}
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "config.json")); err == nil {
		t.Error("LoadConfig of a missing file succeeded")
	}
}

// git-base built from BaseConfig has PyTorch's parameter counts.
func TestBaseParamCount(t *testing.T) {
	m, err := New(BaseConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	ps := m.NamedParams()
	if n := nn.CountParams(ps); n != 176_619_066 {
		t.Errorf("git-base has %d parameters, PyTorch counts 176,619,066", n)
	}
	vision := 0
	for _, p := range ps {
		if strings.HasPrefix(p.Name, "git.image_encoder.") {
			vision += p.Var.Value.Numel()
		}
	}
	if vision != 85_799_424 {
		t.Errorf("git-base vision tower has %d parameters, PyTorch counts 85,799,424", vision)
	}
	if m.Config.NumImageTokens() != 197 {
		t.Errorf("%d image tokens, want 197", m.Config.NumImageTokens())
	}
	// The padding row starts at zero, as transformers initialises it.
	for _, v := range m.WordEmbeddings.Weight.Value.Select(0, 0).Float64s() {
		if v != 0 {
			t.Fatal("pad row of a new model is not zero")
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := loadFixtureModel(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := m.NamedParams(), back.NamedParams()
	if len(a) != len(b) {
		t.Fatalf("%d parameters after the round trip, want %d", len(b), len(a))
	}
	for i := range a {
		if a[i].Name != b[i].Name || maxAbs(t, a[i].Name, a[i].Var.Value, b[i].Var.Value) != 0 {
			t.Errorf("parameter %d (%s) changed in the round trip", i, a[i].Name)
		}
	}
	ca, _ := json.Marshal(m.Config)
	cb, _ := json.Marshal(back.Config)
	var ma, mb map[string]any
	json.Unmarshal(ca, &ma)
	json.Unmarshal(cb, &mb)
	delete(ma, "torch_dtype")
	delete(mb, "torch_dtype")
	ja, _ := json.Marshal(ma)
	jb, _ := json.Marshal(mb)
	if !bytes.Equal(ja, jb) {
		t.Errorf("config changed:\n%s\n%s", ja, jb)
	}
	// The saved tensors carry exactly the names of the reference checkpoint.
	ref, err := safetensors.OpenCheckpoint(fixtureDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	got, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if strings.Join(ref.Names(), ",") != strings.Join(got.Names(), ",") {
		t.Errorf("saved names differ from the reference checkpoint's")
	}
	// Sharded save reads back too.
	shard := filepath.Join(t.TempDir(), "sharded")
	if err := m.SaveSharded(shard, 50_000); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(shard, safetensors.IndexFileName)); err != nil {
		t.Errorf("no index after a sharded save: %v", err)
	}
	if _, err := Load(shard); err != nil {
		t.Error(err)
	}
}

// A checkpoint with a missing, an extra and a misshapen tensor fails with
// an error naming each.
func TestLoadRejectsBadCheckpoints(t *testing.T) {
	m := loadFixtureModel(t)
	dir := t.TempDir()
	ps := m.NamedParams()
	var names []string
	var ts []*tensor.Tensor
	for _, p := range ps {
		switch p.Name {
		case "output.bias": // missing
		case "git.embeddings.LayerNorm.weight": // misshapen
			names, ts = append(names, p.Name), append(ts, tensor.Zeros(tensor.F32, 3))
		default:
			names, ts = append(names, p.Name), append(ts, p.Var.Value)
		}
	}
	names, ts = append(names, "git.extra.weight"), append(ts, tensor.Zeros(tensor.F32, 1))
	if err := safetensors.WriteTensors(filepath.Join(dir, "model.safetensors"), names, ts, nil); err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(filepath.Join(fixtureDir(), "config.json"))
	os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644)
	_, err := Load(dir)
	if err == nil {
		t.Fatal("a bad checkpoint loaded")
	}
	for _, want := range []string{`"output.bias"`, `"git.extra.weight"`, `"git.embeddings.LayerNorm.weight" has shape [3]`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	// Truncated weights.
	trunc := t.TempDir()
	data, _ := os.ReadFile(filepath.Join(fixtureDir(), "model.safetensors"))
	os.WriteFile(filepath.Join(trunc, "model.safetensors"), data[:len(data)/2], 0o644)
	os.WriteFile(filepath.Join(trunc, "config.json"), cfg, 0o644)
	if _, err := Load(trunc); err == nil {
		t.Error("a truncated checkpoint loaded")
	}
}

func TestForwardRejectsBadInputs(t *testing.T) {
	m := loadFixtureModel(t)
	f := openFixture(t)
	good := fixtureInputs(t, f)
	ids := good.InputIDs.Clone()
	ids.SetAt(99, 0, 1)
	neg := good.Labels.Clone()
	neg.SetAt(-5, 1, 2)
	badMask := good.AttentionMask.Clone()
	badMask.SetAt(2, 0, 0)
	long := tensor.Zeros(tensor.I64, 2, 65)
	for _, c := range []struct {
		name string
		in   Inputs
		want string
	}{
		{"id outside vocab", Inputs{Pixels: good.Pixels, InputIDs: ids}, "input_ids[0][1] = 99"},
		{"bad label", Inputs{Pixels: good.Pixels, InputIDs: good.InputIDs, Labels: neg}, "labels[1][2] = -5"},
		{"mask value", Inputs{Pixels: good.Pixels, InputIDs: good.InputIDs, AttentionMask: badMask}, "attention_mask[0][0]"},
		{"mask shape", Inputs{Pixels: good.Pixels, InputIDs: good.InputIDs, AttentionMask: tensor.Zeros(tensor.I64, 2, 3)}, "attention_mask has shape"},
		{"pixels", Inputs{Pixels: tensor.Zeros(tensor.F32, 2, 3, 16, 16), InputIDs: good.InputIDs}, "pixel_values"},
		{"batch", Inputs{Pixels: good.Pixels.Narrow(0, 0, 1), InputIDs: good.InputIDs}, "1 images for 2 texts"},
		{"too long", Inputs{Pixels: good.Pixels, InputIDs: long}, "max_position_embeddings"},
		{"float ids", Inputs{Pixels: good.Pixels, InputIDs: tensor.Zeros(tensor.F32, 2, 3)}, "I64"},
	} {
		_, err := m.Forward(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, _, err := m.Loss(Inputs{Pixels: good.Pixels, InputIDs: good.InputIDs}); err == nil {
		t.Error("Loss without labels succeeded")
	}
}

// Dropout is active only in training mode.
func TestTrainingModeDropout(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join(fixtureDir(), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HiddenDropoutProb, cfg.AttentionProbsDropoutProb = 0.3, 0.3
	m, err := New(cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	f := openFixture(t)
	in := fixtureInputs(t, f)
	run := func() []float64 {
		l, _, err := m.Loss(in)
		if err != nil {
			t.Fatal(err)
		}
		return []float64{l.Item()}
	}
	a, b := run(), run()
	if a[0] != b[0] {
		t.Errorf("eval mode is not deterministic: %v vs %v", a, b)
	}
	m.SetTraining(true)
	c, d := run(), run()
	if c[0] == a[0] || c[0] == d[0] {
		t.Errorf("training mode shows no dropout: eval %v, train %v, %v", a, c, d)
	}
}

// FuzzParseConfig: no input makes the config parser panic, and an accepted
// config builds a valid model description.
func FuzzParseConfig(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(fixtureDir(), "config.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"vision_config": null, "hidden_size": 0}`))
	f.Add([]byte(`{"vision_config": {"patch_size": 64, "image_size": 32}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
		if _, err := json.Marshal(c); err != nil {
			t.Fatalf("accepted config does not marshal: %v", err)
		}
	})
}
