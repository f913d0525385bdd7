package gitmodel

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/internal/hffixtures"
	"radcap/safetensors"
	"radcap/tensor"
)

// fixtureDir is the GIT fixture folder: $RADCAP_HF_FIXTURES/git when the
// variable is set, else testdata/hf/git.
func fixtureDir() string { return hffixtures.Path("git") }

// fixture holds the opened input and expected files.
type fixture struct {
	inputs, expected *safetensors.File
}

func openFixture(t *testing.T) *fixture {
	t.Helper()
	in, err := safetensors.Open(filepath.Join(fixtureDir(), "inputs.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := safetensors.Open(filepath.Join(fixtureDir(), "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); ex.Close() })
	return &fixture{in, ex}
}

func (f *fixture) input(t *testing.T, name string) *tensor.Tensor {
	t.Helper()
	x, err := f.inputs.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func (f *fixture) want(t *testing.T, name string) *tensor.Tensor {
	t.Helper()
	x, err := f.expected.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func loadFixtureModel(t *testing.T) *Model {
	t.Helper()
	m, err := Load(fixtureDir())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// maxAbs returns max |got − want| (shapes must agree; equal infinities
// count as 0).
func maxAbs(t *testing.T, name string, got, want *tensor.Tensor) float64 {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", name, got.Shape(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	m := 0.0
	for i := range g {
		if g[i] == w[i] {
			continue
		}
		d := math.Abs(g[i] - w[i])
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		m = max(m, d)
	}
	return m
}

func fixtureInputs(t *testing.T, f *fixture) Inputs {
	return Inputs{
		Pixels:        f.input(t, "pixel_values"),
		InputIDs:      f.input(t, "input_ids"),
		AttentionMask: f.input(t, "attention_mask"),
		Labels:        f.input(t, "labels"),
	}
}

func TestForwardParity(t *testing.T) {
	m := loadFixtureModel(t)
	f := openFixture(t)
	out, err := m.Forward(fixtureInputs(t, f))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  *tensor.Tensor
	}{
		{"vision_last_hidden_state", out.VisionHidden.Value},
		{"visual_projection", out.ImageTokens.Value},
		{"decoder_input_embeds", out.Embeddings.Value},
		{"decoder_last_hidden_state", out.Hidden.Value},
		{"logits", m.Logits(out).Value},
	} {
		d := maxAbs(t, c.name, c.got, f.want(t, c.name))
		t.Logf("%-26s max abs error %.3g", c.name, d)
		if d > 5e-5 {
			t.Errorf("%s: max abs error %g > 5e-5", c.name, d)
		}
	}
	// The mask must be exactly the reference's (0, −Inf, float32 minimum).
	want := f.want(t, "attention_mask_4d")
	g, w := out.Mask.Float64s(), want.Float64s()
	if !slices.Equal(out.Mask.Shape(), want.Shape()) {
		t.Fatalf("attention_mask_4d shape %v, want %v", out.Mask.Shape(), want.Shape())
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("attention_mask_4d element %d = %v, want %v", i, g[i], w[i])
		}
	}
}

func TestLossAndGradientParity(t *testing.T) {
	m := loadFixtureModel(t)
	f := openFixture(t)
	tp := autograd.NewTape()
	loss, _, err := m.Loss(fixtureInputs(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	d := math.Abs(loss.Item() - f.want(t, "loss").Item())
	t.Logf("loss %.7f, max abs error %.3g", loss.Item(), d)
	if d > 1e-5 {
		t.Errorf("loss %v, want %v (error %g > 1e-5)", loss.Item(), f.want(t, "loss").Item(), d)
	}
	params := m.NamedParams()
	nGrad := 0
	for _, n := range f.expected.Names() {
		if strings.HasPrefix(n, "grad.") {
			nGrad++
		}
	}
	if nGrad != len(params) {
		t.Errorf("%d parameters, the fixture has %d gradients", len(params), nGrad)
	}
	worstName, worst := "", 0.0
	for _, p := range params {
		want := f.want(t, "grad."+p.Name)
		if p.Var.Grad == nil {
			t.Errorf("%s: no gradient", p.Name)
			continue
		}
		got := p.Var.Grad
		if !slices.Equal(got.Shape(), want.Shape()) {
			t.Errorf("%s: gradient shape %v, want %v", p.Name, got.Shape(), want.Shape())
			continue
		}
		// Key biases have a zero gradient in exact arithmetic; the stored
		// values are round-off, so they are compared absolutely.
		keyBias := strings.HasSuffix(p.Name, "attention.self.key.bias") || strings.HasSuffix(p.Name, "k_proj.bias")
		g, w := got.Float64s(), want.Float64s()
		maxErr, maxRatio := 0.0, 0.0
		for i := range g {
			e := math.Abs(g[i] - w[i])
			tol := 1e-5
			if !keyBias {
				tol += 1e-3 * math.Abs(w[i])
			}
			maxErr = max(maxErr, e)
			maxRatio = max(maxRatio, e/tol)
		}
		t.Logf("grad %-75s max abs error %.3g (%.4f of tolerance)", p.Name, maxErr, maxRatio)
		if maxRatio > 1 {
			t.Errorf("%s: gradient error %g exceeds 1e-5 + 1e-3·|want|", p.Name, maxErr)
		}
		if maxRatio > worst {
			worst, worstName = maxRatio, p.Name
		}
	}
	t.Logf("worst gradient: %s at %.4f of its tolerance", worstName, worst)
	// padding_idx: the pad row of the word-embedding gradient is exactly 0.
	pad := m.WordEmbeddings.Weight.Grad.Select(0, m.Config.PadTokenID)
	for j, v := range pad.Float64s() {
		if v != 0 {
			t.Fatalf("word-embedding gradient of the pad row [%d] = %v, want exactly 0", j, v)
		}
	}
}
