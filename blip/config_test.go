package blip

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"radcap/internal/hffixtures"
)

// fixturesDir is the Hugging Face fixture folder the tests read: the one
// RADCAP_HF_FIXTURES names, or the copy of its blip/ and blip_retrieval/
// folders in testdata/hf.
func fixturesDir() string { return hffixtures.Path() }

// compareToFull checks every value the marshalled config holds against
// config_full.json (which spells out transformers' defaults), and that no
// modelled key is missing from config_full.json.
func compareToFull(t *testing.T, got map[string]any, full map[string]any, path string) {
	t.Helper()
	for k, g := range got {
		w, ok := full[k]
		if !ok {
			t.Errorf("%s%s: radcap writes it but config_full.json has no such key", path, k)
			continue
		}
		if gm, ok := g.(map[string]any); ok {
			wm, ok := w.(map[string]any)
			if !ok {
				t.Errorf("%s%s: object vs %v", path, k, w)
				continue
			}
			compareToFull(t, gm, wm, path+k+".")
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s%s = %v, config_full.json has %v", path, k, g, w)
		}
	}
}

func TestConfigDefaultsMatchConfigFull(t *testing.T) {
	for _, name := range []string{"blip", "blip_retrieval"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(fixturesDir(), name)
			cfg, err := LoadConfig(dir)
			if err != nil {
				t.Fatal(err)
			}
			fullCfg, err := LoadConfig(filepath.Join(dir, "config_full.json"))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "config_full.json"))
			if err != nil {
				t.Fatal(err)
			}
			var full map[string]any
			if err := json.Unmarshal(raw, &full); err != nil {
				t.Fatal(err)
			}
			// Every modelled field, marshalled without the extra keys of
			// config.json, must equal config_full.json's value.
			bare := cfg
			bare.Extra = nil
			bare.TextConfig.Extra, bare.VisionConfig.Extra = nil, nil
			b, err := json.Marshal(bare)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			compareToFull(t, got, full, "")
			// And parsing the full file gives the same modelled values.
			fullCfg.Extra, fullCfg.TextConfig.Extra, fullCfg.VisionConfig.Extra = nil, nil, nil
			if !reflect.DeepEqual(bare, fullCfg) {
				t.Errorf("config.json parses to\n%+v\nconfig_full.json to\n%+v", bare, fullCfg)
			}
		})
	}
}

func TestConfigFixtureValues(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join(fixturesDir(), "blip"))
	if err != nil {
		t.Fatal(err)
	}
	tc, vc := cfg.TextConfig, cfg.VisionConfig
	if tc.LabelSmoothing != 0.1 || tc.BosTokenID != 97 || tc.SepTokenID != 3 || tc.EosTokenID != 2 || tc.PadTokenID != 0 {
		t.Errorf("text config %+v", tc)
	}
	if vc.NumPatches() != 16 || vc.LayerNormEps != 0.001 || tc.LayerNormEps != 0.0001 {
		t.Errorf("vision config %+v", vc)
	}
	if cfg.Extra["torch_dtype"] == nil || cfg.Extra["model_type"] == nil {
		t.Errorf("extra keys not kept: %v", cfg.Extra)
	}
}

func TestConfigEncoderHiddenSizeFollowsVision(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"text_config": {"hidden_size": 64, "num_attention_heads": 4, "encoder_hidden_size": 5},
		"vision_config": {"hidden_size": 48, "num_attention_heads": 4}}`), "inline")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TextConfig.EncoderHiddenSize != 48 {
		t.Errorf("encoder_hidden_size = %d, want the vision width 48", cfg.TextConfig.EncoderHiddenSize)
	}
	if cfg.TextConfig.LabelSmoothing != 0 {
		t.Errorf("label_smoothing default = %v, want 0", cfg.TextConfig.LabelSmoothing)
	}
	empty, err := ParseConfig([]byte(`{}`), "empty")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(empty.TextConfig, DefaultConfig().TextConfig) || empty.TextConfig.NumAttentionHeads != 8 {
		t.Errorf("empty config text part %+v", empty.TextConfig)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join(fixturesDir(), "blip"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(b, "round trip")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, back) {
		t.Errorf("round trip changed the config:\n%+v\n%+v", cfg, back)
	}
	nullTok, err := ParseConfig([]byte(`{"text_config": {"pad_token_id": null, "num_attention_heads": 12}}`), "null")
	if err != nil {
		t.Fatal(err)
	}
	if nullTok.TextConfig.PadTokenID != NoToken {
		t.Errorf("null pad_token_id = %d", nullTok.TextConfig.PadTokenID)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`[1]`, "cannot unmarshal"},
		{`{"text_config": {"hidden_act": "swish"}}`, "text_config.hidden_act"},
		{`{"vision_config": {"hidden_act": "nope"}}`, "vision_config.hidden_act"},
		{`{"text_config": {"hidden_size": 30}}`, "not a multiple"},
		{`{"text_config": {"vocab_size": "x"}}`, `"vocab_size"`},
		{`{"vision_config": {"patch_size": 0}}`, "vision_config.patch_size"},
		{`{"text_config": {"num_attention_heads": 12, "label_smoothing": 2}}`, "label_smoothing"},
		{`{"text_config": 3}`, "text_config"},
		{`{"text_config": {"num_attention_heads": 12, "sep_token_id": 99999}}`, "sep_token_id"},
		{`{`, "unexpected end"},
	} {
		_, err := ParseConfig([]byte(c.json), "bad.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("%s: err %v, want one naming bad.json and %q", c.json, err, c.want)
		}
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"blip/config.json", "blip_retrieval/config.json", "blip/config_full.json"} {
		if b, err := os.ReadFile(filepath.Join(fixturesDir(), name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"text_config": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data, "fuzz")
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("parsed config fails Validate: %v", err)
		}
		if _, err := json.Marshal(cfg); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	})
}
