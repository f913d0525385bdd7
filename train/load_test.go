package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadModelErrors: a folder that is not a usable model gives an error
// naming the folder and the problem.
func TestLoadModelErrors(t *testing.T) {
	splits := synthSplits(t, 2, 1, 1)
	g := tinyGIT(t, 1, splits.Train)
	good := filepath.Join(t.TempDir(), "good")
	if err := g.Save(good); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModel(good); err != nil {
		t.Fatalf("a saved model does not load: %v", err)
	}
	copyDir := func(name string, edit func(dir string)) string {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		ents, _ := os.ReadDir(good)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(good, e.Name()))
			if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		edit(dir)
		return dir
	}
	cases := []struct {
		dir, want string
	}{
		{filepath.Join(t.TempDir(), "missing"), "no config.json"},
		{copyDir("badjson", func(d string) { os.WriteFile(filepath.Join(d, "config.json"), []byte("{"), 0o644) }), "config.json"},
		{copyDir("t5", func(d string) {
			os.WriteFile(filepath.Join(d, "config.json"), []byte(`{"model_type": "t5"}`), 0o644)
		}), `model_type "t5" is not supported`},
		{copyDir("noweights", func(d string) { os.Remove(filepath.Join(d, "model.safetensors")) }), "model.safetensors"},
		{copyDir("novocab", func(d string) { os.Remove(filepath.Join(d, "vocab.txt")) }), "novocab"},
		{copyDir("badproc", func(d string) {
			os.WriteFile(filepath.Join(d, "preprocessor_config.json"), []byte(`{"image_processor_type": "ViTImageProcessor"}`), 0o644)
		}), "ViTImageProcessor"},
		{copyDir("wrongsize", func(d string) {
			os.WriteFile(filepath.Join(d, "preprocessor_config.json"), []byte(`{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 48}, "crop_size": {"height": 48, "width": 48}}`), 0o644)
		}), "48x48"},
	}
	for _, tc := range cases {
		_, err := LoadModel(tc.dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadModel(%s): %v, want an error with %q", filepath.Base(tc.dir), err, tc.want)
		}
	}
	if _, err := NewBaseModel("git-huge", 1); err == nil {
		t.Error("unknown base model accepted")
	}
}

// TestOpenDataErrors: a data folder without the three splits is an error
// naming what is missing.
func TestOpenDataErrors(t *testing.T) {
	if _, err := OpenData(filepath.Join(t.TempDir(), "nope"), SynthOptions{}); err == nil || !strings.Contains(err.Error(), "no such folder") {
		t.Errorf("missing folder: %v", err)
	}
	empty := t.TempDir()
	if _, err := OpenData(empty, SynthOptions{}); err == nil || !strings.Contains(err.Error(), "no train split") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := OpenData("synthetic", SynthOptions{Size: 3}); err == nil {
		t.Error("synthetic images of 3 pixels accepted")
	}
}
