package autograd

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"radcap/tensor"
)

// Device paths. An op whose operands live on a device (t.OnHost() false)
// runs here instead of through the host kernels of this package: it asks
// the backend for a fused kernel (backend.go) and otherwise composes the
// forward and the backward from tensor ops, which run on the device. No
// path reads device data from the host; constants the composition needs
// (a causal mask, class indices, and — unless the backend implements
// FusedDropout — a dropout mask drawn from the caller's host rng) are made
// on the host and uploaded.

// deviceOf returns the backend all non-nil tensors live on, panicking
// (naming op and the devices) when they are not all on one device.
func deviceOf(op string, ts ...*tensor.Tensor) tensor.Backend {
	var b tensor.Backend
	first := true
	for _, t := range ts {
		if t == nil {
			continue
		}
		tb := t.Backend()
		if !first && tb != b || tb == nil {
			devs := []string{}
			for _, u := range ts {
				if u != nil {
					devs = append(devs, u.Device())
				}
			}
			panic(fmt.Sprintf("autograd.%s: operands on different devices %v; move them with ToDevice first", op, devs))
		}
		b, first = tb, false
	}
	return b
}

// floatOn panics unless t's dtype is one ops compute in on t's device:
// float32 or float64, and on a device also float16 and bfloat16 (mixed
// precision; the backend computes those).
func floatOn(op string, t *tensor.Tensor) {
	switch t.DType() {
	case tensor.F32, tensor.F64:
		return
	case tensor.F16, tensor.BF16:
		if !t.OnHost() {
			return
		}
	}
	panic(fmt.Sprintf("autograd.%s: dtype %v (need float32 or float64; float16 or bfloat16 on a device)", op, t.DType()))
}

// declined reports whether a fused method declined (ErrNotFused); any other
// error is a device failure and panics.
func declined(op string, err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrNotFused) {
		return true
	}
	panic(fmt.Sprintf("autograd.%s on a device: %v", op, err))
}

// mustFused panics on a fused backward's error.
func mustFused(op string, err error) {
	if err != nil {
		panic(fmt.Sprintf("autograd.%s backward on a device: %v", op, err))
	}
}

// constOn returns the constant argument c (token ids, targets, a mask) on
// like's device: c itself when it is there already, an upload when it is a
// host tensor (models build these on the host, where they validate them),
// and a panic when it is on another device. nil stays nil.
//
// When the op's inputs are on a tape, the upload is remembered there until
// the tape is released, so a mask that every layer of a model receives is
// uploaded once per step, not once per layer.
func constOn(op string, c, like *tensor.Tensor, inputs ...*Var) *tensor.Tensor {
	if c == nil || c.Device() == like.Device() {
		return c
	}
	if !c.OnHost() {
		panic(fmt.Sprintf("autograd.%s: operands on different devices [%s %s]; move them with ToDevice first", op, like.Device(), c.Device()))
	}
	tp := tapeOf(op, inputs)
	if tp == nil {
		return upload(op, c, like.Device())
	}
	key := uploadKey{c, like.Device()}
	if d, ok := tp.uploads[key]; ok {
		return d
	}
	d := upload(op, c, like.Device())
	if tp.uploads == nil {
		tp.uploads = map[uploadKey]*tensor.Tensor{}
	}
	tp.uploads[key] = d
	return d
}

// uploadKey names a host constant's copy on one device.
type uploadKey struct {
	host   *tensor.Tensor
	device string
}

// upload moves a host constant to dev.
func upload(op string, h *tensor.Tensor, dev string) *tensor.Tensor {
	d, err := h.ToDevice(dev)
	if err != nil {
		panic(fmt.Sprintf("autograd.%s: %v", op, err))
	}
	return d
}

// scalarOn is a 0-d tensor v of dt on t's device (for broadcasting).
func scalarOn(t *tensor.Tensor, v float64) *tensor.Tensor {
	return tensor.FullOn(t.Device(), t.DType(), v)
}

// oneMinus returns 1 − t.
func oneMinus(t *tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(tensor.Neg(t), 1) }

// unaryDevice is unary's backward composed from tensor ops.
func unaryDevice(op string, kind unaryKind, a *Var, y *tensor.Tensor) *Var {
	x := a.Value
	floatOn(op, x)
	return record(op, y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		var dx *tensor.Tensor
		switch kind {
		case kSquare:
			dx = tensor.Mul(tensor.MulScalar(x, 2), g)
		case kExp:
			dx = tensor.Mul(y, g)
		case kLog:
			dx = tensor.Div(g, x)
		case kSqrt:
			dx = tensor.Div(g, tensor.MulScalar(y, 2))
		case kTanh:
			dx = tensor.Mul(g, oneMinus(tensor.Mul(y, y)))
		case kSigmoid:
			dx = tensor.Mul(tensor.Mul(g, y), oneMinus(y))
		}
		return []*tensor.Tensor{dx}
	}, a)
}

// onehotAlong returns a mask of x's dtype and shape with 1 where the index
// along dim d equals idx (idx has x's shape with dim d of size 1, I64).
func onehotAlong(x, idx *tensor.Tensor, d int) *tensor.Tensor {
	n := x.Dim(d)
	pos := make([]float64, n)
	for i := range pos {
		pos[i] = float64(i)
	}
	sh := make([]int, x.Rank())
	for i := range sh {
		sh[i] = 1
	}
	sh[d] = n
	ar := upload("Max", tensor.FromF64(pos, sh...).To(x.DType()), x.Device())
	return tensor.Equal(ar, idx.To(x.DType()))
}

// maxBackwardDevice is Max's backward: g goes to the first maximum only.
func maxBackwardDevice(x, arg, g *tensor.Tensor, d int, keepdim bool) *tensor.Tensor {
	if !keepdim {
		arg, g = arg.Unsqueeze(d), g.Unsqueeze(d)
	}
	return tensor.Mul(onehotAlong(x, arg, d), g)
}

// narrowGrad returns zeros of x's shape on x's device with g written into
// the view place(zeros): the backward of Narrow and Select.
func narrowGrad(x, g *tensor.Tensor, place func(*tensor.Tensor) *tensor.Tensor) *tensor.Tensor {
	da := tensor.ZerosOn(x.Device(), x.DType(), x.Shape()...)
	place(da).CopyFrom(g)
	return da
}

// rowSum sums g over every dim but the last ([..., n] to [n]).
func rowSum(g *tensor.Tensor) *tensor.Tensor {
	n := g.Dim(-1)
	return tensor.Sum(g.Reshape(-1, n), []int{0}, false)
}

// softmaxDevice is softmax (or log-softmax) over the last dim on a device.
func softmaxDevice(op string, a *Var, log bool) *Var {
	x := a.Value.Contiguous()
	floatOn(op, x)
	if f, ok := x.Backend().(FusedSoftmax); ok {
		y, saved, err := f.FusedSoftmax(x, log)
		if !declined(op, err) {
			return record(op, y, false, func(g *tensor.Tensor) []*tensor.Tensor {
				dx, err := f.FusedSoftmaxBackward(saved, g.Contiguous())
				mustFused(op, err)
				return []*tensor.Tensor{dx}
			}, a)
		}
	}
	if x.Dim(-1) == 0 {
		return record(op, x.Clone(), false, func(g *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{g.Clone()} }, a)
	}
	last := []int{-1}
	m, _ := tensor.Max(x, -1, true)
	sh := tensor.Sub(x, m)
	e := tensor.Exp(sh)
	s := tensor.Sum(e, last, true)
	if log {
		y := tensor.Sub(sh, tensor.Log(s))
		return record(op, y, false, func(g *tensor.Tensor) []*tensor.Tensor {
			return []*tensor.Tensor{tensor.Sub(g, tensor.Mul(tensor.Exp(y), tensor.Sum(g, last, true)))}
		}, a)
	}
	y := tensor.Div(e, s)
	return record(op, y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Mul(y, tensor.Sub(g, tensor.Sum(tensor.Mul(g, y), last, true)))}
	}, a)
}

// l2NormalizeDevice is L2Normalize over the last dim on a device.
func l2NormalizeDevice(a *Var, eps float64) *Var {
	x := a.Value
	floatOn("L2Normalize", x)
	last := []int{-1}
	norm := tensor.Sqrt(tensor.Sum(tensor.Square(x), last, true))
	epsT := scalarOn(x, eps)
	y := tensor.Div(x, tensor.Maximum(norm, epsT))
	return record("L2Normalize", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		dot := tensor.Sum(tensor.Mul(g, y), last, true)
		free := tensor.Div(tensor.Sub(g, tensor.Mul(y, dot)), norm)
		clamped := tensor.Div(g, epsT)
		return []*tensor.Tensor{tensor.Where(tensor.Greater(norm, epsT), free, clamped)}
	}, a)
}

// geluDevice is a GELU variant on a device.
func geluDevice(op string, kind GELUKind, a *Var) *Var {
	x := a.Value.Contiguous()
	floatOn(op, x)
	if f, ok := x.Backend().(FusedGELU); ok {
		y, saved, err := f.FusedGELU(kind, x, nil)
		if !declined(op, err) {
			return record(op, y, false, func(g *tensor.Tensor) []*tensor.Tensor {
				dx, _, err := f.FusedGELUBackward(saved, g.Contiguous())
				mustFused(op, err)
				return []*tensor.Tensor{dx}
			}, a)
		}
	}
	var y, slope func() *tensor.Tensor // forward value, dy/dx
	switch kind {
	case ActGELU:
		// Φ(x) = ½(1 + erf(x/√2)); y = xΦ; dy/dx = Φ + xφ(x).
		phi := tensor.MulScalar(tensor.AddScalar(tensor.Erf(tensor.MulScalar(x, invSqrt2)), 1), 0.5)
		y = func() *tensor.Tensor { return tensor.Mul(x, phi) }
		slope = func() *tensor.Tensor {
			pdf := tensor.MulScalar(tensor.Exp(tensor.MulScalar(tensor.Square(x), -0.5)), invSqrt2Pi)
			return tensor.Add(phi, tensor.Mul(x, pdf))
		}
	case ActGELUTanh:
		// t = tanh(√(2/π)(x + 0.044715x³)); y = ½x(1 + t);
		// dy/dx = ½(1 + t) + ½x(1 − t²)√(2/π)(1 + 3·0.044715x²).
		inner := tensor.Add(x, tensor.MulScalar(tensor.PowScalar(x, 3), geluCoef))
		t := tensor.Tanh(tensor.MulScalar(inner, sqrt2OverPi))
		y = func() *tensor.Tensor { return tensor.MulScalar(tensor.Mul(x, tensor.AddScalar(t, 1)), 0.5) }
		slope = func() *tensor.Tensor {
			d1 := tensor.MulScalar(tensor.AddScalar(t, 1), 0.5)
			poly := tensor.MulScalar(tensor.AddScalar(tensor.MulScalar(tensor.Square(x), 3*geluCoef), 1), 0.5*sqrt2OverPi)
			return tensor.Add(d1, tensor.Mul(tensor.Mul(x, oneMinus(tensor.Square(t))), poly))
		}
	default:
		// s = σ(1.702x); y = xs; dy/dx = s + 1.702·x·s(1 − s).
		s := tensor.Sigmoid(tensor.MulScalar(x, quickCoef))
		y = func() *tensor.Tensor { return tensor.Mul(x, s) }
		slope = func() *tensor.Tensor {
			return tensor.Add(s, tensor.MulScalar(tensor.Mul(x, tensor.Mul(s, oneMinus(s))), quickCoef))
		}
	}
	return record(op, y(), false, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Mul(g, slope())}
	}, a)
}

// dropoutMaskOn returns dropout's keep mask for like (0 with probability
// p, else 1/(1−p)) on like's device: drawn there when the backend
// implements FusedDropout (seeded by one draw from rng), otherwise drawn
// on the host from rng exactly as the CPU kernel does, and uploaded.
func dropoutMaskOn(op string, like *tensor.Tensor, p float64, rng *rand.Rand) *tensor.Tensor {
	if f, ok := like.Backend().(FusedDropout); ok {
		m, err := f.FusedDropoutMask(like, p, rng.Uint64())
		if !declined(op, err) {
			return m
		}
	}
	keep := keepScale(p)
	m := make([]float64, like.Numel())
	for i := range m {
		if rng.Float64() >= p {
			m[i] = keep
		}
	}
	return upload(op, tensor.FromF64(m, like.Shape()...).To(like.DType()), like.Device())
}

// causalMask returns the additive [tq, tk] mask of −Inf above the diagonal
// (keys j > i) on like's device.
func causalMask(like *tensor.Tensor, tq, tk int) *tensor.Tensor {
	m := make([]float64, tq*tk)
	for i := range tq {
		for j := i + 1; j < tk; j++ {
			m[i*tk+j] = math.Inf(-1)
		}
	}
	return upload("ScaledDotProductAttention", tensor.FromF64(m, tq, tk).To(like.DType()), like.Device())
}
