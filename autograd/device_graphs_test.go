package autograd_test

import (
	"math"
	"math/rand/v2"

	"radcap/autograd"
	"radcap/tensor"
)

// deviceGraphs lists one small graph per op (or family) of package
// autograd, with strided views, broadcasting and the special cases
// (masked rows, ignored targets, padding ids) that device paths must get
// right.
func deviceGraphs() []graph {
	rn := func(r *rand.Rand, dt tensor.DType, sh ...int) *tensor.Tensor { return tensor.RandN(r, dt, sh...) }
	pos := func(r *rand.Rand, dt tensor.DType, sh ...int) *tensor.Tensor {
		return tensor.AddScalar(tensor.Abs(tensor.RandN(r, dt, sh...)), 0.5)
	}
	two := func(a, b []int) func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
		return func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, a...), rn(r, dt, b...)}
		}
	}
	one := func(sh ...int) func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
		return func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor { return []*tensor.Tensor{rn(r, dt, sh...)} }
	}
	onePos := func(sh ...int) func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
		return func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor { return []*tensor.Tensor{pos(r, dt, sh...)} }
	}
	both := []bool{true, true}
	unary := func(name string, f func(*autograd.Var) *autograd.Var, in func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor) graph {
		return graph{name: name, in: in, grad: []bool{true}, f: func(v []*autograd.Var) *autograd.Var {
			return f(autograd.Transpose(v[0], 0, 1)) // a strided view
		}}
	}
	gs := []graph{
		{name: "Add", in: two([]int{2, 3, 4}, []int{3, 1}), grad: both, f: func(v []*autograd.Var) *autograd.Var { return autograd.Add(v[0], v[1]) }},
		{name: "Sub", in: two([]int{2, 3, 4}, []int{4}), grad: both, f: func(v []*autograd.Var) *autograd.Var { return autograd.Sub(v[0], v[1]) }},
		{name: "Mul", in: two([]int{2, 3, 4}, []int{2, 1, 4}), grad: both, f: func(v []*autograd.Var) *autograd.Var { return autograd.Mul(v[0], v[1]) }},
		{name: "Div", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 3, 4), pos(r, dt, 4)}
		}, grad: both, f: func(v []*autograd.Var) *autograd.Var { return autograd.Div(v[0], v[1]) }},
		{name: "Scale+AddScalar+Neg", in: one(3, 4), grad: []bool{true}, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.Neg(autograd.AddScalar(autograd.Scale(v[0], 1.5), -2))
		}},
		unary("Square", autograd.Square, one(3, 4)),
		unary("Exp", autograd.Exp, one(3, 4)),
		unary("Log", autograd.Log, onePos(3, 4)),
		unary("Sqrt", autograd.Sqrt, onePos(3, 4)),
		unary("Tanh", autograd.Tanh, one(3, 4)),
		unary("Sigmoid", autograd.Sigmoid, one(3, 4)),
		unary("GELU", autograd.GELU, one(5, 6)),
		unary("GELUTanh", autograd.GELUTanh, one(5, 6)),
		unary("QuickGELU", autograd.QuickGELU, one(5, 6)),
		{name: "Sum+Mean", in: one(2, 3, 4), grad: []bool{true}, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.Add(autograd.Sum(v[0], []int{0, 2}, true), autograd.Reshape(autograd.Mean(v[0], []int{0, 2}, false), 1, 3, 1))
		}},
		{name: "Max", in: one(3, 5, 4), grad: []bool{true}, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.Add(autograd.Max(v[0], 1, false), autograd.Reshape(autograd.Max(autograd.Transpose(v[0], 1, 2), -1, true), 3, 4))
		}},
		{name: "Views", in: one(2, 3, 4), grad: []bool{true}, f: func(v []*autograd.Var) *autograd.Var {
			x := autograd.Permute(v[0], 2, 0, 1)                                        // [4, 2, 3]
			x = autograd.Narrow(autograd.Contiguous(x), 0, 1, 2)                        // [2, 2, 3]
			y := autograd.Select(autograd.Unsqueeze(x, 1), 2, 1)                        // [2, 1, 3]
			y = autograd.Expand(autograd.Unsqueeze(autograd.Squeeze(y, 1), 0), 4, 2, 3) // [4, 2, 3]
			return autograd.Concat(1, autograd.Reshape(autograd.Flatten(x, 0, 1), 2, 2, 3), autograd.Narrow(y, 0, 0, 2))
		}},
		{name: "MatMul", in: two([]int{2, 3, 4, 5}, []int{3, 6, 5}), grad: both, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.MatMulT(v[0], v[1], false, true)
		}},
		{name: "MatMulTransA", in: two([]int{4, 5, 3}, []int{5, 2}), grad: both, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.MatMulT(v[0], v[1], true, false)
		}},
		{name: "Linear", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 2, 3, 4), rn(r, dt, 5, 4), rn(r, dt, 5)}
		}, grad: []bool{true, true, true}, f: func(v []*autograd.Var) *autograd.Var { return autograd.Linear(v[0], v[1], v[2]) }},
		{name: "Patchify", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 2, 3, 9, 8), rn(r, dt, 5, 3, 4, 4), rn(r, dt, 5)}
		}, grad: []bool{true, true, true}, f: func(v []*autograd.Var) *autograd.Var { return autograd.Patchify(v[0], v[1], v[2]) }},
		{name: "Softmax", in: one(3, 4, 5), grad: []bool{true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.Add(autograd.Softmax(v[0], 1), autograd.Transpose(autograd.LogSoftmax(autograd.Transpose(v[0], 1, 2), -1), 1, 2))
		}},
		{name: "L2Normalize", composed: true, in: one(3, 4), grad: []bool{true}, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.L2Normalize(v[0], -1, 1e-12)
		}},
		{name: "LayerNorm", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 2, 3, 8), rn(r, dt, 8), rn(r, dt, 8)}
		}, grad: []bool{true, true, true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.Add(autograd.LayerNorm(v[0], v[1], v[2], 1e-5), autograd.LayerNorm(v[0], nil, nil, 1e-12))
		}},
		{name: "AddLayerNorm", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 2, 3, 8), rn(r, dt, 2, 3, 8), rn(r, dt, 8), rn(r, dt, 8)}
		}, grad: []bool{true, true, true, true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.AddLayerNorm(v[0], v[1], v[2], v[3], 1e-12)
		}},
		{name: "AddLayerNormSharedInput", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 4, 8), rn(r, dt, 8)}
		}, grad: []bool{true, true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.AddLayerNorm(v[0], autograd.Scale(v[0], 2), v[1], nil, 1e-5)
		}},
		{name: "BiasGELU", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 2, 3, 5), rn(r, dt, 5)}
		}, grad: []bool{true, true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.Add(autograd.BiasGELU(v[0], v[1], autograd.ActGELU),
				autograd.Add(autograd.BiasGELU(v[0], v[1], autograd.ActGELUTanh), autograd.BiasGELU(v[0], v[1], autograd.ActQuickGELU)))
		}},
		{name: "Attention", in: attnInputs(false), grad: []bool{true, true, true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.ScaledDotProductAttention(v[0], v[1], v[2], v[3].Value, false, 0)
		}},
		{name: "AttentionCausal", in: attnInputs(true), grad: []bool{true, true, true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.ScaledDotProductAttention(v[0], v[1], v[2], v[3].Value, true, 0.3)
		}},
		{name: "AttentionNoMaskBroadcast", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 2, 2, 3, 4), rn(r, dt, 1, 2, 5, 4), rn(r, dt, 2, 1, 5, 6)}
		}, grad: []bool{true, true, true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.ScaledDotProductAttention(v[0], v[1], v[2], nil, false, 0)
		}},
		{name: "AttentionDropout", composed: true, in: attnInputs(false), grad: []bool{true, true, true}, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.ScaledDotProductAttentionDropout(v[0], v[1], v[2], v[3].Value, false, 0, 0.3, rand.New(rand.NewPCG(5, 5)))
		}},
		{name: "Embedding", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 6, 4), tensor.FromI64([]int64{1, 3, 1, 0, 5, 3}, 2, 3)}
		}, grad: []bool{true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.Embedding(v[0], v[1].Value, 3)
		}},
		{name: "Dropout+MaskedFill", in: func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
			return []*tensor.Tensor{rn(r, dt, 4, 5), tensor.FromU8(tensor.Bool, []uint8{1, 0, 0, 1, 0}, 5)}
		}, grad: []bool{true}, f: func(v []*autograd.Var) *autograd.Var {
			d := autograd.Dropout(v[0], 0.4, true, rand.New(rand.NewPCG(3, 3)))
			return autograd.MaskedFill(d, v[1].Value, -7)
		}},
		{name: "CrossEntropy", in: ceInputs([]int64{2, -100, 0, 4, 4}), grad: []bool{true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.CrossEntropy(v[0], v[1].Value, autograd.IgnoreIndex, 0)
		}},
		{name: "CrossEntropySmoothing", in: ceInputs([]int64{2, -100, 0, 4, 1}), grad: []bool{true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.CrossEntropy(v[0], v[1].Value, autograd.IgnoreIndex, 0.1)
		}},
		{name: "CrossEntropyRows", in: ceInputs([]int64{2, -100, 0, 4, 3}), grad: []bool{true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.CrossEntropyRows(v[0], v[1].Value, autograd.IgnoreIndex, 0.2)
		}},
		{name: "CrossEntropyAllIgnored", in: ceInputs([]int64{-100, -100, -100, -100, -100}), grad: []bool{true}, exact: true, f: func(v []*autograd.Var) *autograd.Var {
			return autograd.CrossEntropy(v[0], v[1].Value, autograd.IgnoreIndex, 0)
		}},
	}
	return gs
}

// attnInputs is q [2, 2, 3, 4], k [2, 2, 5, 4], v [2, 2, 5, 6] and an
// additive padding mask [2, 1, 1, 5] whose second batch row masks every
// key (a fully masked row must give 0, not NaN) unless causal is wanted,
// where it masks the last two keys.
func attnInputs(causal bool) func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
	return func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
		m := []float64{0, 0, 0, math.Inf(-1), -1e9, math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1)}
		if causal {
			m = []float64{0, 0, 0, math.Inf(-1), -1e9, 0, 0, 0, math.Inf(-1), math.Inf(-1)}
		}
		return []*tensor.Tensor{tensor.RandN(r, dt, 2, 2, 3, 4), tensor.RandN(r, dt, 2, 2, 5, 4), tensor.RandN(r, dt, 2, 2, 5, 6),
			tensor.FromF64(m, 2, 1, 1, 5).To(dt)}
	}
}

// ceInputs is logits [5, 7] and the targets.
func ceInputs(targets []int64) func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
	return func(r *rand.Rand, dt tensor.DType) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.MulScalar(tensor.RandN(r, dt, 5, 7), 3), tensor.FromI64(targets, 5)}
	}
}
