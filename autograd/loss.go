package autograd

import (
	"fmt"

	"radcap/tensor"
)

// IgnoreIndex is the target value PyTorch's cross entropy skips by default.
const IgnoreIndex = -100

// CrossEntropy returns the mean cross entropy of logits [N, C] against
// targets (an I64 tensor of N class indices, any shape), exactly as
// F.cross_entropy(logits, targets, ignore_index=ignoreIndex,
// label_smoothing=smoothing): rows whose target is ignoreIndex are skipped,
// and with smoothing e each row's loss is
//
//	ℓ = (1 − e)·(−log p_t) + e·mean_c(−log p_c),  p = softmax(logits row)
//
// averaged over the rows not ignored. When every row is ignored the result
// is NaN (0/0): PyTorch does the same on purpose since 1.10 (pytorch/pytorch
// PR #64572, issues #70348 and #116349); radcap's gradient is then zero. A target outside
// [0, C) that is not ignoreIndex is a programmer error (panic).
//
//	backward: dlogits_r = g/n · (p − (1 − e)·onehot(t) − e/C) for kept rows, 0 for ignored
func CrossEntropy(logits *Var, targets *tensor.Tensor, ignoreIndex int64, smoothing float64) *Var {
	return crossEntropy("CrossEntropy", logits, targets, ignoreIndex, smoothing, true)
}

// CrossEntropyRows is CrossEntropy without the mean
// (reduction="none"): the [N] per-row losses, 0 for ignored rows.
//
//	backward: dlogits_r = g_r · (p − (1 − e)·onehot(t) − e/C) for kept rows
func CrossEntropyRows(logits *Var, targets *tensor.Tensor, ignoreIndex int64, smoothing float64) *Var {
	return crossEntropy("CrossEntropyRows", logits, targets, ignoreIndex, smoothing, false)
}

func crossEntropy(op string, logits *Var, targets *tensor.Tensor, ignore int64, eps float64, mean bool) *Var {
	x := contig(logits.Value)
	if x.Rank() != 2 {
		panic(fmt.Sprintf("autograd.%s: logits %v (want [N, C]; flatten first)", op, x.Shape()))
	}
	n, c := x.Dim(0), x.Dim(1)
	if targets.DType() != tensor.I64 || targets.Numel() != n {
		panic(fmt.Sprintf("autograd.%s: targets %v%v for logits %v (want %d int64 class indices)", op, targets.DType(), targets.Shape(), x.Shape(), n))
	}
	if eps < 0 || eps > 1 {
		panic(fmt.Sprintf("autograd.%s: label smoothing %v outside [0, 1]", op, eps))
	}
	if !x.OnHost() {
		return crossEntropyDevice(op, logits, x, targets, ignore, eps, mean)
	}
	if !targets.OnHost() {
		deviceOf(op, x, targets) // panics: logits on the host, targets on a device
	}
	tg := contig(targets).I64()
	kept := 0
	for i, t := range tg {
		if t == ignore {
			continue
		}
		if t < 0 || t >= int64(c) {
			panic(fmt.Sprintf("autograd.%s: target %d at row %d outside [0, %d)", op, t, i, c))
		}
		kept++
	}
	losses := make([]float64, n)
	lse := make([]float64, n)
	f32 := isF32(op, x)
	if c > 0 {
		if f32 {
			ceRows(data[float32](x), tg, losses, lse, c, ignore, eps)
		} else {
			ceRows(data[float64](x), tg, losses, lse, c, ignore, eps)
		}
	}
	var out *tensor.Tensor
	if mean {
		s := 0.0
		for _, l := range losses {
			s += l
		}
		out = tensor.Full(x.DType(), s/float64(kept))
	} else {
		out = fromF64(x.DType(), losses)
	}
	return record(op, out, false, func(g *tensor.Tensor) []*tensor.Tensor {
		rowScale := make([]float64, n)
		if mean {
			s := 0.0
			if kept > 0 {
				s = g.Item() / float64(kept)
			}
			for i := range rowScale {
				rowScale[i] = s
			}
		} else {
			copy(rowScale, contig(g).Float64s())
		}
		dx := tensor.Zeros(x.DType(), n, c)
		if c > 0 {
			if f32 {
				ceBackRows(data[float32](x), data[float32](dx), tg, lse, rowScale, c, ignore, eps)
			} else {
				ceBackRows(data[float64](x), data[float64](dx), tg, lse, rowScale, c, ignore, eps)
			}
		}
		return []*tensor.Tensor{dx}
	}, logits)
}

// ceRows computes, per row, lse = log Σ exp(x) and the smoothed loss
//
//	ℓ = (1 − e)(lse − x_t) + e(lse − mean(x))
//
// (−log p_c = lse − x_c), leaving ignored rows at 0.
func ceRows[T float](x []T, tg []int64, losses, lse []float64, c int, ignore int64, eps float64) {
	parallelFor(len(tg), c*8, func(lo, hi int) {
		scratch := make([]T, c)
		for r := lo; r < hi; r++ {
			if tg[r] == ignore {
				continue
			}
			row := x[r*c : (r+1)*c]
			l := logSumExp(row, scratch)
			lse[r] = l
			loss := (1 - eps) * (l - float64(row[tg[r]]))
			if eps != 0 {
				s := 0.0
				for _, v := range row {
					s += float64(v)
				}
				loss += eps * (l - s/float64(c))
			}
			losses[r] = loss
		}
	})
}

// ceBackRows writes dx_r = s_r (softmax(x_r) − (1 − e) onehot(t_r) − e/C)
// for kept rows.
func ceBackRows[T float](x, dx []T, tg []int64, lse, s []float64, c int, ignore int64, eps float64) {
	parallelFor(len(tg), c*8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			if tg[r] == ignore || s[r] == 0 {
				continue
			}
			row, d := x[r*c:(r+1)*c], dx[r*c:(r+1)*c]
			sr, l, u := s[r], lse[r], eps/float64(c)
			expShiftSum(d, row, l, 1) // softmax(x_r), rounded to T
			for i, p := range d {
				d[i] = T(sr * (float64(p) - u))
			}
			d[tg[r]] -= T(sr * (1 - eps))
		}
	})
}
