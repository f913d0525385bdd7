package autograd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"radcap/tensor"
)

// gcCase is one gradient check: inputs makes fresh random inputs (floats
// are differentiated unless listed in constant), f is the op under test.
type gcCase struct {
	name     string
	inputs   func(rng *rand.Rand) []*tensor.Tensor
	f        func(in []*Var) *Var
	constant []int
}

// runGradChecks checks every case with every test seed at the issue's
// tolerance, relative error <= 1e-6.
func runGradChecks(t *testing.T, cases []gcCase) {
	t.Helper()
	seeds := testSeeds(t)
	worst, where := 0.0, ""
	defer func() { t.Logf("worst relative error over all cases and seeds: %.3g (%s)", worst, where) }()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, seed := range seeds {
				in := c.inputs(newRNG(seed))
				e, err := gradCheck(c.f, in, &GradCheckOptions{Tol: 1e-6, Seed: seed, Constant: c.constant})
				if e > worst {
					worst, where = e, fmt.Sprintf("%s seed %d", c.name, seed)
				}
				if err != nil {
					t.Errorf("seed %d: %v", seed, err)
				}
			}
		})
	}
}

// shapesN makes one random normal input per shape.
func shapesN(shapes ...[]int) func(*rand.Rand) []*tensor.Tensor {
	return func(rng *rand.Rand) []*tensor.Tensor {
		out := make([]*tensor.Tensor, len(shapes))
		for i, s := range shapes {
			out[i] = randn(rng, s...)
		}
		return out
	}
}

// broadcastPairs are shape pairs for the binary ops: equal shapes,
// broadcasting of trailing, leading and size-1 dims, and scalars.
var broadcastPairs = [][2][]int{
	{{2, 3}, {2, 3}},
	{{2, 3}, {3}},
	{{4, 1, 3}, {2, 1}},
	{{1}, {2, 3}},
	{{}, {2, 2}},
	{{3, 1}, {1, 4}},
}

func TestGradBinary(t *testing.T) {
	ops := []struct {
		name string
		f    func(a, b *Var) *Var
	}{
		{"Add", Add}, {"Sub", Sub}, {"Mul", Mul}, {"Div", Div},
	}
	var cases []gcCase
	for _, op := range ops {
		for _, p := range broadcastPairs {
			a, b := p[0], p[1]
			in := shapesN(a, b)
			if op.name == "Div" {
				in = func(rng *rand.Rand) []*tensor.Tensor {
					return []*tensor.Tensor{randn(rng, a...), randu(rng, 0.5, 2, b...)}
				}
			}
			cases = append(cases, gcCase{
				name:   fmt.Sprintf("%s%v%v", op.name, a, b),
				inputs: in,
				f:      func(v []*Var) *Var { return op.f(v[0], v[1]) },
			})
		}
	}
	runGradChecks(t, cases)
}

func TestGradUnary(t *testing.T) {
	ops := []struct {
		name     string
		f        func(a *Var) *Var
		positive bool
	}{
		{"Neg", Neg, false},
		{"Scale", func(a *Var) *Var { return Scale(a, -2.5) }, false},
		{"AddScalar", func(a *Var) *Var { return AddScalar(a, 0.7) }, false},
		{"Square", Square, false},
		{"Exp", Exp, false},
		{"Log", Log, true},
		{"Sqrt", Sqrt, true},
		{"Tanh", Tanh, false},
		{"Sigmoid", Sigmoid, false},
		{"GELU", GELU, false},
		{"GELUTanh", GELUTanh, false},
		{"QuickGELU", QuickGELU, false},
	}
	shapes := [][]int{{5}, {2, 3}, {2, 1, 3}, {}}
	var cases []gcCase
	for _, op := range ops {
		for _, s := range shapes {
			in := func(rng *rand.Rand) []*tensor.Tensor {
				if op.positive {
					return []*tensor.Tensor{randu(rng, 0.3, 3, s...)}
				}
				return []*tensor.Tensor{tensor.MulScalar(randn(rng, s...), 2)}
			}
			cases = append(cases, gcCase{
				name:   fmt.Sprintf("%s%v", op.name, s),
				inputs: in,
				f:      func(v []*Var) *Var { return op.f(v[0]) },
			})
		}
	}
	runGradChecks(t, cases)
}

func TestGradMatMul(t *testing.T) {
	var cases []gcCase
	plain := [][2][]int{
		{{3, 4}, {4, 2}},
		{{2, 3, 4}, {4, 5}},
		{{2, 1, 3, 4}, {3, 4, 2}},
		{{1, 4}, {2, 4, 1}},
	}
	for _, p := range plain {
		cases = append(cases, gcCase{
			name:   fmt.Sprintf("MatMul%v%v", p[0], p[1]),
			inputs: shapesN(p[0], p[1]),
			f:      func(v []*Var) *Var { return MatMul(v[0], v[1]) },
		})
	}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for _, bshape := range [][]int{{2, 3, 4}, {3, 4}} {
				// op(a) is [2, 5, 3] and op(b) [.., 3, 4].
				as := []int{2, 5, 3}
				if ta {
					as = []int{2, 3, 5}
				}
				bs := append([]int{}, bshape...)
				if tb {
					bs[len(bs)-1], bs[len(bs)-2] = bs[len(bs)-2], bs[len(bs)-1]
				}
				cases = append(cases, gcCase{
					name:   fmt.Sprintf("MatMulT%v%v_%v_%v", as, bs, ta, tb),
					inputs: shapesN(as, bs),
					f:      func(v []*Var) *Var { return MatMulT(v[0], v[1], ta, tb) },
				})
			}
		}
	}
	linear := [][3][]int{
		{{2, 3, 4}, {5, 4}, {5}},
		{{4}, {3, 4}, nil},
		{{1, 1, 4}, {1, 4}, {1}},
	}
	for _, l := range linear {
		shapes := [][]int{l[0], l[1]}
		if l[2] != nil {
			shapes = append(shapes, l[2])
		}
		cases = append(cases, gcCase{
			name:   fmt.Sprintf("Linear%v%v%v", l[0], l[1], l[2]),
			inputs: shapesN(shapes...),
			f: func(v []*Var) *Var {
				if len(v) == 3 {
					return Linear(v[0], v[1], v[2])
				}
				return Linear(v[0], v[1], nil)
			},
		})
	}
	patch := []struct{ x, w []int }{
		{[]int{2, 3, 4, 6}, []int{5, 3, 2, 2}},
		{[]int{1, 2, 7, 6}, []int{3, 2, 3, 3}}, // a remainder row, as conv2d drops it
		{[]int{1, 1, 2, 2}, []int{2, 1, 2, 2}},
	}
	for _, p := range patch {
		cases = append(cases, gcCase{
			name:   fmt.Sprintf("Patchify%v%v", p.x, p.w),
			inputs: shapesN(p.x, p.w, []int{p.w[0]}),
			f:      func(v []*Var) *Var { return Patchify(v[0], v[1], v[2]) },
		})
		cases = append(cases, gcCase{
			name:   fmt.Sprintf("PatchifyNoBias%v%v", p.x, p.w),
			inputs: shapesN(p.x, p.w),
			f:      func(v []*Var) *Var { return Patchify(v[0], v[1], nil) },
		})
	}
	runGradChecks(t, cases)
}

func TestGradShape(t *testing.T) {
	one := func(name string, shape []int, f func(a *Var) *Var) gcCase {
		return gcCase{name: fmt.Sprintf("%s%v", name, shape), inputs: shapesN(shape),
			f: func(v []*Var) *Var { return f(v[0]) }}
	}
	cases := []gcCase{
		one("Reshape", []int{2, 3, 4}, func(a *Var) *Var { return Reshape(a, 4, -1) }),
		one("Reshape", []int{1, 6}, func(a *Var) *Var { return Reshape(a, 3, 1, 2) }),
		one("ReshapeOfView", []int{2, 3, 4}, func(a *Var) *Var { return Reshape(Transpose(a, 0, 2), -1) }),
		one("Flatten", []int{2, 3, 4}, func(a *Var) *Var { return Flatten(a, 1, -1) }),
		one("Permute", []int{2, 3, 4}, func(a *Var) *Var { return Permute(a, 2, 0, 1) }),
		one("Permute", []int{1, 3, 1}, func(a *Var) *Var { return Permute(a, 1, 2, 0) }),
		one("Transpose", []int{2, 3, 4}, func(a *Var) *Var { return Transpose(a, -1, 0) }),
		one("Contiguous", []int{3, 4}, func(a *Var) *Var { return Contiguous(Transpose(a, 0, 1)) }),
		one("Narrow", []int{2, 5, 3}, func(a *Var) *Var { return Narrow(a, 1, 1, 3) }),
		one("Narrow", []int{4, 1}, func(a *Var) *Var { return Narrow(a, 0, 3, 1) }),
		one("Select", []int{2, 5, 3}, func(a *Var) *Var { return Select(a, 1, 0) }),
		one("Select", []int{2, 5, 3}, func(a *Var) *Var { return Select(a, -1, 2) }),
		one("Unsqueeze", []int{2, 3}, func(a *Var) *Var { return Unsqueeze(a, 1) }),
		one("Squeeze", []int{2, 1, 3}, func(a *Var) *Var { return Squeeze(a, 1) }),
		one("Expand", []int{3, 1}, func(a *Var) *Var { return Expand(a, 2, 3, 4) }),
		one("Expand", []int{1, 1}, func(a *Var) *Var { return Expand(a, 2, -1) }),
		{name: "Concat0", inputs: shapesN([]int{1, 3}, []int{2, 3}, []int{3, 3}),
			f: func(v []*Var) *Var { return Concat(0, v...) }},
		{name: "Concat1", inputs: shapesN([]int{2, 1, 2}, []int{2, 4, 2}),
			f: func(v []*Var) *Var { return Concat(-2, v...) }},
	}
	runGradChecks(t, cases)
}

func TestGradReduce(t *testing.T) {
	var cases []gcCase
	axesSets := [][]int{nil, {0}, {1, 2}, {-1}}
	for _, axes := range axesSets {
		for _, keep := range []bool{false, true} {
			cases = append(cases,
				gcCase{name: fmt.Sprintf("Sum%v_%v", axes, keep), inputs: shapesN([]int{2, 3, 4}),
					f: func(v []*Var) *Var { return Sum(v[0], axes, keep) }},
				gcCase{name: fmt.Sprintf("Mean%v_%v", axes, keep), inputs: shapesN([]int{2, 1, 4}),
					f: func(v []*Var) *Var { return Mean(v[0], axes, keep) }})
		}
	}
	for _, axis := range []int{0, 1, -1} {
		for _, keep := range []bool{false, true} {
			cases = append(cases, gcCase{
				name:   fmt.Sprintf("Max%d_%v", axis, keep),
				inputs: func(rng *rand.Rand) []*tensor.Tensor { return []*tensor.Tensor{distinct(rng, 3, 4, 2)} },
				f:      func(v []*Var) *Var { return Max(v[0], axis, keep) },
			})
		}
	}
	runGradChecks(t, cases)
}

func TestGradSoftmaxFamily(t *testing.T) {
	var cases []gcCase
	for _, s := range [][]int{{5}, {3, 4}, {2, 3, 1}, {2, 1, 5}} {
		for _, axis := range []int{-1, 0} {
			cases = append(cases,
				gcCase{name: fmt.Sprintf("Softmax%v_%d", s, axis), inputs: shapesN(s),
					f: func(v []*Var) *Var { return Softmax(v[0], axis) }},
				gcCase{name: fmt.Sprintf("LogSoftmax%v_%d", s, axis), inputs: shapesN(s),
					f: func(v []*Var) *Var { return LogSoftmax(v[0], axis) }},
				gcCase{name: fmt.Sprintf("L2Normalize%v_%d", s, axis), inputs: shapesN(s),
					f: func(v []*Var) *Var { return L2Normalize(v[0], axis, 1e-12) }})
		}
	}
	runGradChecks(t, cases)
}

func TestGradLayerNorm(t *testing.T) {
	var cases []gcCase
	for _, s := range [][]int{{3, 5}, {2, 2, 4}, {4}, {3, 1}} {
		n := s[len(s)-1]
		cases = append(cases,
			gcCase{name: fmt.Sprintf("Affine%v", s), inputs: shapesN(s, []int{n}, []int{n}),
				f: func(v []*Var) *Var { return LayerNorm(v[0], v[1], v[2], 1e-5) }},
			gcCase{name: fmt.Sprintf("Plain%v", s), inputs: shapesN(s),
				f: func(v []*Var) *Var { return LayerNorm(v[0], nil, nil, 1e-12) }},
			gcCase{name: fmt.Sprintf("ScaleOnly%v", s), inputs: shapesN(s, []int{n}),
				f: func(v []*Var) *Var { return LayerNorm(v[0], v[1], nil, 0.1) }})
	}
	runGradChecks(t, cases)
}

// ids returns an I64 tensor of random ids in [0, v), with id 0 forced in
// (the padding row of the tests).
func ids(rng *rand.Rand, v int, shape ...int) *tensor.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	x := make([]int64, n)
	for i := range x {
		x[i] = int64(rng.IntN(v))
	}
	x[0] = 0
	return tensor.FromI64(x, shape...)
}

func TestGradEmbeddingDropoutMask(t *testing.T) {
	var cases []gcCase
	// The padding row's gradient is zero by definition, not the true
	// derivative, so padding is tested in TestEmbeddingPadding instead.
	for _, pad := range []int{NoPadding} {
		for _, s := range [][]int{{2, 4}, {5}, {1, 1}} {
			cases = append(cases, gcCase{
				name: fmt.Sprintf("Embedding%v_pad%d", s, pad),
				inputs: func(rng *rand.Rand) []*tensor.Tensor {
					return []*tensor.Tensor{randn(rng, 6, 3), ids(rng, 6, s...)}
				},
				f: func(v []*Var) *Var { return Embedding(v[0], v[1].Value, pad) },
			})
		}
	}
	for i, p := range []float64{0.3, 0.9, 1} {
		s := [][]int{{4, 5}, {2, 1, 3}, {1}}[i]
		cases = append(cases, gcCase{
			name:   fmt.Sprintf("Dropout%v%v", p, s),
			inputs: shapesN(s),
			// A fresh generator with one seed per call gives every
			// evaluation the same mask.
			f: func(v []*Var) *Var { return Dropout(v[0], p, true, newRNG(7)) },
		})
	}
	cases = append(cases, gcCase{
		name:   "MaskedFill",
		inputs: shapesN([]int{2, 3, 4}),
		f: func(v []*Var) *Var {
			m := tensor.FromI64([]int64{1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0}, 3, 4)
			return MaskedFill(v[0], m, -7)
		},
	}, gcCase{
		name:   "MaskedFillBroadcast",
		inputs: shapesN([]int{2, 3, 4}),
		f: func(v []*Var) *Var {
			return MaskedFill(v[0], tensor.FromF64([]float64{0, 1}, 2, 1, 1), 3)
		},
	})
	runGradChecks(t, cases)
}

// attnMask builds the additive masks the attention tests use.
func attnMask(rng *rand.Rand, kind string, b, tq, tk int) *tensor.Tensor {
	switch kind {
	case "padding": // [B, 1, 1, Tk]: the last key of batch 0 and the last two of batch 1 dropped
		m := tensor.Zeros(tensor.F64, b, 1, 1, tk)
		m.SetAt(-1e9, 0, 0, 0, tk-1)
		m.SetAt(-1e9, b-1, 0, 0, tk-1)
		m.SetAt(-1e9, b-1, 0, 0, tk-2)
		return m
	case "additive": // [B, 1, Tq, Tk] arbitrary (GIT's mask mixes 0 and -inf blocks; any values work)
		m := randn(rng, b, 1, tq, tk)
		m.SetAt(-1e30, 0, 0, 0, tk-1)
		return m
	}
	return nil
}

func TestGradAttention(t *testing.T) {
	var cases []gcCase
	type geo struct{ b, h, tq, tk, d, dv int }
	for _, g := range []geo{{2, 2, 3, 5, 4, 3}, {1, 1, 1, 1, 2, 2}, {2, 1, 4, 4, 3, 5}} {
		for _, kind := range []string{"none", "padding", "additive", "causal"} {
			cases = append(cases, gcCase{
				name: fmt.Sprintf("SDPA_%s_%v", kind, g),
				inputs: func(rng *rand.Rand) []*tensor.Tensor {
					in := []*tensor.Tensor{randn(rng, g.b, g.h, g.tq, g.d), randn(rng, g.b, g.h, g.tk, g.d), randn(rng, g.b, g.h, g.tk, g.dv)}
					if m := attnMask(rng, kind, g.b, g.tq, g.tk); m != nil {
						in = append(in, m)
					}
					return in
				},
				constant: []int{3},
				f: func(v []*Var) *Var {
					var m *tensor.Tensor
					if len(v) == 4 {
						m = v[3].Value
					}
					return ScaledDotProductAttention(v[0], v[1], v[2], m, kind == "causal", 0)
				},
			})
		}
	}
	// Dropout on the weights; a fresh generator per call repeats the mask.
	for _, p := range []float64{0.4, 1} {
		cases = append(cases, gcCase{
			name:   fmt.Sprintf("SDPA_dropout%v", p),
			inputs: shapesN([]int{2, 2, 3, 4}, []int{2, 2, 5, 4}, []int{2, 2, 5, 3}),
			f: func(v []*Var) *Var {
				return ScaledDotProductAttentionDropout(v[0], v[1], v[2], nil, false, 0, p, newRNG(11))
			},
		})
	}
	// Broadcast batch dims: one key/value head shared by every query head.
	cases = append(cases, gcCase{
		name:   "SDPA_sharedKV",
		inputs: shapesN([]int{2, 3, 2, 4}, []int{2, 1, 3, 4}, []int{2, 1, 3, 2}),
		f:      func(v []*Var) *Var { return ScaledDotProductAttention(v[0], v[1], v[2], nil, false, 0.3) },
	})
	runGradChecks(t, cases)
}

// targets returns n class indices in [0, c) with a few IgnoreIndex rows.
func targets(rng *rand.Rand, n, c int, ignored ...int) *tensor.Tensor {
	x := make([]int64, n)
	for i := range x {
		x[i] = int64(rng.IntN(c))
	}
	for _, i := range ignored {
		x[i] = IgnoreIndex
	}
	return tensor.FromI64(x, n)
}

func TestGradCrossEntropy(t *testing.T) {
	var cases []gcCase
	for _, eps := range []float64{0, 0.1} {
		for _, s := range []struct {
			n, c    int
			ignored []int
		}{{5, 7, []int{1, 3}}, {3, 2, nil}, {1, 4, nil}, {4, 1, []int{2}}} {
			cases = append(cases, gcCase{
				name: fmt.Sprintf("Mean_%d_%d_eps%v", s.n, s.c, eps),
				inputs: func(rng *rand.Rand) []*tensor.Tensor {
					return []*tensor.Tensor{randn(rng, s.n, s.c), targets(rng, s.n, s.c, s.ignored...)}
				},
				f: func(v []*Var) *Var { return CrossEntropy(v[0], v[1].Value, IgnoreIndex, eps) },
			}, gcCase{
				name: fmt.Sprintf("Rows_%d_%d_eps%v", s.n, s.c, eps),
				inputs: func(rng *rand.Rand) []*tensor.Tensor {
					return []*tensor.Tensor{randn(rng, s.n, s.c), targets(rng, s.n, s.c, s.ignored...)}
				},
				f: func(v []*Var) *Var { return CrossEntropyRows(v[0], v[1].Value, IgnoreIndex, eps) },
			})
		}
	}
	runGradChecks(t, cases)
}
