//go:build cgo

package cuda

import (
	"fmt"
	"math"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

type attnCase struct {
	b, h, tq, tk, d int
	mask            MaskKind
	prefix          int
	pad             bool // random key padding (key 0 always kept)
	padAll          bool // the last batch has every key padded: outputs and gradients 0
}

var attnCases = []attnCase{
	{2, 3, 37, 37, 64, MaskNone, 0, false, false},
	{2, 2, 37, 37, 64, MaskCausal, 0, false, false},
	{2, 2, 45, 45, 64, MaskGIT, 13, true, false}, // GIT: 13 image tokens + text, padded text
	{2, 3, 5, 19, 40, MaskNone, 0, true, false},  // cross-attention with padded keys
	{2, 1, 70, 70, 128, MaskCausal, 0, true, true},
	{1, 2, 3, 1, 8, MaskNone, 0, false, false},
}

// attnAllowed mirrors attention.cu's rule, for the reference's additive mask.
func attnAllowed(c attnCase, keep []float64, b, i, j int) bool {
	if keep != nil && keep[b*c.tk+j] == 0 {
		return false
	}
	switch c.mask {
	case MaskCausal:
		return j <= i
	case MaskGIT:
		return j < c.prefix || j <= i
	}
	return true
}

func TestAttentionGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	for _, dt := range gpuTypes {
		for _, c := range attnCases {
			name := fmt.Sprintf("%v/%+v", dt, c)
			nq, nk := c.b*c.h*c.tq*c.d, c.b*c.h*c.tk*c.d
			qv, kv, vv := randVals(rng, dt, nq, 1), randVals(rng, dt, nk, 1), randVals(rng, dt, nk, 1)
			gv := randVals(rng, dt, nq, 1)
			var keep []float64
			if c.pad {
				keep = make([]float64, c.b*c.tk)
				for i := range keep {
					if (rng.Float64() < 0.8 || i%c.tk == 0) && !(c.padAll && i/c.tk == c.b-1) {
						keep[i] = 1
					}
				}
			}
			// Reference: autograd's attention in float64 with the additive mask.
			mask := make([]float64, c.b*c.tq*c.tk)
			for b := 0; b < c.b; b++ {
				for i := 0; i < c.tq; i++ {
					for j := 0; j < c.tk; j++ {
						if !attnAllowed(c, keep, b, i, j) {
							mask[(b*c.tq+i)*c.tk+j] = math.Inf(-1)
						}
					}
				}
			}
			q := autograd.Param(f64(qv, c.b, c.h, c.tq, c.d))
			k := autograd.Param(f64(kv, c.b, c.h, c.tk, c.d))
			v := autograd.Param(f64(vv, c.b, c.h, c.tk, c.d))
			tp := autograd.NewTape()
			o := autograd.ScaledDotProductAttention(q, k, v, f64(mask, c.b, 1, c.tq, c.tk), false, 0)
			if err := tp.BackwardWithGrad(o, f64(gv, c.b, c.h, c.tq, c.d)); err != nil {
				t.Fatal(err)
			}

			a := AttentionArgs{DType: dt, B: c.b, H: c.h, Tq: c.tq, Tk: c.tk, D: c.d, Mask: c.mask, Prefix: c.prefix,
				Q: upload(t, d, dt, qv), K: upload(t, d, dt, kv), V: upload(t, d, dt, vv),
				O: poisoned(t, d, dt, nq), LSE: poisoned(t, d, tensor.F32, c.b*c.h*c.tq)}
			if keep != nil {
				a.Keep = upload(t, d, tensor.U8, keep)
			}
			if err := d.Attention(a); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkClose(t, name+" O", download(t, d, dt, a.O, nq), o.Value.F64(), relTol(dt))
			g := AttentionGradArgs{AttentionArgs: a, GO: upload(t, d, dt, gv),
				DQ: poisoned(t, d, dt, nq), DK: poisoned(t, d, dt, nk), DV: poisoned(t, d, dt, nk)}
			if err := d.AttentionGrad(g); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkClose(t, name+" dQ", download(t, d, dt, g.DQ, nq), q.Grad.F64(), relTol(dt))
			checkClose(t, name+" dK", download(t, d, dt, g.DK, nk), k.Grad.F64(), relTol(dt))
			checkClose(t, name+" dV", download(t, d, dt, g.DV, nk), v.Grad.F64(), relTol(dt))
			// The same mask as an additive float mask [B, 1, Tq, Tk]
			// broadcast over heads (stride 0), instead of padding + kind.
			am := upload(t, d, dt, mask)
			ad := AttentionArgs{DType: dt, B: c.b, H: c.h, Tq: c.tq, Tk: c.tk, D: c.d, Q: a.Q, K: a.K, V: a.V,
				O: poisoned(t, d, dt, nq), LSE: poisoned(t, d, tensor.F32, c.b*c.h*c.tq),
				Add: am, AddL: MaskLayout{Batch: c.tq * c.tk, Head: 0, Row: c.tk, Col: 1}}
			if err := d.Attention(ad); err != nil {
				t.Fatalf("%s additive: %v", name, err)
			}
			checkClose(t, name+" additive O", download(t, d, dt, ad.O, nq), o.Value.F64(), relTol(dt))
			ga := AttentionGradArgs{AttentionArgs: ad, GO: g.GO,
				DQ: poisoned(t, d, dt, nq), DK: poisoned(t, d, dt, nk), DV: poisoned(t, d, dt, nk)}
			if err := d.AttentionGrad(ga); err != nil {
				t.Fatalf("%s additive: %v", name, err)
			}
			checkClose(t, name+" additive dQ", download(t, d, dt, ga.DQ, nq), q.Grad.F64(), relTol(dt))
			checkClose(t, name+" additive dK", download(t, d, dt, ga.DK, nk), k.Grad.F64(), relTol(dt))
			checkClose(t, name+" additive dV", download(t, d, dt, ga.DV, nk), v.Grad.F64(), relTol(dt))
			for _, b := range []*Buffer{a.Q, a.K, a.V, a.O, a.LSE, a.Keep, g.GO, g.DQ, g.DK, g.DV, am, ad.O, ad.LSE, ga.DQ, ga.DK, ga.DV} {
				b.Free()
			}
		}
	}
}

// Strided views: Q, K and V as slices of one fused [B, T, 3, H, D]
// projection, as a fused QKV linear produces them, must give the same
// result as dense copies.
func TestAttentionStridedGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	const B, T, H, D = 2, 21, 4, 32
	dt := tensor.F16
	qkv := randVals(rng, dt, B*T*3*H*D, 1)
	dense := func(which int) []float64 {
		out := make([]float64, B*H*T*D)
		for b := 0; b < B; b++ {
			for h := 0; h < H; h++ {
				for i := 0; i < T; i++ {
					for e := 0; e < D; e++ {
						out[((b*H+h)*T+i)*D+e] = qkv[(((b*T+i)*3+which)*H+h)*D+e]
					}
				}
			}
		}
		return out
	}
	n := B * H * T * D
	ref := AttentionArgs{DType: dt, B: B, H: H, Tq: T, Tk: T, D: D, Mask: MaskCausal,
		Q: upload(t, d, dt, dense(0)), K: upload(t, d, dt, dense(1)), V: upload(t, d, dt, dense(2)), O: poisoned(t, d, dt, n)}
	if err := d.Attention(ref); err != nil {
		t.Fatal(err)
	}
	buf := upload(t, d, dt, qkv)
	l := HeadLayout{Batch: T * 3 * H * D, Head: D, Row: 3 * H * D}
	sub := func(which int) *Buffer { // a view starting `which` blocks in
		return &Buffer{d: d, ptr: buf.ptr + uint64(which*H*D*dt.Size()), size: buf.size - which*H*D*dt.Size()}
	}
	str := AttentionArgs{DType: dt, B: B, H: H, Tq: T, Tk: T, D: D, Mask: MaskCausal,
		Q: sub(0), K: sub(1), V: sub(2), QL: l, KL: l, VL: l, O: poisoned(t, d, dt, n)}
	if err := d.Attention(str); err != nil {
		t.Fatal(err)
	}
	checkClose(t, "strided vs dense", download(t, d, dt, str.O, n), download(t, d, dt, ref.O, n), 0)
}
