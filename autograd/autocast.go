package autograd

import (
	"fmt"

	"radcap/tensor"
)

// RoundBF16 rounds every element of x to the nearest bfloat16 (ties to
// even, as tensor.F32ToBF16 does) and keeps the result in x's dtype: the
// cast x.to(torch.bfloat16) that torch.autocast inserts in front of a
// matrix product, emulated in float32 (or float64) storage. A float64
// value is rounded to float32 first and then to bfloat16, as PyTorch
// converts a double to bfloat16.
//
// The backward is the backward of that cast: the incoming gradient is
// itself rounded to bfloat16, as PyTorch hands a bfloat16 tensor a
// bfloat16 gradient (and the cast back to float32 is exact). Rounding is
// piecewise constant, so this is not the derivative of the forward;
// like every cast it passes the gradient straight through, at the
// precision of the type it casts to.
//
//	forward:  y = bf16(x)
//	backward: dx = bf16(g)
//
// Values that are already bfloat16 numbers pass unchanged, so rounding
// twice is rounding once. NaN stays NaN, ±Inf stays ±Inf, and finite
// values past the largest bfloat16 become ±Inf.
func RoundBF16(x *Var) *Var {
	return record("RoundBF16", roundBF16(x.Value), false, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{roundBF16(g)}
	}, x)
}

// roundBF16 returns a new contiguous tensor of t's shape and dtype (F32 or
// F64) holding t's values rounded to bfloat16. On a device it is two
// casts there, to bfloat16 and back.
func roundBF16(t *tensor.Tensor) *tensor.Tensor {
	if !t.OnHost() {
		if dt := t.DType(); dt == tensor.F32 || dt == tensor.F64 {
			return t.To(tensor.BF16).To(dt)
		}
	}
	switch t.DType() {
	case tensor.F32:
		src := contig(t).F32()
		dst := make([]float32, len(src))
		parallelFor(len(src), 1, func(lo, hi int) { roundBF16Slice(dst[lo:hi], src[lo:hi]) })
		return tensor.FromF32(dst, t.Shape()...)
	case tensor.F64:
		src := contig(t).F64()
		dst := make([]float64, len(src))
		for i, v := range src {
			dst[i] = float64(tensor.BF16ToF32(tensor.F32ToBF16(float32(v))))
		}
		return tensor.FromF64(dst, t.Shape()...)
	}
	panic(fmt.Sprintf("autograd.RoundBF16: dtype %v (need float32 or float64)", t.DType()))
}

// roundBF16Slice writes bf16(src[i]) to dst[i] (len(dst) = len(src)).
func roundBF16Slice(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = tensor.BF16ToF32(tensor.F32ToBF16(v))
	}
}
