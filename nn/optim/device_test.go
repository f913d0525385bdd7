package optim

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"radcap/autograd"
	"radcap/internal/emu"
	"radcap/tensor"
)

// The device path of the optimizer: parameters, gradients and moments on
// the emulated device ("emu", which computes with the CPU's kernels), so
// every update must equal the host's bit for bit, and nothing may be
// downloaded except the explicit scalars (the gradient norms, the loss
// scaler's flag).

func emuStats(t *testing.T) emu.Stats {
	t.Helper()
	b, err := emu.Register(false)
	if err != nil {
		t.Fatal(err)
	}
	return b.(*emu.Fused).Stats()
}

// mirror returns device copies of host params (values and gradients).
func mirror(t *testing.T, ps []Param, dev string) []Param {
	t.Helper()
	out := make([]Param, len(ps))
	for i, p := range ps {
		v, err := p.Var.Value.ToDevice(dev)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = Param{Name: p.Name, Var: autograd.Param(v)}
		if p.Var.Grad != nil {
			if out[i].Var.Grad, err = p.Var.Grad.ToDevice(dev); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

func download(t *testing.T, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	h, err := x.ToDevice("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestAdamWOnDeviceMatchesHost runs clipping, AdamW steps with weight
// decay in two groups, ZeroGrad and a state round trip with float32 and
// float64 parameters (one a strided view) on the host and on emu.
func TestAdamWOnDeviceMatchesHost(t *testing.T) {
	emuStats(t)
	for _, dt := range []tensor.DType{tensor.F32, tensor.F64} {
		rng := rand.New(rand.NewPCG(11, 12))
		host := randParams(rng, dt, []int{5, 7}, []int{7}, []int{3, 2, 4})
		host[2].Var.Value = host[2].Var.Value.Transpose(0, 2) // a strided parameter
		dev := mirror(t, host, emu.Name)
		dev[2].Var.Value = dev[2].Var.Value.Contiguous().Transpose(1, 0).Transpose(1, 0) // keep it a view
		groups := func(ps []Param) []Group {
			return []Group{{Params: ps[:2], WeightDecay: 0.01}, {Params: ps[2:], WeightDecay: 0}}
		}
		oh, err := NewAdamW(groups(host), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		od, err := NewAdamW(groups(dev), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		for step := range 4 {
			setRandGrads(rng, host, 3)
			if step == 2 {
				host[1].Var.Grad = nil // skipped this step
			}
			for i, p := range host {
				dev[i].Var.Grad = nil
				if p.Var.Grad != nil {
					dev[i].Var.Grad = mustDev(t, p.Var.Grad)
				}
			}
			before := emuStats(t)
			nh, err := ClipGradNorm(host, 1)
			if err != nil {
				t.Fatal(err)
			}
			nd, err := ClipGradNorm(dev, 1)
			if err != nil {
				t.Fatal(err)
			}
			// float64 norms are summed in another order on the device
			// (tensor.Sum) than on the host: last-bit differences.
			if nh != nd && (dt == tensor.F32 || relErr(nd, nh, 1e-300) > 1e-14) {
				t.Errorf("%v step %d: norm on emu %.17g, host %.17g", dt, step, nd, nh)
			}
			if err := oh.Step(1e-2); err != nil {
				t.Fatal(err)
			}
			if err := od.Step(1e-2); err != nil {
				t.Fatal(err)
			}
			ZeroGrad(dev)
			after := emuStats(t)
			if n := after.Downloads - before.Downloads; n != 1 {
				t.Errorf("%v step %d: %d downloads for clip + step + zero, want 1 (the norms)", dt, step, n)
			}
			for i := range host {
				if got := download(t, dev[i].Var.Value); !sameValues(got, host[i].Var.Value) {
					t.Errorf("%v step %d: %s on emu differs from the host", dt, step, host[i].Name)
				}
				if dev[i].Var.Value.Device() != emu.Name {
					t.Errorf("%s moved off the device", host[i].Name)
				}
				if g := dev[i].Var.Grad; g != nil {
					if z := download(t, g); tensor.Sum(tensor.Abs(z), nil, false).Item() != 0 {
						t.Errorf("%s: ZeroGrad left a nonzero device gradient", host[i].Name)
					}
				}
			}
			ZeroGrad(host)
		}
		for _, p := range dev {
			m, v, _, ok := od.State(p.Name)
			if !ok || m.Device() != emu.Name || v.Device() != emu.Name {
				t.Errorf("%s: moments not on the device (%v)", p.Name, ok)
			}
		}
		// State round trip: saved from the device (downloaded), loaded into
		// a fresh optimizer over device parameters (uploaded), it continues
		// as the host optimizer does.
		path := filepath.Join(t.TempDir(), "opt.safetensors")
		if err := od.SaveState(path); err != nil {
			t.Fatal(err)
		}
		od2, err := NewAdamW(groups(dev), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if err := od2.LoadState(path); err != nil {
			t.Fatal(err)
		}
		setRandGrads(rng, host, 1)
		for i, p := range host {
			dev[i].Var.Grad = mustDev(t, p.Var.Grad)
		}
		if err := oh.Step(3e-3); err != nil {
			t.Fatal(err)
		}
		if err := od2.Step(3e-3); err != nil {
			t.Fatal(err)
		}
		for i := range host {
			if got := download(t, dev[i].Var.Value); !sameValues(got, host[i].Var.Value) {
				t.Errorf("%v after state round trip: %s on emu differs from the host", dt, host[i].Name)
			}
			m, _, _, _ := od2.State(host[i].Name)
			if m.Device() != emu.Name {
				t.Errorf("%s: loaded moment on %s, want %s", host[i].Name, m.Device(), emu.Name)
			}
		}
	}
}

// sameValues is equalBits for float32 and agreement to 1e-13 relative (of
// the largest element) for float64, whose norms differ in the last bit.
func sameValues(a, b *tensor.Tensor) bool {
	a, b = a.Contiguous(), b.Contiguous()
	if a.DType() == tensor.F32 {
		return equalBits(a, b)
	}
	x, y := a.Float64s(), b.Float64s()
	scale := 0.0
	for _, v := range y {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range x {
		if !(math.Abs(x[i]-y[i]) <= 1e-13*scale) {
			return false
		}
	}
	return len(x) == len(y)
}

func mustDev(t *testing.T, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	d, err := x.ToDevice(emu.Name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLossScalerOnDevice: unscaling device gradients equals the host's and
// finds an inf or a NaN with one download.
func TestLossScalerOnDevice(t *testing.T) {
	emuStats(t)
	for _, bad := range []float64{0, math.Inf(-1), math.NaN()} {
		rng := rand.New(rand.NewPCG(3, 4))
		host := randParams(rng, tensor.F32, []int{4, 3}, []int{6})
		setRandGrads(rng, host, 1000)
		if bad != 0 {
			g := host[1].Var.Grad.Clone()
			g.SetAt(bad, 4)
			host[1].Var.Grad = g
		}
		dev := mirror(t, host, emu.Name)
		oh, _ := NewAdamW([]Group{{Params: host}}, DefaultOptions())
		od, _ := NewAdamW([]Group{{Params: dev}}, DefaultOptions())
		sh, _ := NewLossScaler(DefaultScalerOptions())
		sd, _ := NewLossScaler(DefaultScalerOptions())
		fh, err := sh.Unscale(oh)
		if err != nil {
			t.Fatal(err)
		}
		before := emuStats(t)
		fd, err := sd.Unscale(od)
		if err != nil {
			t.Fatal(err)
		}
		if n := emuStats(t).Downloads - before.Downloads; n != 1 {
			t.Errorf("bad %v: %d downloads, want 1", bad, n)
		}
		if fh != fd || fd != (bad != 0) {
			t.Errorf("bad %v: found inf on emu %v, host %v", bad, fd, fh)
		}
		for i := range host {
			if !equalBits(download(t, dev[i].Var.Grad), host[i].Var.Grad) {
				t.Errorf("bad %v: unscaled %s differs", bad, host[i].Name)
			}
		}
	}
}

// offerAdamW is an emulator that offers FusedAdamW: it records what Step
// hands it and answers with err (ErrNotFused declines).
type offerAdamW struct {
	*emu.Backend
	err   error
	calls int
	steps []int64
	wds   []float64
}

func (o *offerAdamW) FusedAdamW(params, grads, m, v []*tensor.Tensor, steps []int64, wd []float64, lr, b1, b2, eps float64) error {
	o.calls++
	o.steps, o.wds = steps, wd
	if len(params) != len(grads) || len(m) != len(params) || len(v) != len(params) {
		return errors.New("lengths differ")
	}
	return o.err
}

// TestFusedAdamWHook: a backend with FusedAdamW is offered the step first;
// declining falls back to tensor ops (same result as the host), another
// error fails the step.
func TestFusedAdamWHook(t *testing.T) {
	fb := &offerAdamW{Backend: emu.NewNamed("emu-offer-adamw"), err: autograd.ErrNotFused}
	if err := tensor.RegisterBackend(fb); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	host := randParams(rng, tensor.F32, []int{3, 3}, []int{3})
	setRandGrads(rng, host, 1)
	dev := mirror(t, host, fb.Name())
	oh, _ := NewAdamW([]Group{{Params: host[:1], WeightDecay: 0.5}, {Params: host[1:]}}, DefaultOptions())
	od, _ := NewAdamW([]Group{{Params: dev[:1], WeightDecay: 0.5}, {Params: dev[1:]}}, DefaultOptions())
	if err := oh.Step(0.1); err != nil {
		t.Fatal(err)
	}
	if err := od.Step(0.1); err != nil {
		t.Fatal(err)
	}
	if fb.calls != 1 || len(fb.steps) != 2 || fb.steps[0] != 1 || fb.wds[0] != 0.5 || fb.wds[1] != 0 {
		t.Errorf("offered %d times, steps %v, weight decays %v", fb.calls, fb.steps, fb.wds)
	}
	for i := range host {
		if !equalBits(download(t, dev[i].Var.Value), host[i].Var.Value) {
			t.Errorf("%s: the fallback after ErrNotFused differs from the host", host[i].Name)
		}
	}
	fb.err = errors.New("device lost")
	if err := od.Step(0.1); err == nil || !errors.Is(err, fb.err) {
		t.Errorf("a failing fused AdamW gave %v", err)
	}
}

// noF64 is an emulator that, like cuda, computes in float32, float16 and
// bfloat16 only: element-wise ops and reductions refuse float64.
type noF64 struct{ *emu.Backend }

func (b noF64) Unary(op tensor.UnaryOp, dst, src *tensor.Tensor, s, t float64) error {
	if src.DType() == tensor.F64 {
		return errors.New("unary: float64 not supported")
	}
	return b.Backend.Unary(op, dst, src, s, t)
}

func (b noF64) Reduce(op tensor.ReduceOp, dst, src *tensor.Tensor) error {
	if src.DType() == tensor.F64 {
		return errors.New("reduce: float64 not supported")
	}
	return b.Backend.Reduce(op, dst, src)
}

// TestClipOnFloat32Backend: on a backend without float64 arithmetic the
// gradient norm is summed in float32 there (close to the host's, one
// download) and clipping and AdamW still run.
func TestClipOnFloat32Backend(t *testing.T) {
	nb := noF64{emu.NewNamed("emu-no-f64")}
	if err := tensor.RegisterBackend(nb); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	host := randParams(rng, tensor.F32, []int{64, 33}, []int{33})
	setRandGrads(rng, host, 2)
	dev := mirror(t, host, nb.Name())
	nh, err := ClipGradNorm(host, 1)
	if err != nil {
		t.Fatal(err)
	}
	before := nb.Stats()
	nd, err := ClipGradNorm(dev, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n := nb.Stats().Downloads - before.Downloads; n != 1 {
		t.Errorf("%d downloads, want 1", n)
	}
	if relErr(nd, nh, 1e-30) > 1e-6 {
		t.Errorf("norm %.9g on a float32 backend, host %.9g", nd, nh)
	}
	for i := range host {
		got := download(t, dev[i].Var.Grad).F32()
		want := host[i].Var.Grad.F32()
		for j := range want {
			if relErr(float64(got[j]), float64(want[j]), 1e-6) > 1e-6 {
				t.Fatalf("%s[%d]: clipped %g, host %g", host[i].Name, j, got[j], want[j])
			}
		}
	}
	o, _ := NewAdamW([]Group{{Params: dev, WeightDecay: 0.1}}, DefaultOptions())
	if err := o.Step(1e-3); err != nil {
		t.Fatal(err)
	}
}
