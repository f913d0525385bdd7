package tensor

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestDTypeMetadata(t *testing.T) {
	cases := []struct {
		dt    DType
		name  string
		size  int
		float bool
	}{
		{F32, "float32", 4, true}, {F64, "float64", 8, true}, {F16, "float16", 2, true},
		{BF16, "bfloat16", 2, true}, {I64, "int64", 8, false}, {I32, "int32", 4, false},
		{U8, "uint8", 1, false}, {Bool, "bool", 1, false},
	}
	for _, c := range cases {
		if c.dt.String() != c.name || c.dt.Size() != c.size || c.dt.IsFloat() != c.float {
			t.Errorf("%d: got %q %d %v, want %q %d %v", c.dt, c.dt.String(), c.dt.Size(), c.dt.IsFloat(), c.name, c.size, c.float)
		}
		if p, err := ParseDType(c.name); err != nil || p != c.dt {
			t.Errorf("ParseDType(%q) = %v, %v", c.name, p, err)
		}
	}
	if _, err := ParseDType("float8"); err == nil {
		t.Error("ParseDType(float8): no error")
	}
}

func TestHalfKnownValues(t *testing.T) {
	// Bit patterns from the IEEE-754 binary16 / bfloat16 definitions.
	f16 := []struct {
		f float32
		h uint16
	}{
		{0, 0x0000}, {float32(math.Copysign(0, -1)), 0x8000}, {1, 0x3c00}, {-2, 0xc000},
		{65504, 0x7bff}, {65519.996, 0x7bff}, {65520, 0x7c00}, {1e6, 0x7c00},
		{float32(math.Inf(-1)), 0xfc00}, {0x1p-24, 0x0001}, {0x1p-25, 0x0000},
		{0x1.000002p-25, 0x0001}, {0x1.8p-24, 0x0002}, {0x1p-14, 0x0400},
		{1 + 0x1p-11, 0x3c00}, {1 + 0x1p-10 + 0x1p-11, 0x3c02}, {0.1, 0x2e66},
	}
	for _, c := range f16 {
		if got := F32ToF16(c.f); got != c.h {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	bf := []struct {
		f float32
		h uint16
	}{
		{1, 0x3f80}, {-1, 0xbf80}, {3.0e38, 0x7f62}, {math.MaxFloat32, 0x7f80},
		{1 + 0x1p-8, 0x3f80}, {1 + 0x1p-7 + 0x1p-8, 0x3f82}, {float32(math.Inf(1)), 0x7f80},
	}
	for _, c := range bf {
		if got := F32ToBF16(c.f); got != c.h {
			t.Errorf("F32ToBF16(%g) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	nan := float32(math.NaN())
	if h := F32ToF16(nan); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("F32ToF16(NaN) = %#04x, not a NaN", h)
	}
	if h := F32ToBF16(nan); h&0x7f80 != 0x7f80 || h&0x7f == 0 {
		t.Errorf("F32ToBF16(NaN) = %#04x, not a NaN", h)
	}
}

func TestConstructorsAndAccess(t *testing.T) {
	x := FromF32([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	checkShape(t, "FromF32", x, 2, 3)
	if x.At(1, 2) != 6 || x.At(-1, -3) != 4 || x.Dim(-1) != 3 || x.Rank() != 2 || x.Numel() != 6 {
		t.Fatalf("metadata/At wrong: %v", x)
	}
	x.SetAt(9, 0, 1)
	if x.F32()[1] != 9 {
		t.Fatal("SetAt did not write through to F32()")
	}
	x.F32()[0] = 7
	if x.At(0, 0) != 7 {
		t.Fatal("F32() of a contiguous tensor is not the storage")
	}
	s := Scalar(F64, 2.5)
	if s.Rank() != 0 || s.Item() != 2.5 {
		t.Fatalf("Scalar: %v", s)
	}
	f := Full(I64, 3.9, 2)
	if f.I64()[0] != 3 || f.I64()[1] != 3 {
		t.Fatalf("Full(I64, 3.9) = %v", f.I64())
	}
	h := Full(F16, 0.1, 1)
	if h.U16()[0] != 0x2e66 {
		t.Fatalf("Full(F16, 0.1) bits %#x", h.U16()[0])
	}
	assertPanics(t, "FromF32 length", func() { FromF32([]float32{1, 2}, 3) })
	assertPanics(t, "F64 on F32", func() { x.F64() })
	assertPanics(t, "At out of range", func() { x.At(2, 0) })
}

func TestConversions(t *testing.T) {
	x := FromF64([]float64{-2.7, -0.5, 0, 1.5, 3.9, 1e10}, 6)
	if got := x.To(I64).I64(); got[0] != -2 || got[1] != 0 || got[3] != 1 || got[4] != 3 {
		t.Fatalf("To(I64) = %v", got)
	}
	y := x.To(F32)
	if y.DType() != F32 || y.F32()[0] != float32(-2.7) {
		t.Fatalf("To(F32) = %v", y)
	}
	for _, dt := range []DType{F16, BF16} {
		z := y.To(dt)
		bits := z.U16()
		for i, v := range y.F32() {
			want := F32ToF16(v)
			if dt == BF16 {
				want = F32ToBF16(v)
			}
			if bits[i] != want {
				t.Errorf("To(%v)[%d] = %#x, want %#x", dt, i, bits[i], want)
			}
		}
		back := z.To(F32).F32()
		for i, v := range bits {
			want := F16ToF32(v)
			if dt == BF16 {
				want = BF16ToF32(v)
			}
			if back[i] != want {
				t.Errorf("%v.To(F32)[%d] = %g, want %g", dt, i, back[i], want)
			}
		}
	}
	b := FromF64([]float64{0, 2, -1}, 3).To(Bool)
	if got := b.U8(); got[0] != 0 || got[1] != 1 || got[2] != 1 {
		t.Fatalf("To(Bool) = %v", got)
	}
	i := FromI64([]int64{1 << 40, -3}, 2).To(I32)
	if got := i.I32(); got[1] != -3 || got[0] != 0 { // 2^40 wraps to 0 in int32
		t.Fatalf("To(I32) = %v", got)
	}
}

// TestPanicMessages checks that shape errors name the op and both shapes.
func TestPanicMessages(t *testing.T) {
	cases := []struct {
		f    func()
		want string
	}{
		{func() { Add(Zeros(F32, 2, 3), Zeros(F32, 4)) }, "tensor.Add: shapes [2 3] and [4] do not broadcast"},
		{func() { MatMul(Zeros(F32, 2, 3), Zeros(F32, 4, 5), false, false) }, "tensor.MatMul: shapes [2 3] and [4 5]"},
		{func() { Zeros(F32, 2, 3).Reshape(4, 2) }, "tensor.Reshape: cannot reshape [2 3] (6 elements) into [4 2]"},
		{func() { Zeros(F32, 2, 3).Expand(4, 3) }, "tensor.Expand: cannot expand shape [2 3] to [4 3]"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, c.want) {
					t.Errorf("panic %q, want prefix %q", msg, c.want)
				}
			}()
			c.f()
		}()
	}
}

func assertPanics(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

func TestMatMulSmall(t *testing.T) {
	// [[1 2 3] [4 5 6]] x [[7 8] [9 10] [11 12]] = [[58 64] [139 154]] (by hand).
	for _, dt := range []DType{F32, F64} {
		a := FromF64([]float64{1, 2, 3, 4, 5, 6}, 2, 3).To(dt)
		b := FromF64([]float64{7, 8, 9, 10, 11, 12}, 3, 2).To(dt)
		c := MatMul(a, b, false, false)
		want := []float64{58, 64, 139, 154}
		got := c.Float64s()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%v: MatMul = %v, want %v", dt, got, want)
			}
		}
		ct := MatMul(b, a, true, true) // (aᵀ... ) bᵀaᵀ = (ab)ᵀ
		gt := ct.Float64s()
		if gt[0] != 58 || gt[1] != 139 || gt[2] != 64 || gt[3] != 154 {
			t.Fatalf("%v: MatMul(b, a, T, T) = %v", dt, gt)
		}
	}
}

func TestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := RandN(rng, F64, 20000)
	m := Mean(x, nil, false).Item()
	v := Mean(Square(AddScalar(x, -m)), nil, false).Item()
	if math.Abs(m) > 0.05 || math.Abs(v-1) > 0.05 {
		t.Fatalf("RandN mean %g var %g", m, v)
	}
	u := RandU(rng, F32, -2, 3, 20000)
	mx, _ := Max(u, 0, false)
	mn, _ := Min(u, 0, false)
	if mx.Item() >= 3 || mn.Item() < -2 || math.Abs(Mean(u, nil, false).Item()-0.5) > 0.1 {
		t.Fatalf("RandU range [%g, %g]", mn.Item(), mx.Item())
	}
}
