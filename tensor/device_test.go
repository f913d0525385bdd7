package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"radcap/internal/emu"
	"radcap/tensor"
)

// These tests run every exported op on the emulated device "emu" (host
// memory behind opaque handles, see internal/emu) and compare with the same
// op on the host. The emulator computes with the CPU kernels, so the
// results must agree exactly; what is tested is tensor's device half: the
// dispatch, the broadcasting and layout it hands the backend, views of
// device storage, and the copies across.

// emuDevice registers the emulator and returns its name.
func emuDevice(t *testing.T) string {
	t.Helper()
	if _, err := emu.Register(false); err != nil {
		t.Fatal(err)
	}
	return emu.Name
}

// move returns host tensor h on dev.
func move(t *testing.T, h *tensor.Tensor, dev string) *tensor.Tensor {
	t.Helper()
	d, err := h.ToDevice(dev)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// back returns d on the host.
func back(t *testing.T, d *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	if d.Device() == "cpu" {
		t.Fatalf("result %v is on the host, want it on the device", d.Shape())
	}
	h, err := d.ToDevice("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// sameTensor fails unless got and want agree in dtype, shape and every
// element (NaN matches NaN; tol is a relative bound, 0 for bitwise).
func sameTensor(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if got.DType() != want.DType() || fmt.Sprint(got.Shape()) != fmt.Sprint(want.Shape()) {
		t.Fatalf("%s: got %v%v, want %v%v", what, got.DType(), got.Shape(), want.DType(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	for i := range w {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) || g[i] == w[i] {
			continue
		}
		if tol == 0 || math.Abs(g[i]-w[i]) > tol*max(math.Abs(w[i]), 1e-30) {
			t.Fatalf("%s: element %d is %v, want %v", what, i, g[i], w[i])
		}
	}
}

// opCase is one op applied to inputs made the same way on each device.
type opCase struct {
	name string
	in   func(rng *rand.Rand, dt tensor.DType) []*tensor.Tensor // host tensors
	view func(in []*tensor.Tensor) []*tensor.Tensor             // views taken on each device
	f    func(in []*tensor.Tensor) *tensor.Tensor
	tol  float64
}

func randn(rng *rand.Rand, dt tensor.DType, shape ...int) *tensor.Tensor {
	return tensor.RandN(rng, dt, shape...)
}

func opCases() []opCase {
	bin := func(name string, f func(a, b *tensor.Tensor) *tensor.Tensor) []opCase {
		return []opCase{
			{name: name + "/same", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
				return []*tensor.Tensor{randn(r, dt, 3, 4), randn(r, dt, 3, 4)}
			}, f: func(in []*tensor.Tensor) *tensor.Tensor { return f(in[0], in[1]) }},
			{name: name + "/broadcast", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
				return []*tensor.Tensor{randn(r, dt, 2, 1, 4), randn(r, dt, 3, 1)}
			}, f: func(in []*tensor.Tensor) *tensor.Tensor { return f(in[0], in[1]) }},
			{name: name + "/views", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
				return []*tensor.Tensor{randn(r, dt, 4, 5, 3), randn(r, dt, 5, 6)}
			}, view: func(in []*tensor.Tensor) []*tensor.Tensor {
				return []*tensor.Tensor{in[0].Permute(2, 0, 1).Narrow(2, 1, 3), in[1].Narrow(1, 2, 3).Select(0, 4)}
			}, f: func(in []*tensor.Tensor) *tensor.Tensor { return f(in[0], in[1]) }},
		}
	}
	var cs []opCase
	cs = append(cs, bin("Add", tensor.Add)...)
	cs = append(cs, bin("Sub", tensor.Sub)...)
	cs = append(cs, bin("Mul", tensor.Mul)...)
	cs = append(cs, bin("Div", tensor.Div)...)
	cs = append(cs, bin("Maximum", tensor.Maximum)...)
	cs = append(cs, bin("Minimum", tensor.Minimum)...)
	cs = append(cs, bin("Greater", tensor.Greater)...)
	cs = append(cs, bin("Less", tensor.Less)...)
	cs = append(cs, bin("Equal", func(a, b *tensor.Tensor) *tensor.Tensor {
		return tensor.Equal(tensor.ClampScalar(a, 0, 1), tensor.ClampScalar(b, 0, 1))
	})...)
	un := map[string]func(*tensor.Tensor) *tensor.Tensor{
		"Neg": tensor.Neg, "Exp": tensor.Exp, "Log": tensor.Log, "Sqrt": tensor.Sqrt, "Rsqrt": tensor.Rsqrt,
		"Tanh": tensor.Tanh, "Sigmoid": tensor.Sigmoid, "Erf": tensor.Erf, "Abs": tensor.Abs, "Square": tensor.Square,
		"AddScalar":   func(a *tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(a, 0.25) },
		"MulScalar":   func(a *tensor.Tensor) *tensor.Tensor { return tensor.MulScalar(a, -3) },
		"PowScalar":   func(a *tensor.Tensor) *tensor.Tensor { return tensor.PowScalar(a, 3) },
		"PowScalar2":  func(a *tensor.Tensor) *tensor.Tensor { return tensor.PowScalar(a, 2) },
		"PowScalarH":  func(a *tensor.Tensor) *tensor.Tensor { return tensor.PowScalar(tensor.Abs(a), 0.5) },
		"ClampScalar": func(a *tensor.Tensor) *tensor.Tensor { return tensor.ClampScalar(a, -0.5, 0.7) },
	}
	for name, f := range un {
		cs = append(cs, opCase{name: name, in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{randn(r, dt, 5, 6)}
		}, view: func(in []*tensor.Tensor) []*tensor.Tensor {
			return []*tensor.Tensor{in[0].Transpose(0, 1).Narrow(0, 1, 4)}
		}, f: func(in []*tensor.Tensor) *tensor.Tensor { return f(in[0]) }})
	}
	for _, keep := range []bool{false, true} {
		for _, axes := range [][]int{nil, {0}, {-1}, {0, 2}, {1}} {
			cs = append(cs, opCase{name: fmt.Sprintf("Sum%v/keep=%v", axes, keep), in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
				return []*tensor.Tensor{randn(r, dt, 3, 4, 5)}
			}, view: func(in []*tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{in[0].Permute(1, 0, 2)} },
				f: func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Sum(in[0], axes, keep) }})
			cs = append(cs, opCase{name: fmt.Sprintf("Mean%v/keep=%v", axes, keep), in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
				return []*tensor.Tensor{randn(r, dt, 3, 4, 5)}
			}, f: func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Mean(in[0], axes, keep) }})
		}
		for _, ax := range []int{0, 1, -1} {
			cs = append(cs,
				opCase{name: fmt.Sprintf("Max/%d/keep=%v/values", ax, keep), in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
					return []*tensor.Tensor{randn(r, dt, 3, 4, 5)}
				}, f: func(in []*tensor.Tensor) *tensor.Tensor { v, _ := tensor.Max(in[0], ax, keep); return v }},
				opCase{name: fmt.Sprintf("Max/%d/keep=%v/indices", ax, keep), in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
					return []*tensor.Tensor{randn(r, dt, 3, 4, 5)}
				}, f: func(in []*tensor.Tensor) *tensor.Tensor { _, i := tensor.Max(in[0], ax, keep); return i }},
				opCase{name: fmt.Sprintf("Min/%d/keep=%v", ax, keep), in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
					return []*tensor.Tensor{randn(r, dt, 3, 4, 5)}
				}, f: func(in []*tensor.Tensor) *tensor.Tensor { v, _ := tensor.Min(in[0], ax, keep); return v }})
		}
	}
	cs = append(cs, opCase{name: "ArgMax", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
		return []*tensor.Tensor{randn(r, dt, 6, 7)}
	}, f: func(in []*tensor.Tensor) *tensor.Tensor { return tensor.ArgMax(in[0], 1) }})
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			cs = append(cs,
				opCase{name: fmt.Sprintf("MatMul/2d/%v%v", ta, tb), in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
					as, bs := []int{5, 7}, []int{7, 4} // m=5, k=7, n=4
					if ta {
						as = []int{7, 5}
					}
					if tb {
						bs = []int{4, 7}
					}
					return []*tensor.Tensor{randn(r, dt, as...), randn(r, dt, bs...)}
				}, f: func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MatMul(in[0], in[1], ta, tb) }, tol: 1e-6},
				opCase{name: fmt.Sprintf("MatMul/batch-broadcast/%v%v", ta, tb), in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
					return []*tensor.Tensor{randn(r, dt, 2, 3, 6, 6), randn(r, dt, 3, 6, 6)}
				}, f: func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MatMul(in[0], in[1], ta, tb) }, tol: 1e-6},
				opCase{name: fmt.Sprintf("MatMul/linear/%v%v", ta, tb), in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
					return []*tensor.Tensor{randn(r, dt, 4, 8, 8), randn(r, dt, 8, 8)}
				}, f: func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MatMul(in[0], in[1], ta, tb) }, tol: 1e-6},
			)
		}
	}
	cs = append(cs,
		opCase{name: "MatMul/strided-views", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{randn(r, dt, 2, 5, 3, 4), randn(r, dt, 2, 3, 4, 6)}
		}, view: func(in []*tensor.Tensor) []*tensor.Tensor {
			// [B, T, H, D] -> heads [B, H, T, D]; a column-strided b with a gap.
			return []*tensor.Tensor{in[0].Permute(0, 2, 1, 3), in[1].Narrow(3, 1, 5).Narrow(2, 0, 4)}
		}, f: func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MatMul(in[0], in[1], false, false) }, tol: 1e-6},
		opCase{name: "MatMul/non-layout-copy", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{randn(r, dt, 4, 6, 2), randn(r, dt, 5, 6)}
		}, view: func(in []*tensor.Tensor) []*tensor.Tensor {
			return []*tensor.Tensor{in[0].Select(2, 1), in[1]} // stride 2 along both matrix dims
		}, f: func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MatMul(in[0], in[1], false, true) }, tol: 1e-6},
		opCase{name: "MatMul/k=0", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{randn(r, dt, 3, 0), randn(r, dt, 0, 2)}
		}, f: func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MatMul(in[0], in[1], false, false) }},
	)
	cs = append(cs, shapeCases()...)
	return cs
}

// shapeCases are the copies, views, index ops and dtype conversions.
func shapeCases() []opCase {
	one := func(name string, shape []int, view func(*tensor.Tensor) *tensor.Tensor, f func(*tensor.Tensor) *tensor.Tensor) opCase {
		c := opCase{name: name, in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{randn(r, dt, shape...)}
		}, f: func(in []*tensor.Tensor) *tensor.Tensor { return f(in[0]) }}
		if view != nil {
			c.view = func(in []*tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{view(in[0])} }
		}
		return c
	}
	perm := func(t *tensor.Tensor) *tensor.Tensor { return t.Permute(2, 0, 1) }
	cs := []opCase{
		one("Clone", []int{3, 4, 5}, perm, (*tensor.Tensor).Clone),
		one("Contiguous", []int{3, 4, 5}, perm, (*tensor.Tensor).Contiguous),
		one("Reshape/copy", []int{3, 4, 5}, perm, func(t *tensor.Tensor) *tensor.Tensor { return t.Reshape(-1, 6) }),
		one("Reshape/view", []int{3, 4, 5}, nil, func(t *tensor.Tensor) *tensor.Tensor { return t.Reshape(12, 5).Narrow(0, 2, 3) }),
		one("Expand+Unsqueeze+Squeeze", []int{3, 1, 5}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			return t.Expand(2, 3, 4, 5).Unsqueeze(1).Squeeze(1).Contiguous()
		}),
		one("Select", []int{3, 4, 5}, nil, func(t *tensor.Tensor) *tensor.Tensor { return t.Select(1, -1) }),
		one("ToF16", []int{3, 4}, perm2, func(t *tensor.Tensor) *tensor.Tensor { return t.To(tensor.F16) }),
		one("ToBF16", []int{3, 4}, nil, func(t *tensor.Tensor) *tensor.Tensor { return t.To(tensor.BF16) }),
		one("ToI64", []int{3, 4}, nil, func(t *tensor.Tensor) *tensor.Tensor { return tensor.MulScalar(t, 10).To(tensor.I64) }),
		one("ToBool", []int{3, 4}, nil, func(t *tensor.Tensor) *tensor.Tensor { return tensor.ClampScalar(t, 0, 1).To(tensor.Bool) }),
		one("F16RoundTrip", []int{3, 4}, nil, func(t *tensor.Tensor) *tensor.Tensor { return t.To(tensor.F16).To(t.DType()) }),
		one("ToSame", []int{3, 4}, perm2, func(t *tensor.Tensor) *tensor.Tensor { return t.To(t.DType()) }),
		one("ReduceToShape", []int{2, 3, 4}, nil, func(t *tensor.Tensor) *tensor.Tensor { return tensor.ReduceToShape(t, []int{3, 1}) }),
		one("IndexSelect/0", []int{5, 3}, nil, func(t *tensor.Tensor) *tensor.Tensor { return tensor.IndexSelect(t, 0, []int{4, 0, -1, 2, 2}) }),
		one("IndexSelect/1", []int{5, 3}, perm2, func(t *tensor.Tensor) *tensor.Tensor { return tensor.IndexSelect(t, 1, []int{1, 1, 3}) }),
		one("IndexSelectTensor", []int{5, 3}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			return tensor.IndexSelectTensor(t, 0, onDevice(tensor.FromI64([]int64{3, 1, 3, 0}, 2, 2), t))
		}),
		one("IndexAdd", []int{5, 3}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			d := t.Clone()
			tensor.IndexAdd(d, 0, []int{1, 4, 1}, t.Narrow(0, 0, 3))
			return d
		}),
		one("IndexAddTensor", []int{5, 3}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			d := t.Clone()
			tensor.IndexAddTensor(d, 1, onDevice(tensor.FromI64([]int64{2, 2}, 2), t), t.Narrow(1, 0, 2))
			return d
		}),
		one("AddInto/view", []int{4, 6}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			d := t.Clone()
			tensor.AddInto(d.Narrow(1, 1, 3), t.Narrow(0, 0, 1).Narrow(1, 0, 3))
			return d
		}),
		// The CPU adds the aliased elements one by one in the dtype; the
		// device sums them first (in float64): equal within rounding.
		withTol(one("AddInto/aliased-dst", []int{4, 6}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			d := t.Narrow(0, 0, 1).Clone()
			tensor.AddInto(d.Expand(4, 6), t)
			return d
		}), 1e-6),
		one("CopyFrom/view+cast", []int{4, 6}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			d := t.To(tensor.F16)
			d.Narrow(1, 2, 3).CopyFrom(t.Narrow(1, 0, 3))
			return d
		}),
		one("Concat", []int{4, 6}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			return tensor.Concat(1, t.Narrow(1, 4, 2), t.Transpose(0, 1).Narrow(0, 0, 3).Transpose(0, 1), t)
		}),
		one("Where", []int{4, 6}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			return tensor.Where(tensor.Greater(t, tensor.ZerosOn(t.Device(), t.DType())), t, tensor.Neg(t.Narrow(0, 0, 1)))
		}),
		one("Where/bool-mask", []int{4, 6}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			m := tensor.Greater(t.Narrow(1, 0, 1), tensor.ZerosOn(t.Device(), t.DType())).To(tensor.Bool)
			return tensor.Where(m, t, tensor.FullOn(t.Device(), t.DType(), 7))
		}),
		one("MaskedFill", []int{4, 6}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			m := tensor.Less(t.Narrow(0, 0, 1), tensor.ZerosOn(t.Device(), t.DType())).To(tensor.U8)
			return tensor.MaskedFill(t, m, math.Inf(-1))
		}),
		one("ZerosOn+FullOn", []int{2}, nil, func(t *tensor.Tensor) *tensor.Tensor {
			return tensor.Add(tensor.ZerosOn(t.Device(), t.DType(), 2, 3), tensor.FullOn(t.Device(), t.DType(), 2.5, 3))
		}),
	}
	return cs
}

func withTol(c opCase, tol float64) opCase { c.tol = tol; return c }

func perm2(t *tensor.Tensor) *tensor.Tensor { return t.Transpose(0, 1) }

// onDevice returns host tensor h on like's device.
func onDevice(h, like *tensor.Tensor) *tensor.Tensor {
	d, err := h.ToDevice(like.Device())
	if err != nil {
		panic(err)
	}
	return d
}

// TestDeviceOpsMatchCPU runs every op on the host and on "emu" from the
// same inputs (views taken on each side) and compares the results.
func TestDeviceOpsMatchCPU(t *testing.T) {
	dev := emuDevice(t)
	for _, dt := range []tensor.DType{tensor.F32, tensor.F64} {
		for i, c := range opCases() {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				seed := uint64(i + 1)
				hin := c.in(rand.New(rand.NewPCG(seed, 7)), dt)
				din := make([]*tensor.Tensor, len(hin))
				for j, h := range hin {
					din[j] = move(t, h, dev)
				}
				if c.view != nil {
					hin, din = c.view(hin), c.view(din)
				}
				want := c.f(hin)
				got := c.f(din)
				sameTensor(t, c.name, back(t, got), want, c.tol)
			})
		}
	}
}

// TestDeviceOpsHalfPrecision runs the same ops on float16 and bfloat16
// tensors on the device, which a backend computes in float32 and rounds
// to the dtype after each op (mixed precision on a GPU). The reference is
// the host computing in float32 from the same (half-precision) inputs and
// rounding at the end, so results agree to the dtype's rounding.
func TestDeviceOpsHalfPrecision(t *testing.T) {
	dev := emuDevice(t)
	for _, dt := range []tensor.DType{tensor.F16, tensor.BF16} {
		eps := math.Ldexp(1, -10) // float16: 10 fraction bits
		if dt == tensor.BF16 {
			eps = math.Ldexp(1, -7)
		}
		for i, c := range opCases() {
			if c.name == "ToI64" || c.name == "ToBool" {
				continue // a rounding step earlier can move a value across an integer
			}
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				hin := c.in(rand.New(rand.NewPCG(uint64(i+1), 7)), dt)
				din := make([]*tensor.Tensor, len(hin))
				for j, h := range hin {
					din[j] = move(t, h, dev)
					if h.DType() == dt {
						hin[j] = h.To(tensor.F32) // exact: the host computes in float32
					}
				}
				if c.view != nil {
					hin, din = c.view(hin), c.view(din)
				}
				want := c.f(hin)
				got := back(t, c.f(din))
				if want.DType() == tensor.F32 && got.DType() == dt {
					want = want.To(dt)
				}
				if want.DType() == tensor.F16 && got.DType() == tensor.F16 && dt == tensor.BF16 {
					got, want = got.To(tensor.F32), want.To(tensor.F32)
				}
				sameTensor(t, c.name, got, want, max(c.tol, 4*eps))
			})
		}
	}
}
