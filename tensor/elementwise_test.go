package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// broadcastCases are pairs of shapes that broadcast, covering size-1 dims on
// either side, leading-dim expansion and scalars.
var broadcastCases = [][2][]int{
	{{2, 3}, {2, 3}},
	{{2, 3}, {3}},
	{{3}, {2, 3}},
	{{2, 1}, {1, 3}},
	{{4, 1, 5}, {3, 1}},
	{{1}, {2, 3, 4}},
	{{}, {2, 3}},
	{{2, 3}, {}},
	{{2, 1, 3, 1}, {4, 1, 5}},
	{{0, 3}, {1, 3}},
	{{5, 1}, {1, 1}},
	{{1000}, {1000}},
	{{7, 129}, {129}},
}

func TestBroadcastShapes(t *testing.T) {
	ok := []struct{ a, b, want []int }{
		{[]int{2, 3}, []int{3}, []int{2, 3}},
		{[]int{4, 1, 5}, []int{3, 1}, []int{4, 3, 5}},
		{[]int{}, []int{2}, []int{2}},
		{[]int{0, 3}, []int{1, 3}, []int{0, 3}},
		{[]int{2, 1, 3, 1}, []int{4, 1, 5}, []int{2, 4, 3, 5}},
	}
	for _, c := range ok {
		got, err := BroadcastShapes(c.a, c.b)
		if err != nil || !sameShape(got, c.want) {
			t.Errorf("BroadcastShapes(%v, %v) = %v, %v; want %v", c.a, c.b, got, err, c.want)
		}
	}
	for _, c := range [][2][]int{{{2, 3}, {2}}, {{3, 2}, {2, 3}}, {{0}, {2}}} {
		if _, err := BroadcastShapes(c[0], c[1]); err == nil {
			t.Errorf("BroadcastShapes(%v, %v): no error", c[0], c[1])
		}
	}
}

func TestBinaryBroadcast(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ops := []struct {
		name string
		f    func(a, b *Tensor) *Tensor
		ref  func(x, y float64) float64
	}{
		{"Add", Add, func(x, y float64) float64 { return x + y }},
		{"Sub", Sub, func(x, y float64) float64 { return x - y }},
		{"Mul", Mul, func(x, y float64) float64 { return x * y }},
		{"Div", Div, func(x, y float64) float64 { return x / y }},
		{"Maximum", Maximum, math.Max},
		{"Minimum", Minimum, math.Min},
		{"Greater", Greater, func(x, y float64) float64 { return b2f[float64](x > y) }},
		{"Less", Less, func(x, y float64) float64 { return b2f[float64](x < y) }},
	}
	for _, dt := range []DType{F32, F64} {
		for _, c := range broadcastCases {
			for _, strided := range []bool{false, true} {
				a := randT(rng, dt, strided, c[0]...)
				b := randT(rng, dt, !strided, c[1]...)
				want, _ := BroadcastShapes(c[0], c[1])
				for _, op := range ops {
					name := fmt.Sprintf("%v %s %v %v strided=%v", dt, op.name, c[0], c[1], strided)
					got := op.f(a, b)
					checkShape(t, name, got, want...)
					if !got.IsContiguous() || got.DType() != dt {
						t.Fatalf("%s: result not contiguous %v", name, dt)
					}
					for _, idx := range allIndices(want) {
						x, y := a.At(srcIndex(idx, a.shape)...), b.At(srcIndex(idx, b.shape)...)
						r := op.ref(x, y)
						if dt == F32 {
							r = float64(float32(op.ref(float64(float32(x)), float64(float32(y)))))
						}
						if g := got.At(idx...); g != r {
							t.Fatalf("%s at %v: got %g want %g", name, idx, g, r)
						}
					}
				}
			}
		}
	}
	assertPanics(t, "Add mismatch", func() { Add(Zeros(F32, 2, 3), Zeros(F32, 2)) })
	assertPanics(t, "Add dtypes", func() { Add(Zeros(F32, 2), Zeros(F64, 2)) })
	assertPanics(t, "Add ints", func() { Add(Zeros(I64, 2), Zeros(I64, 2)) })
}

func TestMaximumNaN(t *testing.T) {
	a := FromF64([]float64{math.NaN(), 1, 2}, 3)
	b := FromF64([]float64{0, math.NaN(), 1}, 3)
	for _, r := range []*Tensor{Maximum(a, b), Minimum(a, b)} {
		v := r.F64()
		if !math.IsNaN(v[0]) || !math.IsNaN(v[1]) {
			t.Fatalf("NaN not propagated: %v", v)
		}
	}
	if Maximum(a, b).F64()[2] != 2 || Minimum(a, b).F64()[2] != 1 {
		t.Fatal("max/min of ordinary values wrong")
	}
}

func TestUnary(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ops := []struct {
		name string
		f    func(*Tensor) *Tensor
		ref  func(float64) float64
	}{
		{"Neg", Neg, func(x float64) float64 { return -x }},
		{"Exp", Exp, math.Exp},
		{"Log", Log, math.Log},
		{"Sqrt", Sqrt, math.Sqrt},
		{"Rsqrt", Rsqrt, func(x float64) float64 { return 1 / math.Sqrt(x) }},
		{"Tanh", Tanh, math.Tanh},
		{"Sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{"Erf", Erf, math.Erf},
		{"Abs", Abs, math.Abs},
		{"Square", Square, func(x float64) float64 { return x * x }},
		{"AddScalar", func(a *Tensor) *Tensor { return AddScalar(a, 1.5) }, func(x float64) float64 { return x + 1.5 }},
		{"MulScalar", func(a *Tensor) *Tensor { return MulScalar(a, -3) }, func(x float64) float64 { return -3 * x }},
		{"PowScalar3", func(a *Tensor) *Tensor { return PowScalar(a, 3) }, func(x float64) float64 { return x * x * x }},
		{"PowScalar2", func(a *Tensor) *Tensor { return PowScalar(a, 2) }, func(x float64) float64 { return x * x }},
		{"PowScalarHalf", func(a *Tensor) *Tensor { return PowScalar(a, 0.5) }, math.Sqrt},
		{"Clamp", func(a *Tensor) *Tensor { return ClampScalar(a, -0.5, 0.5) }, func(x float64) float64 { return math.Max(-0.5, math.Min(0.5, x)) }},
	}
	for _, dt := range []DType{F32, F64} {
		for _, strided := range []bool{false, true} {
			a := randT(rng, dt, strided, 3, 4, 5)
			for _, op := range ops {
				got := op.f(a)
				checkShape(t, op.name, got, 3, 4, 5)
				for _, idx := range allIndices(a.shape) {
					want := op.ref(a.At(idx...))
					tol := 1e-15
					if dt == F32 {
						tol = 1e-6
					}
					if g := got.At(idx...); !closeTo(g, want, tol) {
						t.Fatalf("%v %s strided=%v at %v: got %g want %g", dt, op.name, strided, idx, g, want)
					}
				}
			}
		}
	}
	if s := Sigmoid(FromF64([]float64{-800, 800}, 2)).F64(); s[0] != 0 || s[1] != 1 {
		t.Fatalf("Sigmoid extremes %v", s)
	}
	assertPanics(t, "Exp on I64", func() { Exp(Zeros(I64, 2)) })
}

func TestAddIntoAndReduceToShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []DType{F32, F64} {
		for _, c := range [][2][]int{{{2, 3, 4}, {3, 1}}, {{2, 3, 4}, {}}, {{2, 3, 4}, {2, 3, 4}}, {{5, 1}, {1}}, {{2, 3}, {1, 3}}} {
			dst := randT(rng, dt, true, c[0]...)
			before := dst.Clone()
			src := randT(rng, dt, false, c[1]...)
			AddInto(dst, src)
			for _, idx := range allIndices(c[0]) {
				want := before.At(idx...) + src.At(srcIndex(idx, c[1])...)
				if dt == F32 {
					want = float64(float32(want))
				}
				if g := dst.At(idx...); g != want {
					t.Fatalf("AddInto %v at %v: %g want %g", c, idx, g, want)
				}
			}
			// ReduceToShape sums what broadcasting copied.
			r := ReduceToShape(before, c[1])
			checkShape(t, "ReduceToShape", r, c[1]...)
			want := make([]float64, Zeros(F64, c[1]...).Numel())
			wantT := FromF64(want, c[1]...)
			for _, idx := range allIndices(c[0]) {
				si := srcIndex(idx, c[1])
				wantT.SetAt(wantT.At(si...)+before.At(idx...), si...)
			}
			for _, idx := range allIndices(c[1]) {
				if g := r.At(idx...); !closeTo(g, wantT.At(idx...), 1e-6) {
					t.Fatalf("ReduceToShape %v at %v: %g want %g", c, idx, g, wantT.At(idx...))
				}
			}
		}
	}
	assertPanics(t, "AddInto would grow dst", func() { AddInto(Zeros(F32, 3), Zeros(F32, 2, 3)) })
}

func TestWhereMaskedFill(t *testing.T) {
	a := arange(F32, 2, 3)
	b := MulScalar(arange(F32, 3), -1)
	mask := FromU8(Bool, []uint8{1, 0, 1}, 3)
	w := Where(mask, a, b)
	want := []float32{0, -1, 2, 3, -1, 5}
	for i, v := range w.F32() {
		if v != want[i] {
			t.Fatalf("Where = %v want %v", w.F32(), want)
		}
	}
	causal := FromF64([]float64{0, 1, 0, 0}, 2, 2) // nonzero = masked
	m := MaskedFill(arange(F64, 3, 2, 2), causal, math.Inf(-1))
	for _, idx := range allIndices([]int{3, 2, 2}) {
		g := m.At(idx...)
		if idx[1] == 0 && idx[2] == 1 {
			if !math.IsInf(g, -1) {
				t.Fatalf("MaskedFill at %v = %g", idx, g)
			}
		} else if g != float64(idx[0]*4+idx[1]*2+idx[2]) {
			t.Fatalf("MaskedFill at %v = %g", idx, g)
		}
	}
}
