package models

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"radcap/data"
	"radcap/data/synth"
	"radcap/tokenizer"
)

// TestNames checks that git-small is shipped and unknown names are errors.
func TestNames(t *testing.T) {
	if !slices.Contains(Names(), GitSmall) {
		t.Fatalf("Names() = %v, want it to contain %q", Names(), GitSmall)
	}
	if _, err := FS("no-such-model"); err == nil || !strings.Contains(err.Error(), "no-such-model") {
		t.Errorf("FS of an unknown model: %v, want an error naming it", err)
	}
	if err := Extract("no-such-model", t.TempDir()); err == nil {
		t.Error("Extract of an unknown model: no error")
	}
}

// TestExtractFiles checks that every shipped model extracts to a complete
// Hugging Face folder with the same bytes as embedded.
func TestExtractFiles(t *testing.T) {
	for _, name := range Names() {
		dir := filepath.Join(t.TempDir(), name)
		if err := Extract(name, dir); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json", "README.md"} {
			got, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want, err := shipped.ReadFile(name + "/" + f)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s/%s: extracted bytes differ from the embedded ones", name, f)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		want, err := shipped.ReadDir(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(want) {
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			t.Errorf("%s: extracted %v, want exactly the %d embedded files (no temporary files left)", name, got, len(want))
		}
	}
}

// TestGitSmallCaptions loads git-small and captions two synthetic images
// from each of the shapes set (the pretraining data, where the caption
// must name shapes) and the chest X-ray set (where, before fine-tuning, it
// is a caption of the shapes kind, not a radiology report).
func TestGitSmallCaptions(t *testing.T) {
	m, err := LoadGIT(GitSmall)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.VocabSize != 30522 || m.Config.Vision.ImageSize <= 0 {
		t.Fatalf("git-small config: vocab %d, image %d", m.Config.VocabSize, m.Config.Vision.ImageSize)
	}
	size := m.Config.Vision.ImageSize
	shapes, err := synth.NewShapes(synth.ShapesConfig{Seed: 99, Size: size})
	if err != nil {
		t.Fatal(err)
	}
	cxr, err := synth.NewCXR(synth.Config{Train: 2, Validation: 1, Test: 1})
	if err != nil {
		t.Fatal(err)
	}
	cxrTrain, err := cxr.Split("train")
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenizer.BertBaseUncased()
	caption := func(ds data.Dataset) []string {
		l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: 2, Processor: data.CLIPProcessor(size)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := l.Batch(0, 0)
		if err != nil {
			t.Fatal(err)
		}
		opts := m.GenerationOptions()
		opts.MaxLength = 30
		res, err := m.Generate(b.PixelValues, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		w := res.Sequences.Dim(1)
		ids := res.Sequences.I64()
		var out []string
		for i := range res.Sequences.Dim(0) {
			out = append(out, tok.Decode(ids[i*w:(i+1)*w], true))
		}
		return out
	}
	shapeWords := []string{"circle", "square", "triangle", "blob"}
	for _, c := range caption(data.Slice(firstN(t, shapes, 2))) {
		t.Logf("shapes image: %q", c)
		if !containsAny(c, shapeWords) {
			t.Errorf("caption of a shapes image %q names no shape", c)
		}
	}
	for _, c := range caption(cxrTrain) {
		t.Logf("chest X-ray before fine-tuning: %q", c)
		if strings.TrimSpace(c) == "" {
			t.Error("empty caption of a chest X-ray")
		}
		if len(data.Label(c)) > 0 && containsAny(c, []string{"pneumothorax", "effusion", "consolidation", "nodule", "cardiomegaly"}) {
			t.Errorf("the base model already names a chest finding: %q", c)
		}
	}
}

func firstN(t *testing.T, ds data.Dataset, n int) []data.Example {
	var out []data.Example
	for i := range n {
		ex, err := ds.Item(i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ex)
	}
	return out
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(strings.ToLower(s), w) {
			return true
		}
	}
	return false
}

// TestGitSmallSeesBrightness checks that git-small's captions of fresh
// shapes images depend on the image: the brightness it states for the
// first shape must be right for at least 48 of 64 images (chance is 32;
// the shipped model gets 60, see its README).
func TestGitSmallSeesBrightness(t *testing.T) {
	m, err := LoadGIT(GitSmall)
	if err != nil {
		t.Fatal(err)
	}
	size := m.Config.Vision.ImageSize
	shapes, err := synth.NewShapes(synth.ShapesConfig{Seed: 99, Size: size})
	if err != nil {
		t.Fatal(err)
	}
	l, err := data.NewLoader(shapes, data.LoaderOptions{BatchSize: 64, Processor: data.CLIPProcessor(size)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	opts := m.GenerationOptions()
	opts.MaxLength = 40
	res, err := m.Generate(b.PixelValues, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenizer.BertBaseUncased()
	w := res.Sequences.Dim(1)
	ids := res.Sequences.I64()
	right := 0
	for i := range 64 {
		got, _ := synth.ParseShapes(tok.Decode(ids[i*w:(i+1)*w], true))
		want, _ := synth.ParseShapes(b.Captions[i])
		if len(got) > 0 && len(want) > 0 && got[0].Bright == want[0].Bright {
			right++
		}
	}
	t.Logf("brightness of the first shape right in %d of 64 captions", right)
	if right < 48 {
		t.Errorf("brightness right in %d of 64 captions, want at least 48 (chance 32)", right)
	}
}
