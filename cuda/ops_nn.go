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

// LayerNormArgs describe Y = LayerNorm(X + R)·W + B over rows of C
// elements. R, W, B and H are optional; H receives X + R (in DType) for
// the backward and for a pre-LN residual stream. Mean and Rstd are f32
// [Rows].
type LayerNormArgs struct {
	DType         tensor.DType
	Rows, C       int
	X, R, W, B, Y *Buffer
	H             *Buffer
	Mean, Rstd    *Buffer
	Eps           float32
}

// LayerNorm runs the fused residual add + layer norm forward.
func (d *Device) LayerNorm(a LayerNormArgs) error {
	op := "LayerNorm"
	s, err := suffix(op, a.DType)
	if err != nil {
		return err
	}
	if a.Rows < 1 || a.C < 1 || a.Rows > 1<<31-1 {
		return fmt.Errorf("cuda: %s: %d rows of %d", op, a.Rows, a.C)
	}
	n := a.Rows * a.C
	for _, c := range []struct {
		name     string
		b        *Buffer
		n        int
		dt       tensor.DType
		optional bool
	}{{"X", a.X, n, a.DType, false}, {"R", a.R, n, a.DType, true}, {"W", a.W, a.C, a.DType, true}, {"B", a.B, a.C, a.DType, true},
		{"Y", a.Y, n, a.DType, false}, {"H", a.H, n, a.DType, true}, {"Mean", a.Mean, a.Rows, tensor.F32, false}, {"Rstd", a.Rstd, a.Rows, tensor.F32, false}} {
		if c.optional && c.b == nil {
			continue
		}
		if err := need(op, c.name, c.b, c.n, c.dt); err != nil {
			return err
		}
	}
	if a.H != nil && a.R == nil {
		return fmt.Errorf("cuda: %s: H (the residual sum) asked for without R", op)
	}
	return d.launch("ln_fwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ln_fwd(d.l.cu, f, grid(a.Rows, 1, 1, 256, 1), d.stream, dptr(a.X), dptr(a.R), dptr(a.W), dptr(a.B),
			dptr(a.Y), dptr(a.H), dptr(a.Mean), dptr(a.Rstd), C.int(a.C), C.float(a.Eps))
	})
}

// LayerNormGradArgs describe the backward: DH = dL/dH (which is dL/dX and
// dL/dR) is overwritten; DW and DB (f32, optional) are accumulated into.
// H is the normalised input (the forward's H, or X without a residual);
// DExtra (optional) is a gradient reaching H by another path and is added.
type LayerNormGradArgs struct {
	DType      tensor.DType
	Rows, C    int
	DY, H, W   *Buffer
	Mean, Rstd *Buffer
	DExtra     *Buffer
	DH         *Buffer
	DW, DB     *Buffer
}

// LayerNormGrad runs the backward.
func (d *Device) LayerNormGrad(a LayerNormGradArgs) error {
	op := "LayerNormGrad"
	s, err := suffix(op, a.DType)
	if err != nil {
		return err
	}
	if a.Rows < 1 || a.C < 1 {
		return fmt.Errorf("cuda: %s: %d rows of %d", op, a.Rows, a.C)
	}
	n := a.Rows * a.C
	for _, c := range []struct {
		name     string
		b        *Buffer
		n        int
		dt       tensor.DType
		optional bool
	}{{"DY", a.DY, n, a.DType, false}, {"H", a.H, n, a.DType, false}, {"W", a.W, a.C, a.DType, true},
		{"Mean", a.Mean, a.Rows, tensor.F32, false}, {"Rstd", a.Rstd, a.Rows, tensor.F32, false}, {"DExtra", a.DExtra, n, a.DType, true},
		{"DH", a.DH, n, a.DType, false}, {"DW", a.DW, a.C, tensor.F32, true}, {"DB", a.DB, a.C, tensor.F32, true}} {
		if c.optional && c.b == nil {
			continue
		}
		if err := need(op, c.name, c.b, c.n, c.dt); err != nil {
			return err
		}
	}
	return d.launch("ln_bwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ln_bwd(d.l.cu, f, grid(a.Rows, 1, 1, 256, 1), d.stream, dptr(a.DY), dptr(a.H), dptr(a.W),
			dptr(a.Mean), dptr(a.Rstd), dptr(a.DExtra), dptr(a.DH), dptr(a.DW), dptr(a.DB), C.int(a.C))
	})
}

// GELUKind selects the GELU variant.
type GELUKind int

// The GELU variants (Hugging Face's "gelu", "gelu_new"/"gelu_pytorch_tanh", "quick_gelu").
const (
	GELUErf   GELUKind = 0
	GELUTanh  GELUKind = 1
	GELUQuick GELUKind = 2
)

// GELUArgs describe Y = act(X + Bias) for X [Rows, C]; Bias [C] is optional.
type GELUArgs struct {
	DType      tensor.DType
	Rows, C    int
	Kind       GELUKind
	X, Bias, Y *Buffer
}

func (a *GELUArgs) check(op string) (string, error) {
	s, err := suffix(op, a.DType)
	if err != nil {
		return "", err
	}
	if a.Rows < 1 || a.C < 1 || a.Kind < GELUErf || a.Kind > GELUQuick {
		return "", fmt.Errorf("cuda: %s: %d rows of %d, kind %d", op, a.Rows, a.C, a.Kind)
	}
	if err := need(op, "X", a.X, a.Rows*a.C, a.DType); err != nil {
		return "", err
	}
	return s, optional(op, "Bias", a.Bias, a.C, a.DType)
}

// GELU runs the fused bias + GELU forward.
func (d *Device) GELU(a GELUArgs) error {
	s, err := a.check("GELU")
	if err != nil {
		return err
	}
	n := a.Rows * a.C
	if err := need("GELU", "Y", a.Y, n, a.DType); err != nil {
		return err
	}
	return d.launch("gelu_fwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_gelu_fwd(d.l.cu, f, flat(n), d.stream, dptr(a.X), dptr(a.Bias), dptr(a.Y), C.longlong(n), C.int(a.C), C.int(a.Kind))
	})
}

// GELUGrad writes DX = DY·act'(X + Bias); the bias gradient is then
// SumRows(DX).
func (d *Device) GELUGrad(a GELUArgs, dy, dx *Buffer) error {
	s, err := a.check("GELUGrad")
	if err != nil {
		return err
	}
	n := a.Rows * a.C
	if err := need("GELUGrad", "DY", dy, n, a.DType); err != nil {
		return err
	}
	if err := need("GELUGrad", "DX", dx, n, a.DType); err != nil {
		return err
	}
	return d.launch("gelu_bwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_gelu_bwd(d.l.cu, f, flat(n), d.stream, dptr(dy), dptr(a.X), dptr(a.Bias), dptr(dx), C.longlong(n), C.int(a.C), C.int(a.Kind))
	})
}

// SumRows adds the column sums of x [rows, C] (dtype dt) into out (f32 [C]).
func (d *Device) SumRows(x *Buffer, dt tensor.DType, rows, c int, out *Buffer) error {
	s, err := suffix("SumRows", dt)
	if err != nil {
		return err
	}
	if rows < 1 || c < 1 {
		return fmt.Errorf("cuda: SumRows: %d rows of %d", rows, c)
	}
	if err := need("SumRows", "x", x, rows*c, dt); err != nil {
		return err
	}
	if err := need("SumRows", "out", out, c, tensor.F32); err != nil {
		return err
	}
	return d.launch("sum_rows_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_sum_rows(d.l.cu, f, grid((c+31)/32, 1, 1, 32, 8), d.stream, dptr(x), dptr(out), C.int(rows), C.int(c))
	})
}

// EmbeddingArgs describe Y[i] = W[IDs[i]] for IDs (i64 [N]) into W [V, C].
// An id outside [0, V) gives a row of NaN (callers check ids on the host).
type EmbeddingArgs struct {
	DType   tensor.DType
	N, V, C int
	W, IDs  *Buffer
	Y       *Buffer
}

func (a *EmbeddingArgs) check(op string) (string, error) {
	s, err := suffix(op, a.DType)
	if err != nil {
		return "", err
	}
	if a.N < 1 || a.V < 1 || a.C < 1 {
		return "", fmt.Errorf("cuda: %s: N, V, C = %d, %d, %d", op, a.N, a.V, a.C)
	}
	return s, need(op, "IDs", a.IDs, a.N, tensor.I64)
}

// Embedding runs the lookup.
func (d *Device) Embedding(a EmbeddingArgs) error {
	s, err := a.check("Embedding")
	if err != nil {
		return err
	}
	if err := need("Embedding", "W", a.W, a.V*a.C, a.DType); err != nil {
		return err
	}
	if err := need("Embedding", "Y", a.Y, a.N*a.C, a.DType); err != nil {
		return err
	}
	return d.launch("emb_fwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_emb_fwd(d.l.cu, f, flat(a.N*a.C), d.stream, dptr(a.W), dptr(a.IDs), dptr(a.Y), C.int(a.N), C.int(a.V), C.int(a.C))
	})
}

// EmbeddingGrad adds dy's rows into dw (f32 [V, C]) at their ids, except
// the row padding (negative: none).
func (d *Device) EmbeddingGrad(a EmbeddingArgs, dy, dw *Buffer, padding int) error {
	s, err := a.check("EmbeddingGrad")
	if err != nil {
		return err
	}
	if err := need("EmbeddingGrad", "dy", dy, a.N*a.C, a.DType); err != nil {
		return err
	}
	if err := need("EmbeddingGrad", "dw", dw, a.V*a.C, tensor.F32); err != nil {
		return err
	}
	return d.launch("emb_bwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_emb_bwd(d.l.cu, f, flat(a.N*a.C), d.stream, dptr(dy), dptr(a.IDs), dptr(dw), C.int(a.N), C.int(a.V), C.int(a.C), C.longlong(padding))
	})
}
