package optim

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/safetensors"
	"radcap/tensor"
)

// gradsFor returns deterministic gradients for step s of the resume test.
func gradsFor(s int, ps []Param) []*tensor.Tensor {
	rng := rand.New(rand.NewPCG(uint64(s), 99))
	out := make([]*tensor.Tensor, len(ps))
	for i, p := range ps {
		out[i] = tensor.RandN(rng, p.Var.Value.DType(), p.Var.Value.Shape()...)
	}
	return out
}

func cloneParams(ps []Param) []Param {
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: p.Name, Var: autograd.Param(p.Var.Value.Clone())}
	}
	return out
}

// TestStateRoundTripResumesBitIdentically runs six steps straight through
// and, separately, three steps, a save, a load into a fresh optimizer over
// copies of the parameters, and three more; both must agree bit for bit.
func TestStateRoundTripResumesBitIdentically(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ps := randParams(rng, tensor.F32, []int{4, 3}, []int{5}, []int{2, 2})
	start := cloneParams(ps)
	groups := func(ps []Param) []Group {
		return []Group{{Params: ps[:2], WeightDecay: 0.05}, {Params: ps[2:]}}
	}
	lrs := []float64{0, 1e-2, 8e-3, 6e-3, 4e-3, 2e-3}
	step := func(opt *AdamW, ps []Param, s int) {
		gs := gradsFor(s, ps)
		for i, p := range ps {
			p.Var.Grad = gs[i]
		}
		if s == 1 {
			ps[2].Var.Grad = nil // one skipped step: its own step count differs
		}
		if err := opt.Step(lrs[s]); err != nil {
			t.Fatal(err)
		}
	}

	straight, err := NewAdamW(groups(ps), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for s := range lrs {
		step(straight, ps, s)
	}

	first := cloneParams(start)
	opt, err := NewAdamW(groups(first), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for s := range 3 {
		step(opt, first, s)
	}
	path := filepath.Join(t.TempDir(), "optimizer.safetensors")
	if err := opt.SaveState(path); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Join(f.Names(), " ")
	f.Close()
	for _, want := range []string{"step", "exp_avg.pa", "exp_avg_sq.pc", "step.pc"} {
		if !strings.Contains(" "+names+" ", " "+want+" ") {
			t.Errorf("state file lacks %q: %s", want, names)
		}
	}

	resumed := cloneParams(first)
	opt2, err := NewAdamW(groups(resumed), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := opt2.LoadState(path); err != nil {
		t.Fatal(err)
	}
	if opt2.Steps() != 3 {
		t.Fatalf("Steps after load = %d, want 3", opt2.Steps())
	}
	for s := 3; s < len(lrs); s++ {
		step(opt2, resumed, s)
	}
	for i, p := range ps {
		if !equalBits(p.Var.Value, resumed[i].Var.Value) {
			t.Errorf("%s differs after resume", p.Name)
		}
		m1, v1, s1, _ := straight.State(p.Name)
		m2, v2, s2, _ := opt2.State(p.Name)
		if !equalBits(m1, m2) || !equalBits(v1, v2) || s1 != s2 {
			t.Errorf("%s: optimizer state differs after resume (steps %d vs %d)", p.Name, s1, s2)
		}
	}
}

func TestLoadStateErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	ps := randParams(rng, tensor.F32, []int{3}, []int{2})
	opt, err := NewAdamW([]Group{{Params: ps}}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	setRandGrads(rng, ps, 1)
	if err := opt.Step(0.1); err != nil {
		t.Fatal(err)
	}
	good, goodT := opt.StateTensors()
	base := map[string]*tensor.Tensor{}
	for i, n := range good {
		base[n] = goodT[i]
	}
	with := func(edit func(m map[string]*tensor.Tensor)) map[string]*tensor.Tensor {
		m := map[string]*tensor.Tensor{}
		for k, v := range base {
			m[k] = v
		}
		edit(m)
		return m
	}
	for _, tc := range []struct {
		name string
		ts   map[string]*tensor.Tensor
		want string
	}{
		{"no step", with(func(m map[string]*tensor.Tensor) { delete(m, "step") }), `no "step"`},
		{"float step", with(func(m map[string]*tensor.Tensor) { m["step"] = tensor.Scalar(tensor.F32, 1) }), "one I64 value"},
		{"negative step", with(func(m map[string]*tensor.Tensor) { m["step"] = tensor.FromI64([]int64{-1}) }), "negative"},
		{"unknown param", with(func(m map[string]*tensor.Tensor) { m["exp_avg.zz"] = tensor.Zeros(tensor.F32, 3) }), `no parameter named "zz"`},
		{"unknown tensor", with(func(m map[string]*tensor.Tensor) { m["momentum.pa"] = tensor.Zeros(tensor.F32, 3) }), `unexpected tensor "momentum.pa"`},
		{"shape", with(func(m map[string]*tensor.Tensor) { m["exp_avg_sq.pa"] = tensor.Zeros(tensor.F32, 4) }), `"exp_avg_sq.pa" is float32 [4], parameter float32 [3]`},
		{"dtype", with(func(m map[string]*tensor.Tensor) { m["exp_avg.pb"] = tensor.Zeros(tensor.F64, 2) }), `"exp_avg.pb" is float64`},
		{"half pair", with(func(m map[string]*tensor.Tensor) { delete(m, "exp_avg_sq.pb") }), `"pb" has only one`},
		{"lonely step", with(func(m map[string]*tensor.Tensor) {
			delete(m, "exp_avg.pb")
			delete(m, "exp_avg_sq.pb")
			m["step.pb"] = tensor.FromI64([]int64{2})
		}), `"step.pb" without moments`},
	} {
		before, _, _, _ := opt.State("pa")
		if err := opt.LoadStateTensors(tc.ts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if after, _, _, _ := opt.State("pa"); after != before || opt.Steps() != 1 {
			t.Errorf("%s: a failed load changed the state", tc.name)
		}
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "opt.safetensors")
	if err := opt.SaveState(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc.safetensors")
	if err := os.WriteFile(trunc, b[:len(b)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := opt.LoadState(trunc); err == nil || !strings.Contains(err.Error(), trunc) {
		t.Errorf("truncated file: error %v, want one naming the file", err)
	}
	if err := opt.LoadState(filepath.Join(dir, "missing.safetensors")); err == nil {
		t.Error("missing file: no error")
	}
	// A failed save leaves the old file in place.
	if err := opt.SaveState(filepath.Join(dir, "no", "such", "dir", "x.safetensors")); err == nil {
		t.Error("save into a missing folder: no error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d entries after the saves, want 2 (no temporary files left)", len(entries))
	}
}
