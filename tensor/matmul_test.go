package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveMatMul computes op(a)·op(b) with broadcast batch dims by the definition.
func naiveMatMul(a, b *Tensor, transA, transB bool) *Tensor {
	if transA {
		a = a.Transpose(-1, -2)
	}
	if transB {
		b = b.Transpose(-1, -2)
	}
	ra, rb := a.Rank(), b.Rank()
	m, k, n := a.shape[ra-2], a.shape[ra-1], b.shape[rb-1]
	batch, _ := BroadcastShapes(a.shape[:ra-2], b.shape[:rb-2])
	out := Zeros(F64, append(append([]int{}, batch...), m, n)...)
	for _, bi := range allIndices(batch) {
		ai := srcIndex(bi, a.shape[:ra-2])
		bj := srcIndex(bi, b.shape[:rb-2])
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for p := 0; p < k; p++ {
					s += a.At(append(append([]int{}, ai...), i, p)...) * b.At(append(append([]int{}, bj...), p, j)...)
				}
				out.SetAt(s, append(append([]int{}, bi...), i, j)...)
			}
		}
	}
	return out
}

// swapLast returns shape with its last two dims swapped.
func swapLast(s []int) []int {
	o := append([]int{}, s...)
	o[len(o)-1], o[len(o)-2] = o[len(o)-2], o[len(o)-1]
	return o
}

func TestMatMulBatchedVsNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	cases := []struct{ a, b []int }{ // logical shapes of op(a), op(b)
		{[]int{3, 4}, []int{4, 5}},
		{[]int{1, 4}, []int{4, 1}},
		{[]int{2, 3, 4}, []int{4, 5}},
		{[]int{2, 3, 4}, []int{2, 4, 5}},
		{[]int{2, 1, 3, 4}, []int{3, 4, 2}},
		{[]int{3, 4}, []int{2, 4, 5}},
		{[]int{1, 3, 4}, []int{2, 1, 4, 5}},
		{[]int{2, 17, 33}, []int{33, 9}},
		{[]int{5, 0}, []int{0, 3}},
		{[]int{0, 4}, []int{4, 3}},
		{[]int{2, 2, 1, 7}, []int{2, 7, 1}},
	}
	for _, dt := range []DType{F32, F64} {
		for _, c := range cases {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, strided := range []bool{false, true} {
						sa, sb := c.a, c.b
						if ta {
							sa = swapLast(sa)
						}
						if tb {
							sb = swapLast(sb)
						}
						a := randT(rng, dt, strided, sa...)
						b := randT(rng, dt, !strided && ta, sb...)
						name := fmt.Sprintf("%v %v x %v tA=%v tB=%v strided=%v", dt, sa, sb, ta, tb, strided)
						got := MatMul(a, b, ta, tb)
						want := naiveMatMul(a, b, ta, tb)
						checkShape(t, name, got, want.shape...)
						g, w := got.Float64s(), want.Float64s()
						tol := 1e-12
						if dt == F32 {
							tol = 1e-5
						}
						for i := range w {
							if !closeTo(g[i], w[i], tol) {
								t.Fatalf("%s: [%d] = %g want %g", name, i, g[i], w[i])
							}
						}
					}
				}
			}
		}
	}
	// Broadcast (stride-0) operands: an expanded matrix and an expanded row.
	for _, dt := range []DType{F32, F64} {
		a := randT(rng, dt, false, 1, 4).Expand(3, 4)
		b := randT(rng, dt, false, 4, 1).Expand(2, 4, 5)
		got, want := MatMul(a, b, false, false), naiveMatMul(a, b, false, false)
		checkShape(t, "expanded", got, 2, 3, 5)
		g, w := got.Float64s(), want.Float64s()
		for i := range w {
			if !closeTo(g[i], w[i], 1e-5) {
				t.Fatalf("%v expanded: [%d] = %g want %g", dt, i, g[i], w[i])
			}
		}
	}
	assertPanics(t, "inner mismatch", func() { MatMul(Zeros(F32, 2, 3), Zeros(F32, 2, 3), false, false) })
	assertPanics(t, "batch mismatch", func() { MatMul(Zeros(F32, 2, 2, 3), Zeros(F32, 3, 3, 2), false, false) })
	assertPanics(t, "rank 1", func() { MatMul(Zeros(F32, 3), Zeros(F32, 3, 2), false, false) })
}
