package autograd

import (
	"fmt"
	"testing"

	"radcap/tensor"
)

// TestGradFusedPairs gradient-checks AddLayerNorm and BiasGELU in float64
// (on the host they are the compositions they name; on a device they go
// to the backend's fused kernels, which the device tests compare).
func TestGradFusedPairs(t *testing.T) {
	cases := []gcCase{
		{name: "AddLayerNorm", inputs: shapesN([]int{2, 3, 5}, []int{2, 3, 5}, []int{5}, []int{5}),
			f: func(v []*Var) *Var { return AddLayerNorm(v[0], v[1], v[2], v[3], 1e-5) }},
		{name: "AddLayerNorm/no-affine", inputs: shapesN([]int{4, 6}, []int{4, 6}),
			f: func(v []*Var) *Var { return AddLayerNorm(v[0], v[1], nil, nil, 1e-12) }},
	}
	for _, k := range []GELUKind{ActGELU, ActGELUTanh, ActQuickGELU} {
		cases = append(cases, gcCase{name: fmt.Sprintf("BiasGELU/%d", k), inputs: shapesN([]int{3, 4}, []int{4}),
			f: func(v []*Var) *Var { return BiasGELU(v[0], v[1], k) }})
	}
	runGradChecks(t, cases)
}

// TestFusedPairsAreTheirCompositions checks that on the host AddLayerNorm
// and BiasGELU give exactly the values and gradients of the two ops they
// stand for, so models can switch to them without a numeric change.
func TestFusedPairsAreTheirCompositions(t *testing.T) {
	rng := newRNG(3)
	x, r := tensor.RandN(rng, tensor.F32, 3, 8), tensor.RandN(rng, tensor.F32, 3, 8)
	w, b := tensor.RandN(rng, tensor.F32, 8), tensor.RandN(rng, tensor.F32, 8)
	run := func(f func(v []*Var) *Var) []*tensor.Tensor {
		vs := []*Var{Param(x.Clone()), Param(r.Clone()), Param(w.Clone()), Param(b.Clone())}
		out := f(vs)
		tp := NewTape()
		if err := tp.Backward(Sum(Square(out), nil, false)); err != nil {
			t.Fatal(err)
		}
		res := []*tensor.Tensor{out.Value}
		for _, v := range vs {
			if v.Grad != nil {
				res = append(res, v.Grad)
			}
		}
		return res
	}
	pairs := map[string][2]func(v []*Var) *Var{
		"AddLayerNorm": {
			func(v []*Var) *Var { return AddLayerNorm(v[0], v[1], v[2], v[3], 1e-5) },
			func(v []*Var) *Var { return LayerNorm(Add(v[0], v[1]), v[2], v[3], 1e-5) },
		},
		"BiasGELU": {
			func(v []*Var) *Var { return BiasGELU(v[0], v[2], ActGELU) },
			func(v []*Var) *Var { return GELU(Add(v[0], v[2])) },
		},
	}
	for name, p := range pairs {
		got, want := run(p[0]), run(p[1])
		if len(got) != len(want) {
			t.Fatalf("%s: %d results, want %d", name, len(got), len(want))
		}
		for i := range want {
			if e := maxRelDiff(t, name, got[i], want[i], 1e-30); e != 0 {
				t.Errorf("%s: result %d differs by %.3g from the composition", name, i, e)
			}
		}
	}
}
