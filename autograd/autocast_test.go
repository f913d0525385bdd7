package autograd_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"radcap/autograd"
	"radcap/internal/emu"
	"radcap/tensor"
)

// roundSeeds returns two fixed seeds and one from the clock (logged).
func roundSeeds(t *testing.T) []uint64 {
	t.Helper()
	fresh := uint64(time.Now().UnixNano())
	t.Logf("seeds 1, 2 and %d", fresh)
	return []uint64{1, 2, fresh}
}

func rngOf(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

// bigBF16 rounds a finite float32 whose magnitude is a float32 normal to
// 8 significant bits, ties to even, with math/big: an independent
// definition of bfloat16 rounding (bfloat16 keeps float32's exponent
// range, so only the significand shrinks). It returns ±Inf when the
// rounded value is beyond float32's range.
func bigBF16(v float32) float32 {
	f := new(big.Float).SetMode(big.ToNearestEven).SetPrec(8)
	f.SetFloat64(float64(v)) // exact: 24 significant bits in, rounded to 8
	r, _ := f.Float32()
	return r
}

// roundCases returns float32 inputs that exercise the rounding: random
// normals of many magnitudes, exact ties both ways, values next to ties,
// the largest finite float32 (which rounds to Inf), signed zeros.
func roundCases(t *testing.T) []float32 {
	t.Helper()
	vals := []float32{
		0, float32(math.Copysign(0, -1)), 1, -1, 1.5,
		math.Float32frombits(0x3f808000), // 1 + 2^-8: a tie, rounds down to even 1
		math.Float32frombits(0x3f818000), // 1 + 3·2^-8: a tie, rounds up to even 1 + 2^-6
		math.Float32frombits(0x3f808001), // just above a tie: rounds up
		math.Float32frombits(0x3f807fff), // just below a tie: rounds down
		math.Float32frombits(0xbf818000), // a negative tie
		math.MaxFloat32, -math.MaxFloat32,
		math.Float32frombits(0x7f7f7fff),        // below the halfway point to Inf: the largest bf16
		math.Float32frombits(0x7f7f8000),        // the halfway point to 2^128, odd: rounds to Inf
		math.SmallestNonzeroFloat32 * (1 << 23), // the smallest float32 normal
	}
	for _, seed := range roundSeeds(t) {
		rng := rngOf(seed)
		for range 2000 {
			e := rng.IntN(200) - 100
			vals = append(vals, float32(math.Ldexp(rng.NormFloat64(), e)))
		}
	}
	return vals
}

// TestRoundBF16Forward compares RoundBF16's values with math/big's
// round-to-nearest-even at 8 bits, and with tensor.F32ToBF16.
func TestRoundBF16Forward(t *testing.T) {
	vals := roundCases(t)
	y := autograd.RoundBF16(autograd.Const(tensor.FromF32(vals, len(vals)))).Value
	if y.DType() != tensor.F32 || y.Dim(0) != len(vals) {
		t.Fatalf("RoundBF16 gave %v%v, want float32[%d]", y.DType(), y.Shape(), len(vals))
	}
	got := y.F32()
	for i, v := range vals {
		want := bigBF16(v)
		if math.Float32bits(got[i]) != math.Float32bits(want) {
			t.Errorf("RoundBF16(%g = %#08x) = %g (%#08x), math/big says %g (%#08x)",
				v, math.Float32bits(v), got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
		}
		if conv := tensor.BF16ToF32(tensor.F32ToBF16(v)); math.Float32bits(conv) != math.Float32bits(got[i]) {
			t.Errorf("RoundBF16(%g) = %g, tensor.F32ToBF16 gives %g", v, got[i], conv)
		}
		if got[i] != 0 && math.Float32bits(got[i])&0xffff != 0 {
			t.Errorf("RoundBF16(%g) = %#08x is not a bfloat16 value", v, math.Float32bits(got[i]))
		}
	}
	// Hand-derived values of the special cases.
	for _, c := range []struct {
		in, want uint32
	}{
		{0x3f808000, 0x3f800000}, {0x3f818000, 0x3f820000}, {0x3f808001, 0x3f810000},
		{0x3f807fff, 0x3f800000}, {0xbf818000, 0xbf820000}, {0x7f7fffff, 0x7f800000},
		{0x7f7f7fff, 0x7f7f0000}, {0x7f7f8000, 0x7f800000}, {0x80000000, 0x80000000},
		{0x00000001, 0x00000000}, {0x00008000, 0x00000000}, {0x00018000, 0x00020000}, // subnormals, ties to even
		{0x7fc00001, 0x7fc00000}, {0xff800000, 0xff800000},
	} {
		out := autograd.RoundBF16(autograd.Const(tensor.FromF32([]float32{math.Float32frombits(c.in)}, 1))).Value.F32()[0]
		if b := math.Float32bits(out); b != c.want {
			t.Errorf("RoundBF16(%#08x) = %#08x, want %#08x", c.in, b, c.want)
		}
	}
}

// TestRoundBF16Backward checks the straight-through backward exactly: the
// gradient reaching x is the incoming gradient rounded to bfloat16, for
// float32 and float64, and for a non-contiguous input. (A finite-
// difference check does not apply: the forward is piecewise constant, so
// its finite differences are 0 or huge; the gradient of a cast is defined,
// not derived.)
func TestRoundBF16Backward(t *testing.T) {
	for _, seed := range roundSeeds(t) {
		rng := rngOf(seed)
		for _, dt := range []tensor.DType{tensor.F32, tensor.F64} {
			x := autograd.Param(tensor.RandN(rng, dt, 3, 5))
			xt := autograd.Permute(x, 1, 0) // [5, 3], strided
			g := tensor.RandN(rng, dt, 5, 3)
			tp := autograd.NewTape()
			y := autograd.RoundBF16(xt)
			if err := tp.BackwardWithGrad(y, g); err != nil {
				t.Fatal(err)
			}
			xv, yv, gv, dx := x.Value.Float64s(), y.Value.Float64s(), g.Float64s(), x.Grad.Float64s()
			for i := range 3 {
				for j := range 5 {
					want := float64(tensor.BF16ToF32(tensor.F32ToBF16(float32(xv[i*5+j]))))
					if yv[j*3+i] != want {
						t.Errorf("%v seed %d: y[%d,%d] = %v, want bf16(%v) = %v", dt, seed, j, i, yv[j*3+i], xv[i*5+j], want)
					}
					wantG := float64(bigBF16(float32(gv[j*3+i])))
					if dx[i*5+j] != wantG {
						t.Errorf("%v seed %d: dx[%d,%d] = %v, want bf16(g) = bf16(%v) = %v", dt, seed, i, j, dx[i*5+j], gv[j*3+i], wantG)
					}
				}
			}
			if x.Grad.DType() != dt {
				t.Errorf("gradient dtype %v, want %v", x.Grad.DType(), dt)
			}
		}
	}
}

// TestRoundBF16Idempotent checks that rounding bfloat16 values changes
// nothing, forward and backward, and that a constant records nothing.
func TestRoundBF16Idempotent(t *testing.T) {
	rng := rngOf(3)
	x := autograd.Param(tensor.RandN(rng, tensor.F32, 64))
	once := autograd.RoundBF16(x)
	twice := autograd.RoundBF16(once)
	a, b := once.Value.F32(), twice.Value.F32()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("element %d: bf16(bf16(x)) = %g, bf16(x) = %g", i, b[i], a[i])
		}
	}
	if c := autograd.RoundBF16(autograd.Const(x.Value)); c.RequiresGrad {
		t.Error("RoundBF16 of a constant requires a gradient")
	}
	if !twice.RequiresGrad {
		t.Error("RoundBF16 of a parameter does not require a gradient")
	}
}

// TestRoundBF16OnDevice checks that RoundBF16 on the emulated devices
// gives the host's values and gradients bit for bit.
func TestRoundBF16OnDevice(t *testing.T) {
	registerEmus(t)
	rng := rngOf(4)
	x := tensor.RandN(rng, tensor.F32, 4, 6)
	g := tensor.RandN(rng, tensor.F32, 4, 6)
	hx := autograd.Param(x)
	tp := autograd.NewTape()
	hy := autograd.RoundBF16(hx)
	if err := tp.BackwardWithGrad(hy, g); err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{emu.Name, emu.PlainName} {
		dx, err := x.ToDevice(dev)
		if err != nil {
			t.Fatal(err)
		}
		dg, err := g.ToDevice(dev)
		if err != nil {
			t.Fatal(err)
		}
		px := autograd.Param(dx)
		tp := autograd.NewTape()
		y := autograd.RoundBF16(px)
		if err := tp.BackwardWithGrad(y, dg); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what      string
			got, want *tensor.Tensor
		}{{"value", y.Value, hy.Value}, {"gradient", px.Grad, hx.Grad}} {
			h, err := c.got.ToDevice("cpu")
			if err != nil {
				t.Fatal(err)
			}
			a, b := h.F32(), c.want.F32()
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Errorf("%s: %s[%d] = %g on the device, %g on the host", dev, c.what, i, a[i], b[i])
					break
				}
			}
		}
	}
}
