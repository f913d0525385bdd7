//go:build cgo

package cuda

/*
#include "launch.h"
*/
import "C"

import (
	"fmt"

	"radcap/tensor"
)

// ReduceOp selects the reduction of Reduce (see reduce.cu).
type ReduceOp int

// The reductions. Sum and SumSquares compute y = Alpha·Σ + Beta·y (Mean is
// Sum with Alpha = 1/R); Max and Min ignore Alpha and Beta and can write
// the first index of the extreme (along the reduced dims in C order).
const (
	ReduceSum ReduceOp = iota
	ReduceMax
	ReduceMin
	ReduceSumSquares
)

// ReduceArgs describe a reduction of X over Axes (nil: all) into Y, whose
// shape is X's with the reduced dims removed or kept as 1. Arg (optional,
// i64, one per output element in C order) receives the index of the max
// or min.
type ReduceArgs struct {
	Op          ReduceOp
	X, Y        View
	Axes        []int
	Alpha, Beta float32
	Arg         *Buffer
}

// Reduce runs the reduction with fp32 accumulation.
func (d *Device) Reduce(a ReduceArgs) error {
	name := "Reduce"
	if a.Op < ReduceSum || a.Op > ReduceSumSquares {
		return fmt.Errorf("cuda: %s: unknown op %d", name, a.Op)
	}
	s, err := suffix(name, a.X.DType)
	if err != nil {
		return err
	}
	if a.Y.DType != a.X.DType {
		return fmt.Errorf("cuda: %s: x is %v but y %v", name, a.X.DType, a.Y.DType)
	}
	if err := a.X.check(name, "x"); err != nil {
		return err
	}
	if err := a.Y.check(name, "y"); err != nil {
		return err
	}
	p, err := planReduce(name, a.X.layout(), a.Axes, a.Y.layout())
	if err != nil {
		return err
	}
	if p.m == 0 {
		return nil
	}
	if p.r == 0 && (a.Op == ReduceMax || a.Op == ReduceMin) {
		return fmt.Errorf("cuda: %s: max/min over an empty axis of x %v", name, a.X.Shape)
	}
	if a.Arg != nil {
		if a.Op != ReduceMax && a.Op != ReduceMin {
			return fmt.Errorf("cuda: %s: an index output needs max or min", name)
		}
		if err := need(name, "arg", a.Arg, p.m, tensor.I64); err != nil {
			return err
		}
	}
	var L C.rc_red_layout
	L.orank, L.irank = C.int(len(p.oshape)), C.int(len(p.ishape))
	for i := range p.oshape {
		L.oshape[i], L.ost[i], L.yst[i] = C.int(p.oshape[i]), C.longlong(p.ost[i]), C.longlong(p.yst[i])
	}
	for i := range p.ishape {
		L.ishape[i], L.ist[i] = C.int(p.ishape[i]), C.longlong(p.ist[i])
	}
	L.xoff, L.yoff = C.longlong(p.xoff), C.longlong(p.yoff)
	g := reduceGrid(p.m, p.r)
	return d.launch("reduce_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_reduce(d.l.cu, f, g, d.stream, dptr(a.X.Buf), dptr(a.Y.Buf), dptr(a.Arg), L,
			C.longlong(p.m), C.longlong(p.r), C.int(a.Op), C.float(a.Alpha), C.float(a.Beta))
	})
}

// reduceGrid picks the reduce kernel's shape: a 256-thread block per
// output for long rows, else one warp per output and 8 outputs a block.
func reduceGrid(m, r int) C.rc_grid {
	if r >= 1024 {
		return grid(min(m, 1<<20), 1, 1, 256, 1)
	}
	return grid(min((m+7)/8, 1<<20), 1, 1, 32, 8)
}

// rowsCheck validates a row kernel's arguments: rows × c elements of dt
// in each of the named buffers.
func rowsCheck(op string, dt tensor.DType, rows, c int, bufs map[string]*Buffer) (string, error) {
	s, err := suffix(op, dt)
	if err != nil {
		return "", err
	}
	if rows < 1 || c < 1 || rows > 1<<31-1 || c > 1<<31-1 {
		return "", fmt.Errorf("cuda: %s: %d rows of %d", op, rows, c)
	}
	for name, b := range bufs {
		if err := need(op, name, b, rows*c, dt); err != nil {
			return "", err
		}
	}
	return s, nil
}

// Softmax writes y = softmax(scale·x) over each of rows contiguous rows of
// c elements, or with log the log-softmax scale·x − log Σ e^{scale·x}.
func (d *Device) Softmax(dt tensor.DType, x, y *Buffer, rows, c int, scale float32, log bool) error {
	s, err := rowsCheck("Softmax", dt, rows, c, map[string]*Buffer{"x": x, "y": y})
	if err != nil {
		return err
	}
	return d.launch("softmax_fwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_rows(d.l.cu, f, grid(rows, 1, 1, 256, 1), d.stream, dptr(x), dptr(y), C.int(c), C.float(scale), cbool(log))
	})
}

// SoftmaxGrad writes dx from the forward's output y and dy (same flags as
// the forward).
func (d *Device) SoftmaxGrad(dt tensor.DType, y, dy, dx *Buffer, rows, c int, scale float32, log bool) error {
	s, err := rowsCheck("SoftmaxGrad", dt, rows, c, map[string]*Buffer{"y": y, "dy": dy, "dx": dx})
	if err != nil {
		return err
	}
	return d.launch("softmax_bwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_rows3(d.l.cu, f, grid(rows, 1, 1, 256, 1), d.stream, dptr(y), dptr(dy), dptr(dx), C.int(c), C.float(scale), cbool(log))
	})
}

// L2Normalize writes y = x / max(‖x‖₂, eps) for each row (F.normalize).
func (d *Device) L2Normalize(dt tensor.DType, x, y *Buffer, rows, c int, eps float32) error {
	s, err := rowsCheck("L2Normalize", dt, rows, c, map[string]*Buffer{"x": x, "y": y})
	if err != nil {
		return err
	}
	return d.launch("l2n_fwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_rows_eps(d.l.cu, f, grid(rows, 1, 1, 256, 1), d.stream, dptr(x), dptr(y), C.int(c), C.float(eps))
	})
}

// L2NormalizeGrad writes dx of L2Normalize from x and dy.
func (d *Device) L2NormalizeGrad(dt tensor.DType, x, dy, dx *Buffer, rows, c int, eps float32) error {
	s, err := rowsCheck("L2NormalizeGrad", dt, rows, c, map[string]*Buffer{"x": x, "dy": dy, "dx": dx})
	if err != nil {
		return err
	}
	return d.launch("l2n_bwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_rows3_eps(d.l.cu, f, grid(rows, 1, 1, 256, 1), d.stream, dptr(x), dptr(dy), dptr(dx), C.int(c), C.float(eps))
	})
}

// Dropout writes y = keep ? x/(1−p) : 0 for n contiguous elements, keep
// decided by PhiloxKeep(seed, offset, i, p). The backward is Dropout of
// dy with the same seed and offset. x and y may be the same buffer.
func (d *Device) Dropout(dt tensor.DType, x, y *Buffer, n int, p float32, seed, offset uint64) error {
	s, err := suffix("Dropout", dt)
	if err != nil {
		return err
	}
	if !(p >= 0 && p < 1) || n < 0 {
		return fmt.Errorf("cuda: Dropout: p = %v (want 0 ≤ p < 1), n = %d", p, n)
	}
	if err := need("Dropout", "x", x, n, dt); err != nil {
		return err
	}
	if err := need("Dropout", "y", y, n, dt); err != nil || n == 0 {
		return err
	}
	return d.launch("dropout_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_dropout(d.l.cu, f, flat((n+3)/4), d.stream, dptr(x), dptr(y), C.longlong(n), C.float(p), C.ulonglong(seed), C.ulonglong(offset))
	})
}
