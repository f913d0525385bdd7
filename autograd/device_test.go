package autograd_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/internal/emu"
	"radcap/tensor"
)

// These tests run every op of package autograd, forward and backward, on
// the emulated devices and compare with the host: "emu" (whose fused
// kernels are autograd's own CPU ops on private copies, so results match
// to rounding) and "emu-nofused" (which makes every fused op run as its
// composition of tensor ops on the device). A device path that read
// device data on the host would panic (the emulator's handles are opaque
// to package tensor), and the emulator's download counter proves that no
// forward or backward copied anything back to the host.

// graph is one differentiable computation: inputs (host tensors; which
// want gradients), and f building the output from Vars on some device.
type graph struct {
	name  string
	in    func(rng *rand.Rand, dt tensor.DType) []*tensor.Tensor
	grad  []bool // which inputs are Params (the rest are constants)
	f     func(v []*autograd.Var) *autograd.Var
	exact bool // the emulator's fused kernel is the CPU op itself: demand 1e-12
	// composed marks ops that no fused interface covers, so they run as
	// compositions on every device (rounding like emu-nofused in float32).
	composed bool
}

// result is a graph's output and the gradients of its Params, on the host.
type result struct {
	out   *tensor.Tensor
	grads []*tensor.Tensor
}

// runGraph evaluates g on dev (inputs moved there first) with a fresh rng
// of seed, seeds the backward with a fixed random cotangent and returns the
// output and gradients brought back to the host.
func runGraph(t *testing.T, g graph, dt tensor.DType, dev string, seed uint64) result {
	t.Helper()
	hin := g.in(rand.New(rand.NewPCG(seed, 9)), dt)
	vars := make([]*autograd.Var, len(hin))
	tp := autograd.NewTape()
	for i, h := range hin {
		d, err := h.ToDevice(dev)
		if err != nil {
			t.Fatal(err)
		}
		if i < len(g.grad) && g.grad[i] {
			vars[i] = autograd.Param(d)
		} else {
			vars[i] = tp.Const(d)
		}
	}
	var downloads int64
	stats := func() int64 {
		if b, err := tensor.LookupBackend(dev); err == nil {
			switch e := b.(type) {
			case *emu.Fused:
				return e.Stats().Downloads
			case *emu.Backend:
				return e.Stats().Downloads
			}
		}
		return 0
	}
	downloads = stats()
	out := g.f(vars)
	cot := tensor.RandN(rand.New(rand.NewPCG(seed, 10)), dt, out.Shape()...)
	dcot, err := cot.ToDevice(dev)
	if err != nil {
		t.Fatal(err)
	}
	if out.RequiresGrad {
		if err := tp.BackwardWithGrad(out, dcot); err != nil {
			t.Fatal(err)
		}
	}
	if n := stats() - downloads; n != 0 {
		t.Errorf("%s on %s: %d downloads from the device during forward and backward", g.name, dev, n)
	}
	r := result{out: toHost(t, out.Value)}
	for i, v := range vars {
		if i < len(g.grad) && g.grad[i] {
			if v.Grad == nil {
				t.Fatalf("%s on %s: input %d got no gradient", g.name, dev, i)
			}
			if v.Grad.Device() != dev {
				t.Fatalf("%s on %s: gradient of input %d is on %s", g.name, dev, i, v.Grad.Device())
			}
			r.grads = append(r.grads, toHost(t, v.Grad))
		}
	}
	return r
}

func toHost(t *testing.T, d *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	h, err := d.ToDevice("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// relDiff is the largest |a−b| / max(|a|, |b|, 1e-3) (NaN against NaN is 0).
func relDiff(t *testing.T, what string, a, b *tensor.Tensor) float64 {
	t.Helper()
	if fmt.Sprint(a.Shape()) != fmt.Sprint(b.Shape()) || a.DType() != b.DType() {
		t.Fatalf("%s: %v%v vs %v%v", what, a.DType(), a.Shape(), b.DType(), b.Shape())
	}
	x, y := a.Float64s(), b.Float64s()
	worst := 0.0
	for i := range x {
		if math.IsNaN(x[i]) && math.IsNaN(y[i]) || x[i] == y[i] {
			continue
		}
		e := math.Abs(x[i]-y[i]) / max(math.Abs(x[i]), math.Abs(y[i]), 1e-3)
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		worst = max(worst, e)
	}
	return worst
}

// registerEmus registers both emulators.
func registerEmus(t *testing.T) {
	t.Helper()
	for _, plain := range []bool{false, true} {
		if _, err := emu.Register(plain); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeviceOpsMatchCPU compares every op's output and gradients on both
// emulators with the host, in float32 and float64.
func TestDeviceOpsMatchCPU(t *testing.T) {
	registerEmus(t)
	for _, g := range deviceGraphs() {
		for _, dt := range []tensor.DType{tensor.F32, tensor.F64} {
			for _, dev := range []string{emu.Name, emu.PlainName} {
				// Fused ops on emu are the CPU kernels; compositions round
				// differently (statistics in the dtype, not float64).
				tol := 1e-6
				switch {
				case dev == emu.Name && g.exact:
					tol = 1e-12
				case dt == tensor.F64:
					tol = 1e-10
				case dev == emu.PlainName || g.composed:
					tol = 2e-5
				}
				t.Run(fmt.Sprintf("%s/%v/%s", g.name, dt, dev), func(t *testing.T) {
					worst := 0.0
					for _, seed := range []uint64{1, 2} {
						want := runGraph(t, g, dt, "cpu", seed)
						got := runGraph(t, g, dt, dev, seed)
						if e := relDiff(t, "output", got.out, want.out); e > tol {
							t.Errorf("seed %d: output differs by %.3g (> %.3g)", seed, e, tol)
						} else {
							worst = max(worst, e)
						}
						for i := range want.grads {
							if e := relDiff(t, "grad", got.grads[i], want.grads[i]); e > tol {
								t.Errorf("seed %d: gradient %d differs by %.3g (> %.3g)", seed, i, e, tol)
							} else {
								worst = max(worst, e)
							}
						}
					}
					t.Logf("largest relative difference %.3g (bound %.3g)", worst, tol)
				})
			}
		}
	}
}

// TestDeviceBackwardSeedDevice checks that a seed on another device than
// the output is an error, and that mixing devices in an op panics with
// the op's name.
func TestDeviceBackwardSeedDevice(t *testing.T) {
	registerEmus(t)
	x, err := tensor.FromF32([]float32{1, 2, 3}, 3).ToDevice(emu.Name)
	if err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewTape()
	p := autograd.Param(x)
	out := autograd.Sum(autograd.Square(p), nil, false)
	if err := tp.BackwardWithGrad(out, tensor.Full(tensor.F32, 1)); err == nil || !strings.Contains(err.Error(), "cpu") {
		t.Errorf("seed on the host for a device output: error %v", err)
	}
	if err := tp.Backward(out); err != nil {
		t.Fatal(err)
	}
	g, err := p.Grad.ToDevice("cpu")
	if err != nil {
		t.Fatal(err)
	}
	if got := g.F32(); got[0] != 2 || got[1] != 4 || got[2] != 6 {
		t.Errorf("gradient of sum(x²) = %v, want [2 4 6]", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "LayerNorm") || !strings.Contains(fmt.Sprint(r), "different devices") {
			t.Errorf("LayerNorm with a host weight and a device input: panic %v", r)
		}
	}()
	autograd.LayerNorm(p, autograd.Param(tensor.FromF32([]float32{1, 1, 1}, 3)), nil, 1e-5)
}

// TestDeviceHostMaskUploadedOnce checks that a host mask given to several
// attention calls on one tape is uploaded once.
func TestDeviceHostMaskUploadedOnce(t *testing.T) {
	registerEmus(t)
	b, err := tensor.LookupBackend(emu.PlainName)
	if err != nil {
		t.Fatal(err)
	}
	e := b.(*emu.Backend)
	rng := rand.New(rand.NewPCG(4, 4))
	mask := tensor.FromF32([]float32{0, 0, float32(math.Inf(-1))}, 1, 1, 1, 3) // on the host
	x, err := tensor.RandN(rng, tensor.F32, 1, 2, 3, 4).ToDevice(emu.PlainName)
	if err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewTape()
	h := autograd.Scale(tp.Const(x), 1)
	p := autograd.Param(x)
	before := e.Stats().Uploads
	for range 4 {
		h = autograd.ScaledDotProductAttention(autograd.Add(h, p), h, h, mask, false, 0)
	}
	if n := e.Stats().Uploads - before; n != 1 {
		t.Errorf("4 attention calls with one host mask made %d uploads, want 1", n)
	}
	if err := tp.Backward(autograd.Sum(h, nil, false)); err != nil {
		t.Fatal(err)
	}
}

// TestDeviceGradAccumulates checks that a second Backward adds into the
// device gradients, as on the host.
func TestDeviceGradAccumulates(t *testing.T) {
	registerEmus(t)
	h := tensor.FromF32([]float32{1, -2, 3}, 3)
	for _, dev := range []string{"cpu", emu.Name} {
		x, err := h.ToDevice(dev)
		if err != nil {
			t.Fatal(err)
		}
		p := autograd.Param(x)
		for range 2 {
			tp := autograd.NewTape()
			if err := tp.Backward(autograd.Sum(autograd.Mul(p, p), nil, false)); err != nil {
				t.Fatal(err)
			}
		}
		g, err := p.Grad.ToDevice("cpu")
		if err != nil {
			t.Fatal(err)
		}
		if got := g.F32(); got[0] != 4 || got[1] != -8 || got[2] != 12 {
			t.Errorf("%s: gradient after two backwards of sum(x²) = %v, want [4 -8 12]", dev, got)
		}
	}
}

// runGraphAs is runGraph with inputs (and the cotangent) drawn in float32,
// rounded to store and computed in compute (store itself, or float32 for
// the host reference of a half-precision device run).
func runGraphAs(t *testing.T, g graph, store, compute tensor.DType, dev string, seed uint64) result {
	t.Helper()
	hin := g.in(rand.New(rand.NewPCG(seed, 9)), tensor.F32)
	vars := make([]*autograd.Var, len(hin))
	tp := autograd.NewTape()
	for i, h := range hin {
		if h.DType() == tensor.F32 {
			h = h.To(store).To(compute)
		}
		d, err := h.ToDevice(dev)
		if err != nil {
			t.Fatal(err)
		}
		if i < len(g.grad) && g.grad[i] {
			vars[i] = autograd.Param(d)
		} else {
			vars[i] = tp.Const(d)
		}
	}
	out := g.f(vars)
	cot := tensor.RandN(rand.New(rand.NewPCG(seed, 10)), tensor.F32, out.Shape()...).To(store).To(compute)
	dcot, err := cot.ToDevice(dev)
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.BackwardWithGrad(out, dcot); err != nil {
		t.Fatal(err)
	}
	r := result{out: toHost(t, out.Value).To(tensor.F32)}
	for i, v := range vars {
		if i < len(g.grad) && g.grad[i] {
			if v.Grad.DType() != compute {
				t.Fatalf("gradient %d has dtype %v, want %v", i, v.Grad.DType(), compute)
			}
			r.grads = append(r.grads, toHost(t, v.Grad).To(tensor.F32))
		}
	}
	return r
}

// normDiff is max|a−b| / max|b| (normwise relative; NaN against NaN is 0).
func normDiff(a, b *tensor.Tensor) float64 {
	x, y := a.Float64s(), b.Float64s()
	d, m := 0.0, 0.0
	for i := range y {
		if math.IsNaN(x[i]) && math.IsNaN(y[i]) {
			continue
		}
		e := math.Abs(x[i] - y[i])
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		d, m = max(d, e), max(m, math.Abs(y[i]))
	}
	if d == 0 {
		return 0
	}
	return d / m
}

// TestDeviceOpsHalfPrecision runs every graph with float16 and bfloat16
// values on the emulators (computed in float32, each op's result rounded
// to the dtype, as on a GPU) against the host in float32 from the same
// rounded inputs. The bound (normwise: max|Δ| ≤ tol·max|ref| per tensor)
// is a few roundings of the dtype: each op rounds its result once.
func TestDeviceOpsHalfPrecision(t *testing.T) {
	registerEmus(t)
	for _, g := range deviceGraphs() {
		if g.name == "CrossEntropyAllIgnored" {
			continue // NaN loss; covered in float32
		}
		for _, dt := range []tensor.DType{tensor.F16, tensor.BF16} {
			tol := 8 * math.Ldexp(1, -10) // float16
			if dt == tensor.BF16 {
				tol = 8 * math.Ldexp(1, -7)
			}
			for _, dev := range []string{emu.Name, emu.PlainName} {
				t.Run(fmt.Sprintf("%s/%v/%s", g.name, dt, dev), func(t *testing.T) {
					want := runGraphAs(t, g, dt, tensor.F32, "cpu", 1)
					got := runGraphAs(t, g, dt, dt, dev, 1)
					worst := normDiff(got.out, want.out)
					for i := range want.grads {
						worst = max(worst, normDiff(got.grads[i], want.grads[i]))
					}
					if worst > tol {
						t.Errorf("largest relative difference %.3g > %.3g", worst, tol)
					}
					t.Logf("largest relative difference %.3g (bound %.3g)", worst, tol)
				})
			}
		}
	}
}

// dropDevice is an emulator that draws dropout masks itself
// (autograd.FusedDropout), from a generator seeded by the caller's draw.
type dropDevice struct {
	*emu.Backend
	calls int
	own   int64 // uploads the fake itself makes (it draws on the host)
}

func (d *dropDevice) FusedDropoutMask(like *tensor.Tensor, p float64, seed uint64) (*tensor.Tensor, error) {
	d.calls++
	rng := rand.New(rand.NewPCG(seed, seed))
	m := make([]float64, like.Numel())
	for i := range m {
		if rng.Float64() >= p {
			m[i] = 1 / (1 - p)
		}
	}
	h, err := d.Alloc(like.DType(), len(m))
	if err != nil {
		return nil, err
	}
	out := tensor.FromHandle(d, h, like.DType(), len(m), like.Shape()...)
	before := d.Stats().Uploads
	out.CopyFrom(mustDevice(tensor.FromF64(m, like.Shape()...).To(like.DType()), d.Name()))
	d.own += d.Stats().Uploads - before
	return out, nil
}

func mustDevice(h *tensor.Tensor, dev string) *tensor.Tensor {
	d, err := h.ToDevice(dev)
	if err != nil {
		panic(err)
	}
	return d
}

// TestDeviceDropoutMask checks that dropout on a FusedDropout backend
// takes its mask from the backend (no upload of a mask), uses it in the
// forward and the backward, and repeats for the same rng seed.
func TestDeviceDropoutMask(t *testing.T) {
	d := &dropDevice{Backend: emu.NewNamed("emu-dropout")}
	if b, err := tensor.LookupBackend(d.Name()); err == nil {
		d = b.(*dropDevice)
	} else if err := tensor.RegisterBackend(d); err != nil {
		t.Fatal(err)
	}
	x := mustDevice(tensor.Full(tensor.F32, 2, 64, 64), d.Name())
	run := func() (y, g []float32, uploads int64) {
		p := autograd.Param(x)
		before, own := d.Stats().Uploads, d.own
		out := autograd.Dropout(p, 0.25, true, rand.New(rand.NewPCG(8, 8)))
		uploads = d.Stats().Uploads - before - (d.own - own)
		tp := autograd.NewTape()
		if err := tp.Backward(autograd.Sum(out, nil, false)); err != nil {
			t.Fatal(err)
		}
		yh, gh := toHost(t, out.Value), toHost(t, p.Grad)
		return yh.F32(), gh.F32(), uploads
	}
	calls := d.calls
	y1, g1, up := run()
	if d.calls != calls+1 || up != 0 {
		t.Fatalf("dropout made %d device mask calls and %d uploads, want 1 and 0", d.calls-calls, up)
	}
	zeros := 0
	for i, v := range y1 {
		switch {
		case v == 0 && g1[i] == 0:
			zeros++
		case math.Abs(float64(v)-2/0.75) < 1e-6 && math.Abs(float64(g1[i])-1/0.75) < 1e-6:
		default:
			t.Fatalf("element %d: y %v, grad %v (want 0 and 0, or 2/(1−p) and 1/(1−p))", i, v, g1[i])
		}
	}
	if frac := float64(zeros) / float64(len(y1)); frac < 0.2 || frac > 0.3 {
		t.Errorf("%.3f of the elements dropped, want about 0.25", frac)
	}
	y2, _, _ := run()
	for i := range y1 {
		if y1[i] != y2[i] {
			t.Fatalf("the same rng seed gave a different mask at %d", i)
		}
	}
}
