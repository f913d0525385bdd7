package nn

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"radcap/autograd"
	"radcap/tensor"
)

// gemvMaxRows is the most rows for which Linear's inference path uses
// matrix-vector products instead of a matrix product.
const gemvMaxRows = 4

// linearGEMV computes x·Wᵀ + b for a few rows when nothing needs a
// gradient (decoding one token at a time): a matrix product would spend
// most of its time packing (transposing) W, while W·x row by row reads W
// once, straight through. The output rows of W are split across threads.
// It returns nil when the fast path does not apply.
func linearGEMV(x, w, b *autograd.Var) *autograd.Var {
	if x.RequiresGrad || w.RequiresGrad || (b != nil && b.RequiresGrad) {
		return nil
	}
	xv, wv := x.Value, w.Value
	if !xv.OnHost() || !wv.OnHost() || (b != nil && !b.Value.OnHost()) {
		return nil // a device's own matrix product serves it
	}
	if xv.DType() != tensor.F32 || wv.DType() != tensor.F32 || !wv.IsContiguous() || wv.Rank() != 2 ||
		xv.Rank() < 1 || xv.Dim(-1) != wv.Dim(1) || (b != nil && b.Value.DType() != tensor.F32) {
		return nil
	}
	in, out := wv.Dim(1), wv.Dim(0)
	rows := xv.Numel() / max(in, 1)
	if rows == 0 || rows > gemvMaxRows {
		return nil
	}
	xs, ws := xv.Contiguous().F32(), wv.F32()
	var bs []float32
	if b != nil {
		bs = b.Value.Contiguous().F32()
	}
	y := make([]float32, rows*out)
	workers := min(runtime.GOMAXPROCS(0), max(1, out*in/(1<<16)))
	chunk := (out + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < out; lo += chunk {
		hi := min(lo+chunk, out)
		wg.Go(func() {
			var impl gonum.Implementation
			for r := range rows {
				yr := y[r*out+lo : r*out+hi]
				if bs != nil {
					copy(yr, bs[lo:hi])
				}
				impl.Sgemv(blas.NoTrans, hi-lo, in, 1, ws[lo*in:hi*in], in, xs[r*in:(r+1)*in], 1, 1, yr, 1)
			}
		})
	}
	wg.Wait()
	sh := append(xv.Shape()[:xv.Rank()-1], out)
	return autograd.Const(tensor.FromF32(y, sh...))
}
