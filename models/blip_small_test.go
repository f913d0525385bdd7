package models

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"radcap/blip"
	"radcap/data"
	"radcap/data/synth"
	"radcap/imageproc"
	"radcap/tokenizer"
)

// shippedBLIP loads blip-small as a user of the folder does: the model,
// the tokenizer and the image processor, each from its file.
func shippedBLIP(t *testing.T) (*blip.CaptionModel, *tokenizer.Tokenizer, imageproc.Processor) {
	t.Helper()
	dir, cleanup, err := ExtractTemp(BlipSmall)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	m, _, err := blip.LoadCaptionModel(dir, blip.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := imageproc.FromConfig(filepath.Join(dir, "preprocessor_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m, tok, proc
}

// captionBLIP captions the first n examples of ds greedily (at most 40
// tokens) and returns the captions and the batch.
func captionBLIP(t *testing.T, m *blip.CaptionModel, tok *tokenizer.Tokenizer, proc imageproc.Processor, ds data.Dataset, n int) ([]string, *data.Batch) {
	t.Helper()
	l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: n, Processor: proc})
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	opts := m.GenerateOptions()
	opts.MaxLength = 40
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
	return out, b
}

// TestBlipSmallFolder checks that blip-small is shipped as a
// BlipForConditionalGeneration folder: the model loads with the
// configuration the pretraining presets give (BERT's vocabulary with
// [DEC] and [ENC], 64-pixel images), the tokenizer knows [DEC] as its bos
// at the model's bos_token_id, and the image processor gives 64x64
// images.
func TestBlipSmallFolder(t *testing.T) {
	if !slices.Contains(Names(), BlipSmall) {
		t.Fatalf("Names() = %v, want it to contain %q", Names(), BlipSmall)
	}
	m, tok, proc := shippedBLIP(t)
	tc, vc := m.Config.TextConfig, m.Config.VisionConfig
	if tc.VocabSize != 30524 || tc.BosTokenID != 30522 || tc.SepTokenID != 102 || vc.ImageSize != 64 {
		t.Errorf("config: vocab %d, bos %d, sep %d, image %d; want 30524, 30522, 102, 64", tc.VocabSize, tc.BosTokenID, tc.SepTokenID, vc.ImageSize)
	}
	if tok.BOSID() != tc.BosTokenID || tok.SEPID() != tc.SepTokenID || tok.PadID() != tc.PadTokenID {
		t.Errorf("tokenizer bos/sep/pad %d/%d/%d, model %d/%d/%d", tok.BOSID(), tok.SEPID(), tok.PadID(), tc.BosTokenID, tc.SepTokenID, tc.PadTokenID)
	}
	if enc, ok := tok.TokenID("[ENC]"); !ok || enc != tc.BosTokenID+1 {
		t.Errorf("[ENC] id %d (%v), want %d", enc, ok, tc.BosTokenID+1)
	}
	if proc.Width != 64 || proc.Height != 64 || proc.ShortestEdge != 0 {
		t.Errorf("image processor %+v, want a 64x64 resize (BLIP's)", proc)
	}
}

// TestBlipSmallCaptions captions two shapes images (the pretraining data,
// where the caption must name shapes) and two chest X-rays (where, before
// fine-tuning, it is a caption of the shapes kind, not a radiology
// report).
func TestBlipSmallCaptions(t *testing.T) {
	m, tok, proc := shippedBLIP(t)
	shapes, err := synth.NewShapes(synth.ShapesConfig{Seed: 99, Size: 64})
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
	shapeCaps, _ := captionBLIP(t, m, tok, proc, data.Slice(firstN(t, shapes, 2)), 2)
	for _, c := range shapeCaps {
		t.Logf("shapes image: %q", c)
		if !containsAny(c, []string{"circle", "square", "triangle", "blob"}) {
			t.Errorf("caption of a shapes image %q names no shape", c)
		}
	}
	cxrCaps, _ := captionBLIP(t, m, tok, proc, cxrTrain, 2)
	for _, c := range cxrCaps {
		t.Logf("chest X-ray before fine-tuning: %q", c)
		if strings.TrimSpace(c) == "" {
			t.Error("empty caption of a chest X-ray")
		}
		if containsAny(c, []string{"pneumothorax", "effusion", "consolidation", "nodule", "cardiomegaly"}) {
			t.Errorf("the base model already names a chest finding: %q", c)
		}
	}
}

// TestBlipSmallSeesTheImage checks that blip-small's captions of 64 fresh
// shapes images depend on the image: for the first shape a caption names,
// its brightness, size and position must each match the reference's first
// shape in at least 48, 48 and 40 of the 64 captions (chance: 32, 32 and
// about 13; the shipped model gets 59, 60 and 52, see its README). The
// kind (21 of 64, chance 16) is logged, not asserted: the model hardly
// sees it.
func TestBlipSmallSeesTheImage(t *testing.T) {
	m, tok, proc := shippedBLIP(t)
	shapes, err := synth.NewShapes(synth.ShapesConfig{Seed: 99, Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	caps, b := captionBLIP(t, m, tok, proc, shapes, 64)
	var bright, size, pos, kind int
	for i, c := range caps {
		got, _ := synth.ParseShapes(c)
		want, _ := synth.ParseShapes(b.Captions[i])
		if len(got) == 0 || len(want) == 0 {
			continue
		}
		if got[0].Bright == want[0].Bright {
			bright++
		}
		if got[0].Large == want[0].Large {
			size++
		}
		if got[0].Pos == want[0].Pos {
			pos++
		}
		if got[0].Kind == want[0].Kind {
			kind++
		}
	}
	t.Logf("first shape right in 64 captions: brightness %d, size %d, position %d, kind %d", bright, size, pos, kind)
	for _, c := range []struct {
		what      string
		got, want int
	}{{"brightness", bright, 48}, {"size", size, 48}, {"position", pos, 40}} {
		if c.got < c.want {
			t.Errorf("%s right in %d of 64 captions, want at least %d", c.what, c.got, c.want)
		}
	}
}
