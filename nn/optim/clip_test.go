package optim

import (
	"math"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

func gradParam(name string, grad *tensor.Tensor) Param {
	p := Param{Name: name, Var: autograd.Param(tensor.Zeros(grad.DType(), grad.Shape()...))}
	p.Var.Grad = grad
	return p
}

// TestClipGradNormClips: gradients (3, 4) and (12): per-parameter norms 5 and
// 12, global norm 13; with max 1 every gradient is scaled by 1/(13+1e-6).
func TestClipGradNormClips(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.F32, tensor.F64} {
		a := gradParam("a", tensor.FromF64([]float64{3, 4}, 2).To(dt))
		b := gradParam("b", tensor.FromF64([]float64{12}, 1).To(dt))
		none := Param{Name: "none", Var: autograd.Param(tensor.Zeros(dt, 2))}
		norm, err := ClipGradNorm([]Param{a, none, b}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if norm != 13 {
			t.Errorf("%v: norm %v, want 13", dt, norm)
		}
		c := 1 / (13 + 1e-6)
		got := append(a.Var.Grad.Float64s(), b.Var.Grad.Float64s()...)
		for i, w := range []float64{3 * c, 4 * c, 12 * c} {
			tol := 1e-15
			if dt == tensor.F32 {
				tol = 1e-7
			}
			if relErr(got[i], w, 1) > tol {
				t.Errorf("%v: clipped grad %d = %.9g, want %.9g", dt, i, got[i], w)
			}
		}
		if none.Var.Grad != nil {
			t.Error("a nil gradient was filled in")
		}
		// After clipping the norm is (just under) the maximum.
		if n, _ := GradNorm([]Param{a, b}); math.Abs(n-1) > 1e-6 {
			t.Errorf("%v: norm after clipping %v", dt, n)
		}
	}
}

// TestClipGradNormBelowMaxLeavesGrads: a norm below the maximum changes
// nothing, bit for bit, and is still returned.
func TestClipGradNormBelowMaxLeavesGrads(t *testing.T) {
	g := tensor.FromF32([]float32{0.1, -0.2, 0.3}, 3)
	p := gradParam("p", g.Clone())
	norm, err := ClipGradNorm([]Param{p}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(float32(math.Sqrt(0.14))); math.Abs(norm-want) > 1e-7 {
		t.Errorf("norm %v, want %v", norm, want)
	}
	if !equalBits(p.Var.Grad, g) {
		t.Errorf("grads changed below the maximum: %v", p.Var.Grad)
	}
	// Exactly at max_norm the coefficient 1/(1+1e-6) is below 1: PyTorch clips.
	q := gradParam("q", tensor.FromF64([]float64{0.6, 0.8}, 2))
	if _, err := ClipGradNorm([]Param{q}, 1); err != nil {
		t.Fatal(err)
	}
	if got := q.Var.Grad.At(1); got >= 0.8 || got < 0.8*(1-2e-6) {
		t.Errorf("at the maximum: grad %v, want 0.8/(1+1e-6)", got)
	}
}

func TestClipGradNormEdgeCases(t *testing.T) {
	if n, err := ClipGradNorm(nil, 1); n != 0 || err != nil {
		t.Errorf("no params: %v, %v", n, err)
	}
	inf := gradParam("inf", tensor.FromF32([]float32{float32(math.Inf(1)), 1}, 2))
	n, err := ClipGradNorm([]Param{inf}, 1)
	if err != nil || !math.IsInf(n, 1) {
		t.Errorf("inf gradient: norm %v, err %v", n, err)
	}
	if g := inf.Var.Grad.F32(); g[1] != 0 || !math.IsNaN(float64(g[0])) {
		t.Errorf("inf gradient: clipped to %v, PyTorch gives [nan 0]", g)
	}
	half := gradParam("half", tensor.Zeros(tensor.F16, 2))
	if _, err := ClipGradNorm([]Param{half}, 1); err == nil || !strings.Contains(err.Error(), `"half"`) {
		t.Errorf("f16 gradient: error %v", err)
	}
}
