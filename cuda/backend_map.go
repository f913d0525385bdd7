package cuda

import (
	"fmt"

	"radcap/tensor"
)

// This file maps tensors' shapes and strides onto the kernels' arguments
// for the tensor backend (backend.go). It needs no GPU, so it is tested on
// any machine.

// layoutOf is t's view as the kernels see it.
func layoutOf(t *tensor.Tensor) strided {
	return strided{shape: t.Shape(), strides: t.Strides(), offset: t.Offset()}
}

// orient says how a stored matrix of r×c elements with strides (sr, sc)
// is passed to a row-major matmul kernel: as stored (row-major, leading
// dimension sr) or, when it is column-major, as the row-major storage of
// its transpose (leading dimension sc), which flips the operation's
// transpose flag. ok is false when it is neither.
func orient(r, c, sr, sc int, trans bool) (flip bool, ld int, ok bool) {
	if (sc == 1 || c == 1) && (r == 1 || sr >= c) {
		ld = c
		if r > 1 {
			ld = sr
		}
		return trans, ld, true
	}
	if (sr == 1 || r == 1) && (c == 1 || sc >= r) {
		ld = r
		if c > 1 {
			ld = sc
		}
		return !trans, ld, true
	}
	return trans, 0, false
}

// mmPlan is a batched product as kernel launches: the matrices' shape and
// (effective) transposes and leading dimensions, then one launch per
// group of batch items that one batch stride per operand reaches.
type mmPlan struct {
	m, n, k        int
	transA, transB bool
	lda, ldb, ldc  int
	launches       []mmLaunch
}

// mmLaunch is one kernel launch: element offsets of the first matrices,
// the batch count and each operand's batch stride (0 broadcasts).
type mmLaunch struct {
	offA, offB, offC int
	batch            int
	sA, sB, sC       int
}

// maxBatch is the most batch items one launch takes (the grid's z).
const maxBatch = 65535

// planMatMul plans dst = op(a)·op(b) as tensor.Backend.MatMul hands it
// over: equal ranks ≥ 2, a's and b's batch dims broadcast to dst's.
func planMatMul(dst, a, b strided, transA, transB bool) (mmPlan, error) {
	r := len(dst.shape)
	if r < 2 || len(a.shape) != r || len(b.shape) != r {
		return mmPlan{}, fmt.Errorf("cuda: MatMul: ranks of %v, %v, %v", dst.shape, a.shape, b.shape)
	}
	ast, bst, cst := a.stridesOf(), b.stridesOf(), dst.stridesOf()
	p := mmPlan{m: dst.shape[r-2], n: dst.shape[r-1]}
	ar, ac := a.shape[r-2], a.shape[r-1]
	br, bc := b.shape[r-2], b.shape[r-1]
	p.k = ac
	if transA {
		p.k = ar
	}
	var ok bool
	if p.transA, p.lda, ok = orient(ar, ac, ast[r-2], ast[r-1], transA); !ok {
		return mmPlan{}, fmt.Errorf("cuda: MatMul: a %v with strides %v is neither row- nor column-major", a.shape, ast)
	}
	if p.transB, p.ldb, ok = orient(br, bc, bst[r-2], bst[r-1], transB); !ok {
		return mmPlan{}, fmt.Errorf("cuda: MatMul: b %v with strides %v is neither row- nor column-major", b.shape, bst)
	}
	if cst[r-1] != 1 && p.n > 1 || p.m > 1 && cst[r-2] < p.n {
		return mmPlan{}, fmt.Errorf("cuda: MatMul: dst %v with strides %v is not row-major", dst.shape, cst)
	}
	p.ldc = p.n
	if p.m > 1 {
		p.ldc = cst[r-2]
	}
	bs := dst.shape[:r-2]
	for i := range bs {
		if a.shape[i] != bs[i] || b.shape[i] != bs[i] {
			return mmPlan{}, fmt.Errorf("cuda: MatMul: batch dims of %v and %v not expanded to %v", a.shape, b.shape, dst.shape)
		}
	}
	shape, st := mergeDims(bs, [][]int{ast[:r-2], bst[:r-2], cst[:r-2]})
	inner, sa, sb, sc := 1, 0, 0, 0
	if len(shape) > 0 {
		last := len(shape) - 1
		inner, sa, sb, sc = shape[last], st[0][last], st[1][last], st[2][last]
		shape = shape[:last]
	}
	outer := 1
	for _, d := range shape {
		outer *= d
	}
	if sc == 0 && inner > 1 {
		return mmPlan{}, fmt.Errorf("cuda: MatMul: dst %v has a stride-0 batch dim", dst.shape)
	}
	for o := 0; o < outer; o++ {
		off := peelOffsets(shape, st, []int{a.offset, b.offset, dst.offset}, o)
		for z := 0; z < inner; z += maxBatch {
			p.launches = append(p.launches, mmLaunch{offA: off[0] + z*sa, offB: off[1] + z*sb, offC: off[2] + z*sc,
				batch: min(maxBatch, inner-z), sA: sa, sB: sb, sC: sc})
		}
	}
	return p, nil
}

// peelOffsets returns each operand's offset for linear index i over shape
// (C order), as the kernels' ew_offsets computes it.
func peelOffsets(shape []int, strides [][]int, offs []int, i int) []int {
	o := append([]int(nil), offs...)
	for d := len(shape) - 1; d >= 0; d-- {
		r := i % shape[d]
		i /= shape[d]
		for k := range o {
			o[k] += r * strides[k][d]
		}
	}
	return o
}

// attnPlan maps q [..., Tq, D], k, v [..., Tk, D] and an optional additive
// mask [..., Tq, Tk] onto the fused kernels' [B, H, T, D] layout.
type attnPlan struct {
	b, h, tq, tk, d int
	q, k, v         HeadLayout
	qOff, kOff      int
	vOff            int
	mask            MaskLayout
	maskOff         int
	outShape        []int
}

// planAttention returns ok = false (and a reason) for operands the kernels
// do not take: head dims other than D ≤ 128 shared by q, k and v, a last
// dim that is not contiguous, or batch dims that do not fold into two.
func planAttention(q, k, v strided, mask *strided) (p attnPlan, reason string) {
	r := len(q.shape)
	if r < 2 || len(k.shape) != r || len(v.shape) != r || (mask != nil && len(mask.shape) != r) {
		return p, "ranks differ or below 2"
	}
	p.tq, p.tk, p.d = q.shape[r-2], k.shape[r-2], q.shape[r-1]
	if k.shape[r-1] != p.d || v.shape[r-1] != p.d || v.shape[r-2] != p.tk {
		return p, fmt.Sprintf("q %v, k %v, v %v: one head dim for q, k and v needed", q.shape, k.shape, v.shape)
	}
	if p.d < 1 || p.d > 128 || p.tq < 1 || p.tk < 1 {
		return p, fmt.Sprintf("head dim %d (at most 128), Tq %d, Tk %d", p.d, p.tq, p.tk)
	}
	qs, ks, vs := q.stridesOf(), k.stridesOf(), v.stridesOf()
	if qs[r-1] != 1 || ks[r-1] != 1 || vs[r-1] != 1 {
		return p, "a last dim is not contiguous"
	}
	all := [][]int{qs[:r-2], ks[:r-2], vs[:r-2]}
	offs := []int{q.offset, k.offset, v.offset}
	var ms []int
	if mask != nil {
		ms = mask.stridesOf()
		all = append(all, ms[:r-2])
		offs = append(offs, mask.offset)
	}
	batch := q.shape[:r-2]
	for i := range batch {
		if k.shape[i] != batch[i] || v.shape[i] != batch[i] || (mask != nil && mask.shape[i] != batch[i]) {
			return p, "batch dims differ"
		}
	}
	shape, st := mergeDims(batch, all)
	if len(shape) > 2 {
		return p, fmt.Sprintf("batch dims %v do not fold into two", batch)
	}
	for len(shape) < 2 {
		shape = append([]int{1}, shape...)
		for i := range st {
			st[i] = append([]int{0}, st[i]...)
		}
	}
	p.b, p.h = shape[0], shape[1]
	p.q = HeadLayout{Batch: st[0][0], Head: st[0][1], Row: qs[r-2]}
	p.k = HeadLayout{Batch: st[1][0], Head: st[1][1], Row: ks[r-2]}
	p.v = HeadLayout{Batch: st[2][0], Head: st[2][1], Row: vs[r-2]}
	p.qOff, p.kOff, p.vOff = offs[0], offs[1], offs[2]
	// The gradients are written through the inputs' layouts, so no input
	// may be broadcast (stride 0) over a batch dim, and rows must not
	// overlap; a single row may carry any stride.
	for i, c := range []struct {
		l *HeadLayout
		t int
	}{{&p.q, p.tq}, {&p.k, p.tk}, {&p.v, p.tk}} {
		if (p.b > 1 && c.l.Batch == 0) || (p.h > 1 && c.l.Head == 0) {
			return p, fmt.Sprintf("operand %d is broadcast over a batch dim", i)
		}
		if c.l.Row < p.d {
			if c.t > 1 {
				return p, fmt.Sprintf("operand %d has overlapping rows (stride %d, head dim %d)", i, c.l.Row, p.d)
			}
			c.l.Row = p.d
		}
	}
	if mask != nil {
		p.mask = MaskLayout{Batch: st[3][0], Head: st[3][1], Row: ms[r-2], Col: ms[r-1]}
		p.maskOff = offs[3]
	}
	p.outShape = append(append([]int(nil), batch...), p.tq, p.d)
	return p, ""
}

// HeadLayout gives the element strides of a [B, H, T, D] view whose last
// dim is contiguous; the zero value means dense.
type HeadLayout struct{ Batch, Head, Row int }

// MaskLayout gives the element strides of an additive mask [B, H, Tq, Tk].
type MaskLayout struct{ Batch, Head, Row, Col int }

// reduceAxesOf lists the dims where dst (keepdim shape) is 1 and src is not.
func reduceAxesOf(dst, src []int) ([]int, error) {
	if len(dst) != len(src) {
		return nil, fmt.Errorf("cuda: Reduce: dst %v and src %v ranks differ", dst, src)
	}
	axes := []int{}
	for i := range dst {
		switch {
		case dst[i] == src[i]:
		case dst[i] == 1:
			axes = append(axes, i)
		default:
			return nil, fmt.Errorf("cuda: Reduce: dst %v is not a keepdim reduction of %v", dst, src)
		}
	}
	return axes, nil
}
