package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// subsets returns every subset of {0..r-1}.
func subsets(r int) [][]int {
	var out [][]int
	for m := 0; m < 1<<r; m++ {
		var s []int
		for i := 0; i < r; i++ {
			if m&(1<<i) != 0 {
				s = append(s, i)
			}
		}
		out = append(out, s)
	}
	return out
}

func TestSumMeanEveryAxisSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, dt := range []DType{F32, F64} {
		for _, shape := range [][]int{{3, 4, 5}, {2, 1, 3, 2}, {7}, {1, 1}, {4, 0, 2}} {
			for _, strided := range []bool{false, true} {
				x := randT(rng, dt, strided, shape...)
				for _, axes := range subsets(len(shape)) {
					for _, keep := range []bool{false, true} {
						name := fmt.Sprintf("%v %v axes=%v keep=%v strided=%v", dt, shape, axes, keep, strided)
						red := make([]bool, len(shape))
						for _, a := range axes {
							red[a] = true
						}
						if len(axes) == 0 {
							for i := range red {
								red[i] = true
							}
						}
						// Reference: accumulate each input element into its output slot.
						keepShape := reducedShape(shape, red, true)
						ref := FromF64(make([]float64, numelOf("ref", keepShape)), keepShape...)
						cnt := 1
						for i := range shape {
							if red[i] {
								cnt *= shape[i]
							}
						}
						for _, idx := range allIndices(shape) {
							o := append([]int{}, idx...)
							for i := range o {
								if red[i] {
									o[i] = 0
								}
							}
							ref.SetAt(ref.At(o...)+x.At(idx...), o...)
						}
						s, m := Sum(x, axes, keep), Mean(x, axes, keep)
						checkShape(t, name, s, reducedShape(shape, red, keep)...)
						checkShape(t, name, m, reducedShape(shape, red, keep)...)
						sv, mv, rv := s.Float64s(), m.Float64s(), ref.Float64s()
						for i := range rv {
							if !closeTo(sv[i], rv[i], 1e-6) {
								t.Fatalf("%s: Sum[%d] = %g want %g", name, i, sv[i], rv[i])
							}
							if !closeTo(mv[i], rv[i]/float64(cnt), 1e-6) {
								t.Fatalf("%s: Mean[%d] = %g want %g", name, i, mv[i], rv[i]/float64(cnt))
							}
						}
					}
				}
			}
		}
	}
	assertPanics(t, "Sum repeated axis", func() { Sum(Zeros(F32, 2, 2), []int{0, -2}, false) })
	assertPanics(t, "Sum axis range", func() { Sum(Zeros(F32, 2, 2), []int{2}, false) })
}

func TestSumF32AccumulatesInF64(t *testing.T) {
	// In float32, 2^24 + 1 rounds back to 2^24, so a float32 accumulator
	// would return 2^24; a float64 one returns 2^24 + 2, which float32 holds.
	x := FromF32([]float32{1 << 24, 1, 1}, 3)
	if s := Sum(x, nil, false).Item(); s != 1<<24+2 {
		t.Fatalf("Sum = %g, want %d", s, 1<<24+2)
	}
}

func TestMaxArgMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, dt := range []DType{F32, F64} {
		for _, strided := range []bool{false, true} {
			x := randT(rng, dt, strided, 3, 4, 5)
			for axis := -3; axis < 3; axis++ {
				d := normAxis("", axis, 3)
				for _, keep := range []bool{false, true} {
					v, idx := Max(x, axis, keep)
					a := ArgMax(x, axis)
					mask := []bool{false, false, false}
					mask[d] = true
					checkShape(t, "Max", v, reducedShape(x.shape, mask, keep)...)
					checkShape(t, "ArgMax", a, reducedShape(x.shape, mask, false)...)
					if idx.DType() != I64 || a.DType() != I64 {
						t.Fatal("argmax dtype not I64")
					}
					for _, o := range allIndices(reducedShape(x.shape, mask, false)) {
						full := append(append(append([]int{}, o[:d]...), 0), o[d:]...)
						best, bi := math.Inf(-1), -1
						for k := 0; k < x.shape[d]; k++ {
							full[d] = k
							if val := x.At(full...); val > best {
								best, bi = val, k
							}
						}
						ko := o
						if keep {
							ko = append(append(append([]int{}, o[:d]...), 0), o[d:]...)
						}
						if v.At(ko...) != best || idx.At(ko...) != float64(bi) || a.At(o...) != float64(bi) {
							t.Fatalf("%v axis %d at %v: max %g/%g idx %g/%d", dt, axis, o, v.At(ko...), best, idx.At(ko...), bi)
						}
					}
				}
			}
		}
	}
	y := FromF64([]float64{1, 3, 3, math.NaN(), 5}, 5)
	v, i := Max(y, 0, false)
	if !math.IsNaN(v.Item()) || i.Item() != 3 {
		t.Fatalf("Max with NaN = %v %v", v, i)
	}
	if a := ArgMax(y.Narrow(0, 0, 3), 0); a.Item() != 1 {
		t.Fatalf("ArgMax ties: %v (want first)", a)
	}
	mn, mi := Min(y.Narrow(0, 0, 3), 0, false)
	if mn.Item() != 1 || mi.Item() != 0 {
		t.Fatalf("Min = %v %v", mn, mi)
	}
}
