package optim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

// refAdamW is AdamW as the paper and PyTorch's documentation state it,
// written independently of the kernels, in float64:
//
//	theta <- theta - lr*wd*theta
//	m <- b1*m + (1-b1)*g;  v <- b2*v + (1-b2)*g^2
//	mhat = m/(1-b1^t);  vhat = v/(1-b2^t)
//	theta <- theta - lr * mhat / (sqrt(vhat) + eps)
type refAdamW struct {
	theta, m, v []float64
	t           int
}

func (r *refAdamW) step(g []float64, lr, wd, b1, b2, eps float64) {
	r.t++
	if r.m == nil {
		r.m, r.v = make([]float64, len(g)), make([]float64, len(g))
	}
	for i := range g {
		r.theta[i] -= lr * wd * r.theta[i]
		r.m[i] = b1*r.m[i] + (1-b1)*g[i]
		r.v[i] = b2*r.v[i] + (1-b2)*g[i]*g[i]
		mhat := r.m[i] / (1 - math.Pow(b1, float64(r.t)))
		vhat := r.v[i] / (1 - math.Pow(b2, float64(r.t)))
		r.theta[i] -= lr * mhat / (math.Sqrt(vhat) + eps)
	}
}

// runVsReference steps an AdamW over random params and compares params and
// moments with refAdamW after every step; it returns the largest relative
// errors seen (params, moments).
func runVsReference(t *testing.T, dt tensor.DType, wd float64, lrs []float64, opts Options) (maxP, maxM float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	ps := randParams(rng, dt, []int{7, 5}, []int{13}, []int{2, 3, 4})
	groups := []Group{{Params: ps[:2], WeightDecay: wd}, {Params: ps[2:], WeightDecay: 0}}
	opt, err := NewAdamW(groups, opts)
	if err != nil {
		t.Fatal(err)
	}
	refs := make([]*refAdamW, len(ps))
	for i, p := range ps {
		refs[i] = &refAdamW{theta: p.Var.Value.Float64s()}
	}
	for s, lr := range lrs {
		// Gradients of varied magnitude, some tiny (eps matters), one zero.
		setRandGrads(rng, ps, math.Pow(10, float64(-s%4)))
		ps[1].Var.Grad.SetAt(0, 3)
		ps[0].Var.Grad.SetAt(1e-9, 0, 0)
		for i, p := range ps {
			pwd := wd
			if i >= 2 {
				pwd = 0
			}
			refs[i].step(p.Var.Grad.Float64s(), lr, pwd, opts.Beta1, opts.Beta2, opts.Eps)
		}
		if err := opt.Step(lr); err != nil {
			t.Fatal(err)
		}
		for i, p := range ps {
			m, v, step, ok := opt.State(p.Name)
			if !ok || step != int64(s+1) {
				t.Fatalf("step %d: state of %s: ok=%v step=%d", s, p.Name, ok, step)
			}
			got, gm, gv := p.Var.Value.Float64s(), m.Float64s(), v.Float64s()
			for j := range got {
				maxP = math.Max(maxP, relErr(got[j], refs[i].theta[j], 1e-3))
				maxM = math.Max(maxM, relErr(gm[j], refs[i].m[j], 1e-6))
				maxM = math.Max(maxM, relErr(gv[j], refs[i].v[j], 1e-12))
			}
		}
	}
	return maxP, maxM
}

func TestAdamWMatchesReference(t *testing.T) {
	lrs := []float64{0, 1e-3, 5e-4, 2e-3, 1e-3, 7e-4, 3e-4, 1e-4} // first step at 0 as with warm-up
	for _, tc := range []struct {
		name    string
		dt      tensor.DType
		wd      float64
		tolP    float64
		tolM    float64
		options Options
	}{
		{"f64 decay", tensor.F64, 0.1, 1e-12, 1e-12, DefaultOptions()},
		{"f64 no decay", tensor.F64, 0, 1e-12, 1e-12, DefaultOptions()},
		{"f64 other betas", tensor.F64, 0.01, 1e-12, 1e-12, Options{Beta1: 0.8, Beta2: 0.95, Eps: 1e-6}},
		{"f32 decay", tensor.F32, 0.1, 1e-5, 1e-5, DefaultOptions()},
		{"f32 no decay", tensor.F32, 0, 1e-5, 1e-5, DefaultOptions()},
		{"f32 reference run decay", tensor.F32, 1e-8, 1e-5, 1e-5, DefaultOptions()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			maxP, maxM := runVsReference(t, tc.dt, tc.wd, lrs, tc.options)
			t.Logf("max relative error: params %.3g, moments %.3g", maxP, maxM)
			if maxP > tc.tolP || maxM > tc.tolM {
				t.Errorf("max relative error params %.3g (tol %g), moments %.3g (tol %g)", maxP, tc.tolP, maxM, tc.tolM)
			}
		})
	}
}

// TestAdamWFirstStepIsSignStep checks Adam's textbook property: the first
// bias-corrected step moves each weight by lr*g/(|g|+eps), i.e. lr in the
// direction of -sign(g) for gradients far above eps, after the decay.
func TestAdamWFirstStepIsSignStep(t *testing.T) {
	p := Param{Name: "w", Var: autograd.Param(tensor.FromF64([]float64{1, -2, 0.5, 3}, 4))}
	p.Var.Grad = tensor.FromF64([]float64{0.3, -40, 1e-3, 0}, 4)
	opt, err := NewAdamW([]Group{{Params: []Param{p}, WeightDecay: 0.5}}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.Step(0.01); err != nil {
		t.Fatal(err)
	}
	want := []float64{1*0.995 - 0.01*0.3/(0.3+1e-8), -2*0.995 + 0.01*40/(40+1e-8), 0.5*0.995 - 0.01*1e-3/(1e-3+1e-8), 3 * 0.995}
	for i, w := range want {
		if got := p.Var.Value.At(i); math.Abs(got-w) > 1e-12 {
			t.Errorf("w[%d] = %.15g, want %.15g", i, got, w)
		}
	}
}

func TestAdamWZeroLRStepCounts(t *testing.T) {
	p := Param{Name: "w", Var: autograd.Param(tensor.FromF32([]float32{1, 2}, 2))}
	p.Var.Grad = tensor.FromF32([]float32{0.5, -1}, 2)
	opt, err := NewAdamW([]Group{{Params: []Param{p}, WeightDecay: 0.1}}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.Step(0); err != nil {
		t.Fatal(err)
	}
	if got := p.Var.Value.F32(); got[0] != 1 || got[1] != 2 {
		t.Errorf("lr 0 changed the weights: %v", got)
	}
	m, v, step, ok := opt.State("w")
	if !ok || step != 1 || opt.Steps() != 1 {
		t.Fatalf("state after one step: ok=%v step=%d Steps=%d", ok, step, opt.Steps())
	}
	if math.Abs(m.At(0)-0.05) > 1e-8 || math.Abs(v.At(1)-0.001) > 1e-9 {
		t.Errorf("moments after lr-0 step: m %v v %v", m, v)
	}
}

func TestAdamWSkipsParamsWithoutGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ps := randParams(rng, tensor.F32, []int{3}, []int{4})
	before := ps[1].Var.Value.Clone()
	opt, err := NewAdamW([]Group{{Params: ps, WeightDecay: 0.1}}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ps[0].Var.Grad = tensor.RandN(rng, tensor.F32, 3)
	if err := opt.Step(1e-2); err != nil {
		t.Fatal(err)
	}
	if !equalBits(ps[1].Var.Value, before) {
		t.Error("a parameter without gradient changed (PyTorch skips it, decay included)")
	}
	if _, _, _, ok := opt.State(ps[1].Name); ok {
		t.Error("a parameter without gradient got optimizer state")
	}
	ps[1].Var.Grad = tensor.RandN(rng, tensor.F32, 4)
	if err := opt.Step(1e-2); err != nil {
		t.Fatal(err)
	}
	_, _, s0, _ := opt.State(ps[0].Name)
	_, _, s1, _ := opt.State(ps[1].Name)
	if s0 != 2 || s1 != 1 || opt.Steps() != 2 {
		t.Errorf("steps: %d and %d (want 2 and 1), Steps %d", s0, s1, opt.Steps())
	}
}

// TestAdamWNonContiguousValue updates a parameter held as a transposed view
// and checks the result equals that of a contiguous copy.
func TestAdamWNonContiguousValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	base := tensor.RandN(rng, tensor.F32, 3, 4)
	view := base.Transpose(0, 1) // [4 3], not contiguous
	if view.IsContiguous() {
		t.Fatal("test needs a non-contiguous view")
	}
	a := Param{Name: "view", Var: autograd.Param(view)}
	b := Param{Name: "copy", Var: autograd.Param(view.Contiguous().Clone())}
	g := tensor.RandN(rng, tensor.F32, 4, 3)
	a.Var.Grad, b.Var.Grad = g.Transpose(0, 1).Contiguous().Transpose(0, 1), g.Clone()
	opt, err := NewAdamW([]Group{{Params: []Param{a, b}, WeightDecay: 0.1}}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := opt.Step(0.1); err != nil {
			t.Fatal(err)
		}
	}
	if !equalBits(a.Var.Value.Contiguous(), b.Var.Value) {
		t.Errorf("view %v != copy %v", a.Var.Value, b.Var.Value)
	}
	if base.At(1, 2) != a.Var.Value.At(2, 1) {
		t.Error("the update did not land in the parameter's storage")
	}
}

func TestAdamWErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ps := randParams(rng, tensor.F32, []int{2}, []int{3})
	half := Param{Name: "h", Var: autograd.Param(tensor.Zeros(tensor.F16, 2))}
	for _, tc := range []struct {
		name   string
		groups []Group
		opts   Options
		want   string
	}{
		{"beta1", []Group{{Params: ps}}, Options{Beta1: 1, Beta2: 0.9}, "betas"},
		{"beta2", []Group{{Params: ps}}, Options{Beta1: 0.9, Beta2: -0.1}, "betas"},
		{"eps", []Group{{Params: ps}}, Options{Beta1: 0.9, Beta2: 0.9, Eps: math.NaN()}, "eps"},
		{"decay", []Group{{Params: ps, WeightDecay: -1}}, DefaultOptions(), "weight decay"},
		{"dup name", []Group{{Params: ps}, {Params: []Param{{Name: "pa", Var: autograd.Param(tensor.Zeros(tensor.F32, 1))}}}}, DefaultOptions(), `"pa" appears twice`},
		{"dup var", []Group{{Params: []Param{ps[0], {Name: "alias", Var: ps[0].Var}}}}, DefaultOptions(), "same Var"},
		{"nil var", []Group{{Params: []Param{{Name: "nil"}}}}, DefaultOptions(), `"nil" has no value`},
		{"f16", []Group{{Params: []Param{half}}}, DefaultOptions(), "master weights"},
	} {
		if _, err := NewAdamW(tc.groups, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}

	opt, err := NewAdamW([]Group{{Params: ps}}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	before0 := ps[0].Var.Value.Clone()
	ps[0].Var.Grad = tensor.Full(tensor.F32, 1, 2)
	ps[1].Var.Grad = tensor.Zeros(tensor.F32, 4)
	if err := opt.Step(0.1); err == nil || !strings.Contains(err.Error(), `"pb" has shape [4]`) {
		t.Errorf("bad grad shape: error %v", err)
	}
	ps[1].Var.Grad = tensor.Zeros(tensor.F64, 3)
	if err := opt.Step(0.1); err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("bad grad dtype: error %v", err)
	}
	ps[1].Var.Grad = nil
	for _, lr := range []float64{-1, math.NaN(), math.Inf(1)} {
		if err := opt.Step(lr); err == nil {
			t.Errorf("lr %v accepted", lr)
		}
	}
	if !equalBits(ps[0].Var.Value, before0) || opt.Steps() != 0 {
		t.Error("a failed Step changed the parameters or the step count")
	}
}

func equalBits(a, b *tensor.Tensor) bool {
	if a.DType() != b.DType() || !sameShape(a.Shape(), b.Shape()) {
		return false
	}
	x, y := a.Float64s(), b.Float64s()
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return false
		}
	}
	return true
}
