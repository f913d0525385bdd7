package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"radcap/tensor"
)

// compareWithComposition runs fused and composed on the same float64
// inputs and checks that their outputs and the gradients of every input
// (for the same random output weights) agree to 1e-10.
func compareWithComposition(t *testing.T, name string, in []*tensor.Tensor, fused, composed func([]*Var) *Var) {
	t.Helper()
	run := func(f func([]*Var) *Var) (*tensor.Tensor, []*tensor.Tensor) {
		vs := make([]*Var, len(in))
		for i, x := range in {
			if x.DType().IsFloat() {
				vs[i] = Param(x)
			} else {
				vs[i] = Const(x)
			}
		}
		tp := NewTape()
		out := f(vs)
		w := tensor.RandN(newRNG(99), out.Value.DType(), out.Value.Shape()...)
		if err := tp.BackwardWithGrad(out, w); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		grads := make([]*tensor.Tensor, len(vs))
		for i, v := range vs {
			grads[i] = v.Grad
		}
		return out.Value, grads
	}
	yf, gf := run(fused)
	yc, gc := run(composed)
	assertClose(t, name+" forward", yf, yc, 1e-10)
	for i := range gf {
		if gf[i] == nil && gc[i] == nil {
			continue
		}
		if gf[i] == nil || gc[i] == nil {
			t.Errorf("%s: input %d has a gradient on one side only", name, i)
			continue
		}
		assertClose(t, fmt.Sprintf("%s grad of input %d", name, i), gf[i], gc[i], 1e-10)
	}
}

// composedAttention is scaled dot-product attention from primitive ops.
func composedAttention(q, k, v *Var, mask *tensor.Tensor, causal bool, scale float64) *Var {
	s := Scale(MatMulT(q, k, false, true), scale)
	if mask != nil {
		s = Add(s, Const(mask))
	}
	if causal {
		tq, tk := q.Value.Dim(-2), k.Value.Dim(-2)
		tri := tensor.Zeros(tensor.F64, tq, tk)
		for i := 0; i < tq; i++ {
			for j := i + 1; j < tk; j++ {
				tri.SetAt(1, i, j)
			}
		}
		s = MaskedFill(s, tri, math.Inf(-1))
	}
	return MatMul(Softmax(s, -1), v)
}

func TestAttentionMatchesComposition(t *testing.T) {
	for _, seed := range testSeeds(t) {
		rng := newRNG(seed)
		for _, kind := range []string{"none", "padding", "additive", "causal"} {
			for _, tq := range []int{4, 1} {
				b, h, tk, d := 2, 3, 4, 5
				in := []*tensor.Tensor{randn(rng, b, h, tq, d), randn(rng, b, h, tk, d), randn(rng, b, h, tk, 2)}
				mask := attnMask(rng, kind, b, tq, tk)
				causal := kind == "causal"
				scale := 1 / math.Sqrt(float64(d))
				compareWithComposition(t, fmt.Sprintf("attention %s tq=%d seed %d", kind, tq, seed), in,
					func(v []*Var) *Var { return ScaledDotProductAttention(v[0], v[1], v[2], mask, causal, 0) },
					func(v []*Var) *Var { return composedAttention(v[0], v[1], v[2], mask, causal, scale) })
			}
		}
	}
}

func TestAttentionDropoutMatchesComposition(t *testing.T) {
	for _, seed := range testSeeds(t) {
		rng := newRNG(seed)
		in := []*tensor.Tensor{randn(rng, 2, 3, 4, 5), randn(rng, 2, 3, 6, 5), randn(rng, 2, 3, 6, 2)}
		mask := attnMask(rng, "padding", 2, 4, 6)
		// Both draw one number per weight, in row-major order, from the
		// same seed: the same mask.
		compareWithComposition(t, fmt.Sprintf("attention dropout seed %d", seed), in,
			func(v []*Var) *Var {
				return ScaledDotProductAttentionDropout(v[0], v[1], v[2], mask, true, 0.5, 0.3, newRNG(seed))
			},
			func(v []*Var) *Var {
				s := Add(Scale(MatMulT(v[0], v[1], false, true), 0.5), Const(mask))
				tri := tensor.Zeros(tensor.F64, 4, 6)
				for i := 0; i < 4; i++ {
					for j := i + 1; j < 6; j++ {
						tri.SetAt(1, i, j)
					}
				}
				p := Softmax(MaskedFill(s, tri, math.Inf(-1)), -1)
				return MatMul(Dropout(p, 0.3, true, newRNG(seed)), v[2])
			})
	}
}

// composedLayerNorm is layer norm from primitive ops.
func composedLayerNorm(x, w, b *Var, eps float64) *Var {
	mu := Mean(x, []int{-1}, true)
	xc := Sub(x, mu)
	v := Mean(Square(xc), []int{-1}, true)
	y := Div(xc, Sqrt(AddScalar(v, eps)))
	if w != nil {
		y = Mul(y, w)
	}
	if b != nil {
		y = Add(y, b)
	}
	return y
}

func TestLayerNormMatchesComposition(t *testing.T) {
	for _, seed := range testSeeds(t) {
		rng := newRNG(seed)
		for _, s := range [][]int{{3, 5}, {2, 3, 8}, {1, 1}} {
			n := s[len(s)-1]
			in := []*tensor.Tensor{tensor.AddScalar(randn(rng, s...), 3), randn(rng, n), randn(rng, n)}
			compareWithComposition(t, fmt.Sprintf("layernorm %v seed %d", s, seed), in,
				func(v []*Var) *Var { return LayerNorm(v[0], v[1], v[2], 1e-5) },
				func(v []*Var) *Var { return composedLayerNorm(v[0], v[1], v[2], 1e-5) })
		}
	}
}

// composedCrossEntropy is F.cross_entropy from primitive ops: log-softmax,
// a one-hot pick, label smoothing, and a mean over the rows not ignored.
func composedCrossEntropy(logits *Var, tg *tensor.Tensor, eps float64) *Var {
	n, c := logits.Value.Dim(0), logits.Value.Dim(1)
	onehot := tensor.Zeros(tensor.F64, n, c)
	keep := tensor.Zeros(tensor.F64, n)
	kept := 0.0
	for i, t := range tg.I64() {
		if t != IgnoreIndex {
			onehot.SetAt(1, i, int(t))
			keep.SetAt(1, i)
			kept++
		}
	}
	logp := LogSoftmax(logits, -1)
	nll := Neg(Sum(Mul(logp, Const(onehot)), []int{1}, false))
	smooth := Neg(Mean(logp, []int{1}, false))
	row := Add(Scale(nll, 1-eps), Scale(smooth, eps))
	return Scale(Sum(Mul(row, Const(keep)), nil, false), 1/kept)
}

func TestCrossEntropyMatchesComposition(t *testing.T) {
	for _, seed := range testSeeds(t) {
		rng := newRNG(seed)
		for _, eps := range []float64{0, 0.1, 1} {
			tg := targets(rng, 6, 5, 0, 4)
			in := []*tensor.Tensor{tensor.MulScalar(randn(rng, 6, 5), 3)}
			compareWithComposition(t, fmt.Sprintf("cross entropy eps=%v seed %d", eps, seed), in,
				func(v []*Var) *Var { return CrossEntropy(v[0], tg, IgnoreIndex, eps) },
				func(v []*Var) *Var { return composedCrossEntropy(v[0], tg, eps) })
		}
	}
}

func TestSoftmaxL2MatchComposition(t *testing.T) {
	for _, seed := range testSeeds(t) {
		rng := newRNG(seed)
		in := []*tensor.Tensor{randn(rng, 3, 4, 5)}
		compareWithComposition(t, fmt.Sprintf("softmax seed %d", seed), in,
			func(v []*Var) *Var { return Softmax(v[0], 1) },
			func(v []*Var) *Var { e := Exp(v[0]); return Div(e, Sum(e, []int{1}, true)) })
		compareWithComposition(t, fmt.Sprintf("log-softmax seed %d", seed), in,
			func(v []*Var) *Var { return LogSoftmax(v[0], -1) },
			func(v []*Var) *Var { return Sub(v[0], Log(Sum(Exp(v[0]), []int{-1}, true))) })
		compareWithComposition(t, fmt.Sprintf("l2 normalize seed %d", seed), in,
			func(v []*Var) *Var { return L2Normalize(v[0], -1, 1e-12) },
			func(v []*Var) *Var { return Div(v[0], Sqrt(Sum(Square(v[0]), []int{-1}, true))) })
		compareWithComposition(t, fmt.Sprintf("quick gelu seed %d", seed), in,
			func(v []*Var) *Var { return QuickGELU(v[0]) },
			func(v []*Var) *Var { return Mul(v[0], Sigmoid(Scale(v[0], 1.702))) })
		compareWithComposition(t, fmt.Sprintf("gelu tanh seed %d", seed), in,
			func(v []*Var) *Var { return GELUTanh(v[0]) },
			func(v []*Var) *Var {
				x := v[0]
				u := Scale(Add(x, Scale(Mul(Square(x), x), 0.044715)), math.Sqrt(2/math.Pi))
				return Mul(Scale(x, 0.5), AddScalar(Tanh(u), 1))
			})
	}
}

// TestLinearPatchifyMatchComposition checks the convenience ops against
// MatMul compositions, Patchify against a direct convolution loop.
func TestLinearPatchifyMatchComposition(t *testing.T) {
	for _, seed := range testSeeds(t) {
		rng := newRNG(seed)
		in := []*tensor.Tensor{randn(rng, 2, 3, 4), randn(rng, 5, 4), randn(rng, 5)}
		compareWithComposition(t, fmt.Sprintf("linear seed %d", seed), in,
			func(v []*Var) *Var { return Linear(v[0], v[1], v[2]) },
			func(v []*Var) *Var { return Add(MatMul(v[0], Transpose(v[1], 0, 1)), v[2]) })

		// Patchify as a composition: cut every patch with Narrow and take
		// its dot product with every filter.
		x, w, b := randn(rng, 2, 3, 4, 6), randn(rng, 5, 3, 2, 2), randn(rng, 5)
		compareWithComposition(t, fmt.Sprintf("patchify seed %d", seed), []*tensor.Tensor{x, w, b},
			func(v []*Var) *Var { return Patchify(v[0], v[1], v[2]) },
			func(v []*Var) *Var {
				var patches []*Var
				for py := 0; py < 2; py++ {
					for px := 0; px < 3; px++ {
						p := Narrow(Narrow(v[0], 2, 2*py, 2), 3, 2*px, 2) // [B, C, 2, 2]
						patches = append(patches, Unsqueeze(Reshape(p, 2, 12), 1))
					}
				}
				cols := Concat(1, patches...) // [B, 6, C·P·P]
				return Add(MatMul(cols, Transpose(Reshape(v[1], 5, 12), 0, 1)), v[2])
			})
	}
}

// TestFloat32MatchesFloat64 runs every fused op in float32 and float64 on
// the same inputs: outputs and gradients must agree to float32 accuracy.
func TestFloat32MatchesFloat64(t *testing.T) {
	rng := newRNG(5)
	mask := attnMask(rng, "additive", 2, 3, 4)
	tg := targets(rng, 6, 7, 2)
	id := ids(rng, 9, 2, 3)
	cases := []struct {
		name   string
		shapes [][]int
		f      func(v []*Var) *Var
	}{
		{"GELU", [][]int{{4, 5}}, func(v []*Var) *Var { return GELU(v[0]) }},
		{"GELUTanh", [][]int{{4, 5}}, func(v []*Var) *Var { return GELUTanh(v[0]) }},
		{"QuickGELU", [][]int{{4, 5}}, func(v []*Var) *Var { return QuickGELU(v[0]) }},
		{"Tanh", [][]int{{4, 5}}, func(v []*Var) *Var { return Tanh(v[0]) }},
		{"Softmax", [][]int{{4, 5}}, func(v []*Var) *Var { return Softmax(v[0], -1) }},
		{"LogSoftmax", [][]int{{4, 5}}, func(v []*Var) *Var { return LogSoftmax(v[0], 0) }},
		{"L2Normalize", [][]int{{4, 5}}, func(v []*Var) *Var { return L2Normalize(v[0], -1, 1e-12) }},
		{"LayerNorm", [][]int{{4, 5}, {5}, {5}}, func(v []*Var) *Var { return LayerNorm(v[0], v[1], v[2], 1e-5) }},
		{"Linear", [][]int{{2, 3, 4}, {5, 4}, {5}}, func(v []*Var) *Var { return Linear(v[0], v[1], v[2]) }},
		{"Patchify", [][]int{{2, 3, 4, 4}, {5, 3, 2, 2}, {5}}, func(v []*Var) *Var { return Patchify(v[0], v[1], v[2]) }},
		{"Attention", [][]int{{2, 2, 3, 4}, {2, 2, 4, 4}, {2, 2, 4, 3}}, func(v []*Var) *Var {
			return ScaledDotProductAttention(v[0], v[1], v[2], mask, false, 0)
		}},
		{"AttentionCausal", [][]int{{2, 2, 4, 4}, {2, 2, 4, 4}, {2, 2, 4, 3}}, func(v []*Var) *Var {
			return ScaledDotProductAttention(v[0], v[1], v[2], nil, true, 0)
		}},
		{"CrossEntropy", [][]int{{6, 7}}, func(v []*Var) *Var { return CrossEntropy(v[0], tg, IgnoreIndex, 0.1) }},
		{"Embedding", [][]int{{9, 4}}, func(v []*Var) *Var { return Embedding(v[0], id, 0) }},
	}
	for _, c := range cases {
		in := make([]*tensor.Tensor, len(c.shapes))
		for i, s := range c.shapes {
			in[i] = randn(rng, s...)
		}
		run := func(dt tensor.DType) (*tensor.Tensor, []*tensor.Tensor) {
			vs := make([]*Var, len(in))
			for i, x := range in {
				vs[i] = Param(x.To(dt))
			}
			out := c.f(vs)
			if out.Value.DType() != dt {
				t.Fatalf("%s: output dtype %v for %v inputs", c.name, out.Value.DType(), dt)
			}
			w := tensor.RandN(newRNG(3), tensor.F64, out.Value.Shape()...).To(dt)
			if err := NewTape().BackwardWithGrad(out, w); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			gs := make([]*tensor.Tensor, len(vs))
			for i, v := range vs {
				gs[i] = v.Grad
			}
			return out.Value, gs
		}
		y32, g32 := run(tensor.F32)
		y64, g64 := run(tensor.F64)
		assertClose(t, c.name+" float32 forward", y32, y64, 1e-4)
		for i := range g32 {
			assertClose(t, fmt.Sprintf("%s float32 grad %d", c.name, i), g32[i], g64[i], 1e-4)
		}
	}
}

// TestAttentionFullyMaskedRow checks that a query whose keys are all
// masked with -Inf gets a zero output and zero gradients, not NaN.
func TestAttentionFullyMaskedRow(t *testing.T) {
	rng := newRNG(1)
	q, k, v := Param(randn(rng, 1, 1, 2, 3)), Param(randn(rng, 1, 1, 3, 3)), Param(randn(rng, 1, 1, 3, 2))
	mask := tensor.Zeros(tensor.F64, 1, 1, 2, 3)
	for j := 0; j < 3; j++ {
		mask.SetAt(math.Inf(-1), 0, 0, 1, j)
	}
	out := ScaledDotProductAttention(q, k, v, mask, false, 0)
	if err := NewTape().Backward(Sum(out, nil, false)); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 2; j++ {
		if got := out.Value.At(0, 0, 1, j); got != 0 {
			t.Errorf("masked row output[%d] = %v, want 0", j, got)
		}
	}
	for _, g := range []*tensor.Tensor{q.Grad, k.Grad, v.Grad} {
		for _, x := range g.Float64s() {
			if math.IsNaN(x) {
				t.Fatalf("NaN gradient %v", g)
			}
		}
	}
	for j := 0; j < 3; j++ {
		if got := q.Grad.At(0, 0, 1, j); got != 0 {
			t.Errorf("dq of the masked query = %v, want 0", got)
		}
	}
}

// TestCrossEntropyKnownValues checks the loss against values worked out
// by hand from the definition (not from this package's kernels).
func TestCrossEntropyKnownValues(t *testing.T) {
	// Row 0: logits [0, ln 3] → p = [1/4, 3/4], target 1: −log(3/4).
	// Row 1: ignored. Row 2: logits [0, 0] → p = [1/2, 1/2], target 0: log 2.
	logits := Param(tensor.FromF64([]float64{0, math.Log(3), 5, -5, 0, 0}, 3, 2))
	tg := tensor.FromI64([]int64{1, IgnoreIndex, 0}, 3)
	want := (-math.Log(0.75) + math.Log(2)) / 2
	if got := CrossEntropy(logits, tg, IgnoreIndex, 0).Item(); math.Abs(got-want) > 1e-12 {
		t.Errorf("loss %v, want %v", got, want)
	}
	// Smoothing 0.2: row loss = 0.8·nll + 0.2·mean_c(−log p_c).
	want = (0.8*-math.Log(0.75) + 0.2*(-math.Log(0.25)-math.Log(0.75))/2 + math.Log(2)) / 2
	if got := CrossEntropy(logits, tg, IgnoreIndex, 0.2).Item(); math.Abs(got-want) > 1e-12 {
		t.Errorf("smoothed loss %v, want %v", got, want)
	}
	rows := CrossEntropyRows(logits, tg, IgnoreIndex, 0).Value.Float64s()
	if math.Abs(rows[0]+math.Log(0.75)) > 1e-12 || rows[1] != 0 || math.Abs(rows[2]-math.Log(2)) > 1e-12 {
		t.Errorf("per-row losses %v", rows)
	}
	// Every target ignored: 0/0 = NaN, as PyTorch's mean reduction gives,
	// with a zero (not NaN) gradient.
	all := tensor.FromI64([]int64{IgnoreIndex, IgnoreIndex, IgnoreIndex}, 3)
	loss := CrossEntropy(logits, all, IgnoreIndex, 0)
	if !math.IsNaN(loss.Item()) {
		t.Errorf("all-ignored loss %v, want NaN", loss.Item())
	}
	if err := NewTape().Backward(loss); err != nil {
		t.Fatal(err)
	}
	for _, g := range logits.Grad.Float64s() {
		if g != 0 {
			t.Fatalf("all-ignored gradient %v, want zeros", logits.Grad)
		}
	}
}

// TestGELUKnownValues checks the GELU forms at points worked out from
// their definitions with math.Erf and math.Tanh directly.
func TestGELUKnownValues(t *testing.T) {
	xs := []float64{-3, -1, -0.5, 0, 0.5, 1, 3}
	x := Const(tensor.FromF64(xs, len(xs)))
	erf, th, quick := GELU(x).Value.F64(), GELUTanh(x).Value.F64(), QuickGELU(x).Value.F64()
	for i, v := range xs {
		we := 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
		wt := 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
		wq := v / (1 + math.Exp(-1.702*v))
		if math.Abs(erf[i]-we) > 1e-15 || math.Abs(th[i]-wt) > 1e-15 || math.Abs(quick[i]-wq) > 1e-15 {
			t.Errorf("x=%v: gelu %v/%v tanh %v/%v quick %v/%v", v, erf[i], we, th[i], wt, quick[i], wq)
		}
	}
	// The two forms differ (by up to ~1e-3 near |x| = 2): they are not the same function.
	if math.Abs(erf[1]-th[1]) < 1e-6 {
		t.Errorf("erf and tanh GELU agree at -1: %v", erf[1])
	}
}

// TestEmbeddingPadding checks the padding row: the forward reads it, the
// backward skips it, and every other row gets exactly the no-padding
// gradient.
func TestEmbeddingPadding(t *testing.T) {
	rng := newRNG(3)
	w := randn(rng, 5, 3)
	id := tensor.FromI64([]int64{2, 0, 2, 4, 0}, 5)
	grad := func(pad int) (*tensor.Tensor, *tensor.Tensor) {
		p := Param(w)
		out := Embedding(p, id, pad)
		if err := NewTape().BackwardWithGrad(out, tensor.RandN(newRNG(4), tensor.F64, 5, 3)); err != nil {
			t.Fatal(err)
		}
		return out.Value, p.Grad
	}
	y0, g0 := grad(NoPadding)
	y1, g1 := grad(0)
	assertClose(t, "padded forward", y1, y0, 0)
	for r := 0; r < 5; r++ {
		for c := 0; c < 3; c++ {
			want := g0.At(r, c)
			if r == 0 {
				want = 0
			}
			if g1.At(r, c) != want {
				t.Errorf("grad[%d,%d] = %v, want %v", r, c, g1.At(r, c), want)
			}
		}
	}
	// Row 2 is looked up twice: its gradient is the sum of both rows of g.
	if g0.At(2, 0) == 0 || g0.At(1, 0) != 0 {
		t.Errorf("unexpected gradient pattern %v", g0)
	}
}

// TestDropout checks the statistics and the identity cases.
func TestDropout(t *testing.T) {
	x := Param(tensor.Full(tensor.F32, 1, 100, 100))
	if Dropout(x, 0.3, false, newRNG(1)) != x || Dropout(x, 0, true, newRNG(1)) != x {
		t.Error("eval mode or p=0 must return the input itself")
	}
	y := Dropout(x, 0.3, true, newRNG(1)).Value.F32()
	zeros := 0
	for _, v := range y {
		switch {
		case v == 0:
			zeros++
		case math.Abs(float64(v)-1/0.7) > 1e-6:
			t.Fatalf("kept element %v, want 1/(1-p) = %v", v, 1/0.7)
		}
	}
	// 10,000 Bernoulli(0.3) draws: 3000 ± 46 (1σ); allow 5σ.
	if zeros < 2770 || zeros > 3230 {
		t.Errorf("%d of 10000 dropped, want about 3000", zeros)
	}
	a := Dropout(x, 0.5, true, rand.New(rand.NewPCG(9, 9))).Value.F32()
	b := Dropout(x, 0.5, true, rand.New(rand.NewPCG(9, 9))).Value.F32()
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("the same seed gave different masks")
		}
	}
}

// TestLargeShapesParallelKernels repeats the composition checks on shapes
// large enough for the kernels to split rows across goroutines (the small
// gradient-check shapes all run on one).
func TestLargeShapesParallelKernels(t *testing.T) {
	rng := newRNG(8)
	in := []*tensor.Tensor{randn(rng, 64, 513), randn(rng, 513), randn(rng, 513)}
	compareWithComposition(t, "large layernorm", in,
		func(v []*Var) *Var { return LayerNorm(v[0], v[1], v[2], 1e-5) },
		func(v []*Var) *Var { return composedLayerNorm(v[0], v[1], v[2], 1e-5) })

	in = []*tensor.Tensor{randn(rng, 2, 2, 40, 16), randn(rng, 2, 2, 33, 16), randn(rng, 2, 2, 33, 8)}
	compareWithComposition(t, "large causal attention", in,
		func(v []*Var) *Var { return ScaledDotProductAttention(v[0], v[1], v[2], nil, true, 0) },
		func(v []*Var) *Var { return composedAttention(v[0], v[1], v[2], nil, true, 0.25) })

	tg := targets(rng, 200, 50, 3, 77, 150)
	in = []*tensor.Tensor{randn(rng, 200, 50)}
	compareWithComposition(t, "large cross entropy", in,
		func(v []*Var) *Var { return CrossEntropy(v[0], tg, IgnoreIndex, 0.1) },
		func(v []*Var) *Var { return composedCrossEntropy(v[0], tg, 0.1) })

	in = []*tensor.Tensor{randn(rng, 100, 400)}
	compareWithComposition(t, "large softmax", in,
		func(v []*Var) *Var { return Softmax(v[0], -1) },
		func(v []*Var) *Var { e := Exp(v[0]); return Div(e, Sum(e, []int{-1}, true)) })
	compareWithComposition(t, "large quick gelu", in,
		func(v []*Var) *Var { return QuickGELU(v[0]) },
		func(v []*Var) *Var { return Mul(v[0], Sigmoid(Scale(v[0], 1.702))) })
	compareWithComposition(t, "large linear", []*tensor.Tensor{randn(rng, 4, 50, 64), randn(rng, 48, 64), randn(rng, 48)},
		func(v []*Var) *Var { return Linear(v[0], v[1], v[2]) },
		func(v []*Var) *Var { return Add(MatMul(v[0], Transpose(v[1], 0, 1)), v[2]) })
}
