package autograd

import (
	"testing"

	"radcap/tensor"
)

// The benchmarks report GFLOP/s (or GB/s) so that an op can be read as a
// ratio against the plain tensor.MatMul (SGEMM) reference measured in the
// same run: compare BenchmarkLinear/autograd with BenchmarkLinear/sgemm.

// BenchmarkLinear times a BERT-base sized linear layer (512 tokens, 768 →
// 768, float32): forward and backward through the tape, against the three
// bare SGEMM calls they contain.
func BenchmarkLinear(b *testing.B) {
	const n, in, out = 512, 768, 768
	rng := newRNG(1)
	x := tensor.RandN(rng, tensor.F32, n, in)
	w := tensor.RandN(rng, tensor.F32, out, in)
	bias := tensor.RandN(rng, tensor.F32, out)
	g := tensor.RandN(rng, tensor.F32, n, out)
	flops := 3 * 2.0 * n * in * out
	b.Run("sgemm", func(b *testing.B) {
		for b.Loop() {
			tensor.MatMul(x, w, false, true)
			tensor.MatMul(g, w, false, false)
			tensor.MatMul(g, x, true, false)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("autograd", func(b *testing.B) {
		xv, wv, bv := Param(x), Param(w), Param(bias)
		for b.Loop() {
			tp := NewTape()
			y := Linear(xv, wv, bv)
			if err := tp.BackwardWithGrad(y, g); err != nil {
				b.Fatal(err)
			}
			xv.ZeroGrad()
			wv.ZeroGrad()
			bv.ZeroGrad()
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// BenchmarkAttention times the fused attention (8 sequences, 12 heads, 64
// tokens, head size 64) forward and backward against its six bare batched
// products.
func BenchmarkAttention(b *testing.B) {
	const bs, h, t, d = 8, 12, 64, 64
	rng := newRNG(2)
	q := tensor.RandN(rng, tensor.F32, bs, h, t, d)
	k := tensor.RandN(rng, tensor.F32, bs, h, t, d)
	v := tensor.RandN(rng, tensor.F32, bs, h, t, d)
	g := tensor.RandN(rng, tensor.F32, bs, h, t, d)
	flops := 6 * 2.0 * bs * h * t * t * d
	b.Run("sgemm", func(b *testing.B) {
		for b.Loop() {
			s := tensor.MatMul(q, k, false, true)
			tensor.MatMul(s, v, false, false)
			tensor.MatMul(s, g, true, false)
			tensor.MatMul(g, v, false, true)
			tensor.MatMul(s, k, false, false)
			tensor.MatMul(s, q, true, false)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("autograd", func(b *testing.B) {
		qv, kv, vv := Param(q), Param(k), Param(v)
		for b.Loop() {
			tp := NewTape()
			y := ScaledDotProductAttention(qv, kv, vv, nil, true, 0)
			if err := tp.BackwardWithGrad(y, g); err != nil {
				b.Fatal(err)
			}
			qv.ZeroGrad()
			kv.ZeroGrad()
			vv.ZeroGrad()
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// benchRowOp times a row-wise fused op forward and backward on [512, 768]
// float32 and reports the bytes of its input moved per second (one read
// and one write each way), for comparison with a copy of the same size.
func benchRowOp(b *testing.B, f func(x *Var) *Var) {
	rng := newRNG(3)
	x := tensor.RandN(rng, tensor.F32, 512, 768)
	g := tensor.RandN(rng, tensor.F32, 512, 768)
	xv := Param(x)
	for b.Loop() {
		tp := NewTape()
		if err := tp.BackwardWithGrad(f(xv), g); err != nil {
			b.Fatal(err)
		}
		xv.ZeroGrad()
	}
	b.ReportMetric(4*float64(x.Numel()*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

func BenchmarkRowOps(b *testing.B) {
	rng := newRNG(4)
	w, bias := Param(tensor.RandN(rng, tensor.F32, 768)), Param(tensor.RandN(rng, tensor.F32, 768))
	tg := tensor.Zeros(tensor.I64, 512)
	b.Run("copy", func(b *testing.B) {
		x := tensor.RandN(rng, tensor.F32, 512, 768)
		for b.Loop() {
			x.Clone().Clone()
		}
		b.ReportMetric(4*float64(x.Numel()*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	b.Run("LayerNorm", func(b *testing.B) { benchRowOp(b, func(x *Var) *Var { return LayerNorm(x, w, bias, 1e-12) }) })
	b.Run("Softmax", func(b *testing.B) { benchRowOp(b, func(x *Var) *Var { return Softmax(x, -1) }) })
	b.Run("GELU", func(b *testing.B) { benchRowOp(b, GELU) })
	b.Run("CrossEntropyRows", func(b *testing.B) {
		benchRowOp(b, func(x *Var) *Var { return Expand(Unsqueeze(CrossEntropyRows(x, tg, IgnoreIndex, 0.1), 1), 512, 768) })
	})
}

// BenchmarkEncoderLayer times forward and backward of one BERT-base
// encoder layer (8 sequences of 128 tokens, width 768, 12 heads, MLP 3072,
// float32) built from this package's ops, and reports its matmul FLOP/s:
// compare with BenchmarkEncoderLayer/sgemm, the same products alone.
func BenchmarkEncoderLayer(b *testing.B) {
	const bs, t, d, h, ff = 8, 128, 768, 12, 3072
	rng := newRNG(5)
	p := func(shape ...int) *Var {
		return Param(tensor.MulScalar(tensor.RandN(rng, tensor.F32, shape...), 0.02))
	}
	wqkv, bqkv, wo, bo := p(3*d, d), p(3*d), p(d, d), p(d)
	w1, b1, w2, b2 := p(ff, d), p(ff), p(d, ff), p(d)
	ln1w, ln1b, ln2w, ln2b := p(d), p(d), p(d), p(d)
	x := tensor.RandN(rng, tensor.F32, bs, t, d)
	n := bs * t
	// Linear layers: 3 products each of 2·n·in·out; attention: 6 of 2·bs·t·t·d.
	flops := 3*2.0*float64(n)*(3*d*d+d*d+2*d*ff) + 6*2.0*float64(bs*t*t*d)
	params := []*Var{wqkv, bqkv, wo, bo, w1, b1, w2, b2, ln1w, ln1b, ln2w, ln2b}
	b.Run("sgemm", func(b *testing.B) {
		x2 := x.Reshape(n, d)
		hid := tensor.RandN(rng, tensor.F32, n, ff)
		q := tensor.RandN(rng, tensor.F32, bs, h, t, d/h)
		for b.Loop() {
			for _, mm := range []struct{ a, w *tensor.Tensor }{{x2, wqkv.Value}, {x2, wo.Value}, {x2, w1.Value}, {hid, w2.Value}} {
				y := tensor.MatMul(mm.a, mm.w, false, true)
				tensor.MatMul(y, mm.w, false, false)
				tensor.MatMul(y, mm.a, true, false)
			}
			s := tensor.MatMul(q, q, false, true)
			for i := 0; i < 5; i++ {
				tensor.MatMul(s, q, false, false)
			}
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("autograd", func(b *testing.B) {
		for b.Loop() {
			tp := NewTape()
			xv := tp.Const(x)
			qkv := Linear(xv, wqkv, bqkv)                                // [bs, t, 3d]
			qkv = Permute(Reshape(qkv, bs, t, 3, h, d/h), 2, 0, 3, 1, 4) // [3, bs, h, t, dh]
			q, k, v := Select(qkv, 0, 0), Select(qkv, 0, 1), Select(qkv, 0, 2)
			a := ScaledDotProductAttention(q, k, v, nil, false, 0)
			a = Reshape(Permute(a, 0, 2, 1, 3), bs, t, d)
			x1 := LayerNorm(Add(xv, Linear(a, wo, bo)), ln1w, ln1b, 1e-12)
			y := LayerNorm(Add(x1, Linear(GELU(Linear(x1, w1, b1)), w2, b2)), ln2w, ln2b, 1e-12)
			if err := tp.BackwardWithGrad(y, x); err != nil {
				b.Fatal(err)
			}
			for _, p := range params {
				p.ZeroGrad()
			}
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
