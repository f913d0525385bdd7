package autograd

import (
	"strings"
	"testing"

	"radcap/tensor"
)

func vec(v ...float64) *tensor.Tensor { return tensor.FromF64(v, len(v)) }

func wantGrad(t *testing.T, what string, got *tensor.Tensor, want ...float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no gradient", what)
	}
	g := got.Float64s()
	if len(g) != len(want) {
		t.Fatalf("%s: gradient %v, want %v", what, g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("%s: gradient %v, want %v", what, g, want)
		}
	}
}

// A value used twice gets the sum of both gradients, on every path: an
// op taking it twice, and two ops reading it.
func TestValueUsedTwiceAccumulates(t *testing.T) {
	x := Param(vec(1, 2, 3))
	tp := NewTape()
	c := tp.Const(vec(10, 20, 30))
	// y = Σ (x·x + x + c·x): dy/dx = 2x + 1 + c.
	y := Sum(Add(Add(Mul(x, x), x), Mul(c, x)), nil, false)
	if err := tp.Backward(y); err != nil {
		t.Fatal(err)
	}
	wantGrad(t, "x", x.Grad, 13, 25, 37)

	// Add(a, a) returns the same gradient tensor for both inputs.
	a := Param(vec(1, 1))
	if err := NewTape().Backward(Sum(Add(a, a), nil, false)); err != nil {
		t.Fatal(err)
	}
	wantGrad(t, "a", a.Grad, 2, 2)
}

// Two leaves fed one gradient tensor (by Add's backward) must not share
// it: accumulating into one must leave the other alone.
func TestLeafGradientsDoNotAlias(t *testing.T) {
	a, b := Param(vec(1, 2)), Param(vec(3, 4))
	for step := 1; step <= 2; step++ {
		if err := NewTape().Backward(Sum(Add(a, b), nil, false)); err != nil {
			t.Fatal(err)
		}
		s := float64(step)
		wantGrad(t, "a", a.Grad, s, s)
		wantGrad(t, "b", b.Grad, s, s)
	}
	a.ZeroGrad()
	if a.Grad != nil {
		t.Fatal("ZeroGrad left a gradient")
	}
}

// Gradients accumulate across Backward calls (gradient accumulation over
// micro-batches), and each step may use a fresh tape.
func TestGradAccumulatesAcrossBackward(t *testing.T) {
	w := Param(vec(2))
	for i, x := range []float64{3, 5} {
		tp := NewTape()
		loss := Sum(Mul(w, tp.Const(vec(x))), nil, false)
		if err := tp.Backward(loss); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	wantGrad(t, "w", w.Grad, 8)
}

func TestNoGradRecordsNothing(t *testing.T) {
	w := Param(vec(1, 2))
	tp := NewTape()
	var y *Var
	tp.NoGrad(func() {
		y = Mul(tp.Const(vec(3, 4)), w)
		y = Exp(y)
	})
	if tp.Len() != 0 {
		t.Fatalf("NoGrad recorded %d ops", tp.Len())
	}
	if y.RequiresGrad {
		t.Fatal("a NoGrad result requires a gradient")
	}
	if err := tp.Backward(Sum(y, nil, false)); err == nil {
		t.Fatal("Backward of a no-grad result succeeded")
	}
	// Recording resumes after the scope.
	z := Mul(tp.Const(vec(3, 4)), w)
	if tp.Len() != 1 || !z.RequiresGrad {
		t.Fatalf("after NoGrad: %d ops recorded, requiresGrad %v", tp.Len(), z.RequiresGrad)
	}
	// Ops on constants alone record nothing either.
	if Add(Const(vec(1)), Const(vec(2))).RequiresGrad {
		t.Fatal("constant arithmetic requires a gradient")
	}
}

func TestTapeReleasedAfterBackward(t *testing.T) {
	w := Param(vec(1, 2, 3))
	tp := NewTape()
	h := Tanh(Mul(w, tp.Const(vec(1, 1, 1))))
	loss := Sum(h, nil, false)
	if tp.Len() != 3 {
		t.Fatalf("%d ops recorded, want 3", tp.Len())
	}
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	if tp.Len() != 0 {
		t.Fatalf("%d ops left after Backward", tp.Len())
	}
	if h.node != nil || h.RequiresGrad || loss.node != nil {
		t.Fatal("an intermediate still holds its node after Backward")
	}
	if w.Grad == nil {
		t.Fatal("no gradient for the parameter")
	}
	// A second Backward through the released graph is refused.
	if err := tp.Backward(loss); err == nil {
		t.Fatal("Backward through a released graph succeeded")
	}
}

// Ops on parameters only (a class token expanded from a parameter) have
// no tape yet; their history is adopted when it meets the tape.
func TestPendingHistoryIsAdopted(t *testing.T) {
	cls := Param(vec(1, 2))
	tp := NewTape()
	e := Expand(Reshape(cls, 1, 2), 3, 2) // pending: cls is on no tape
	if tp.Len() != 0 || e.node == nil {
		t.Fatal("expected a pending node")
	}
	x := tp.Const(tensor.FromF64([]float64{1, 2, 3, 4, 5, 6}, 3, 2))
	y := Concat(0, e, x) // adopts Reshape and Expand, records Concat
	if tp.Len() != 3 {
		t.Fatalf("%d ops on the tape, want 3", tp.Len())
	}
	if err := tp.Backward(Sum(y, nil, false)); err != nil {
		t.Fatal(err)
	}
	wantGrad(t, "cls", cls.Grad, 3, 3)

	// A graph made only of parameters can be backwarded on a fresh tape.
	p := Param(vec(3))
	if err := NewTape().Backward(Sum(Square(p), nil, false)); err != nil {
		t.Fatal(err)
	}
	wantGrad(t, "p", p.Grad, 6)
}

func TestTapeMisuse(t *testing.T) {
	a, b := NewTape(), NewTape()
	w := Param(vec(1))
	x := Mul(a.Const(vec(1)), w)
	func() {
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(r.(string), "different tapes") {
				t.Errorf("mixing tapes: recovered %v", r)
			}
		}()
		Add(x, Mul(b.Const(vec(1)), w))
	}()
	// A pending value (from parameters only) adopted by one tape, then met
	// on another through a later pending op.
	pending := Square(w)
	later := Exp(pending)
	Add(pending, a.Const(vec(1))) // adopts pending onto a
	func() {
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(r.(string), "another tape") {
				t.Errorf("pending history on two tapes: recovered %v", r)
			}
		}()
		Add(later, b.Const(vec(1)))
	}()
	if err := a.Backward(Mul(a.Const(vec(1, 2)), Expand(w, 2))); err == nil {
		t.Error("Backward of a non-scalar succeeded")
	}
	if err := b.Backward(x); err == nil {
		t.Error("Backward on the wrong tape succeeded")
	}
	if err := a.BackwardWithGrad(x, vec(1, 2)); err == nil {
		t.Error("a seed of the wrong shape was accepted")
	}
}

func TestFrozenParameterGetsNoGradient(t *testing.T) {
	w, frozen := Param(vec(1, 2)), Param(vec(3, 4))
	frozen.RequiresGrad = false
	if err := NewTape().Backward(Sum(Mul(w, frozen), nil, false)); err != nil {
		t.Fatal(err)
	}
	wantGrad(t, "w", w.Grad, 3, 4)
	if frozen.Grad != nil {
		t.Fatal("a frozen parameter got a gradient")
	}
}

// GradCheck must fail on a wrong backward, or it proves nothing.
func TestGradCheckCatchesWrongBackward(t *testing.T) {
	off := func(factor float64) func(v []*Var) *Var {
		return func(v []*Var) *Var {
			x := v[0].Value
			return record("Bad", tensor.Square(x), false, func(g *tensor.Tensor) []*tensor.Tensor {
				return []*tensor.Tensor{tensor.MulScalar(tensor.Mul(g, x), 2*factor)}
			}, v[0])
		}
	}
	in := []*tensor.Tensor{randn(newRNG(1), 3, 2)}
	if err := GradCheck(off(1), in, nil); err != nil {
		t.Fatalf("the correct backward failed: %v", err)
	}
	if err := GradCheck(off(1+1e-5), in, nil); err == nil {
		t.Fatal("a backward off by 1e-5 passed")
	}
	// An op that forgets an input's gradient.
	forgets := func(v []*Var) *Var {
		return record("Forgets", tensor.Mul(v[0].Value, v[1].Value), false, func(g *tensor.Tensor) []*tensor.Tensor {
			return []*tensor.Tensor{tensor.Mul(g, v[1].Value), nil}
		}, v[0], v[1])
	}
	if err := GradCheck(forgets, []*tensor.Tensor{vec(1, 2), vec(3, 4)}, nil); err == nil {
		t.Fatal("a missing gradient passed")
	}
	if err := GradCheck(forgets, []*tensor.Tensor{vec(1, 2), vec(3, 4)}, &GradCheckOptions{Constant: []int{1}}); err != nil {
		t.Fatalf("with the second input constant: %v", err)
	}
}
