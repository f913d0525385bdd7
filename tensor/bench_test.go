package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Benchmarks come in pairs: the tensor op and a reference doing the same
// work (a plain Go loop, or gonum), so speed reads as a ratio in one run.

const benchN = 1 << 20

func BenchmarkAddF32Contiguous(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := RandN(rng, F32, benchN), RandN(rng, F32, benchN)
	b.SetBytes(3 * 4 * benchN)
	for b.Loop() {
		Add(x, y)
	}
}

func BenchmarkAddF32RefLoop(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := RandN(rng, F32, benchN).F32(), RandN(rng, F32, benchN).F32()
	b.SetBytes(3 * 4 * benchN)
	for b.Loop() {
		out := make([]float32, benchN)
		for i := range out {
			out[i] = x[i] + y[i]
		}
	}
}

func BenchmarkAddF32BroadcastRow(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := RandN(rng, F32, benchN/1024, 1024), RandN(rng, F32, 1024)
	b.SetBytes(3 * 4 * benchN)
	for b.Loop() {
		Add(x, y)
	}
}

func BenchmarkAddF32Transposed(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := RandN(rng, F32, 1024, benchN/1024).Transpose(0, 1), RandN(rng, F32, benchN/1024, 1024)
	b.SetBytes(3 * 4 * benchN)
	for b.Loop() {
		Add(x, y)
	}
}

func BenchmarkExpF32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := RandN(rng, F32, benchN)
	b.SetBytes(2 * 4 * benchN)
	for b.Loop() {
		Exp(x)
	}
}

func BenchmarkSumLastAxisF32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := RandN(rng, F32, benchN/1024, 1024)
	b.SetBytes(4 * benchN)
	for b.Loop() {
		Sum(x, []int{1}, true)
	}
}

func BenchmarkSumFirstAxisF32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := RandN(rng, F32, benchN/1024, 1024)
	b.SetBytes(4 * benchN)
	for b.Loop() {
		Sum(x, []int{0}, true)
	}
}

func benchMatMul(b *testing.B, m, n, k int, batch int) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := RandN(rng, F32, batch, m, k), RandN(rng, F32, n, k)
	b.SetBytes(int64(2 * batch * m * n * k)) // "bytes" = flops, so MB/s reads as MFLOP/s
	for b.Loop() {
		MatMul(x, y, false, true)
	}
}

func BenchmarkMatMulF32Linear(b *testing.B) { benchMatMul(b, 128, 768, 768, 4) }

func BenchmarkMatMulF32LinearGonum(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	m, n, k := 4*128, 768, 768
	x, y := RandN(rng, F32, m, k).F32(), RandN(rng, F32, n, k).F32()
	b.SetBytes(int64(2 * m * n * k))
	for b.Loop() {
		c := make([]float32, m*n)
		blas32.Implementation().Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, x, k, y, k, 0, c, n)
	}
}

func BenchmarkMatMulF32Attention(b *testing.B) {
	// Scores for 12 heads: [12, 197, 64] x [12, 197, 64]^T.
	rng := rand.New(rand.NewPCG(1, 1))
	q, kk := RandN(rng, F32, 12, 197, 64), RandN(rng, F32, 12, 197, 64)
	b.SetBytes(int64(2 * 12 * 197 * 197 * 64))
	for b.Loop() {
		MatMul(q, kk, false, true)
	}
}

func BenchmarkSumLastAxisF32RefLoop(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := RandN(rng, F32, benchN).F32()
	b.SetBytes(4 * benchN)
	for b.Loop() {
		out := make([]float32, benchN/1024)
		for r := range out {
			s := 0.0
			for _, v := range x[r*1024 : (r+1)*1024] {
				s += float64(v)
			}
			out[r] = float32(s)
		}
	}
}

func BenchmarkExpF32RefLoop(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := RandN(rng, F32, benchN).F32()
	b.SetBytes(2 * 4 * benchN)
	for b.Loop() {
		out := make([]float32, benchN)
		for i, v := range x {
			out[i] = float32(math.Exp(float64(v)))
		}
	}
}
