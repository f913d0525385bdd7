package autograd

import (
	"errors"

	"radcap/tensor"
)

// Fused kernels on a device.
//
// Every op of this package runs on any device that tensor knows: when its
// inputs live on a tensor.Backend instead of the host, it first asks the
// backend for a fused kernel through one of the optional interfaces below
// (a type assertion on t.Backend()), and otherwise runs as a composition of
// tensor-level ops, which every backend implements, on the device. Host
// tensors always take the CPU kernels of this package, unchanged.
//
// A fused method receives operands that passed the op's shape and dtype
// checks and that all live on the backend. It returns new tensors on the
// backend (made with tensor.EmptyOn or tensor.FromHandle) and may return
// an opaque saved value that autograd hands back to the matching backward
// method; autograd keeps it (and nothing else) alive until the backward has
// run. A method may decline operands it does not handle (a dtype, a head
// size, a mask layout) by returning ErrNotFused before doing any work:
// autograd then runs the composition instead. Any other error is a device
// failure, and the op panics with it.

// ErrNotFused is what a fused method returns to decline its operands; the
// op then runs as a composition of tensor ops on the device.
var ErrNotFused = errors.New("autograd: no fused kernel for these operands")

// GELUKind names a GELU variant for FusedGELU.
type GELUKind uint8

// The GELU variants (see GELU, GELUTanh, QuickGELU).
const (
	ActGELU      GELUKind = iota // 0.5·x·(1 + erf(x/√2))
	ActGELUTanh                  // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))
	ActQuickGELU                 // x·σ(1.702·x)
)

// FusedAttention is scaled dot-product attention in one kernel (as
// ScaledDotProductAttention defines it, without dropout).
type FusedAttention interface {
	// FusedAttention returns O = softmax(scale·q kᵀ + mask, causal) v. q is
	// [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv], all of one float dtype
	// and with the same batch dims (autograd expands broadcast ones and
	// sums their gradients back); any strides. mask is nil or an additive
	// mask of q's dtype already expanded to [..., Tq, Tk] (stride 0 along
	// the dims it is broadcast over: a padding mask [B, 1, 1, Tk] arrives
	// with stride 0 for heads and queries). causal drops keys j > i (top
	// left aligned). A query row whose keys are all −Inf gives 0, not NaN.
	// out is a new contiguous [..., Tq, Dv].
	FusedAttention(q, k, v, mask *tensor.Tensor, causal bool, scale float64) (out *tensor.Tensor, saved any, err error)
	// FusedAttentionBackward returns dq, dk, dv (q's, k's, v's shapes, new
	// tensors) for the output gradient g ([..., Tq, Dv], contiguous).
	FusedAttentionBackward(saved any, g *tensor.Tensor) (dq, dk, dv *tensor.Tensor, err error)
}

// FusedLayerNorm is layer normalisation over the last dim, optionally of
// the sum of two inputs (the residual add of a transformer block).
type FusedLayerNorm interface {
	// FusedLayerNorm returns y = layer_norm(x + residual) with weight w and
	// bias b (both [n] or nil), biased variance and eps inside the root,
	// as F.layer_norm. x is contiguous [..., n]; residual is nil or of x's
	// shape and dtype. y is new and contiguous.
	FusedLayerNorm(x, residual, w, b *tensor.Tensor, eps float64) (y *tensor.Tensor, saved any, err error)
	// FusedLayerNormBackward returns the gradients of x (which is also that
	// of residual), w and b (nil where w or b was nil) for g (y's shape,
	// contiguous).
	FusedLayerNormBackward(saved any, g *tensor.Tensor) (dx, dw, db *tensor.Tensor, err error)
}

// FusedGELU is a GELU variant, optionally after a bias add (a Linear's
// bias folded into the activation).
type FusedGELU interface {
	// FusedGELU returns y = gelu(x + bias) for kind; x is contiguous
	// [..., n], bias nil or [n]. y is new and contiguous.
	FusedGELU(kind GELUKind, x, bias *tensor.Tensor) (y *tensor.Tensor, saved any, err error)
	// FusedGELUBackward returns dx and dbias (nil when bias was nil).
	FusedGELUBackward(saved any, g *tensor.Tensor) (dx, dbias *tensor.Tensor, err error)
}

// FusedSoftmax is softmax or log-softmax over the last dim.
type FusedSoftmax interface {
	// FusedSoftmax returns softmax(x) (log-softmax when log is set) over the
	// last dim of the contiguous x, as F.softmax / F.log_softmax (a row of
	// −Inf gives NaN, as PyTorch).
	FusedSoftmax(x *tensor.Tensor, log bool) (y *tensor.Tensor, saved any, err error)
	// FusedSoftmaxBackward returns dx for the gradient g (contiguous, x's
	// shape).
	FusedSoftmaxBackward(saved any, g *tensor.Tensor) (dx *tensor.Tensor, err error)
}

// FusedCrossEntropy is softmax cross entropy with ignore index and label
// smoothing (CrossEntropy and CrossEntropyRows).
type FusedCrossEntropy interface {
	// FusedCrossEntropy returns the loss of logits [N, C] (contiguous)
	// against targets (N I64 class indices, contiguous, on the backend):
	// a 0-d mean over the kept rows when mean is set (NaN when none is
	// kept), otherwise the [N] per-row losses (0 for ignored rows). The
	// loss has the logits' dtype.
	FusedCrossEntropy(logits, targets *tensor.Tensor, ignore int64, smoothing float64, mean bool) (loss *tensor.Tensor, saved any, err error)
	// FusedCrossEntropyBackward returns dlogits for the loss gradient g
	// (0-d for the mean, [N] per row); ignored rows get 0, and with mean
	// and no kept row every gradient is 0.
	FusedCrossEntropyBackward(saved any, g *tensor.Tensor) (dlogits *tensor.Tensor, err error)
}

// FusedDropout draws dropout masks on the device, so that training with
// dropout uploads nothing. Without it, dropout (and attention dropout)
// masks are drawn on the host from the caller's rng, exactly as the CPU
// kernels draw them, and uploaded.
type FusedDropout interface {
	// FusedDropoutMask returns a new tensor of like's shape and dtype whose
	// elements are 0 with probability p and 1/(1−p) otherwise (0 everywhere
	// for p = 1), drawn from the backend's generator seeded with seed (one
	// draw from the caller's rng, so runs repeat for a given rng).
	FusedDropoutMask(like *tensor.Tensor, p float64, seed uint64) (*tensor.Tensor, error)
}

// FusedEmbedding is the embedding lookup and its scatter-add backward.
type FusedEmbedding interface {
	// FusedEmbedding returns the rows of w [V, D] (contiguous) at ids (I64,
	// contiguous, any shape, on the backend): ids.shape + [D].
	FusedEmbedding(w, ids *tensor.Tensor) (y *tensor.Tensor, err error)
	// FusedEmbeddingBackward returns dw [V, D] (w's dtype): row v is the
	// sum of the rows of g (ids.shape + [D], contiguous) whose id is v,
	// and 0 for the row paddingIdx (none when it is negative).
	FusedEmbeddingBackward(g, ids *tensor.Tensor, v int, paddingIdx int) (dw *tensor.Tensor, err error)
}
