//go:build cgo

package cuda

import (
	"fmt"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

func TestLayerNormGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	for _, dt := range gpuTypes {
		for _, c := range []struct {
			rows, cols       int
			residual, affine bool
		}{{37, 768, true, true}, {5, 100, false, true}, {64, 33, true, false}, {1, 1024, false, false}} {
			name := fmt.Sprintf("%v/%+v", dt, c)
			n := c.rows * c.cols
			xv, rv := randVals(rng, dt, n, 2), randVals(rng, dt, n, 2)
			wv, bv := randVals(rng, dt, c.cols, 1.5), randVals(rng, dt, c.cols, 0.5)
			dyv, dxv := randVals(rng, dt, n, 1), randVals(rng, dt, n, 1)
			dw0, db0 := randVals(rng, tensor.F32, c.cols, 1), randVals(rng, tensor.F32, c.cols, 1)
			hv := append([]float64(nil), xv...)
			if c.residual {
				for i := range hv {
					hv[i] = round(dt, xv[i]+rv[i]) // the kernel's h is stored in dt
				}
			}
			// Reference: autograd.LayerNorm in float64 on h.
			h := autograd.Param(f64(hv, c.rows, c.cols))
			var w, b *autograd.Var
			if c.affine {
				w, b = autograd.Param(f64(wv, c.cols)), autograd.Param(f64(bv, c.cols))
			}
			tp := autograd.NewTape()
			y := autograd.LayerNorm(h, w, b, 1e-5)
			if err := tp.BackwardWithGrad(y, f64(dyv, c.rows, c.cols)); err != nil {
				t.Fatal(err)
			}

			a := LayerNormArgs{DType: dt, Rows: c.rows, C: c.cols, Eps: 1e-5, X: upload(t, d, dt, xv),
				Y: poisoned(t, d, dt, n), Mean: poisoned(t, d, tensor.F32, c.rows), Rstd: poisoned(t, d, tensor.F32, c.rows)}
			if c.residual {
				a.R, a.H = upload(t, d, dt, rv), poisoned(t, d, dt, n)
			}
			if c.affine {
				a.W, a.B = upload(t, d, dt, wv), upload(t, d, dt, bv)
			}
			if err := d.LayerNorm(a); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkClose(t, name+" y", download(t, d, dt, a.Y, n), y.Value.F64(), relTol(dt))
			hbuf := a.X
			if c.residual {
				checkClose(t, name+" h", download(t, d, dt, a.H, n), hv, 0)
				hbuf = a.H
			}
			g := LayerNormGradArgs{DType: dt, Rows: c.rows, C: c.cols, DY: upload(t, d, dt, dyv), H: hbuf, W: a.W,
				Mean: a.Mean, Rstd: a.Rstd, DExtra: upload(t, d, dt, dxv), DH: poisoned(t, d, dt, n)}
			if c.affine {
				g.DW, g.DB = upload(t, d, tensor.F32, dw0), upload(t, d, tensor.F32, db0)
			}
			if err := d.LayerNormGrad(g); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			wantDH := h.Grad.F64()
			for i := range wantDH {
				wantDH[i] += dxv[i]
			}
			checkClose(t, name+" dh", download(t, d, dt, g.DH, n), wantDH, relTol(dt))
			if c.affine {
				// dw, db accumulate into their previous values, in fp32.
				wantW, wantB := w.Grad.F64(), b.Grad.F64()
				for i := range wantW {
					wantW[i] += dw0[i]
					wantB[i] += db0[i]
				}
				checkClose(t, name+" dw", download(t, d, tensor.F32, g.DW, c.cols), wantW, relTol(dt))
				checkClose(t, name+" db", download(t, d, tensor.F32, g.DB, c.cols), wantB, relTol(dt))
			}
		}
	}
}

func TestGELUGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	ops := map[GELUKind]func(*autograd.Var) *autograd.Var{GELUErf: autograd.GELU, GELUTanh: autograd.GELUTanh, GELUQuick: autograd.QuickGELU}
	for _, dt := range gpuTypes {
		for kind, op := range ops {
			for _, bias := range []bool{true, false} {
				const rows, cols = 41, 300
				name := fmt.Sprintf("%v/kind %d/bias %v", dt, kind, bias)
				n := rows * cols
				xv, bv, dyv := randVals(rng, dt, n, 4), randVals(rng, dt, cols, 1), randVals(rng, dt, n, 1)
				uv := append([]float64(nil), xv...)
				if bias {
					for i := range uv {
						uv[i] = round(dt, xv[i]+bv[i%cols])
					}
				}
				u := autograd.Param(f64(uv, rows, cols))
				tp := autograd.NewTape()
				y := op(u)
				if err := tp.BackwardWithGrad(y, f64(dyv, rows, cols)); err != nil {
					t.Fatal(err)
				}
				a := GELUArgs{DType: dt, Rows: rows, C: cols, Kind: kind, X: upload(t, d, dt, xv), Y: poisoned(t, d, dt, n)}
				if bias {
					a.Bias = upload(t, d, dt, bv)
				}
				if err := d.GELU(a); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				checkClose(t, name+" y", download(t, d, dt, a.Y, n), y.Value.F64(), relTol(dt))
				dx := poisoned(t, d, dt, n)
				if err := d.GELUGrad(a, upload(t, d, dt, dyv), dx); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				du := u.Grad.F64()
				checkClose(t, name+" dx", download(t, d, dt, dx, n), du, relTol(dt))
				// Bias gradient: column sums of dx, accumulated onto db0.
				db0 := randVals(rng, tensor.F32, cols, 1)
				db := upload(t, d, tensor.F32, db0)
				if err := d.SumRows(dx, dt, rows, cols, db); err != nil {
					t.Fatal(err)
				}
				dxr := download(t, d, dt, dx, n)
				want := make([]float64, cols)
				for i, v := range dxr {
					want[i%cols] += v
				}
				for i := range want {
					want[i] += db0[i]
				}
				checkClose(t, name+" db", download(t, d, tensor.F32, db, cols), want, 1e-5)
			}
		}
	}
}

func TestCrossEntropyGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	for _, dt := range gpuTypes {
		for _, c := range []struct {
			n, v      int
			smoothing float64
			ignored   float64 // fraction of ignored rows
		}{{37, 1000, 0, 0.2}, {20, 30522, 0.1, 0.3}, {8, 7, 0.5, 0}, {4, 50, 0.1, 1}} {
			name := fmt.Sprintf("%v/%+v", dt, c)
			xv, dtgt := randVals(rng, dt, c.n*c.v, 6), make([]float64, c.n)
			tg := make([]int64, c.n)
			for i := range tg {
				tg[i] = int64(rng.IntN(c.v))
				if rng.Float64() < c.ignored {
					tg[i] = autograd.IgnoreIndex
				}
				dtgt[i] = float64(tg[i])
			}
			x := autograd.Param(f64(xv, c.n, c.v))
			tp := autograd.NewTape()
			loss := autograd.CrossEntropy(x, tensor.FromI64(tg, c.n), autograd.IgnoreIndex, c.smoothing)
			const g = 1024 // a loss scale
			if err := tp.BackwardWithGrad(loss, tensor.Full(tensor.F64, g)); err != nil {
				t.Fatal(err)
			}
			a := CrossEntropyArgs{DType: dt, N: c.n, V: c.v, Logits: upload(t, d, dt, xv), Targets: upload(t, d, tensor.I64, dtgt),
				Ignore: autograd.IgnoreIndex, Smoothing: float32(c.smoothing), LSE: poisoned(t, d, tensor.F32, c.n), Stats: poisoned(t, d, tensor.F32, 3)}
			if err := d.CrossEntropy(a); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, kept, err := d.LossValue(a.Stats)
			if err != nil {
				t.Fatal(err)
			}
			want := loss.Value.Item()
			wantKept := 0
			for _, v := range tg {
				if v != autograd.IgnoreIndex {
					wantKept++
				}
			}
			if kept != wantKept {
				t.Fatalf("%s: %d rows kept, want %d", name, kept, wantKept)
			}
			if wantKept == 0 {
				if got == got {
					t.Fatalf("%s: all rows ignored, loss %v, want NaN as PyTorch", name, got)
				}
			} else {
				checkClose(t, name+" loss", []float64{float64(got)}, []float64{want}, 1e-5)
			}
			dx := poisoned(t, d, dt, c.n*c.v)
			if err := d.CrossEntropyGrad(a, dx, g); err != nil {
				t.Fatal(err)
			}
			wantDX := x.Grad.F64()
			if wantKept == 0 {
				wantDX = make([]float64, c.n*c.v)
			}
			checkClose(t, name+" dlogits", download(t, d, dt, dx, c.n*c.v), wantDX, relTol(dt))
		}
	}
}

func TestEmbeddingGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	for _, dt := range gpuTypes {
		const n, v, c, pad = 50, 40, 96, 3
		wv, dyv := randVals(rng, dt, v*c, 1), randVals(rng, dt, n*c, 1)
		ids := make([]int64, n)
		idf := make([]float64, n)
		for i := range ids {
			ids[i] = int64(rng.IntN(v / 4)) // many repeats exercise the atomics
			if i%7 == 0 {
				ids[i] = pad
			}
			idf[i] = float64(ids[i])
		}
		w := autograd.Param(f64(wv, v, c))
		tp := autograd.NewTape()
		y := autograd.Embedding(w, tensor.FromI64(ids, n), pad)
		if err := tp.BackwardWithGrad(y, f64(dyv, n, c)); err != nil {
			t.Fatal(err)
		}
		a := EmbeddingArgs{DType: dt, N: n, V: v, C: c, W: upload(t, d, dt, wv), IDs: upload(t, d, tensor.I64, idf), Y: poisoned(t, d, dt, n*c)}
		if err := d.Embedding(a); err != nil {
			t.Fatal(err)
		}
		checkClose(t, fmt.Sprintf("%v y", dt), download(t, d, dt, a.Y, n*c), y.Value.F64(), 0)
		dw0 := randVals(rng, tensor.F32, v*c, 1)
		dw := upload(t, d, tensor.F32, dw0)
		if err := d.EmbeddingGrad(a, upload(t, d, dt, dyv), dw, pad); err != nil {
			t.Fatal(err)
		}
		want := w.Grad.F64()
		for i := range want {
			want[i] += dw0[i]
		}
		checkClose(t, fmt.Sprintf("%v dw", dt), download(t, d, tensor.F32, dw, v*c), want, 1e-5)
	}
}

// An id outside the table gives NaN rows, never a silent read elsewhere.
func TestEmbeddingBadIDGPU(t *testing.T) {
	d := openGPU(t)
	a := EmbeddingArgs{DType: tensor.F32, N: 2, V: 3, C: 4, W: upload(t, d, tensor.F32, make([]float64, 12)),
		IDs: upload(t, d, tensor.I64, []float64{1, 3}), Y: poisoned(t, d, tensor.F32, 8)}
	if err := d.Embedding(a); err != nil {
		t.Fatal(err)
	}
	y := download(t, d, tensor.F32, a.Y, 8)
	for i, v := range y {
		if (i < 4) != (v == 0) || (i >= 4 && v == v) {
			t.Fatalf("row %d element %v: want 0 for id 1, NaN for id 3 (out of range)", i/4, v)
		}
	}
}
