package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sameValues fails unless got and want have one shape and equal elements.
func sameValues(t *testing.T, name string, got, want *Tensor) {
	t.Helper()
	if !sameShape(got.shape, want.shape) {
		t.Fatalf("%s: shape %v, want %v", name, got.shape, want.shape)
	}
	for _, idx := range allIndices(want.shape) {
		g, w := got.At(idx...), want.At(idx...)
		if g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
			t.Fatalf("%s at %v: %g, want %g", name, idx, g, w)
		}
	}
}

// TestViewOpsOnStridedInputs applies every view op to random strided views
// (permuted, narrowed, expanded) and to their contiguous clones: the results
// must agree element by element, and the view of a view must still share
// the original storage.
func TestViewOpsOnStridedInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for trial := 0; trial < 200; trial++ {
		r := 1 + rng.IntN(4)
		v := randomView(rng, r)
		c := v.Clone()
		d := rng.IntN(r)
		ops := map[string]func(x *Tensor) *Tensor{
			"Transpose": func(x *Tensor) *Tensor { return x.Transpose(d, r-1-d) },
			"Permute":   func(x *Tensor) *Tensor { return x.Permute(reversed(r)...) },
			"Narrow":    func(x *Tensor) *Tensor { return x.Narrow(d, x.shape[d]/2, (x.shape[d]+1)/2) },
			"Select":    func(x *Tensor) *Tensor { return x.Select(d, x.shape[d]-1) },
			"Unsqueeze": func(x *Tensor) *Tensor { return x.Unsqueeze(d) },
			"UnsqueezeEnd": func(x *Tensor) *Tensor {
				return x.Unsqueeze(-1)
			},
			"Squeeze": func(x *Tensor) *Tensor { return x.Unsqueeze(d).Squeeze(d) },
			"Expand":  func(x *Tensor) *Tensor { return x.Unsqueeze(0).Expand(append([]int{3}, x.shape...)...) },
			"Reshape": func(x *Tensor) *Tensor { return x.Reshape(-1) },
			"Reshape2": func(x *Tensor) *Tensor {
				return x.Reshape(append([]int{1}, x.shape...)...)
			},
		}
		for name, op := range ops {
			label := fmt.Sprintf("%s of view %v strides %v", name, v.shape, v.strides)
			got := op(v)
			sameValues(t, label, got, op(c))
			if name == "Reshape" || name == "Reshape2" || got.Numel() == 0 {
				continue
			}
			// Write through the derived view; the original view must see it
			// (expanded dims alias, so write the first element only).
			idx := make([]int, got.Rank())
			old := got.At(idx...)
			got.SetAt(old+1000, idx...)
			if sum(v.Float64s()) != sum(c.Float64s())+1000*float64(countAliases(v, got)) {
				t.Fatalf("%s: write through the view did not reach the original storage", label)
			}
			got.SetAt(old, idx...)
		}
		// Reductions and element-wise ops agree on view and clone too.
		sameValues(t, "Sum of view", Sum(v, []int{d}, false), Sum(c, []int{d}, false))
		sameValues(t, "Exp of view", Exp(v), Exp(c))
		sameValues(t, "To(F32) of view", v.To(F32), c.To(F32))
		sameValues(t, "Mul view*clone", Mul(v, v), Mul(c, c))
	}
}

func reversed(r int) []int {
	p := make([]int, r)
	for i := range p {
		p[i] = r - 1 - i
	}
	return p
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// countAliases counts the elements of v stored where got's first element is.
func countAliases(v, got *Tensor) int {
	target := got.offset
	n := 0
	for _, idx := range allIndices(v.shape) {
		if v.offsetOf(idx) == target {
			n++
		}
	}
	return n
}

func TestEdgeSizes(t *testing.T) {
	e := Zeros(F32, 0, 3)
	checkShape(t, "Add empty", Add(e, Full(F32, 1, 3)), 0, 3)
	checkShape(t, "Exp empty", Exp(e), 0, 3)
	checkShape(t, "Sum empty dim", Sum(e, []int{0}, false), 3)
	if s := Sum(e, []int{0}, false).F32(); s[0] != 0 {
		t.Fatalf("Sum over empty dim = %v, want zeros", s)
	}
	if m := Mean(e, []int{0}, false).F32(); !math.IsNaN(float64(m[0])) {
		t.Fatalf("Mean over empty dim = %v, want NaN", m)
	}
	checkShape(t, "Max over non-empty dim of empty", func() *Tensor { v, _ := Max(e, 1, false); return v }(), 0)
	assertPanics(t, "Max over empty dim", func() { Max(e, 0, false) })
	checkShape(t, "Concat with empty", Concat(0, e, Full(F32, 2, 2, 3)), 2, 3)
	checkShape(t, "IndexSelect none", IndexSelect(Full(F32, 1, 4, 3), 0, nil), 0, 3)
	checkShape(t, "Narrow to nothing", Full(F32, 1, 4).Narrow(0, 4, 0), 0)
	checkShape(t, "Reshape empty", e.Reshape(3, -1, 5), 3, 0, 5)
	checkShape(t, "Expand to 0", Full(F32, 1, 1, 3).Expand(0, 3), 0, 3)
	if len(e.F32()) != 0 || len(e.Float64s()) != 0 {
		t.Fatal("data of empty tensor not empty")
	}
	s := Scalar(F32, 2)
	checkShape(t, "scalar+scalar", Add(s, s), []int{}...)
	if Add(s, s).Item() != 4 || Sum(s, nil, false).Item() != 2 || Exp(s).Rank() != 0 {
		t.Fatal("scalar arithmetic")
	}
	if s.String() != "Tensor(float32, [], [2])" {
		t.Fatalf("String = %q", s.String())
	}
	if got := arange(I64, 3, 4).String(); got != "Tensor(int64, [3 4], [0 1 2 3 4 5 6 7 ...])" {
		t.Fatalf("String = %q", got)
	}
	one := FromF64([]float64{5}, 1, 1, 1)
	if one.Item() != 5 || Sum(one, []int{0, 2}, false).Rank() != 1 {
		t.Fatal("1x1x1")
	}
}

// TestToEveryPair converts between every pair of dtypes, from strided views,
// and compares with converting each element through At/SetAt.
func TestToEveryPair(t *testing.T) {
	vals := []float64{0, 1, -1, 2.5, -2.5, 3.75, 100, -7, 0.1, 255, 65504, 1e-5}
	all := []DType{F32, F64, F16, BF16, I64, I32, U8, Bool}
	for _, from := range all {
		src := Zeros(from, 4, len(vals))
		for j, v := range vals {
			for i := 0; i < 4; i++ {
				src.SetAt(v, i, j)
			}
		}
		view := src.Transpose(0, 1).Narrow(1, 1, 2) // non-contiguous
		for _, to := range all {
			got := view.To(to)
			if got.DType() != to || !got.IsContiguous() {
				t.Fatalf("%v->%v: dtype %v contiguous %v", from, to, got.DType(), got.IsContiguous())
			}
			want := Zeros(to, view.shape...)
			for _, idx := range allIndices(view.shape) {
				want.SetAt(view.At(idx...), idx...)
			}
			sameValues(t, fmt.Sprintf("%v->%v", from, to), got, want)
		}
	}
}
