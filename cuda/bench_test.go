//go:build cgo

package cuda

import (
	"testing"
	"time"

	"radcap/tensor"
)

// matmulShapes are 4096³ and the matmuls of a git-base / blip-base
// training step at batch 8, caption length 40 (GIT: 197 image + 40 text
// tokens = 1896 rows; BLIP: ViT at 384 px, 577 tokens = 4616 rows).
var matmulShapes = []struct {
	name    string
	m, n, k int
}{
	{"4096^3", 4096, 4096, 4096},
	{"git-qkv", 1896, 2304, 768},
	{"git-mlp-up", 1896, 3072, 768},
	{"git-mlp-down", 1896, 768, 3072},
	{"git-lm-head", 320, 30522, 768},
	{"blip-vit-mlp-up", 4616, 3072, 768},
}

// timeIt runs f n times after one warm-up call and returns the mean
// time per call, waiting for the device.
func timeIt(b *testing.B, d *Device, n int, f func() error) time.Duration {
	if err := f(); err != nil {
		b.Fatal(err)
	}
	if err := d.Sync(); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Sync(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start) / time.Duration(n)
}

// BenchmarkMatMul reports radcap's fp16 matmul in TFLOP/s beside
// cuBLASLt's on the same inputs in the same run, and their ratio.
func BenchmarkMatMul(b *testing.B) {
	d := openGPU(b)
	rng := freshRNG(b)
	for _, s := range matmulShapes {
		b.Run(s.name, func(b *testing.B) {
			a := MatMulArgs{In: tensor.F16, Out: tensor.F16, M: s.m, N: s.n, K: s.k, Alpha: 1,
				A: upload(b, d, tensor.F16, randVals(rng, tensor.F16, s.m*s.k, 1)),
				B: upload(b, d, tensor.F16, randVals(rng, tensor.F16, s.k*s.n, 1)),
				C: poisoned(b, d, tensor.F16, s.m*s.n)}
			defer a.A.Free()
			defer a.B.Free()
			defer a.C.Free()
			flop := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			b.ResetTimer()
			own := timeIt(b, d, b.N, func() error { return d.MatMul(a) })
			b.ReportMetric(flop/own.Seconds()/1e12, "TFLOP/s")
			if d.HasCublasLt() {
				lt := timeIt(b, d, b.N, func() error { return d.MatMulLt(a) })
				b.ReportMetric(flop/lt.Seconds()/1e12, "cublasLt-TFLOP/s")
				b.ReportMetric(lt.Seconds()/own.Seconds(), "speed-vs-cublasLt")
			}
		})
	}
}

// attentionShapes are the attention calls of a git-base / blip-base
// training step at batch 8, caption length 40; bench/sdpa.py times
// PyTorch's scaled_dot_product_attention on the same list.
var attentionShapes = []struct {
	name              string
	bs, h, tq, tk, hd int
	mask              MaskKind
	prefix            int
}{
	{"git-decoder", 8, 12, 237, 237, 64, MaskGIT, 197},
	{"blip-vit", 8, 12, 577, 577, 64, MaskNone, 0},
	{"blip-cross", 8, 12, 40, 577, 64, MaskNone, 0},
}

// BenchmarkAttention times the fused forward + backward in fp16 on
// attentionShapes. Its reference, PyTorch's scaled_dot_product_attention
// on the same GPU, is bench/sdpa.py (bench/run_gpu.sh runs both and puts
// the ratio in one table).
func BenchmarkAttention(b *testing.B) {
	d := openGPU(b)
	for _, s := range attentionShapes {
		b.Run(s.name, func(b *testing.B) {
			per, err := d.TimeAttention(tensor.F16, s.bs, s.h, s.tq, s.tk, s.hd, s.mask, s.prefix, b.N)
			if err != nil {
				b.Fatal(err)
			}
			// 2 products forward, 5 backward (incl. recomputing S), each 2·Tq·Tk·D per head.
			flop := 7 * 2 * float64(s.bs*s.h) * float64(s.tq) * float64(s.tk) * float64(s.hd)
			b.ReportMetric(flop/per.Seconds()/1e12, "TFLOP/s")
			b.ReportMetric(float64(per.Nanoseconds())/1e6, "ms/fwd+bwd")
		})
	}
}
