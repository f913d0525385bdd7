package autograd

import (
	"fmt"
	"math/rand/v2"

	"radcap/tensor"
)

// NoPadding, passed as Embedding's paddingIdx, means no row is padding.
const NoPadding = -1

// Embedding looks up rows of the table w [V, D] for the token ids (an I64
// tensor of any shape), giving ids.shape + [D], like F.embedding(ids, w,
// padding_idx). The gradient of each looked-up row is added back into its
// row of w; the row paddingIdx gets no gradient (nn.Embedding's
// padding_idx). Unlike PyTorch, a negative paddingIdx means none
// (NoPadding). An id outside [0, V) is a programmer error (panic naming
// it); callers validate token ids first.
//
//	forward:  y[i, :] = w[ids[i], :]
//	backward: dw[v, :] = Σ_{i: ids[i] = v, v ≠ paddingIdx} g[i, :]
func Embedding(w *Var, ids *tensor.Tensor, paddingIdx int) *Var {
	wv := contig(w.Value)
	if wv.Rank() != 2 {
		panic(fmt.Sprintf("autograd.Embedding: weight %v (want [V, D])", wv.Shape()))
	}
	if ids.DType() != tensor.I64 {
		panic(fmt.Sprintf("autograd.Embedding: ids dtype %v (want int64)", ids.DType()))
	}
	if !wv.OnHost() {
		return embeddingDevice(w, ids, paddingIdx)
	}
	if !ids.OnHost() {
		deviceOf("Embedding", wv, ids) // panics: weights on the host, ids on a device
	}
	v, d := wv.Dim(0), wv.Dim(1)
	idx := contig(ids).I64()
	for i, id := range idx {
		if id < 0 || id >= int64(v) {
			panic(fmt.Sprintf("autograd.Embedding: id %d at position %d outside the table's %d rows", id, i, v))
		}
	}
	y := tensor.Zeros(wv.DType(), append(ids.Shape(), d)...)
	f32 := isF32("Embedding", wv)
	if f32 {
		gatherRows(data[float32](wv), data[float32](y), idx, d)
	} else {
		gatherRows(data[float64](wv), data[float64](y), idx, d)
	}
	return record("Embedding", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		g = contig(g)
		dw := tensor.Zeros(wv.DType(), v, d)
		if f32 {
			scatterAddRows(data[float32](dw), data[float32](g), idx, d, paddingIdx)
		} else {
			scatterAddRows(data[float64](dw), data[float64](g), idx, d, paddingIdx)
		}
		return []*tensor.Tensor{dw}
	}, w)
}

// gatherRows copies row idx[i] of w into row i of y (rows of length d).
func gatherRows[T float](w, y []T, idx []int64, d int) {
	for i, id := range idx {
		copy(y[i*d:(i+1)*d], w[int(id)*d:(int(id)+1)*d])
	}
}

// scatterAddRows adds row i of g into row idx[i] of dw, skipping padding.
func scatterAddRows[T float](dw, g []T, idx []int64, d, padding int) {
	for i, id := range idx {
		if padding >= 0 && int(id) == padding {
			continue
		}
		dst, src := dw[int(id)*d:(int(id)+1)*d], g[i*d:(i+1)*d]
		for j := range dst {
			dst[j] += src[j]
		}
	}
}

// Dropout zeroes each element of x with probability p and scales the
// survivors by 1/(1−p), drawing from rng (F.dropout(x, p, training)). When
// training is false or p is 0 it returns x itself and records nothing;
// p = 1 gives zeros. p outside [0, 1] is a programmer error.
//
//	forward:  y = x ⊙ m,  m_i = 0 with probability p, else 1/(1−p)
//	backward: dx = g ⊙ m
func Dropout(x *Var, p float64, training bool, rng *rand.Rand) *Var {
	if p < 0 || p > 1 {
		panic(fmt.Sprintf("autograd.Dropout: probability %v outside [0, 1]", p))
	}
	if !training || p == 0 {
		return x
	}
	if !x.Value.OnHost() {
		return dropoutDevice(x, p, rng)
	}
	xv := contig(x.Value)
	keep := keepScale(p)
	mask := tensor.Zeros(xv.DType(), xv.Shape()...)
	y := tensor.Zeros(xv.DType(), xv.Shape()...)
	if isF32("Dropout", xv) {
		dropoutMask(data[float32](mask), p, keep, rng)
		mulInto(data[float32](y), data[float32](xv), data[float32](mask))
	} else {
		dropoutMask(data[float64](mask), p, keep, rng)
		mulInto(data[float64](y), data[float64](xv), data[float64](mask))
	}
	return record("Dropout", y, false, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Mul(g, mask)}
	}, x)
}

// keepScale is the factor dropout gives survivors: 1/(1−p), or 0 when p = 1.
func keepScale(p float64) float64 {
	if p >= 1 {
		return 0
	}
	return 1 / (1 - p)
}

// dropoutMask fills m with 0 (probability p) or keep, in order, from rng.
func dropoutMask[T float](m []T, p, keep float64, rng *rand.Rand) {
	for i := range m {
		if rng.Float64() >= p {
			m[i] = T(keep)
		}
	}
}

// mulInto writes y = a ⊙ b.
func mulInto[T float](y, a, b []T) {
	parallelFor(len(y), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = a[i] * b[i]
		}
	})
}

// MaskedFill returns x with value wherever mask (a constant of any dtype,
// broadcastable to x) is nonzero: x.masked_fill(mask, value).
//
//	forward:  y = mask ? value : x
//	backward: dx = mask ? 0 : g
func MaskedFill(x *Var, mask *tensor.Tensor, value float64) *Var {
	if !x.Value.OnHost() {
		mask = constOn("MaskedFill", mask, x.Value, x)
	}
	return record("MaskedFill", tensor.MaskedFill(x.Value, mask, value), false, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.MaskedFill(g, mask, 0)}
	}, x)
}
