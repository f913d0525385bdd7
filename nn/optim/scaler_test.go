package optim

import (
	"math"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

func scalerSetup(t *testing.T) (*LossScaler, *AdamW, Param) {
	t.Helper()
	s, err := NewLossScaler(DefaultScalerOptions())
	if err != nil {
		t.Fatal(err)
	}
	p := Param{Name: "w", Var: autograd.Param(tensor.FromF32([]float32{1, 2, 3}, 3))}
	opt, err := NewAdamW([]Group{{Params: []Param{p}}}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return s, opt, p
}

func TestLossScalerUnscalesAndSteps(t *testing.T) {
	s, opt, p := scalerSetup(t)
	if s.Scale() != 65536 {
		t.Fatalf("initial scale %v", s.Scale())
	}
	// A backward seeded with the scale gives scale * true gradient.
	p.Var.Grad = tensor.FromF32([]float32{65536 * 0.5, 65536 * -0.25, 0}, 3)
	stepped, err := s.Step(opt, 0.1)
	if err != nil || !stepped {
		t.Fatalf("Step: stepped=%v err=%v", stepped, err)
	}
	if g := p.Var.Grad.F32(); g[0] != 0.5 || g[1] != -0.25 || g[2] != 0 {
		t.Errorf("unscaled gradient %v, want [0.5 -0.25 0]", g)
	}
	if w := p.Var.Value.F32(); math.Abs(float64(w[0])-0.9) > 1e-6 || math.Abs(float64(w[1])-2.1) > 1e-6 || w[2] != 3 {
		t.Errorf("weights after the step %v, want about [0.9 2.1 3]", w)
	}
	if err := s.Update(); err != nil {
		t.Fatal(err)
	}
	if s.Scale() != 65536 || s.State().GrowthTracker != 1 {
		t.Errorf("after a good step: %+v", s.State())
	}
}

func TestLossScalerSkipsInfAndBacksOff(t *testing.T) {
	for _, bad := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
		s, opt, p := scalerSetup(t)
		p.Var.Grad = tensor.FromF32([]float32{1, bad, 1}, 3)
		found, err := s.Unscale(opt)
		if err != nil || !found {
			t.Fatalf("Unscale(%v): found=%v err=%v", bad, found, err)
		}
		if _, err := s.Unscale(opt); err == nil {
			t.Error("a second Unscale before Update was accepted")
		}
		stepped, err := s.Step(opt, 0.1)
		if err != nil || stepped {
			t.Errorf("Step with %v: stepped=%v err=%v", bad, stepped, err)
		}
		if w := p.Var.Value.F32(); w[0] != 1 || w[1] != 2 || w[2] != 3 || opt.Steps() != 0 {
			t.Errorf("skipped step changed the weights: %v", w)
		}
		if err := s.Update(); err != nil {
			t.Fatal(err)
		}
		if s.Scale() != 32768 || s.State().GrowthTracker != 0 {
			t.Errorf("after %v: %+v, want scale 32768, tracker 0", bad, s.State())
		}
	}
}

func TestLossScalerGrowth(t *testing.T) {
	s, err := NewLossScaler(ScalerOptions{InitScale: 8, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 3})
	if err != nil {
		t.Fatal(err)
	}
	p := Param{Name: "w", Var: autograd.Param(tensor.Zeros(tensor.F32, 2))}
	opt, _ := NewAdamW([]Group{{Params: []Param{p}}}, DefaultOptions())
	var scales []float64
	for i := range 8 {
		g := float32(1)
		if i == 4 {
			g = float32(math.Inf(1))
		}
		p.Var.Grad = tensor.FromF32([]float32{g, 1}, 2)
		if _, err := s.Step(opt, 1e-3); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(); err != nil {
			t.Fatal(err)
		}
		scales = append(scales, s.Scale())
	}
	// Three good steps grow 8 -> 16; step 4 has an inf: 16 -> 8 and the count
	// restarts; three more good steps (5, 6, 7) grow it back to 16.
	want := []float64{8, 8, 16, 16, 8, 8, 8, 16}
	for i := range want {
		if scales[i] != want[i] {
			t.Fatalf("scales %v, want %v", scales, want)
		}
	}
	if err := s.Update(); err == nil {
		t.Error("Update without Unscale/Step accepted")
	}
	// Growth stops short of float32 overflow.
	big, _ := NewLossScaler(ScalerOptions{InitScale: 3e38, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 1})
	p.Var.Grad = tensor.FromF32([]float32{1, 1}, 2)
	if _, err := big.Step(opt, 0); err != nil {
		t.Fatal(err)
	}
	big.Update()
	if big.Scale() != float64(float32(3e38)) {
		t.Errorf("scale overflowed to %v", big.Scale())
	}
}

func TestLossScalerStateAndErrors(t *testing.T) {
	s, _, _ := scalerSetup(t)
	if err := s.SetState(ScalerState{Scale: 1024, GrowthTracker: 17}); err != nil {
		t.Fatal(err)
	}
	if st := s.State(); st.Scale != 1024 || st.GrowthTracker != 17 {
		t.Errorf("state round trip: %+v", st)
	}
	for _, st := range []ScalerState{{Scale: 0}, {Scale: math.Inf(1)}, {Scale: 1e39}, {Scale: 2, GrowthTracker: 2000}, {Scale: 2, GrowthTracker: -1}} {
		if err := s.SetState(st); err == nil {
			t.Errorf("SetState(%+v) accepted", st)
		}
	}
	for _, o := range []ScalerOptions{
		{InitScale: -1, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 1},
		{InitScale: 1, GrowthFactor: 1, BackoffFactor: 0.5, GrowthInterval: 1},
		{InitScale: 1, GrowthFactor: 2, BackoffFactor: 1, GrowthInterval: 1},
		{InitScale: 1, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 0},
	} {
		if _, err := NewLossScaler(o); err == nil {
			t.Errorf("NewLossScaler(%+v) accepted", o)
		}
	}
	_, opt, p := scalerSetup(t)
	p.Var.Grad = tensor.Zeros(tensor.F16, 3)
	s2, _ := NewLossScaler(DefaultScalerOptions())
	if _, err := s2.Unscale(opt); err == nil || !strings.Contains(err.Error(), `"w"`) {
		t.Errorf("f16 gradient: error %v", err)
	}
}
