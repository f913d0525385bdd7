package train

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/gitmodel"
	"radcap/internal/hffixtures"
	"radcap/nn/optim"
	"radcap/safetensors"
	"radcap/tensor"
)

// This file replays train/trajectory.json of the Hugging Face fixtures:
// three Trainer-style optimizer steps of the tiny GIT model (PyTorch 1.13
// AdamW, transformers 4.45 linear warm-up schedule), and compares the
// per-micro-batch losses, gradient norms and learning rates, and the
// parameters and AdamW moments after the last step, with what PyTorch
// computed.

// Tolerances from train/README.md of the fixtures.
const (
	paramTol  = 1e-5 // relative, parameters after the last step
	momentTol = 1e-4 // relative, exp_avg and exp_avg_sq
	scalarTol = 1e-5 // relative, losses and gradient norms
)

// gitLayerNormModules are GIT's LayerNorm modules whose names do not say
// so (see optim.NoDecay).
var gitLayerNormModules = []string{"git.visual_projection.visual_projection.1"}

// fixture returns the path of a file of the Hugging Face fixture set: under
// $RADCAP_HF_FIXTURES when set, else the copy in testdata/hf.
func fixture(rel string) string { return hffixtures.Path(rel) }

// trajectory is train/trajectory.json.
type trajectory struct {
	Optimizer struct {
		LR           float64   `json:"lr"`
		Betas        []float64 `json:"betas"`
		Eps          float64   `json:"eps"`
		WeightDecay  float64   `json:"weight_decay"`
		NoDecayNames []string  `json:"no_decay_names"`
	} `json:"optimizer"`
	Schedule struct {
		WarmupSteps int64 `json:"warmup_steps"`
		TotalSteps  int64 `json:"total_steps"`
	} `json:"schedule"`
	AccumulationSteps int `json:"accumulation_steps"`
	OptimizerSteps    int `json:"optimizer_steps"`
	Clipping          struct {
		MaxNorm float64 `json:"max_norm"`
	} `json:"clipping"`
	MicroLosses []float64 `json:"micro_losses"`
	GradNorms   []float64 `json:"grad_norms_before_clipping"`
	LRs         []float64 `json:"lr_used_per_step"`
}

func loadTrajectory(t *testing.T) trajectory {
	t.Helper()
	path := fixture("train/trajectory.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tr trajectory
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := tr.OptimizerSteps
	if n < 1 || tr.AccumulationSteps < 1 || len(tr.Optimizer.Betas) != 2 ||
		len(tr.MicroLosses) != n*tr.AccumulationSteps || len(tr.GradNorms) != n || len(tr.LRs) != n {
		t.Fatalf("%s: inconsistent fixture (%d steps, %d micro-batches per step, %d losses, %d norms, %d lrs)",
			path, n, tr.AccumulationSteps, len(tr.MicroLosses), len(tr.GradNorms), len(tr.LRs))
	}
	return tr
}

// microBatches returns the fixture's inputs split into batches of one row:
// micro-batch k uses row k % rows.
func microBatches(t *testing.T) []gitmodel.Inputs {
	t.Helper()
	path := fixture("git/inputs.safetensors")
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	get := func(name string) *tensor.Tensor {
		x, err := f.Tensor(name)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return x.Clone()
	}
	pix, ids, mask, labels := get("pixel_values"), get("input_ids"), get("attention_mask"), get("labels")
	rows := make([]gitmodel.Inputs, ids.Dim(0))
	for r := range rows {
		row := func(x *tensor.Tensor) *tensor.Tensor { return x.Narrow(0, r, 1).Clone() }
		rows[r] = gitmodel.Inputs{Pixels: row(pix), InputIDs: row(ids), AttentionMask: row(mask), Labels: row(labels)}
	}
	return rows
}

// run holds a model and the optimizer machinery of the replay.
type run struct {
	model   *gitmodel.Model
	params  []optim.Param
	opt     *optim.AdamW
	stepper *Stepper
}

func newRun(t *testing.T, tr trajectory, modelDir string) *run {
	t.Helper()
	m, err := gitmodel.Load(modelDir)
	if err != nil {
		t.Fatal(err)
	}
	m.SetTraining(true) // the fixture's dropout probabilities are all 0
	var params []optim.Param
	for _, p := range m.NamedParams() {
		params = append(params, optim.Param{Name: p.Name, Var: p.Var})
	}
	groups := optim.TrainerGroups(params, tr.Optimizer.WeightDecay, func(n string) bool {
		return optim.NoDecay(n, gitLayerNormModules...)
	})
	opt, err := optim.NewAdamW(groups, optim.Options{Beta1: tr.Optimizer.Betas[0], Beta2: tr.Optimizer.Betas[1], Eps: tr.Optimizer.Eps})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := optim.LinearWarmup(tr.Schedule.WarmupSteps, tr.Schedule.TotalSteps)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStepper(opt, params, StepConfig{
		AccumulationSteps: tr.AccumulationSteps,
		MaxGradNorm:       tr.Clipping.MaxNorm,
		BaseLR:            tr.Optimizer.LR,
		Schedule:          sched,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &run{model: m, params: params, opt: opt, stepper: s}
}

// micro runs micro-batch k (k counts from 0 over the whole replay).
func (r *run) micro(t *testing.T, batches []gitmodel.Inputs, k int) StepInfo {
	t.Helper()
	tp := autograd.NewTape()
	loss, _, err := r.model.Loss(batches[k%len(batches)])
	if err != nil {
		t.Fatal(err)
	}
	info, err := r.stepper.Backward(tp, loss)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestTrajectoryMatchesTrainer(t *testing.T) {
	tr := loadTrajectory(t)
	batches := microBatches(t)
	r := newRun(t, tr, fixture("git"))

	// The Trainer's no-decay group, as the fixture lists it.
	var noDecay []string
	for _, p := range r.opt.Groups()[1].Params {
		noDecay = append(noDecay, p.Name)
	}
	want := slices.Clone(tr.Optimizer.NoDecayNames)
	slices.Sort(noDecay)
	slices.Sort(want)
	if !slices.Equal(noDecay, want) {
		t.Errorf("no-decay group:\n got %v\nwant %v", noDecay, want)
	}

	worstLoss := 0.0
	for k := range tr.MicroLosses {
		info := r.micro(t, batches, k)
		e := math.Abs(info.Loss-tr.MicroLosses[k]) / tr.MicroLosses[k]
		worstLoss = math.Max(worstLoss, e)
		if e > scalarTol {
			t.Errorf("micro-batch %d: loss %.8g, fixture %.8g (relative error %.3g)", k, info.Loss, tr.MicroLosses[k], e)
		}
		last := (k+1)%tr.AccumulationSteps == 0
		if info.Stepped != last {
			t.Fatalf("micro-batch %d: stepped %v", k, info.Stepped)
		}
		if !last {
			continue
		}
		s := k / tr.AccumulationSteps
		e = math.Abs(info.GradNorm-tr.GradNorms[s]) / tr.GradNorms[s]
		t.Logf("step %d: last micro-batch loss %.7f, grad norm %.7f (fixture %.7f, relative error %.3g), lr %g", s, info.Loss, info.GradNorm, tr.GradNorms[s], e, info.LR)
		if e > scalarTol {
			t.Errorf("step %d: grad norm %.8g, fixture %.8g (relative error %.3g)", s, info.GradNorm, tr.GradNorms[s], e)
		}
		if math.Abs(info.LR-tr.LRs[s]) > 1e-15 {
			t.Errorf("step %d: lr %.17g, fixture %.17g", s, info.LR, tr.LRs[s])
		}
	}
	t.Logf("micro-batch losses: max relative error %.3g", worstLoss)
	compareAfterSteps(t, tr, r)
}

// TestTrajectoryResume stops the replay after the second optimizer step,
// saves the model and the optimizer state, loads both into a fresh run and
// takes the last step there; the result must equal the uninterrupted
// replay bit for bit.
func TestTrajectoryResume(t *testing.T) {
	tr := loadTrajectory(t)
	if tr.OptimizerSteps < 2 {
		t.Fatalf("fixture has %d optimizer steps, the test needs 2 or more", tr.OptimizerSteps)
	}
	batches := microBatches(t)
	straight := newRun(t, tr, fixture("git"))
	for k := range tr.MicroLosses {
		straight.micro(t, batches, k)
	}

	first := newRun(t, tr, fixture("git"))
	cut := (tr.OptimizerSteps - 1) * tr.AccumulationSteps
	for k := range cut {
		first.micro(t, batches, k)
	}
	dir := t.TempDir()
	if err := first.model.Save(dir); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "optimizer.safetensors")
	if err := first.opt.SaveState(state); err != nil {
		t.Fatal(err)
	}
	resumed := newRun(t, tr, dir)
	if err := resumed.opt.LoadState(state); err != nil {
		t.Fatal(err)
	}
	var last StepInfo
	for k := cut; k < len(tr.MicroLosses); k++ {
		last = resumed.micro(t, batches, k)
	}
	if !last.Stepped || last.Step != int64(tr.OptimizerSteps-1) || last.LR != tr.LRs[tr.OptimizerSteps-1] {
		t.Errorf("resumed step: %+v", last)
	}
	for i, p := range straight.params {
		q := resumed.params[i]
		m1, v1, s1, _ := straight.opt.State(p.Name)
		m2, v2, s2, _ := resumed.opt.State(q.Name)
		if p.Name != q.Name || !sameBits(p.Var.Value, q.Var.Value) || !sameBits(m1, m2) || !sameBits(v1, v2) || s1 != s2 {
			t.Errorf("%s: the resumed run differs from the uninterrupted one", p.Name)
		}
	}
}

func sameBits(a, b *tensor.Tensor) bool {
	x, y := a.F32(), b.F32()
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return false
		}
	}
	return true
}

// zeroGradient reports the parameters whose gradient is zero in exact
// arithmetic: the key biases of softmax attention (adding q·b to every
// score of a row leaves the softmax unchanged). Their gradients, and so
// their moments and the Adam steps they cause, are round-off noise in
// PyTorch and here alike, and cannot be compared element by element.
func zeroGradient(name string) bool {
	return strings.HasSuffix(name, ".attention.self.key.bias") || strings.HasSuffix(name, ".self_attn.k_proj.bias")
}

// normRel is the relative error of a tensor, ||got-want|| / ||want||
// (Frobenius norms), and the largest elementwise relative error
// |got-want|/|want| for information.
func normRel(got, want *tensor.Tensor) (rel, maxElem float64) {
	g, w := got.Float64s(), want.Float64s()
	var d2, w2 float64
	for i := range g {
		d := g[i] - w[i]
		d2 += d * d
		w2 += w[i] * w[i]
		if d != 0 {
			maxElem = math.Max(maxElem, math.Abs(d)/math.Abs(w[i]))
		}
	}
	if w2 == 0 {
		if d2 == 0 {
			return 0, maxElem
		}
		return math.Inf(1), maxElem
	}
	return math.Sqrt(d2 / w2), maxElem
}

func maxAbs(t *tensor.Tensor) float64 {
	m := 0.0
	for _, x := range t.Float64s() {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// compareAfterSteps compares parameters and moments with
// train/after_steps.safetensors: each tensor's relative error (see
// normRel) must be within the fixture's tolerances, except for the
// zero-gradient parameters, checked by checkZeroGradient.
func compareAfterSteps(t *testing.T, tr trajectory, r *run) {
	t.Helper()
	path := fixture("train/after_steps.safetensors")
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := func(name string) *tensor.Tensor {
		x, err := f.Tensor(name)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return x
	}
	if n := f.Len(); n != 3*len(r.params) {
		t.Errorf("%s holds %d tensors, want 3 per parameter (%d)", path, n, 3*len(r.params))
	}
	type worst struct {
		name      string
		rel, elem float64
	}
	var wp, wm worst
	nZero := 0
	for _, p := range r.params {
		m, v, _, ok := r.opt.State(p.Name)
		if !ok {
			t.Fatalf("%s: no optimizer state after the replay", p.Name)
		}
		got := []*tensor.Tensor{p.Var.Value, m, v}
		keys := []string{"param." + p.Name, "exp_avg." + p.Name, "exp_avg_sq." + p.Name}
		refs := make([]*tensor.Tensor, 3)
		for i, k := range keys {
			refs[i] = want(k)
			if !slices.Equal(refs[i].Shape(), got[i].Shape()) {
				t.Fatalf("%s: shape %v, fixture %v", k, got[i].Shape(), refs[i].Shape())
			}
		}
		if zeroGradient(p.Name) {
			nZero++
			checkZeroGradient(t, tr, p.Name, got, refs)
			continue
		}
		for i, k := range keys {
			tol, w := momentTol, &wm
			if i == 0 {
				tol, w = paramTol, &wp
			}
			rel, elem := normRel(got[i], refs[i])
			if rel > w.rel {
				*w = worst{k, rel, elem}
			}
			if rel > tol {
				t.Errorf("%s: relative error %.3g > %g", k, rel, tol)
			}
		}
	}
	if nZero != 4 {
		t.Errorf("%d zero-gradient key biases, want 4 (2 vision + 2 text layers)", nZero)
	}
	t.Logf("parameters: worst relative error %.3g (%s; largest elementwise relative error there %.3g)", wp.rel, wp.name, wp.elem)
	t.Logf("moments: worst relative error %.3g (%s; largest elementwise relative error there %.3g)", wm.rel, wm.name, wm.elem)
}

// checkZeroGradient checks a zero-gradient parameter (see zeroGradient):
// both runs' second moments must show round-off gradients only, and the
// parameters may differ by no more than the two runs' noise-driven steps
// can move them. Each Adam step moves an element by lr*|mhat|/(sqrt(vhat)+eps)
// <= lr*gmax/eps, where gmax bounds the gradients seen: v_T >=
// (1-b2)*b2^(T-1)*g_s^2 for every step s <= T. Biases get no weight decay.
func checkZeroGradient(t *testing.T, tr trajectory, name string, got, refs []*tensor.Tensor) {
	t.Helper()
	const roundOff = 1e-20 // v of a real bias gradient here is ~1e-11
	b2 := tr.Optimizer.Betas[1]
	sumLR := 0.0
	for _, lr := range tr.LRs {
		sumLR += lr
	}
	bound := 0.0
	for _, v := range []*tensor.Tensor{got[2], refs[2]} {
		vmax := maxAbs(v)
		if vmax > roundOff {
			t.Errorf("%s: exp_avg_sq reaches %.3g, not round-off (<= %g): is its gradient really zero?", name, vmax, roundOff)
		}
		gmax := math.Sqrt(vmax / ((1 - b2) * math.Pow(b2, float64(len(tr.LRs)-1))))
		bound += sumLR * gmax / tr.Optimizer.Eps
	}
	d := 0.0
	g, w := got[0].Float64s(), refs[0].Float64s()
	for i := range g {
		d = math.Max(d, math.Abs(g[i]-w[i]))
	}
	t.Logf("%s (zero gradient): max |param - fixture| %.3g, bound from the noise-driven steps %.3g", name, d, bound)
	if d > bound {
		t.Errorf("%s: parameters differ by %.3g, more than round-off gradients can explain (%.3g)", name, d, bound)
	}
}
