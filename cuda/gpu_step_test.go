//go:build cgo

package cuda

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/blip"
	"radcap/gitmodel"
	"radcap/internal/hffixtures"
	"radcap/nn"
	"radcap/nn/optim"
	"radcap/safetensors"
	"radcap/tensor"
)

// One whole training step of the tiny GIT and BLIP fixtures (testdata/hf,
// or $RADCAP_HF_FIXTURES) on the GPU against the CPU: the unchanged model
// code runs with every parameter and the pixels on "cuda"; the loss and
// every gradient must match the CPU's (float32: 1e-5 of each gradient's
// largest element), and after one AdamW step (the CPU's nn/optim AdamW,
// the GPU's fused kernel) so must the parameters. Skips without a GPU.

// stepLR and stepWD are the AdamW step's learning rate and weight decay:
// larger than the reference run's, so the update is far above round-off.
const stepLR, stepWD = 1e-3, 1e-2

func readFixtureInputs(t *testing.T, model string) map[string]*tensor.Tensor {
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
		out[n] = x.Clone()
	}
	return out
}

// stepOutcome is a step's loss, gradients and parameters after AdamW (host).
type stepOutcome struct {
	loss          float64
	names         []string
	grads, params []*tensor.Tensor
}

// cpuStep runs loss and backward on the host, then nn/optim's AdamW.
func cpuStep(t *testing.T, params []nn.NamedParam, loss func() *autograd.Var) stepOutcome {
	t.Helper()
	tp := autograd.NewTape()
	l := loss()
	if err := tp.Backward(l); err != nil {
		t.Fatal(err)
	}
	r := stepOutcome{loss: l.Value.Item()}
	group := optim.Group{WeightDecay: stepWD}
	for _, p := range params {
		r.names = append(r.names, p.Name)
		r.grads = append(r.grads, p.Var.Grad.Clone())
		group.Params = append(group.Params, optim.Param{Name: p.Name, Var: p.Var})
	}
	opt, err := optim.NewAdamW([]optim.Group{group}, optim.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.Step(stepLR); err != nil {
		t.Fatal(err)
	}
	for _, p := range params {
		r.params = append(r.params, p.Var.Value.Clone())
	}
	return r
}

// gpuStep moves the parameters to the GPU, runs loss and backward there,
// then the fused AdamW, and downloads the results.
func gpuStep(t *testing.T, b *Backend, params []nn.NamedParam, loss func() *autograd.Var) stepOutcome {
	t.Helper()
	for _, p := range params {
		p.Var.Value = onGPU(t, p.Var.Value)
	}
	tp := autograd.NewTape()
	l := loss()
	if err := tp.Backward(l); err != nil {
		t.Fatal(err)
	}
	r := stepOutcome{loss: onHost(t, l.Value).Item()}
	var table []AdamWParam
	var keep []*tensor.Tensor // moments and contiguous gradients stay alive until the step ran
	for _, p := range params {
		g := p.Var.Grad
		if g == nil || g.Device() != BackendName {
			t.Fatalf("%s: gradient %v, want one on %s", p.Name, g, BackendName)
		}
		g = g.Contiguous()
		r.names = append(r.names, p.Name)
		r.grads = append(r.grads, onHost(t, g))
		m, err := b.zeros(tensor.F32, p.Var.Value.Numel())
		if err != nil {
			t.Fatal(err)
		}
		v, err := b.zeros(tensor.F32, p.Var.Value.Numel())
		if err != nil {
			t.Fatal(err)
		}
		keep = append(keep, g, m, v)
		table = append(table, AdamWParam{Master: buf(p.Var.Value), M: buf(m), V: buf(v), Grad: buf(g), GradDType: tensor.F32, N: p.Var.Value.Numel()})
	}
	opt, err := b.d.NewAdamW(table)
	if err != nil {
		t.Fatal(err)
	}
	defer opt.Free()
	o := optim.DefaultOptions()
	if _, err := opt.Step(AdamWHyper{LR: stepLR, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, WeightDecay: stepWD, Step: 1, InvScale: 1}); err != nil {
		t.Fatal(err)
	}
	for _, p := range params {
		r.params = append(r.params, onHost(t, p.Var.Value))
	}
	_ = keep
	return r
}

// maxAbs is the largest |element|.
func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// compareOutcomes checks the loss (relative tol), every gradient (tol of
// its largest element; attention key biases, zero in exact arithmetic,
// to 1e-6 absolute) and every parameter after AdamW: where the CPU's
// gradient is at least 1e-3 of its largest element (the update's sign is
// then well defined), to tol of the parameter's largest element; elsewhere
// within 2·lr (Adam's largest step) of the CPU.
func compareOutcomes(t *testing.T, got, want stepOutcome, tol float64) {
	t.Helper()
	if d := math.Abs(got.loss-want.loss) / math.Abs(want.loss); !(d <= tol) {
		t.Errorf("loss %.9g, CPU %.9g (relative difference %.3g)", got.loss, want.loss, d)
	}
	if len(got.grads) != len(want.grads) {
		t.Fatalf("%d gradients, CPU %d", len(got.grads), len(want.grads))
	}
	worstG, worstP := 0.0, 0.0
	for i, name := range want.names {
		wg, gg := want.grads[i].Float64s(), got.grads[i].Float64s()
		gs := maxAbs(wg)
		keyBias := strings.HasSuffix(name, "key.bias") || strings.HasSuffix(name, "k_proj.bias")
		diff := 0.0
		for j := range wg {
			d := math.Abs(gg[j] - wg[j])
			if math.IsNaN(d) {
				d = math.Inf(1)
			}
			diff = math.Max(diff, d)
		}
		switch {
		case keyBias:
			if diff > 1e-6 {
				t.Errorf("%s: key-bias gradient differs by %.3g (> 1e-6 absolute)", name, diff)
			}
		case diff > tol*gs:
			t.Errorf("%s: gradient differs by %.3g, %.3g of its largest element (> %.3g)", name, diff, diff/gs, tol)
		default:
			if gs > 0 {
				worstG = math.Max(worstG, diff/gs)
			}
		}
		wp, gp := want.params[i].Float64s(), got.params[i].Float64s()
		ps := maxAbs(wp)
		for j := range wp {
			d := math.Abs(gp[j] - wp[j])
			bound := 2*stepLR + tol*ps
			if !keyBias && math.Abs(wg[j]) >= 1e-3*gs {
				bound = tol * ps
				worstP = math.Max(worstP, d/ps)
			}
			if !(d <= bound) {
				t.Errorf("%s[%d] after AdamW: %.9g, CPU %.9g (difference %.3g > %.3g)", name, j, gp[j], wp[j], d, bound)
				break
			}
		}
	}
	t.Logf("loss %.9g vs CPU %.9g; largest gradient difference %.3g and parameter difference %.3g of the tensor's largest element",
		got.loss, want.loss, worstG, worstP)
}

func TestGITTrainStepGPU(t *testing.T) {
	defer failOnPanic(t)
	b := cudaBackend(t)
	in := readFixtureInputs(t, "git")
	run := func(dev bool) stepOutcome {
		m, err := gitmodel.Load(hffixtures.Path("git"))
		if err != nil {
			t.Fatal(err)
		}
		batch := gitmodel.Inputs{Pixels: in["pixel_values"], InputIDs: in["input_ids"], AttentionMask: in["attention_mask"], Labels: in["labels"]}
		loss := func() *autograd.Var {
			l, _, err := m.Loss(batch)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		if !dev {
			return cpuStep(t, m.NamedParams(), loss)
		}
		batch.Pixels = onGPU(t, batch.Pixels)
		return gpuStep(t, b, m.NamedParams(), loss)
	}
	compareOutcomes(t, run(true), run(false), 1e-5)
}

func TestBLIPTrainStepGPU(t *testing.T) {
	defer failOnPanic(t)
	b := cudaBackend(t)
	in := readFixtureInputs(t, "blip")
	run := func(dev bool) stepOutcome {
		m, _, err := blip.LoadCaptionModel(hffixtures.Path("blip"), blip.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		batch := blip.CaptionInputs{Pixels: in["pixel_values"], InputIDs: in["input_ids"], AttentionMask: in["attention_mask"], Labels: in["labels"]}
		loss := func() *autograd.Var {
			out, err := m.Forward(batch)
			if err != nil {
				t.Fatal(err)
			}
			return out.Loss
		}
		if !dev {
			return cpuStep(t, m.NamedParams(), loss)
		}
		batch.Pixels = onGPU(t, batch.Pixels)
		return gpuStep(t, b, m.NamedParams(), loss)
	}
	compareOutcomes(t, run(true), run(false), 1e-5)
}
