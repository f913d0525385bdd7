package tensor

import (
	"math/rand/v2"
	"testing"
)

// a3 is arange(24) shaped [2, 3, 4]: element (i, j, k) is 12i + 4j + k.
func a3() *Tensor { return arange(F64, 2, 3, 4) }

func TestViewsShareStorage(t *testing.T) {
	x := a3()
	p := x.Permute(2, 0, 1) // p[k, i, j] = x[i, j, k]
	checkShape(t, "Permute", p, 4, 2, 3)
	for _, idx := range allIndices(p.shape) {
		if p.At(idx...) != float64(12*idx[1]+4*idx[2]+idx[0]) {
			t.Fatalf("Permute at %v = %g", idx, p.At(idx...))
		}
	}
	if p.IsContiguous() {
		t.Fatal("permuted view reports contiguous")
	}
	p.SetAt(-1, 3, 1, 2) // x[1, 2, 3]
	if x.At(1, 2, 3) != -1 {
		t.Fatal("Permute does not share storage")
	}
	tr := x.Transpose(0, -1)
	checkShape(t, "Transpose", tr, 4, 3, 2)
	if tr.At(3, 1, 0) != x.At(0, 1, 3) {
		t.Fatal("Transpose wrong")
	}
	n := x.Narrow(1, 1, 2) // [2, 2, 4], n[i, j, k] = x[i, j+1, k]
	checkShape(t, "Narrow", n, 2, 2, 4)
	if n.At(1, 0, 2) != x.At(1, 1, 2) || n.IsContiguous() {
		t.Fatal("Narrow wrong")
	}
	n.SetAt(100, 0, 1, 1)
	if x.At(0, 2, 1) != 100 {
		t.Fatal("Narrow does not share storage")
	}
	s := x.Select(1, 2) // [2, 4]
	checkShape(t, "Select", s, 2, 4)
	if s.At(1, 3) != x.At(1, 2, 3) || x.Select(-1, -1).At(1, 1) != x.At(1, 1, 3) {
		t.Fatal("Select wrong")
	}
	u := x.Unsqueeze(1)
	checkShape(t, "Unsqueeze", u, 2, 1, 3, 4)
	if u.At(1, 0, 2, 3) != x.At(1, 2, 3) || !u.IsContiguous() {
		t.Fatal("Unsqueeze wrong")
	}
	checkShape(t, "Unsqueeze(-1)", x.Unsqueeze(-1), 2, 3, 4, 1)
	checkShape(t, "Unsqueeze(3)", x.Unsqueeze(3), 2, 3, 4, 1)
	checkShape(t, "Squeeze", u.Squeeze(1), 2, 3, 4)
	checkShape(t, "Squeeze non-1", x.Squeeze(0), 2, 3, 4)
	e := x.Select(2, 1).Unsqueeze(0).Expand(5, 2, 3) // [5, 2, 3], stride 0 on dim 0
	checkShape(t, "Expand", e, 5, 2, 3)
	if e.Strides()[0] != 0 || e.At(4, 1, 2) != x.At(1, 2, 1) {
		t.Fatal("Expand wrong")
	}
	e2 := FromF64([]float64{1, 2, 3}, 3, 1).Expand(2, 3, -1, 4)
	checkShape(t, "Expand leading", e2, 2, 3, 3, 4)
	if e2.At(1, 2, 1, 3) != 2 {
		t.Fatal("Expand with leading dims wrong")
	}
	assertPanics(t, "Expand 3->4", func() { x.Expand(2, 3, 5) })
	assertPanics(t, "Permute dup", func() { x.Permute(0, 0, 1) })
	assertPanics(t, "Narrow range", func() { x.Narrow(2, 3, 2) })
}

func TestReshapeAndContiguous(t *testing.T) {
	x := a3()
	r := x.Reshape(4, -1)
	checkShape(t, "Reshape", r, 4, 6)
	r.SetAt(-5, 3, 5)
	if x.At(1, 2, 3) != -5 {
		t.Fatal("Reshape of contiguous tensor is not a view")
	}
	p := x.Permute(1, 0, 2)
	rp := p.Reshape(6, 4) // copy: rows are p's C order
	for _, idx := range allIndices([]int{6, 4}) {
		if rp.At(idx...) != p.At(idx[0]/2, idx[0]%2, idx[1]) {
			t.Fatalf("Reshape of permuted at %v", idx)
		}
	}
	rp.SetAt(1234, 0, 0)
	if x.At(0, 0, 0) == 1234 {
		t.Fatal("Reshape of a non-contiguous tensor shared storage")
	}
	if x.Contiguous() != x {
		t.Fatal("Contiguous of contiguous tensor is not itself")
	}
	c := p.Contiguous()
	if !c.IsContiguous() || c == p {
		t.Fatal("Contiguous did not copy")
	}
	f := p.F64()
	for i, idx := range allIndices(p.shape) {
		if f[i] != p.At(idx...) || c.F64()[i] != f[i] {
			t.Fatalf("F64 of permuted at %v", idx)
		}
	}
	cl := x.Clone()
	cl.SetAt(77, 0, 0, 0)
	if x.At(0, 0, 0) == 77 {
		t.Fatal("Clone shares storage")
	}
	checkShape(t, "Reshape scalar", Scalar(F32, 3).Reshape(1, 1), 1, 1)
	checkShape(t, "Reshape to scalar", FromF32([]float32{3}, 1).Reshape(), []int{}...)
	assertPanics(t, "Reshape bad", func() { x.Reshape(5, -1) })
	assertPanics(t, "Reshape two -1", func() { x.Reshape(-1, -1) })
}

func TestCopyFromAndConcat(t *testing.T) {
	x := Zeros(F32, 3, 4)
	src := arange(F64, 4, 2).Transpose(0, 1) // [2, 4], converted on copy
	x.Narrow(0, 1, 2).CopyFrom(src)
	for _, idx := range allIndices([]int{2, 4}) {
		if x.At(idx[0]+1, idx[1]) != src.At(idx...) {
			t.Fatalf("CopyFrom at %v", idx)
		}
	}
	if x.At(0, 3) != 0 {
		t.Fatal("CopyFrom wrote outside the view")
	}
	assertPanics(t, "CopyFrom shape", func() { x.CopyFrom(Zeros(F32, 4, 3)) })
	rng := rand.New(rand.NewPCG(1, 1))
	a := randT(rng, F32, true, 2, 1, 3)
	b := randT(rng, F32, false, 2, 4, 3)
	c := Concat(1, a, b)
	checkShape(t, "Concat", c, 2, 5, 3)
	for _, idx := range allIndices(c.shape) {
		var want float64
		if idx[1] == 0 {
			want = a.At(idx[0], 0, idx[2])
		} else {
			want = b.At(idx[0], idx[1]-1, idx[2])
		}
		if c.At(idx...) != want {
			t.Fatalf("Concat at %v", idx)
		}
	}
	assertPanics(t, "Concat mismatch", func() { Concat(0, a, b) })
}

func TestIndexSelectAdd(t *testing.T) {
	table := arange(F32, 5, 3)
	g := IndexSelect(table, 0, []int{4, 0, 4, -1})
	checkShape(t, "IndexSelect", g, 4, 3)
	want := []float32{12, 13, 14, 0, 1, 2, 12, 13, 14, 12, 13, 14}
	for i, v := range g.F32() {
		if v != want[i] {
			t.Fatalf("IndexSelect = %v", g.F32())
		}
	}
	cols := IndexSelect(table.Transpose(0, 1), 1, []int{1, 3}) // [3, 2]
	if cols.At(2, 1) != 11 {
		t.Fatalf("IndexSelect on a view: %v", cols)
	}
	// A contiguous table at a non-zero offset, and non-float dtypes.
	for _, dt := range []DType{F32, F16, I64, U8} {
		tab := arange(dt, 6, 2).Narrow(0, 1, 4) // rows 1..4 of the original
		got := IndexSelect(tab, 0, []int{3, 0})
		want := []float64{8, 9, 2, 3}
		for i, v := range got.Float64s() {
			if v != want[i] || got.DType() != dt {
				t.Fatalf("%v IndexSelect of narrowed table = %v, want %v", dt, got.Float64s(), want)
			}
		}
	}
	grad := Zeros(F32, 5, 3)
	IndexAdd(grad, 0, []int{4, 0, 4}, Full(F32, 1, 3, 3))
	if grad.At(4, 2) != 2 || grad.At(0, 0) != 1 || grad.At(1, 1) != 0 {
		t.Fatalf("IndexAdd = %v", grad.F32())
	}
	assertPanics(t, "IndexSelect range", func() { IndexSelect(table, 0, []int{5}) })
}
