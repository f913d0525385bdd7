package nn

import (
	"math"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

// b16 rounds v to float32 and then to the nearest bfloat16.
func b16(v float64) float64 { return float64(tensor.BF16ToF32(tensor.F32ToBF16(float32(v)))) }

// b16s rounds every element of t (read as float64).
func b16s(t *tensor.Tensor) []float64 {
	v := t.Float64s()
	for i := range v {
		v[i] = b16(v[i])
	}
	return v
}

// checkRoundedSum checks that got is the bfloat16 rounding of a float32
// computation of the exact sum z whose terms have absolute sum abs over n
// terms: got must be a bfloat16 value and lie between bf16(z − e) and
// bf16(z + e), e bounding the float32 accumulation error (n·2⁻²⁴·abs) and
// the float32 conversion of z. Rounding is monotone, so that bracket holds
// whatever order the kernel added the terms in.
func checkRoundedSum(t *testing.T, what string, got, z, abs float64, n int) {
	t.Helper()
	if math.Float32bits(float32(got))&0xffff != 0 || float64(float32(got)) != got {
		t.Errorf("%s = %v is not a bfloat16 value", what, got)
		return
	}
	e := float64(n+2)*0x1p-24*abs + 0x1p-23*math.Abs(z)
	if lo, hi := b16(z-e), b16(z+e); got < lo || got > hi {
		t.Errorf("%s = %v, want bf16(%v) = %v (bracket [%v, %v])", what, got, z, b16(z), lo, hi)
	}
}

// TestLinearAutocastMatchesHandComputation runs a Linear under bfloat16
// autocast, forward and backward, and compares every value with the
// products of the bfloat16-rounded operands computed in float64 by hand,
// rounded to bfloat16: y = bf16(bf16(x)·bf16(W)ᵀ + bf16(b)), and with
// ĝ = bf16(g): dx = bf16(ĝ·bf16(W)), dW = bf16(ĝᵀ·bf16(x)), db = bf16(Σ ĝ).
func TestLinearAutocastMatchesHandComputation(t *testing.T) {
	init := NewInit(11)
	const rows, in, out = 6, 16, 5
	l := NewLinear(init, in, out, true, 0.5)
	copy(l.Bias.Value.F32(), tensor.RandN(init.RNG, tensor.F32, out).F32())
	l.Autocast = tensor.BF16
	x := autograd.Param(tensor.RandN(init.RNG, tensor.F32, 2, rows/2, in))
	g := tensor.RandN(init.RNG, tensor.F32, 2, rows/2, out)
	tp := autograd.NewTape()
	y := l.Forward(x)
	if err := tp.BackwardWithGrad(y, g); err != nil {
		t.Fatal(err)
	}
	xr, wr, br, gr := b16s(x.Value), b16s(l.Weight.Value), b16s(l.Bias.Value), b16s(g)
	yv, dx, dw, db := y.Value.Float64s(), x.Grad.Float64s(), l.Weight.Grad.Float64s(), l.Bias.Grad.Float64s()
	for r := range rows {
		for o := range out {
			z, abs := br[o], math.Abs(br[o])
			for i := range in {
				z += xr[r*in+i] * wr[o*in+i]
				abs += math.Abs(xr[r*in+i] * wr[o*in+i])
			}
			checkRoundedSum(t, "y", yv[r*out+o], z, abs, in+1)
		}
		for i := range in {
			z, abs := 0.0, 0.0
			for o := range out {
				z += gr[r*out+o] * wr[o*in+i]
				abs += math.Abs(gr[r*out+o] * wr[o*in+i])
			}
			checkRoundedSum(t, "dx", dx[r*in+i], z, abs, out)
		}
	}
	for o := range out {
		for i := range in {
			z, abs := 0.0, 0.0
			for r := range rows {
				z += gr[r*out+o] * xr[r*in+i]
				abs += math.Abs(gr[r*out+o] * xr[r*in+i])
			}
			checkRoundedSum(t, "dW", dw[o*in+i], z, abs, rows)
		}
		z, abs := 0.0, 0.0
		for r := range rows {
			z += gr[r*out+o]
			abs += math.Abs(gr[r*out+o])
		}
		checkRoundedSum(t, "db", db[o], z, abs, rows)
	}
	// The same layer without autocast gives the float32 values, which
	// differ: the rounding happened.
	l.Autocast = tensor.F32
	ref := autograd.Linear(autograd.Const(x.Value), l.Weight, l.Bias).Value
	plain := l.Forward(autograd.Const(x.Value)).Value
	if d := maxDiff(plain, ref); d != 0 {
		t.Errorf("Linear without autocast differs from autograd.Linear by %g", d)
	}
	if d := maxDiff(y.Value, ref); d == 0 || d > 0.05 {
		t.Errorf("autocast output differs from float32 by %g, want a bfloat16-sized difference (0 < d <= 0.05)", d)
	}
}

// TestLinearAutocastGEMVPath checks that decoding (a few rows without
// gradients, the matrix-vector path) rounds as the matrix product does.
func TestLinearAutocastGEMVPath(t *testing.T) {
	init := NewInit(12)
	l := NewLinear(init, 64, 40, true, 0.2)
	copy(l.Bias.Value.F32(), tensor.RandN(init.RNG, tensor.F32, 40).F32())
	l.Autocast = tensor.BF16
	x := autograd.Const(tensor.RandN(init.RNG, tensor.F32, 2, 64))
	SetRequiresGrad(l.NamedParams(""), false)
	fast := l.Forward(x).Value.Float64s()
	xr, wr, br := b16s(x.Value), b16s(l.Weight.Value), b16s(l.Bias.Value)
	for r := range 2 {
		for o := range 40 {
			z, abs := br[o], math.Abs(br[o])
			for i := range 64 {
				z += xr[r*64+i] * wr[o*64+i]
				abs += math.Abs(xr[r*64+i] * wr[o*64+i])
			}
			checkRoundedSum(t, "gemv y", fast[r*40+o], z, abs, 65)
		}
	}
}

// TestAttendAutocast checks that bfloat16 autocast of attention is the
// fused op on rounded q, k, v with its output rounded, forward and
// backward, exactly.
func TestAttendAutocast(t *testing.T) {
	init := NewInit(13)
	shape := []int{2, 2, 5, 4}
	q, k, v := autograd.Param(tensor.RandN(init.RNG, tensor.F32, shape...)), autograd.Param(tensor.RandN(init.RNG, tensor.F32, shape...)),
		autograd.Param(tensor.RandN(init.RNG, tensor.F32, shape...))
	mask := causalMask(0, 5).To(tensor.F32)
	g := tensor.RandN(init.RNG, tensor.F32, shape...)
	tp := autograd.NewTape()
	y := attend(nil, tensor.BF16, q, k, v, mask, 0.5, 0)
	if err := tp.BackwardWithGrad(y, g); err != nil {
		t.Fatal(err)
	}
	// By hand: the fused op on rounded copies, gradients rounded.
	rq, rk, rv := autograd.Param(tensor.FromF64(b16s(q.Value), shape...).To(tensor.F32)),
		autograd.Param(tensor.FromF64(b16s(k.Value), shape...).To(tensor.F32)), autograd.Param(tensor.FromF64(b16s(v.Value), shape...).To(tensor.F32))
	tp2 := autograd.NewTape()
	ref := autograd.ScaledDotProductAttention(rq, rk, rv, mask, false, 0.5)
	if err := tp2.BackwardWithGrad(ref, tensor.FromF64(b16s(g), shape...).To(tensor.F32)); err != nil {
		t.Fatal(err)
	}
	same := func(what string, got []float64, want []float64) {
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
				return
			}
		}
	}
	same("output", y.Value.Float64s(), b16s(ref.Value))
	same("dq", q.Grad.Float64s(), b16s(rq.Grad))
	same("dk", k.Grad.Float64s(), b16s(rk.Grad))
	same("dv", v.Grad.Float64s(), b16s(rv.Grad))
}

// autocastModel is a model-like struct for the SetAutocast walk: layers
// behind pointers, slices, interfaces and maps, one shared, one hidden in
// an unexported field.
type autocastModel struct {
	Layers  []*BertLayer
	Vision  *ViTLayer
	Shared  *Linear
	Again   *Linear // the same layer as Shared
	ByName  map[string]*Linear
	Numbers []float64
	Mode    *Mode
	hidden  *Linear
}

func TestSetAutocastWalk(t *testing.T) {
	init, mode := NewInit(14), NewMode(14)
	shared := NewLinear(init, 4, 4, true, 0.1)
	m := &autocastModel{
		Layers: []*BertLayer{NewBertLayer(init, mode, tinyBert(true)), NewBertLayer(init, mode, tinyBert(false))},
		Vision: &ViTLayer{SelfAttn: NewCLIPAttention(init, mode, 8, 2, 0, 0.1), LayerNorm1: NewLayerNorm(init, 8, 1e-5),
			MLP: NewMLP(init, 8, 16, autograd.QuickGELU, 0.1), LayerNorm2: NewLayerNorm(init, 8, 1e-5)},
		Shared: shared, Again: shared,
		ByName:  map[string]*Linear{"head": NewLinear(init, 4, 2, false, 0.1)},
		Numbers: make([]float64, 1000), Mode: mode,
		hidden: NewLinear(init, 4, 4, true, 0.1),
	}
	// Bert layer with cross-attention: 2 attention cores, 2×4 Linears
	// (query, key, value, dense) and intermediate, output; without: 1 + 4
	// + 2; ViT layer: 1 attention + 4 projections + 2 MLP Linears; the
	// shared Linear once; the map's 1.
	const want = (2 + 8 + 2) + (1 + 4 + 2) + (1 + 4 + 2) + 1 + 1
	n, err := SetAutocast(m, tensor.BF16)
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("SetAutocast set %d layers, want %d", n, want)
	}
	set := []tensor.DType{
		m.Layers[0].Attention.Self.Autocast, m.Layers[0].CrossAttention.Self.Autocast, m.Layers[0].CrossAttention.Self.Key.Autocast,
		m.Layers[0].Intermediate.Autocast, m.Layers[1].Output.Autocast, m.Layers[1].Attention.Dense.Autocast,
		m.Vision.SelfAttn.(*CLIPAttention).Autocast, m.Vision.SelfAttn.(*CLIPAttention).QProj.Autocast, m.Vision.MLP.FC2.Autocast,
		m.Shared.Autocast, m.ByName["head"].Autocast,
	}
	for i, dt := range set {
		if dt != tensor.BF16 {
			t.Errorf("layer %d: autocast %v, want bf16", i, dt)
		}
	}
	if m.hidden.Autocast != tensor.F32 {
		t.Error("SetAutocast reached a layer behind an unexported field")
	}
	if n, err := SetAutocast(m, tensor.F32); err != nil || n != want || m.Layers[0].Intermediate.Autocast != tensor.F32 {
		t.Errorf("SetAutocast(f32): %d layers, %v; intermediate %v", n, err, m.Layers[0].Intermediate.Autocast)
	}
	if _, err := SetAutocast(m, tensor.F16); err == nil || !strings.Contains(err.Error(), "bfloat16") {
		t.Errorf("SetAutocast(f16) error %v, want one naming bfloat16", err)
	}
	if n, _ := SetAutocast(struct{ X int }{1}, tensor.BF16); n != 0 {
		t.Errorf("a struct without layers: %d set", n)
	}
}

// TestBertLayerAutocast runs a BERT layer with cross-attention under
// bfloat16 autocast: outputs and input gradients stay within bfloat16
// precision of float32 but differ from it, and a second pass with
// autocast off is float32 again.
func TestBertLayerAutocast(t *testing.T) {
	init := NewInit(15)
	l := NewBertLayer(init, nil, tinyBert(true))
	x := tensor.RandN(init.RNG, tensor.F32, 2, 4, 8)
	enc := tensor.RandN(init.RNG, tensor.F32, 2, 3, 6)
	run := func() (*tensor.Tensor, *tensor.Tensor) {
		xv := autograd.Param(x)
		tp := autograd.NewTape()
		y := l.Forward(xv, causalMask(0, 4).To(tensor.F32), autograd.Const(enc), nil)
		if err := tp.Backward(autograd.Sum(autograd.Mul(y, autograd.Const(x)), nil, false)); err != nil {
			t.Fatal(err)
		}
		return y.Value, xv.Grad
	}
	y32, g32 := run()
	if _, err := SetAutocast(l, tensor.BF16); err != nil {
		t.Fatal(err)
	}
	y16, g16 := run()
	for _, c := range []struct {
		what string
		a, b *tensor.Tensor
	}{{"output", y16, y32}, {"input gradient", g16, g32}} {
		if d := maxDiff(c.a, c.b); d == 0 || d > 0.1 {
			t.Errorf("%s: bf16 differs from f32 by %g, want 0 < d <= 0.1", c.what, d)
		}
	}
	SetAutocast(l, tensor.F32)
	if y, _ := run(); maxDiff(y, y32) != 0 {
		t.Error("autocast off again does not give the float32 output")
	}
}
