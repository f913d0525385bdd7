package autograd

import (
	"fmt"

	"radcap/tensor"
)

// MatMul returns the batched matrix product a · b (torch.matmul for rank >= 2
// operands): a [..., m, k], b [..., k, n], batch dims broadcasting.
func MatMul(a, b *Var) *Var { return MatMulT(a, b, false, false) }

// MatMulT returns op(a) · op(b), where op transposes the last two dims when
// its flag is set (a · bᵀ is MatMulT(a, b, false, true)); no transpose is
// materialised. All products go through tensor.MatMul (SGEMM for float32).
//
//	forward:  C = op(A) op(B)
//	backward: dA = g op(B)ᵀ          (transA: dA = op(B) gᵀ)
//	          dB = op(A)ᵀ g          (transB: dB = gᵀ op(A))
//	          each summed over the batch dims its operand was broadcast in
func MatMulT(a, b *Var, transA, transB bool) *Var {
	av, bv := a.Value, b.Value
	return record("MatMul", tensor.MatMul(av, bv, transA, transB), false, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if a.RequiresGrad {
			if transA {
				ga = tensor.MatMul(bv, g, transB, true)
			} else {
				ga = tensor.MatMul(g, bv, false, !transB)
			}
			ga = unbroadcast(ga, av.Shape())
		}
		if b.RequiresGrad {
			gb = matMulGradB(av, g, bv.Shape(), transA, transB)
		}
		return []*tensor.Tensor{ga, gb}
	}, a, b)
}

// matMulGradB is dB for C = op(A) op(B). When B is one matrix shared by a
// batch of A's (a linear map over [B, T, k]), the batch is folded into the
// rows of a single product instead of summing per-batch products.
func matMulGradB(av, g *tensor.Tensor, bShape []int, transA, transB bool) *tensor.Tensor {
	if len(bShape) == 2 && av.Rank() > 2 && !transA {
		k, n := av.Dim(-1), g.Dim(-1)
		a2, g2 := av.Reshape(-1, k), g.Reshape(-1, n)
		if transB {
			return tensor.MatMul(g2, a2, true, false)
		}
		return tensor.MatMul(a2, g2, true, false)
	}
	var gb *tensor.Tensor
	if transB {
		gb = tensor.MatMul(g, av, true, transA)
	} else {
		gb = tensor.MatMul(av, g, !transA, false)
	}
	return unbroadcast(gb, bShape)
}

// Linear returns x · wᵀ + b, PyTorch's F.linear: x [..., in], w [out, in]
// (stored as nn.Linear stores it), b [out] or nil; the result is [..., out].
//
//	forward:  y = x wᵀ + b
//	backward: dx = g w,  dw = gᵀ x (over all rows),  db = Σ_rows g
func Linear(x, w, b *Var) *Var {
	xv, wv := x.Value, w.Value
	if wv.Rank() != 2 || xv.Rank() < 1 || xv.Dim(-1) != wv.Dim(1) {
		panic(fmt.Sprintf("autograd.Linear: input %v and weight %v (want [..., in] and [out, in])", xv.Shape(), wv.Shape()))
	}
	in, out := wv.Dim(1), wv.Dim(0)
	ysh := append(xv.Shape()[:xv.Rank()-1], out)
	x2 := xv.Reshape(-1, in)
	y := tensor.MatMul(x2, wv, false, true)
	inputs := []*Var{x, w}
	if b != nil {
		bv := b.Value
		if bv.Rank() != 1 || bv.Dim(0) != out {
			panic(fmt.Sprintf("autograd.Linear: bias %v for weight %v (want [%d])", bv.Shape(), wv.Shape(), out))
		}
		sameDType("Linear", y, bv)
		if !y.OnHost() || !bv.OnHost() {
			y = tensor.Add(y, bv) // on a device: a broadcast add, as addRows does
		} else if isF32("Linear", y) {
			addRows(data[float32](y), data[float32](contig(bv)))
		} else {
			addRows(data[float64](y), data[float64](contig(bv)))
		}
		inputs = append(inputs, b)
	}
	return record("Linear", y.Reshape(ysh...), false, func(g *tensor.Tensor) []*tensor.Tensor {
		g2 := g.Reshape(-1, out)
		grads := make([]*tensor.Tensor, len(inputs))
		if x.RequiresGrad {
			grads[0] = tensor.MatMul(g2, wv, false, false).Reshape(xv.Shape()...)
		}
		if w.RequiresGrad {
			grads[1] = tensor.MatMul(g2, x2, true, false)
		}
		if b != nil && b.RequiresGrad {
			grads[2] = sumRows(g2)
		}
		return grads
	}, inputs...)
}

// addRows adds the row vector b to every row of y (len(y) = rows·len(b)).
func addRows[T float](y, b []T) {
	n := len(b)
	if n == 0 {
		return
	}
	parallelFor(len(y)/n, n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := y[r*n : (r+1)*n]
			for j := range row {
				row[j] += b[j]
			}
		}
	})
}

// sumRows returns the column sums of the matrix g [rows, n] as a [n]
// tensor (the bias gradient), accumulated in float64.
func sumRows(g *tensor.Tensor) *tensor.Tensor {
	return tensor.Sum(g, []int{0}, false)
}

// Patchify is the ViT patch embedding: a 2-D convolution whose stride equals
// its kernel size, flattened to a sequence. x is [B, C, H, W], w is
// [D, C, P, P] (as nn.Conv2d stores it), b is [D] or nil. The result is
// [B, (H/P)·(W/P), D] with patches in row-major order, i.e.
// conv2d(x, w, b, stride=P).flatten(2).transpose(1, 2); like conv2d, rows
// or columns beyond the last whole patch are ignored. It runs as im2col
// (a permutation, since patches do not overlap) and one matrix product.
//
//	forward:  cols = im2col(x) [B·N, C·P·P];  y = cols wᵀ + b
//	backward: dcols = g w;  dx = col2im(dcols);  dw = gᵀ cols;  db = Σ_rows g
func Patchify(x, w, b *Var) *Var {
	xv, wv := x.Value, w.Value
	if xv.Rank() != 4 || wv.Rank() != 4 || xv.Dim(1) != wv.Dim(1) || wv.Dim(2) != wv.Dim(3) || wv.Dim(2) == 0 {
		panic(fmt.Sprintf("autograd.Patchify: input %v and weight %v (want [B, C, H, W] and [D, C, P, P])", xv.Shape(), wv.Shape()))
	}
	sameDType("Patchify", xv, wv)
	geo := patchGeom{B: xv.Dim(0), C: xv.Dim(1), H: xv.Dim(2), W: xv.Dim(3), P: wv.Dim(2)}
	geo.Hp, geo.Wp = geo.H/geo.P, geo.W/geo.P
	d := wv.Dim(0)
	floatOn("Patchify", xv)
	dev := !xv.OnHost() || !wv.OnHost() || (b != nil && !b.Value.OnHost())
	f32 := !dev && isF32("Patchify", xv)
	var cols *tensor.Tensor
	switch {
	case dev:
		deviceOf("Patchify", xv, wv)
		cols = patchColsDevice(geo, xv)
	case f32:
		cols = tensor.Zeros(xv.DType(), geo.B*geo.Hp*geo.Wp, geo.C*geo.P*geo.P)
		im2col(geo, data[float32](contig(xv)), data[float32](cols), false)
	default:
		cols = tensor.Zeros(xv.DType(), geo.B*geo.Hp*geo.Wp, geo.C*geo.P*geo.P)
		im2col(geo, data[float64](contig(xv)), data[float64](cols), false)
	}
	w2 := wv.Reshape(d, -1) // [D, C·P·P]
	y := tensor.MatMul(cols, w2, false, true)
	inputs := []*Var{x, w}
	if b != nil {
		if b.Value.Rank() != 1 || b.Value.Dim(0) != d {
			panic(fmt.Sprintf("autograd.Patchify: bias %v for weight %v (want [%d])", b.Value.Shape(), wv.Shape(), d))
		}
		sameDType("Patchify", xv, b.Value)
		if dev {
			y = tensor.Add(y, b.Value)
		} else if f32 {
			addRows(data[float32](y), data[float32](contig(b.Value)))
		} else {
			addRows(data[float64](y), data[float64](contig(b.Value)))
		}
		inputs = append(inputs, b)
	}
	return record("Patchify", y.Reshape(geo.B, geo.Hp*geo.Wp, d), false, func(g *tensor.Tensor) []*tensor.Tensor {
		g2 := g.Reshape(-1, d)
		grads := make([]*tensor.Tensor, len(inputs))
		if x.RequiresGrad {
			dcols := tensor.MatMul(g2, w2, false, false)
			switch {
			case dev:
				grads[0] = patchImageDevice(geo, dcols, xv)
			case f32:
				grads[0] = tensor.Zeros(xv.DType(), xv.Shape()...)
				im2col(geo, data[float32](grads[0]), data[float32](dcols), true)
			default:
				grads[0] = tensor.Zeros(xv.DType(), xv.Shape()...)
				im2col(geo, data[float64](grads[0]), data[float64](dcols), true)
			}
		}
		if w.RequiresGrad {
			grads[1] = tensor.MatMul(g2, cols, true, false).Reshape(wv.Shape()...)
		}
		if b != nil && b.RequiresGrad {
			grads[2] = sumRows(g2)
		}
		return grads
	}, inputs...)
}

// patchGeom is the geometry of a stride-P, kernel-P convolution.
type patchGeom struct{ B, C, H, W, P, Hp, Wp int }

// im2col copies every P×P patch of x [B, C, H, W] into a row of cols
// [B·Hp·Wp, C·P·P] (row b·Hp·Wp + ph·Wp + pw, column c·P·P + py·P + px).
// With back set it runs the other way, writing cols into x (col2im; since
// patches do not overlap this is a plain copy).
func im2col[T float](g patchGeom, x, cols []T, back bool) {
	n := g.Hp * g.Wp
	rowLen := g.C * g.P * g.P
	parallelFor(g.B*n, rowLen, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, p := r/n, r%n
			ph, pw := p/g.Wp, p%g.Wp
			row := cols[r*rowLen : (r+1)*rowLen]
			for c := 0; c < g.C; c++ {
				for py := 0; py < g.P; py++ {
					src := ((bi*g.C+c)*g.H+ph*g.P+py)*g.W + pw*g.P
					dst := (c*g.P + py) * g.P
					if back {
						copy(x[src:src+g.P], row[dst:dst+g.P])
					} else {
						copy(row[dst:dst+g.P], x[src:src+g.P])
					}
				}
			}
		}
	})
}
