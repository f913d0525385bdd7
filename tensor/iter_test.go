package tensor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
)

// randomView returns a random non-contiguous view of rank r: permuted,
// narrowed, and with some size-1 dims expanded (stride 0).
func randomView(rng *rand.Rand, r int) *Tensor {
	shape := make([]int, r)
	for i := range shape {
		shape[i] = 1 + rng.IntN(4)
	}
	t := arange(F64, shape...)
	t = t.Permute(rng.Perm(r)...)
	for d := 0; d < r; d++ {
		switch rng.IntN(3) {
		case 0:
			if t.shape[d] > 1 {
				t = t.Narrow(d, 1, t.shape[d]-1)
			}
		case 1:
			t = t.Narrow(d, 0, 1)
			sh := t.Shape()
			sh[d] = 1 + rng.IntN(3)
			t = t.Expand(sh...)
		}
	}
	return t
}

// TestForEachRowVisitsEveryElement walks random views and checks that the
// rows, expanded element by element, give exactly the C-order storage
// offsets of both operands, and that a walk started mid-way agrees.
func TestForEachRowVisitsEveryElement(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := 0; trial < 300; trial++ {
		r := rng.IntN(6)
		a := randomView(rng, r)
		out := Zeros(F64, a.shape...)
		var want [][2]int
		for _, idx := range allIndices(a.shape) {
			want = append(want, [2]int{out.offsetOf(idx), a.offsetOf(idx)})
		}
		var got [][2]int
		strides := [][]int{out.strides, a.strides}
		forEachRow(a.shape, strides, []int{0, a.offset}, func(offs []int, n int, in []int) {
			for j := 0; j < n; j++ {
				got = append(got, [2]int{offs[0] + j*in[0], offs[1] + j*in[1]})
			}
		})
		if len(got) != len(want) {
			t.Fatalf("view %v strides %v: %d elements visited, want %d", a.shape, a.strides, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("view %v strides %v: element %d at %v, want %v", a.shape, a.strides, i, got[i], want[i])
			}
		}
		w := planRows(a.shape, strides, []int{0, a.offset})
		if w.empty {
			continue
		}
		lo := rng.IntN(w.totalRows)
		var part [][2]int
		w.walk(lo, w.totalRows, func(offs []int, n int, in []int) {
			for j := 0; j < n; j++ {
				part = append(part, [2]int{offs[0] + j*in[0], offs[1] + j*in[1]})
			}
		})
		for i := range part {
			if part[i] != want[lo*w.n+i] {
				t.Fatalf("walk from row %d of %v: element %d at %v, want %v", lo, a.shape, i, part[i], want[lo*w.n+i])
			}
		}
	}
}

// TestParallelWalk checks that the parallel walk covers every element exactly
// once, for many short rows and for one long row.
func TestParallelWalk(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, shape := range [][]int{{3, 100000}, {100000, 3}, {1 << 18}, {7, 5, 3000}} {
		n := numelOf("test", shape)
		seen := make([]int32, n)
		out := contiguousStrides(shape)
		forEachRowPar(shape, [][]int{out}, []int{0}, func(offs []int, m int, in []int) {
			for j := 0; j < m; j++ {
				atomic.AddInt32(&seen[offs[0]+j*in[0]], 1)
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("shape %v: element %d visited %d times", shape, i, c)
			}
		}
	}
}

// TestLargeElementwise runs the parallel kernels on large strided and
// contiguous operands against element-by-element references.
func TestLargeElementwise(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	rng := rand.New(rand.NewPCG(23, 24))
	for _, dt := range []DType{F32, F64} {
		a := randT(rng, dt, true, 300, 301)
		b := randT(rng, dt, false, 301)
		c := randT(rng, dt, false, 300, 301)
		sum, prod, ex := Add(a, b), Mul(c, a), Exp(a)
		acc := c.Clone()
		AddInto(acc, a)
		for _, idx := range allIndices(a.shape) {
			x, y, z := a.At(idx...), b.At(idx[1]), c.At(idx...)
			r := func(v float64) float64 {
				if dt == F32 {
					return float64(float32(v))
				}
				return v
			}
			if sum.At(idx...) != r(x+y) || prod.At(idx...) != r(z*x) || acc.At(idx...) != r(z+x) {
				t.Fatalf("%v at %v: add %g/%g mul %g/%g addinto %g/%g", dt, idx, sum.At(idx...), r(x+y), prod.At(idx...), r(z*x), acc.At(idx...), r(z+x))
			}
			if !closeTo(ex.At(idx...), r(mathExp(x)), 1e-7) {
				t.Fatalf("%v Exp at %v", dt, idx)
			}
		}
	}
}

func mathExp(x float64) float64 { return math.Exp(x) }
