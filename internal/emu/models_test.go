package emu_test

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/blip"
	"radcap/gitmodel"
	"radcap/internal/emu"
	"radcap/internal/hffixtures"
	"radcap/nn"
	"radcap/safetensors"
	"radcap/tensor"
)

// A whole training step (forward with the loss, backward) of the tiny GIT
// and BLIP captioning fixtures, run by the unchanged gitmodel and blip
// code with every parameter and the pixels on an emulated device, must
// give the CPU's loss and gradients. The token ids, attention masks and
// labels stay on the host, where the models validate them; autograd
// uploads them. Nothing may come back from the device during the step:
// host accessors panic on device tensors, and the emulator counts
// downloads.

// fixtureInputs reads the fixture's input tensors (host).
func fixtureInputs(t *testing.T, model string) map[string]*tensor.Tensor {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(hffixtures.Path(model), "inputs.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*tensor.Tensor{}
	for _, n := range []string{"pixel_values", "input_ids", "attention_mask", "labels"} {
		x, err := f.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = x.Clone() // own memory, not the file's mapping
	}
	return out
}

// stepResult is a step's loss and gradients (on the host).
type stepResult struct {
	loss  float64
	names []string
	grads []*tensor.Tensor
}

// toDevice moves every parameter (and returns the pixels) to dev.
func toDevice(t *testing.T, params []nn.NamedParam, pixels *tensor.Tensor, dev string) *tensor.Tensor {
	t.Helper()
	for _, p := range params {
		v, err := p.Var.Value.ToDevice(dev)
		if err != nil {
			t.Fatal(err)
		}
		p.Var.Value = v
	}
	px, err := pixels.ToDevice(dev)
	if err != nil {
		t.Fatal(err)
	}
	return px
}

// stats returns the counters of the emulator registered as dev (zero for
// the host).
func stats(t *testing.T, dev string) emu.Stats {
	t.Helper()
	b, err := tensor.LookupBackend(dev)
	if err != nil {
		return emu.Stats{}
	}
	switch e := b.(type) {
	case *emu.Fused:
		return e.Stats()
	case *emu.Backend:
		return e.Stats()
	}
	return emu.Stats{}
}

// runStep runs loss() and its backward on dev and collects the results.
func runStep(t *testing.T, dev string, params []nn.NamedParam, loss func() *autograd.Var) stepResult {
	t.Helper()
	before := stats(t, dev)
	tp := autograd.NewTape()
	l := loss()
	if err := tp.Backward(l); err != nil {
		t.Fatal(err)
	}
	after := stats(t, dev)
	if n := after.Downloads - before.Downloads; n != 0 {
		t.Errorf("%d downloads from %s during the step", n, dev)
	}
	if dev != "cpu" {
		t.Logf("step on %s: %d uploads (host constants), %d allocations, peak %d device bytes",
			dev, after.Uploads-before.Uploads, after.Allocs-before.Allocs, after.MaxBytes)
	}
	var r stepResult
	lh, err := l.Value.ToDevice("cpu")
	if err != nil {
		t.Fatal(err)
	}
	r.loss = lh.Item()
	for _, p := range params {
		if p.Var.Grad == nil {
			t.Fatalf("%s on %s: no gradient", p.Name, dev)
		}
		if p.Var.Grad.Device() != dev {
			t.Fatalf("%s: gradient on %s, want %s", p.Name, p.Var.Grad.Device(), dev)
		}
		g, err := p.Var.Grad.ToDevice("cpu")
		if err != nil {
			t.Fatal(err)
		}
		r.names, r.grads = append(r.names, p.Name), append(r.grads, g)
	}
	return r
}

// compareSteps checks got against want: the loss to tol relative, each
// gradient to tol relative to its largest element (normwise), and logs
// the largest differences seen.
func compareSteps(t *testing.T, got, want stepResult, tol float64) {
	t.Helper()
	if len(got.grads) != len(want.grads) {
		t.Fatalf("%d gradients, want %d", len(got.grads), len(want.grads))
	}
	le := math.Abs(got.loss-want.loss) / math.Abs(want.loss)
	if !(le <= tol) {
		t.Errorf("loss %.9g, CPU %.9g (relative difference %.3g > %.3g)", got.loss, want.loss, le, tol)
	}
	worst, worstName, worstElem := 0.0, "", 0.0
	for i, w := range want.grads {
		g := got.grads[i]
		if fmt.Sprint(g.Shape()) != fmt.Sprint(w.Shape()) {
			t.Fatalf("%s: gradient %v, want %v", want.names[i], g.Shape(), w.Shape())
		}
		gv, wv := g.Float64s(), w.Float64s()
		scale, diff, elem := 0.0, 0.0, 0.0
		for j := range wv {
			scale = max(scale, math.Abs(wv[j]))
		}
		for j := range wv {
			d := math.Abs(gv[j] - wv[j])
			if math.IsNaN(d) {
				d = math.Inf(1)
			}
			diff = max(diff, d)
			if math.Abs(wv[j]) > 1e-3*scale {
				elem = max(elem, d/math.Abs(wv[j]))
			}
		}
		rel := 0.0
		if keyBias(want.names[i]) {
			// Zero in exact arithmetic (softmax is shift invariant): the
			// stored values are round-off, so they are compared absolutely.
			if diff > 1e-6 {
				t.Errorf("%s: key-bias gradient differs by %.3g (> 1e-6 absolute)", want.names[i], diff)
			}
			continue
		}
		if scale > 0 {
			rel = diff / scale
		} else if diff > 0 {
			rel = math.Inf(1)
		}
		if !(rel <= tol) {
			t.Errorf("%s: gradient differs by %.3g of its largest element (> %.3g)", want.names[i], rel, tol)
		}
		if rel > worst {
			worst, worstName = rel, want.names[i]
		}
		worstElem = max(worstElem, elem)
	}
	t.Logf("loss %.9g vs CPU %.9g (relative %.3g); %d gradients, largest normwise difference %.3g (%s), largest elementwise relative %.3g (elements above 1e-3 of their tensor's max; key biases compared absolutely)",
		got.loss, want.loss, le, len(want.grads), worst, worstName, worstElem)
}

// keyBias reports whether name is an attention key bias, whose gradient is
// zero up to round-off.
func keyBias(name string) bool {
	return strings.HasSuffix(name, "key.bias") || strings.HasSuffix(name, "k_proj.bias")
}

// devices lists the emulators with the bound each must meet: emu runs
// autograd's fused CPU kernels (1e-6, the task's bound), emu-nofused the
// compositions of tensor ops (float32 rounding of a different order).
func devices(t *testing.T) []struct {
	name string
	tol  float64
} {
	for _, plain := range []bool{false, true} {
		if _, err := emu.Register(plain); err != nil {
			t.Fatal(err)
		}
	}
	return []struct {
		name string
		tol  float64
	}{{emu.Name, 1e-6}, {emu.PlainName, 1e-5}}
}

func TestGITTrainStepOnDevice(t *testing.T) {
	in := fixtureInputs(t, "git")
	load := func() *gitmodel.Model {
		m, err := gitmodel.Load(hffixtures.Path("git"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	batch := gitmodel.Inputs{Pixels: in["pixel_values"], InputIDs: in["input_ids"], AttentionMask: in["attention_mask"], Labels: in["labels"]}
	step := func(m *gitmodel.Model, b gitmodel.Inputs) func() *autograd.Var {
		return func() *autograd.Var {
			l, _, err := m.Loss(b)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
	}
	cpu := load()
	want := runStep(t, "cpu", cpu.NamedParams(), step(cpu, batch))
	for _, d := range devices(t) {
		t.Run(d.name, func(t *testing.T) {
			m := load()
			b := batch
			b.Pixels = toDevice(t, m.NamedParams(), batch.Pixels, d.name)
			got := runStep(t, d.name, m.NamedParams(), step(m, b))
			compareSteps(t, got, want, d.tol)
		})
	}
}

func TestBLIPTrainStepOnDevice(t *testing.T) {
	in := fixtureInputs(t, "blip")
	load := func() *blip.CaptionModel {
		m, _, err := blip.LoadCaptionModel(hffixtures.Path("blip"), blip.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	batch := blip.CaptionInputs{Pixels: in["pixel_values"], InputIDs: in["input_ids"], AttentionMask: in["attention_mask"], Labels: in["labels"]}
	step := func(m *blip.CaptionModel, b blip.CaptionInputs) func() *autograd.Var {
		return func() *autograd.Var {
			out, err := m.Forward(b) // label smoothing from the fixture's config
			if err != nil {
				t.Fatal(err)
			}
			return out.Loss
		}
	}
	cpu := load()
	want := runStep(t, "cpu", cpu.NamedParams(), step(cpu, batch))
	for _, d := range devices(t) {
		t.Run(d.name, func(t *testing.T) {
			m := load()
			b := batch
			b.Pixels = toDevice(t, m.NamedParams(), batch.Pixels, d.name)
			got := runStep(t, d.name, m.NamedParams(), step(m, b))
			compareSteps(t, got, want, d.tol)
		})
	}
}

// TestTrainStepHalfPrecisionOnDevice runs the GIT and BLIP fixture steps
// with float16 and bfloat16 parameters and pixels on the emulator (each op
// computed in float32 and rounded to the dtype, as on a GPU) against the
// float32 host step: the loss within a few roundings, every gradient
// normwise (max|Δ| ≤ tol·max|ref|).
func TestTrainStepHalfPrecisionOnDevice(t *testing.T) {
	devices(t)
	type model struct {
		params func() []nn.NamedParam
		loss   func(pixels *tensor.Tensor) *autograd.Var
		pixels *tensor.Tensor
	}
	git := func() model {
		in := fixtureInputs(t, "git")
		m, err := gitmodel.Load(hffixtures.Path("git"))
		if err != nil {
			t.Fatal(err)
		}
		return model{m.NamedParams, func(px *tensor.Tensor) *autograd.Var {
			l, _, err := m.Loss(gitmodel.Inputs{Pixels: px, InputIDs: in["input_ids"], AttentionMask: in["attention_mask"], Labels: in["labels"]})
			if err != nil {
				t.Fatal(err)
			}
			return l
		}, in["pixel_values"]}
	}
	blipModel := func() model {
		in := fixtureInputs(t, "blip")
		m, _, err := blip.LoadCaptionModel(hffixtures.Path("blip"), blip.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return model{m.NamedParams, func(px *tensor.Tensor) *autograd.Var {
			out, err := m.Forward(blip.CaptionInputs{Pixels: px, InputIDs: in["input_ids"], AttentionMask: in["attention_mask"], Labels: in["labels"]})
			if err != nil {
				t.Fatal(err)
			}
			return out.Loss
		}, in["pixel_values"]}
	}
	for name, mk := range map[string]func() model{"git": git, "blip": blipModel} {
		ref := mk()
		// The reference computes in float32 from parameters and pixels
		// rounded to the dtype, so only the arithmetic differs.
		for _, dt := range []tensor.DType{tensor.F16, tensor.BF16} {
			t.Run(fmt.Sprintf("%s/%v", name, dt), func(t *testing.T) {
				cpu := mk()
				for _, p := range cpu.params() {
					p.Var.Value = p.Var.Value.To(dt).To(tensor.F32)
				}
				want := runStep(t, "cpu", cpu.params(), func() *autograd.Var { return cpu.loss(ref.pixels.To(dt).To(tensor.F32)) })
				m := mk()
				px := toDevice(t, m.params(), ref.pixels, emu.Name).To(dt)
				for _, p := range m.params() {
					p.Var.Value = p.Var.Value.To(dt)
				}
				got := runStep(t, emu.Name, m.params(), func() *autograd.Var { return m.loss(px) })
				tol := 8 * math.Ldexp(1, -10)
				if dt == tensor.BF16 {
					tol = 8 * math.Ldexp(1, -7)
				}
				le := math.Abs(got.loss-want.loss) / math.Abs(want.loss)
				worst, worstName := 0.0, ""
				for i, w := range want.grads {
					if keyBias(want.names[i]) {
						continue // round-off only (zero in exact arithmetic)
					}
					gv, wv := got.grads[i].Float64s(), w.Float64s()
					d, s := 0.0, 0.0
					for j := range wv {
						d, s = max(d, math.Abs(gv[j]-wv[j])), max(s, math.Abs(wv[j]))
					}
					if s > 0 && d/s > worst || math.IsNaN(d) {
						worst, worstName = d/s, want.names[i]
					}
				}
				t.Logf("loss %.6g vs %.6g (relative %.3g); largest normwise gradient difference %.3g (%s); bound %.3g", got.loss, want.loss, le, worst, worstName, tol)
				if !(le <= tol) || !(worst <= tol) {
					t.Errorf("half-precision step differs from the float32 step by %.3g (loss) / %.3g (gradients), bound %.3g", le, worst, tol)
				}
			})
		}
	}
}
