//go:build cgo

package cuda

/*
#include "launch.h"
*/
import "C"

import (
	"fmt"
	"math"

	"radcap/tensor"
)

// MaskKind selects the structural part of an attention mask (see
// kernels/attention.cu); key padding comes on top through Keep.
type MaskKind int

// The mask kinds.
const (
	MaskNone   MaskKind = 0 // every key (cross-attention, ViT, BERT encoder)
	MaskCausal MaskKind = 1 // key j ≤ query i (top-left aligned)
	MaskGIT    MaskKind = 2 // the first Prefix keys for all, the rest causally
)

// AttentionArgs describe O = softmax(Scale·Q Kᵀ + mask) V per (batch,
// head), for Q [B, H, Tq, D], K and V [B, H, Tk, D], O like Q.
type AttentionArgs struct {
	DType          tensor.DType
	B, H, Tq, Tk   int
	D              int // head dim, at most 128
	Q, K, V, O     *Buffer
	QL, KL, VL, OL HeadLayout
	LSE            *Buffer  // f32 [B, H, Tq] log-sum-exp, needed by the backward; nil for inference
	Scale          float32  // 0 means 1/√D
	Mask           MaskKind // structural mask
	Prefix         int      // image tokens for MaskGIT
	Keep           *Buffer  // uint8 [B, Tk], 0 = padding key; nil = none
	// Add is an optional additive mask of DType, element (b, h, i, j) at
	// b·AddL.Batch + h·AddL.Head + i·AddL.Row + j·AddL.Col (0 strides
	// broadcast), added to the scores before the softmax.
	Add  *Buffer
	AddL MaskLayout
}

// AttentionGradArgs add the output gradient and the input gradients; GO
// has O's layout, DQ Q's, DK K's and DV V's.
type AttentionGradArgs struct {
	AttentionArgs
	GO, DQ, DK, DV *Buffer
}

func (l *HeadLayout) fill(h, t, dim int) {
	if *l == (HeadLayout{}) {
		*l = HeadLayout{Batch: h * t * dim, Head: t * dim, Row: dim}
	}
}

func (a *AttentionArgs) normalise(op string) (C.rc_attn_layout, error) {
	var L C.rc_attn_layout
	if _, err := suffix(op, a.DType); err != nil {
		return L, err
	}
	if a.B < 1 || a.H < 1 || a.Tq < 1 || a.Tk < 1 || a.D < 1 || a.D > 128 {
		return L, fmt.Errorf("cuda: %s: B, H, Tq, Tk, D = %d, %d, %d, %d, %d (want ≥ 1, D ≤ 128)", op, a.B, a.H, a.Tq, a.Tk, a.D)
	}
	if a.B > 65535 || a.H > 65535 {
		return L, fmt.Errorf("cuda: %s: batch %d or heads %d above 65535", op, a.B, a.H)
	}
	if a.Mask < MaskNone || a.Mask > MaskGIT || a.Prefix < 0 {
		return L, fmt.Errorf("cuda: %s: mask kind %d with prefix %d", op, a.Mask, a.Prefix)
	}
	a.QL.fill(a.H, a.Tq, a.D)
	a.OL.fill(a.H, a.Tq, a.D)
	a.KL.fill(a.H, a.Tk, a.D)
	a.VL.fill(a.H, a.Tk, a.D)
	for _, c := range []struct {
		name string
		b    *Buffer
		l    HeadLayout
		t    int
	}{{"Q", a.Q, a.QL, a.Tq}, {"K", a.K, a.KL, a.Tk}, {"V", a.V, a.VL, a.Tk}, {"O", a.O, a.OL, a.Tq}} {
		if c.l.Row < a.D || c.l.Batch < 0 || c.l.Head < 0 {
			return L, fmt.Errorf("cuda: %s: layout of %s %+v for head dim %d", op, c.name, c.l, a.D)
		}
		if err := need(op, c.name, c.b, (a.B-1)*c.l.Batch+(a.H-1)*c.l.Head+(c.t-1)*c.l.Row+a.D, a.DType); err != nil {
			return L, err
		}
	}
	if err := optional(op, "LSE", a.LSE, a.B*a.H*a.Tq, tensor.F32); err != nil {
		return L, err
	}
	if err := optional(op, "Keep", a.Keep, a.B*a.Tk, tensor.U8); err != nil {
		return L, err
	}
	if a.Add != nil {
		l := a.AddL
		if l.Batch < 0 || l.Head < 0 || l.Row < 0 || l.Col < 0 {
			return L, fmt.Errorf("cuda: %s: additive mask strides %+v", op, l)
		}
		if err := need(op, "Add", a.Add, (a.B-1)*l.Batch+(a.H-1)*l.Head+(a.Tq-1)*l.Row+(a.Tk-1)*l.Col+1, a.DType); err != nil {
			return L, err
		}
	}
	scale := a.Scale
	if scale == 0 {
		scale = float32(1 / math.Sqrt(float64(a.D)))
	}
	L = C.rc_attn_layout{H: C.int(a.H), Tq: C.int(a.Tq), Tk: C.int(a.Tk), D: C.int(a.D),
		qB: C.longlong(a.QL.Batch), qH: C.longlong(a.QL.Head), qT: C.longlong(a.QL.Row),
		kB: C.longlong(a.KL.Batch), kH: C.longlong(a.KL.Head), kT: C.longlong(a.KL.Row),
		vB: C.longlong(a.VL.Batch), vH: C.longlong(a.VL.Head), vT: C.longlong(a.VL.Row),
		oB: C.longlong(a.OL.Batch), oH: C.longlong(a.OL.Head), oT: C.longlong(a.OL.Row),
		scale: C.float(scale), keep: dptr(a.Keep), mode: C.int(a.Mask), prefix: C.int(a.Prefix),
		amask: dptr(a.Add), aB: C.longlong(a.AddL.Batch), aH: C.longlong(a.AddL.Head), aQ: C.longlong(a.AddL.Row), aK: C.longlong(a.AddL.Col)}
	return L, nil
}

// Attention runs the fused forward.
func (d *Device) Attention(a AttentionArgs) error {
	L, err := a.normalise("Attention")
	if err != nil {
		return err
	}
	s, _ := suffix("Attention", a.DType)
	g := grid((a.Tq+3)/4, a.H, a.B, 128, 1)
	return d.launch("attn_fwd_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_attn_fwd(d.l.cu, f, g, d.stream, dptr(a.Q), dptr(a.K), dptr(a.V), dptr(a.O), dptr(a.LSE), L)
	})
}

// AttentionGrad runs the backward: DQ, DK and DV are overwritten. The
// forward's O and LSE must be those of the same inputs.
func (d *Device) AttentionGrad(a AttentionGradArgs) error {
	op := "AttentionGrad"
	L, err := a.normalise(op)
	if err != nil {
		return err
	}
	if a.LSE == nil {
		return fmt.Errorf("cuda: %s: LSE from the forward is required", op)
	}
	for _, c := range []struct {
		name string
		b    *Buffer
		l    HeadLayout
		t    int
	}{{"GO", a.GO, a.OL, a.Tq}, {"DQ", a.DQ, a.QL, a.Tq}, {"DK", a.DK, a.KL, a.Tk}, {"DV", a.DV, a.VL, a.Tk}} {
		if err := need(op, c.name, c.b, (a.B-1)*c.l.Batch+(a.H-1)*c.l.Head+(c.t-1)*c.l.Row+a.D, a.DType); err != nil {
			return err
		}
	}
	s, _ := suffix(op, a.DType)
	delta, err := d.Alloc(4 * a.B * a.H * a.Tq)
	if err != nil {
		return err
	}
	defer delta.Free() // stream-ordered: later users of the block queue after these kernels
	gq := grid((a.Tq+3)/4, a.H, a.B, 128, 1)
	err = d.launch("attn_delta_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_attn_delta(d.l.cu, f, gq, d.stream, dptr(a.O), dptr(a.GO), dptr(delta),
			C.int(a.H), C.int(a.Tq), C.int(a.D), L.oB, L.oH, L.oT)
	})
	if err != nil {
		return err
	}
	err = d.launch("attn_dq_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_attn_dq(d.l.cu, f, gq, d.stream, dptr(a.Q), dptr(a.K), dptr(a.V), dptr(a.GO),
			dptr(a.LSE), dptr(delta), dptr(a.DQ), L)
	})
	if err != nil {
		return err
	}
	gk := grid((a.Tk+3)/4, a.H, a.B, 128, 1)
	return d.launch("attn_dkv_"+s, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_attn_dkv(d.l.cu, f, gk, d.stream, dptr(a.Q), dptr(a.K), dptr(a.V), dptr(a.GO),
			dptr(a.LSE), dptr(delta), dptr(a.DK), dptr(a.DV), L)
	})
}
