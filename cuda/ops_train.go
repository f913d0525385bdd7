//go:build cgo

package cuda

/*
#include "launch.h"
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"radcap/tensor"
)

// CEStatsBytes is the size of CrossEntropyArgs.Stats: the loss sum (f32),
// the kept-row count (i32) and the mean loss (f32).
const CEStatsBytes = 12

// CrossEntropyArgs describe the mean softmax cross entropy of Logits [N,
// V] against Targets (i64 [N]) with an ignore index and label smoothing.
// LSE (f32 [N]) receives each row's log-sum-exp for the backward; Stats
// (CEStatsBytes) the loss sum, the count and the mean loss.
type CrossEntropyArgs struct {
	DType     tensor.DType
	N, V      int
	Logits    *Buffer
	Targets   *Buffer
	Ignore    int64
	Smoothing float32
	LSE       *Buffer
	Stats     *Buffer
}

func (a *CrossEntropyArgs) check(op string) (string, error) {
	s, err := suffix(op, a.DType)
	if err != nil {
		return "", err
	}
	if a.N < 1 || a.V < 1 || a.Smoothing < 0 || a.Smoothing > 1 {
		return "", fmt.Errorf("cuda: %s: N %d, V %d, smoothing %v", op, a.N, a.V, a.Smoothing)
	}
	if err := need(op, "Logits", a.Logits, a.N*a.V, a.DType); err != nil {
		return "", err
	}
	if err := need(op, "Targets", a.Targets, a.N, tensor.I64); err != nil {
		return "", err
	}
	if err := need(op, "LSE", a.LSE, a.N, tensor.F32); err != nil {
		return "", err
	}
	return s, need(op, "Stats", a.Stats, 3, tensor.F32)
}

// CrossEntropy queues the forward; LossValue reads the result.
func (d *Device) CrossEntropy(a CrossEntropyArgs) error {
	s, err := a.check("CrossEntropy")
	if err != nil {
		return err
	}
	if err := d.Fill32(a.Stats, 0, 2); err != nil {
		return err
	}
	st := a.Stats.ptr
	err = d.launch("ce_fwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ce_fwd(d.l.cu, f, grid(a.N, 1, 1, 256, 1), d.stream, dptr(a.Logits), dptr(a.Targets), dptr(a.LSE),
			C.CUdeviceptr(st), C.CUdeviceptr(st+4), C.int(a.V), C.longlong(a.Ignore), C.float(a.Smoothing))
	})
	if err != nil {
		return err
	}
	return d.launch("ce_finish", func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ce_finish(d.l.cu, f, d.stream, C.CUdeviceptr(st), C.CUdeviceptr(st+4), C.CUdeviceptr(st+8))
	})
}

// LossValue waits for the device and returns the mean loss and the number
// of rows kept from a CrossEntropy's Stats.
func (d *Device) LossValue(stats *Buffer) (loss float32, kept int, err error) {
	var b [CEStatsBytes]byte
	if err := d.Download(b[:], stats, 0); err != nil {
		return 0, 0, err
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b[8:])), int(int32(binary.LittleEndian.Uint32(b[4:]))), nil
}

// CrossEntropyGrad writes dLogits = g/n·(softmax − (1−e)·onehot − e/V) for
// kept rows and 0 for ignored ones; g is the loss's gradient (the loss
// scale in mixed precision).
func (d *Device) CrossEntropyGrad(a CrossEntropyArgs, dLogits *Buffer, g float32) error {
	return d.crossEntropyGrad(a, dLogits, g, nil)
}

// CrossEntropyGradDev is CrossEntropyGrad with g read from the device: an
// f32 scalar at the start of gdev (the loss's gradient as a device tensor).
func (d *Device) CrossEntropyGradDev(a CrossEntropyArgs, dLogits, gdev *Buffer) error {
	if err := need("CrossEntropyGrad", "g", gdev, 1, tensor.F32); err != nil {
		return err
	}
	return d.crossEntropyGrad(a, dLogits, 1, gdev)
}

func (d *Device) crossEntropyGrad(a CrossEntropyArgs, dLogits *Buffer, g float32, gdev *Buffer) error {
	s, err := a.check("CrossEntropyGrad")
	if err != nil {
		return err
	}
	if err := need("CrossEntropyGrad", "dLogits", dLogits, a.N*a.V, a.DType); err != nil {
		return err
	}
	return d.launch("ce_bwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_ce_bwd(d.l.cu, f, grid(a.N, 1, 1, 256, 1), d.stream, dptr(a.Logits), dptr(a.Targets), dptr(a.LSE),
			C.CUdeviceptr(a.Stats.ptr+4), dptr(dLogits), C.int(a.V), C.longlong(a.Ignore), C.float(a.Smoothing), C.float(g), dptr(gdev))
	})
}

// AdamWParam is one parameter tensor of a fused AdamW: the fp32 master
// weights and moments, its gradient, and optionally the low-precision copy
// the model computes with, all of N elements.
type AdamWParam struct {
	Master, M, V *Buffer // f32
	Grad         *Buffer
	GradDType    tensor.DType
	Param        *Buffer // nil: none
	ParamDType   tensor.DType
	N            int
}

// AdamWHyper are one step's hyper-parameters (torch.optim.AdamW's names).
type AdamWHyper struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Step                               int     // 1 for the first step
	InvScale                           float64 // 1/loss scale (1 without scaling)
	CheckFinite                        bool    // skip the step when a gradient is Inf or NaN
}

// AdamW is a fused AdamW over a fixed set of parameters: one table in
// device memory, one launch per step.
type AdamW struct {
	d     *Device
	tab   *Buffer
	found *Buffer
	n     int
	maxN  int
}

// dtypeCode is the adamw.cu code of a storage type.
func dtypeCode(op string, dt tensor.DType) (uint64, error) {
	switch dt {
	case tensor.F32:
		return 0, nil
	case tensor.F16:
		return 1, nil
	case tensor.BF16:
		return 2, nil
	}
	return 0, fmt.Errorf("cuda: %s: dtype %v (want f32, f16 or bf16)", op, dt)
}

// NewAdamW uploads the parameter table.
func (d *Device) NewAdamW(ps []AdamWParam) (*AdamW, error) {
	op := "NewAdamW"
	if len(ps) == 0 || len(ps) > 65535 {
		return nil, fmt.Errorf("cuda: %s: %d parameters (want 1 to 65535)", op, len(ps))
	}
	tab := make([]uint64, 0, 8*len(ps))
	maxN := 0
	for i, p := range ps {
		name := func(s string) string { return fmt.Sprintf("parameter %d %s", i, s) }
		if p.N < 1 {
			return nil, fmt.Errorf("cuda: %s: %s", op, name(fmt.Sprintf("has %d elements", p.N)))
		}
		for _, c := range []struct {
			s string
			b *Buffer
		}{{"master", p.Master}, {"m", p.M}, {"v", p.V}} {
			if err := need(op, name(c.s), c.b, p.N, tensor.F32); err != nil {
				return nil, err
			}
		}
		gdt, err := dtypeCode(op, p.GradDType)
		if err != nil {
			return nil, err
		}
		if err := need(op, name("grad"), p.Grad, p.N, p.GradDType); err != nil {
			return nil, err
		}
		pdt := uint64(0)
		if p.Param != nil {
			if pdt, err = dtypeCode(op, p.ParamDType); err != nil {
				return nil, err
			}
			if err := need(op, name("param"), p.Param, p.N, p.ParamDType); err != nil {
				return nil, err
			}
		}
		tab = append(tab, p.Master.ptr, p.M.ptr, p.V.ptr, p.Grad.ptr, uint64(dptr(p.Param)), uint64(p.N), gdt, pdt)
		maxN = max(maxN, p.N)
	}
	tb, err := d.Alloc(8 * len(tab))
	if err != nil {
		return nil, err
	}
	if err := d.Upload(tb, 0, unsafe.Slice((*byte)(unsafe.Pointer(&tab[0])), 8*len(tab))); err != nil {
		tb.Free()
		return nil, err
	}
	found, err := d.Alloc(4)
	if err != nil {
		tb.Free()
		return nil, err
	}
	return &AdamW{d: d, tab: tb, found: found, n: len(ps), maxN: maxN}, nil
}

// Step updates every parameter; with CheckFinite it first looks for an
// Inf or NaN gradient and, if there is one, skips the update and returns
// skipped = true (reading the flag waits for the device).
func (o *AdamW) Step(h AdamWHyper) (skipped bool, err error) {
	d := o.d
	if h.Step < 1 || h.Beta1 < 0 || h.Beta1 >= 1 || h.Beta2 < 0 || h.Beta2 >= 1 || h.InvScale <= 0 {
		return false, fmt.Errorf("cuda: AdamW.Step: step %d, betas %v, %v, inverse scale %v", h.Step, h.Beta1, h.Beta2, h.InvScale)
	}
	g := grid(max(1, min((o.maxN+255)/256, 1024)), o.n, 1, 256, 1)
	var found C.CUdeviceptr
	if h.CheckFinite {
		found = dptr(o.found)
		if err := d.Fill32(o.found, 0, 1); err != nil {
			return false, err
		}
		err := d.launch("check_finite", func(f C.CUfunction) C.CUresult {
			return C.rc_launch_check_finite(d.l.cu, f, g, d.stream, dptr(o.tab), found)
		})
		if err != nil {
			return false, err
		}
	}
	bc1 := 1 - math.Pow(h.Beta1, float64(h.Step))
	bc2 := 1 - math.Pow(h.Beta2, float64(h.Step))
	err = d.launch("adamw_step", func(f C.CUfunction) C.CUresult {
		return C.rc_launch_adamw(d.l.cu, f, g, d.stream, dptr(o.tab), C.float(h.LR), C.float(h.Beta1), C.float(h.Beta2),
			C.float(h.Eps), C.float(h.WeightDecay), C.float(bc1), C.float(bc2), C.float(h.InvScale), found)
	})
	if err != nil || !h.CheckFinite {
		return false, err
	}
	var b [4]byte
	if err := d.Download(b[:], o.found, 0); err != nil {
		return false, err
	}
	return binary.LittleEndian.Uint32(b[:]) != 0, nil
}

// Free releases the table.
func (o *AdamW) Free() error {
	return errorsJoin(o.tab.Free(), o.found.Free())
}
