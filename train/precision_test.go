package train

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/data"
	"radcap/nn"
	"radcap/nn/optim"
	"radcap/tensor"
)

func TestCheckDevicePrecisions(t *testing.T) {
	for _, c := range []struct {
		device, precision string
		ok                bool
		has               []string
	}{
		{"cpu", "fp32", true, nil},
		{"cpu", "bf16", true, nil},
		{"cpu", "fp16", false, []string{"fp16 needs CUDA", "--device cuda", "bf16 or fp32"}},
		{"cuda", "bf16", false, []string{"--device cuda", "CUDA backend is not registered"}},
		{"cpu", "fp8", false, []string{`unknown precision "fp8"`}},
		{"tpu", "fp32", false, []string{`unknown device "tpu"`}},
	} {
		err := CheckDevice(c.device, c.precision)
		if c.ok {
			if err != nil {
				t.Errorf("%s/%s: %v", c.device, c.precision, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s/%s: no error", c.device, c.precision)
			continue
		}
		for _, h := range c.has {
			if !strings.Contains(err.Error(), h) {
				t.Errorf("%s/%s: error %q lacks %q", c.device, c.precision, err, h)
			}
		}
	}
	if err := CheckDevice("cpu", "fp16"); !errors.Is(err, ErrPrecision) {
		t.Errorf("fp16 on the CPU: %v does not wrap ErrPrecision", err)
	}
	cfg := Reference()
	cfg.OutDir, cfg.Precision = "out", "bf16"
	if err := cfg.Validate(); err != nil {
		t.Errorf("bf16 on the CPU does not validate: %v", err)
	}
	if AutocastDType("bf16") != tensor.BF16 || AutocastDType("fp32") != tensor.F32 {
		t.Error("AutocastDType")
	}
}

// isBF16 reports whether every element of t is a bfloat16 value.
func isBF16(t *tensor.Tensor) bool {
	for _, v := range t.Contiguous().F32() {
		if math.Float32bits(v)&0xffff != 0 {
			return false
		}
	}
	return true
}

// paramByName finds a parameter of m.
func paramByName(t *testing.T, m Model, name string) *autograd.Var {
	t.Helper()
	for _, p := range m.NamedParams() {
		if p.Name == name {
			return p.Var
		}
	}
	t.Fatalf("no parameter %s", name)
	return nil
}

// stepResult is what one training step of the tiny GIT gave.
type stepResult struct {
	loss, gradNorm float64
	outGrad        *tensor.Tensor // output.weight's gradient
	normGrad       *tensor.Tensor // a LayerNorm weight's gradient
	m              *GIT
	before         map[string][]float32
}

// oneStep runs one forward, backward and AdamW step of the tiny GIT (the
// same weights every call) on batch at precision.
func oneStep(t *testing.T, precision string, splits Splits, batch *data.Batch) stepResult {
	t.Helper()
	m := tinyGIT(t, 1, splits.Train, splits.Validation, splits.Test)
	cfg := Reference()
	cfg.Precision = precision
	if err := ApplyPrecision(cfg, m); err != nil {
		t.Fatal(err)
	}
	r := stepResult{m: m, before: paramsCopy(m)}
	named := m.NamedParams()
	params := make([]optim.Param, len(named))
	for i, p := range named {
		params[i] = optim.Param{Name: p.Name, Var: p.Var}
	}
	opt, err := optim.NewAdamW(optim.TrainerGroups(params, 0, func(string) bool { return false }), optim.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewTape()
	loss, err := m.Loss(batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	r.loss = loss.Item()
	r.outGrad = paramByName(t, m, "output.weight").Grad.Clone()
	r.normGrad = paramByName(t, m, "git.encoder.layer.0.output.LayerNorm.weight").Grad.Clone()
	if r.gradNorm, err = optim.GradNorm(params); err != nil {
		t.Fatal(err)
	}
	if err := opt.Step(1e-3); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBF16TrainingStep trains the tiny GIT one step in fp32 and in bf16
// from the same weights on the same batch: the bf16 loss and gradient
// norm are within bfloat16 precision of fp32's but not identical, the LM
// head's weight gradient is made of bfloat16 values (a LayerNorm's is
// not), and the step updates the float32 master weights.
func TestBF16TrainingStep(t *testing.T) {
	splits := synthSplits(t, 8, 2, 2)
	tok := tinyGIT(t, 1, splits.Train, splits.Validation, splits.Test).Tok
	loader, err := data.NewLoader(splits.Train, data.LoaderOptions{BatchSize: 4, Processor: clipProcessor(32), Tokenizer: tok, MaxLength: 64, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := loader.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	f32, b16 := oneStep(t, "fp32", splits, batch), oneStep(t, "bf16", splits, batch)
	t.Logf("loss fp32 %.7f bf16 %.7f; grad norm fp32 %.6f bf16 %.6f", f32.loss, b16.loss, f32.gradNorm, b16.gradNorm)
	if rel := math.Abs(b16.loss-f32.loss) / f32.loss; rel > 1e-2 || b16.loss == f32.loss {
		t.Errorf("bf16 loss %v vs fp32 %v: relative difference %.3g, want 0 < d <= 1e-2", b16.loss, f32.loss, rel)
	}
	if rel := math.Abs(b16.gradNorm-f32.gradNorm) / f32.gradNorm; rel > 5e-2 || b16.gradNorm == f32.gradNorm {
		t.Errorf("bf16 gradient norm %v vs fp32 %v: relative difference %.3g, want 0 < d <= 5e-2", b16.gradNorm, f32.gradNorm, rel)
	}
	if !isBF16(b16.outGrad) {
		t.Error("bf16: output.weight's gradient holds values that are not bfloat16")
	}
	if isBF16(f32.outGrad) {
		t.Error("fp32: output.weight's gradient is all bfloat16 values")
	}
	if isBF16(b16.normGrad) {
		t.Error("bf16: the LayerNorm weight's gradient is all bfloat16 values; it should stay float32")
	}
	for _, r := range []stepResult{f32, b16} {
		if paramsChanged(r.before, r.m) == 0 {
			t.Error("no parameter changed")
		}
	}
	if w := paramByName(t, b16.m, "output.weight").Value; isBF16(w) {
		t.Error("bf16: the master weights were rounded to bfloat16")
	}
	if b16.m.M.Layers[0].Intermediate.Autocast != tensor.BF16 ||
		b16.m.M.Output.Autocast != tensor.BF16 || b16.m.M.Vision.Layers[0].MLP.FC1.Autocast != tensor.BF16 {
		t.Error("bf16 did not reach the decoder, LM head and vision Linears")
	}
}

// TestRunBF16Smoke runs a short fine-tune in bf16: it trains, evaluates
// and records the precision in results.json.
func TestRunBF16Smoke(t *testing.T) {
	splits := synthSplits(t, 8, 4, 4)
	m := tinyGIT(t, 2, splits.Train, splits.Validation, splits.Test)
	out := t.TempDir()
	cfg := tinyConfig(out)
	cfg.Epochs, cfg.Accumulation, cfg.Precision = 1, 1, "bf16"
	cfg.Generate.MaxNewTokens = 4
	before := paramsCopy(m)
	res, err := Run(context.Background(), cfg, m, splits, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 2 || paramsChanged(before, m) == 0 {
		t.Errorf("%d steps, %d parameters changed", res.Steps, paramsChanged(before, m))
	}
	if math.IsNaN(res.Tuned.Loss) || math.IsInf(res.Tuned.Loss, 0) {
		t.Errorf("test loss %v", res.Tuned.Loss)
	}
	if m.M.Output.Autocast != tensor.BF16 {
		t.Error("the model's LM head is not under bf16 autocast")
	}
	r, err := ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Settings.Precision != "bf16" {
		t.Errorf("results.json precision %q, want bf16", r.Settings.Precision)
	}
}

// TestApplyPrecisionNeedsLayers: bf16 on something without layers is an
// error; fp32 switches autocast off again.
func TestApplyPrecisionNeedsLayers(t *testing.T) {
	cfg := Reference()
	cfg.Precision = "bf16"
	if err := ApplyPrecision(cfg, struct{ N int }{1}); err == nil || !strings.Contains(err.Error(), "no layer") {
		t.Errorf("bf16 without layers: %v", err)
	}
	l := &nn.Linear{}
	if err := ApplyPrecision(cfg, l); err != nil || l.Autocast != tensor.BF16 {
		t.Errorf("bf16: %v, autocast %v", err, l.Autocast)
	}
	cfg.Precision = "fp32"
	if err := ApplyPrecision(cfg, l); err != nil || l.Autocast != tensor.F32 {
		t.Errorf("fp32: %v, autocast %v", err, l.Autocast)
	}
}
