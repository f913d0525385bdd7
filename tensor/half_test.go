package tensor

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// The references below compute half-precision values straight from the
// IEEE-754 definitions in float64 arithmetic, independently of half.go.

// refF16Value is the exact value of finite binary16 bits h:
// (-1)^s * m * 2^-24 for subnormals, (-1)^s * (1024+m) * 2^(e-25) otherwise.
func refF16Value(h uint16) float64 {
	e, m := int(h>>10)&0x1f, float64(h&0x3ff)
	v := math.Ldexp(m, -24)
	if e != 0 {
		v = math.Ldexp(1024+m, e-25)
	}
	if h&0x8000 != 0 {
		v = -v
	}
	return v
}

// refBF16Value is the exact value of finite bfloat16 bits h (8 exponent bits,
// 7 mantissa bits, bias 127).
func refBF16Value(h uint16) float64 {
	e, m := int(h>>7)&0xff, float64(h&0x7f)
	v := math.Ldexp(m, -133)
	if e != 0 {
		v = math.Ldexp(128+m, e-134)
	}
	if h&0x8000 != 0 {
		v = -v
	}
	return v
}

// nearestTable lists the non-negative finite values of a 16-bit format in bit
// order (so index == bits, and the list is increasing), followed by the first
// value past the largest finite one, standing for +Inf: IEEE rounding with an
// unbounded exponent rounds to it exactly when the result overflows.
type nearestTable struct {
	vals []float64
	inf  uint16
}

func newNearestTable(inf uint16, value func(uint16) float64, next float64) nearestTable {
	vals := make([]float64, int(inf)+1)
	for h := uint16(0); h < inf; h++ {
		vals[h] = value(h)
	}
	vals[inf] = next
	return nearestTable{vals, inf}
}

// round returns the bits of the value nearest to the finite or infinite x,
// ties to the even bit pattern. The midpoint of two neighbours is exact in
// float64 (each has at most 11 significant bits and they are at most one
// binade apart), and comparing float64 values is exact, so no rounding error
// enters the reference.
func (nt nearestTable) round(x float64) uint16 {
	var sign uint16
	if math.Signbit(x) {
		sign = 0x8000
		x = -x
	}
	top := nt.vals[nt.inf]
	if x >= top {
		return sign | nt.inf
	}
	i := sort.SearchFloat64s(nt.vals, x) // first vals[i] >= x; i >= 1 unless x == 0
	if nt.vals[i] == x {
		return sign | uint16(i)
	}
	lo, hi := i-1, i
	mid := (nt.vals[lo] + nt.vals[hi]) / 2
	switch {
	case x < mid:
		return sign | uint16(lo)
	case x > mid:
		return sign | uint16(hi)
	case lo%2 == 0:
		return sign | uint16(lo)
	}
	return sign | uint16(hi)
}

var (
	f16Table  = newNearestTable(0x7c00, refF16Value, 65536)
	bf16Table = newNearestTable(0x7f80, refBF16Value, math.Ldexp(1, 128))
)

func isF16NaN(h uint16) bool  { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }
func isBF16NaN(h uint16) bool { return h&0x7f80 == 0x7f80 && h&0x7f != 0 }

// TestF16ToF32All checks all 65,536 binary16 patterns against the definition,
// and that converting back returns the same bits (NaNs: same sign, payload
// kept, quiet bit set).
func TestF16ToF32All(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := F16ToF32(h)
		fb := math.Float32bits(f)
		switch {
		case isF16NaN(h):
			if !math.IsNaN(float64(f)) || fb>>31 != uint32(h>>15) || (fb>>13)&0x3ff != uint32(h&0x3ff) {
				t.Fatalf("F16ToF32(%#04x) = %#08x, want NaN with the same sign and payload", h, fb)
			}
			if back := F32ToF16(f); back != h|0x0200 {
				t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x, want %#04x (quiet)", h, back, h|0x0200)
			}
			continue
		case h&0x7fff == 0x7c00:
			if !math.IsInf(float64(f), 0) || math.Signbit(float64(f)) != (h&0x8000 != 0) {
				t.Fatalf("F16ToF32(%#04x) = %g, want ±Inf", h, f)
			}
		default:
			want := refF16Value(h)
			if float64(f) != want || math.Signbit(float64(f)) != (h&0x8000 != 0) {
				t.Fatalf("F16ToF32(%#04x) = %g, want %g", h, f, want)
			}
		}
		if back := F32ToF16(f); back != h {
			t.Fatalf("round trip %#04x -> %g -> %#04x", h, f, back)
		}
	}
}

// TestBF16ToF32All does the same for all 65,536 bfloat16 patterns.
func TestBF16ToF32All(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := BF16ToF32(h)
		fb := math.Float32bits(f)
		switch {
		case isBF16NaN(h):
			if !math.IsNaN(float64(f)) || fb != uint32(h)<<16 {
				t.Fatalf("BF16ToF32(%#04x) = %#08x, want NaN with the same bits", h, fb)
			}
			if back := F32ToBF16(f); back != h|0x0040 {
				t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x, want %#04x (quiet)", h, back, h|0x0040)
			}
			continue
		case h&0x7fff == 0x7f80:
			if !math.IsInf(float64(f), 0) || math.Signbit(float64(f)) != (h&0x8000 != 0) {
				t.Fatalf("BF16ToF32(%#04x) = %g, want ±Inf", h, f)
			}
		default:
			want := refBF16Value(h)
			if float64(f) != want || math.Signbit(float64(f)) != (h&0x8000 != 0) {
				t.Fatalf("BF16ToF32(%#04x) = %g, want %g", h, f, want)
			}
		}
		if back := F32ToBF16(f); back != h {
			t.Fatalf("round trip %#04x -> %g -> %#04x", h, f, back)
		}
	}
}

// f32Neighbours appends f and the float32 values one ulp either side of it.
func f32Neighbours(dst []float32, f float32) []float32 {
	return append(dst, f, math.Nextafter32(f, float32(math.Inf(1))), math.Nextafter32(f, float32(math.Inf(-1))))
}

// roundingInputs builds float32 test inputs for a 16-bit format: every
// value of the format, every midpoint between neighbours (the ties), one ulp
// either side of each, bit patterns whose dropped bits sit just below, at
// and above the halfway point for each exponent in expLo..expHi, every
// float32 exponent with a few mantissas, specials, and random patterns.
func roundingInputs(nt nearestTable, drop uint, expLo, expHi int, seed uint64) []float32 {
	var in []float32
	for h := 0; h < len(nt.vals); h++ {
		in = f32Neighbours(in, float32(nt.vals[h]))
		if h+1 < len(nt.vals) {
			mid := (nt.vals[h] + nt.vals[h+1]) / 2
			if float64(float32(mid)) != mid {
				panic("midpoint not exact in float32")
			}
			in = f32Neighbours(in, float32(mid))
		}
	}
	half := uint32(1) << (drop - 1)
	lows := []uint32{0, 1, half - 1, half, half + 1, 1<<drop - 1}
	for e := expLo; e <= expHi; e++ {
		for top := uint32(0); top < 1<<(23-drop); top++ {
			for _, low := range lows {
				in = append(in, math.Float32frombits(uint32(e)<<23|top<<drop|low))
			}
		}
	}
	for e := uint32(0); e < 255; e++ {
		for _, m := range []uint32{0, 1, 0x400000, 0x7fffff, 0x1000, 0x3fff} {
			in = append(in, math.Float32frombits(e<<23|m))
		}
	}
	in = append(in, 0, float32(math.Inf(1)), math.MaxFloat32, math.SmallestNonzeroFloat32, 0x1p-126)
	rng := rand.New(rand.NewPCG(seed, 99))
	for range 300000 {
		in = append(in, math.Float32frombits(rng.Uint32()))
	}
	n := len(in)
	for i := 0; i < n; i++ { // both signs of everything
		in = append(in, -in[i])
	}
	return in
}

func checkRounding(t *testing.T, name string, conv func(float32) uint16, nt nearestTable, isNaN func(uint16) bool, quiet uint16, in []float32) {
	t.Helper()
	for _, f := range in {
		got := conv(f)
		if math.IsNaN(float64(f)) {
			if !isNaN(got) || got&quiet == 0 || (got>>15 == 1) != math.Signbit(float64(f)) {
				t.Fatalf("%s(NaN %#08x) = %#04x, want a quiet NaN of the same sign", name, math.Float32bits(f), got)
			}
			continue
		}
		if want := nt.round(float64(f)); got != want {
			t.Fatalf("%s(%g = %#08x) = %#04x, want %#04x", name, f, math.Float32bits(f), got, want)
		}
	}
}

// TestF32ToF16Rounding compares F32ToF16 with the float64 reference on
// ties, near-ties, subnormals, overflow, ±0, ±Inf, NaNs and random inputs.
func TestF32ToF16Rounding(t *testing.T) {
	// binary16 spans float32 exponents 102 (2^-25, half the smallest
	// subnormal) to 143 (2^16, past the largest finite value); 13 bits drop.
	in := roundingInputs(f16Table, 13, 100, 144, 1)
	nans := []uint32{0x7fc00000, 0x7f800001, 0x7fbfffff, 0x7fffffff, 0x7f802000, 0xffc00000, 0xff800001}
	for _, b := range nans {
		in = append(in, math.Float32frombits(b))
	}
	checkRounding(t, "F32ToF16", F32ToF16, f16Table, isF16NaN, 0x0200, in)
	t.Logf("checked %d float32 inputs", len(in))
}

// TestF32ToBF16Rounding does the same for bfloat16, whose exponent range is
// float32's, over every exponent; 16 bits drop.
func TestF32ToBF16Rounding(t *testing.T) {
	in := roundingInputs(bf16Table, 16, 0, 254, 2)
	nans := []uint32{0x7fc00000, 0x7f800001, 0x7f80ffff, 0x7fffffff, 0x7f810000, 0xffc00000, 0xff800001}
	for _, b := range nans {
		in = append(in, math.Float32frombits(b))
	}
	checkRounding(t, "F32ToBF16", F32ToBF16, bf16Table, isBF16NaN, 0x0040, in)
	t.Logf("checked %d float32 inputs", len(in))
}
