package optim

import (
	"math"
	"math/rand/v2"
	"testing"

	"radcap/tensor"
)

// benchParams are a few parameters totalling about 2.4M floats (one
// BERT-base layer's worth).
func benchParams() []Param {
	rng := rand.New(rand.NewPCG(1, 1))
	ps := randParams(rng, tensor.F32, []int{768, 768}, []int{768, 768}, []int{768, 768}, []int{3072, 768}, []int{768})
	setRandGrads(rng, ps, 1e-3)
	return ps
}

// BenchmarkAdamWStep times one AdamW step; compare with
// BenchmarkAdamWComposedReference, the same update written with whole-tensor
// ops (as an unfused PyTorch CPU step runs it).
func BenchmarkAdamWStep(b *testing.B) {
	ps := benchParams()
	opt, err := NewAdamW([]Group{{Params: ps, WeightDecay: 0.01}}, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := opt.Step(1e-5); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdamWComposedReference(b *testing.B) {
	ps := benchParams()
	ms := make([]*tensor.Tensor, len(ps))
	vs := make([]*tensor.Tensor, len(ps))
	for i, p := range ps {
		ms[i], vs[i] = tensor.Zeros(tensor.F32, p.Var.Value.Shape()...), tensor.Zeros(tensor.F32, p.Var.Value.Shape()...)
	}
	lr, wd, b1, b2, eps := 1e-5, 0.01, 0.9, 0.999, 1e-8
	b.ResetTimer()
	for n := range b.N {
		t := float64(n + 1)
		for i, p := range ps {
			g := p.Var.Grad
			val := tensor.MulScalar(p.Var.Value, 1-lr*wd)
			ms[i] = tensor.Add(tensor.MulScalar(ms[i], b1), tensor.MulScalar(g, 1-b1))
			vs[i] = tensor.Add(tensor.MulScalar(vs[i], b2), tensor.MulScalar(tensor.Square(g), 1-b2))
			denom := tensor.AddScalar(tensor.MulScalar(tensor.Sqrt(vs[i]), 1/math.Sqrt(1-math.Pow(b2, t))), eps)
			p.Var.Value = tensor.Sub(val, tensor.MulScalar(tensor.Div(ms[i], denom), lr/(1-math.Pow(b1, t))))
		}
	}
}
