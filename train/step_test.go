package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"radcap/autograd"
	"radcap/nn/optim"
	"radcap/tensor"
)

// linearModel is y = x W^T + b with a mean squared error loss.
type linearModel struct{ w, b *autograd.Var }

func newLinear(seed uint64) linearModel {
	rng := rand.New(rand.NewPCG(seed, 1))
	return linearModel{
		w: autograd.Param(tensor.RandN(rng, tensor.F32, 3, 4)),
		b: autograd.Param(tensor.RandN(rng, tensor.F32, 3)),
	}
}

func (m linearModel) params() []optim.Param {
	return []optim.Param{{Name: "w.weight", Var: m.w}, {Name: "w.bias", Var: m.b}}
}

func (m linearModel) loss(tp *autograd.Tape, x, y *tensor.Tensor) *autograd.Var {
	pred := autograd.Linear(tp.Const(x), m.w, m.b)
	d := autograd.Sub(pred, tp.Const(y))
	return autograd.Mean(autograd.Square(d), nil, false)
}

func stepperFor(t *testing.T, m linearModel, cfg StepConfig) *Stepper {
	t.Helper()
	groups := optim.TrainerGroups(m.params(), 0.1, func(n string) bool { return optim.NoDecay(n) })
	opt, err := optim.NewAdamW(groups, optim.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStepper(opt, m.params(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStepperAccumulationEqualsFullBatch: two micro-batches of one row each,
// accumulated, give the update of one batch of both rows (the loss is a
// mean over equally sized rows), step for step, clipping included.
func TestStepperAccumulationEqualsFullBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := tensor.MulScalar(tensor.RandN(rng, tensor.F32, 2, 4), 3)
	y := tensor.RandN(rng, tensor.F32, 2, 3)
	sched, err := optim.LinearWarmup(1, 5)
	if err != nil {
		t.Fatal(err)
	}
	acc, full := newLinear(9), newLinear(9)
	sa := stepperFor(t, acc, StepConfig{AccumulationSteps: 2, MaxGradNorm: 1, BaseLR: 0.01, Schedule: sched})
	sf := stepperFor(t, full, StepConfig{AccumulationSteps: 1, MaxGradNorm: 1, BaseLR: 0.01, Schedule: sched})
	for step := range 4 {
		var infoA StepInfo
		for row := range 2 {
			tp := autograd.NewTape()
			var err error
			infoA, err = sa.Backward(tp, acc.loss(tp, x.Narrow(0, row, 1), y.Narrow(0, row, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if infoA.Stepped != (row == 1) || sa.Pending() != (row+1)%2 {
				t.Fatalf("step %d row %d: Stepped=%v Pending=%d", step, row, infoA.Stepped, sa.Pending())
			}
		}
		tp := autograd.NewTape()
		infoF, err := sf.Backward(tp, full.loss(tp, x, y))
		if err != nil {
			t.Fatal(err)
		}
		if !infoF.Stepped || infoA.Step != int64(step) || infoF.Step != int64(step) {
			t.Fatalf("step %d: infos %+v %+v", step, infoA, infoF)
		}
		if want := sched.LR(0.01, int64(step)); infoA.LR != want || infoF.LR != want {
			t.Errorf("step %d: lr %v and %v, want %v", step, infoA.LR, infoF.LR, want)
		}
		if relErr(infoA.GradNorm, infoF.GradNorm) > 1e-6 {
			t.Errorf("step %d: grad norm %v (accumulated) vs %v (full batch)", step, infoA.GradNorm, infoF.GradNorm)
		}
		if step == 0 && infoF.GradNorm <= 1 {
			t.Errorf("test wants clipping active: first grad norm %v", infoF.GradNorm)
		}
		for i, p := range acc.params() {
			q := full.params()[i]
			if p.Var.Grad != nil && p.Var.Grad.Float64s()[0] != 0 {
				t.Errorf("step %d: %s gradient not zeroed after the step", step, p.Name)
			}
			a, f := p.Var.Value.Float64s(), q.Var.Value.Float64s()
			for j := range a {
				if relErr(a[j], f[j]) > 1e-5 {
					t.Fatalf("step %d: %s[%d] = %v (accumulated) vs %v (full batch)", step, p.Name, j, a[j], f[j])
				}
			}
		}
	}
}

func relErr(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-6) }

func TestStepperErrors(t *testing.T) {
	m := newLinear(1)
	groups := []optim.Group{{Params: m.params()}}
	opt, err := optim.NewAdamW(groups, optim.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []StepConfig{
		{AccumulationSteps: 0, BaseLR: 1},
		{AccumulationSteps: 1, MaxGradNorm: -1},
		{AccumulationSteps: 1, MaxGradNorm: math.Inf(1)},
		{AccumulationSteps: 1, BaseLR: math.NaN()},
	} {
		if _, err := NewStepper(opt, m.params(), cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	s, err := NewStepper(opt, m.params(), StepConfig{AccumulationSteps: 1})
	if err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewTape()
	notScalar := autograd.Linear(tp.Const(tensor.Zeros(tensor.F32, 2, 4)), m.w, m.b)
	if _, err := s.Backward(tp, notScalar); err == nil {
		t.Error("a non-scalar loss was accepted")
	}
}
