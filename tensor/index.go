package tensor

import "fmt"

// IndexSelect gathers the entries idx of dimension dim into a new contiguous
// tensor whose dim has size len(idx) (an embedding lookup is
// IndexSelect(table, 0, ids)). Indices may repeat; negative indices count
// from the end. Any dtype works.
func IndexSelect(t *Tensor, dim int, idx []int) *Tensor {
	d := t.axis("IndexSelect", dim)
	sh := t.Shape()
	sh[d] = len(idx)
	size := t.shape[d]
	rows := make([]int, len(idx))
	for i, j := range idx {
		if j < 0 {
			j += size
		}
		if j < 0 || j >= size {
			panic(fmt.Sprintf("tensor.IndexSelect: index %d out of range for dim %d of shape %v", idx[i], dim, t.shape))
		}
		rows[i] = j
	}
	if t.dev != nil {
		return devIndexSelect(t, d, uploadIndex("IndexSelect", t.dev.b, rows))
	}
	out := Zeros(t.dtype, sh...)
	if d == 0 && t.IsContiguous() {
		// Rows of a contiguous table are slices: copy them directly.
		row := 1
		for _, s := range t.shape[1:] {
			row *= s
		}
		switch o := out.data.(type) {
		case []float32:
			gatherRows(o, t.data.([]float32), t.offset, row, rows)
		case []float64:
			gatherRows(o, t.data.([]float64), t.offset, row, rows)
		case []uint16:
			gatherRows(o, t.data.([]uint16), t.offset, row, rows)
		case []int64:
			gatherRows(o, t.data.([]int64), t.offset, row, rows)
		case []int32:
			gatherRows(o, t.data.([]int32), t.offset, row, rows)
		case []uint8:
			gatherRows(o, t.data.([]uint8), t.offset, row, rows)
		}
		return out
	}
	for i, j := range rows {
		out.Select(d, i).CopyFrom(t.Select(d, j))
	}
	return out
}

// gatherRows copies rows[i] of the row-major table src (rows of length row,
// starting at off) to row i of dst.
func gatherRows[E any](dst, src []E, off, row int, rows []int) {
	for i, j := range rows {
		copy(dst[i*row:(i+1)*row], src[off+j*row:off+(j+1)*row])
	}
}

// IndexAdd adds src's entries along dim into dst at positions idx, in place:
// dst[..., idx[i], ...] += src[..., i, ...]. Repeated indices accumulate (the
// backward of IndexSelect). dst and src must be F32 or F64 of one dtype, with
// src's dim of size len(idx) and all other dims equal to dst's.
func IndexAdd(dst *Tensor, dim int, idx []int, src *Tensor) {
	d := dst.axis("IndexAdd", dim)
	floatPair("IndexAdd", dst, src)
	want := dst.Shape()
	want[d] = len(idx)
	if !sameShape(want, src.shape) {
		panic(fmt.Sprintf("tensor.IndexAdd: source shape %v, want %v for dst %v and %d indices", src.shape, want, dst.shape, len(idx)))
	}
	size := dst.shape[d]
	rows := make([]int, len(idx))
	for i, j := range idx {
		if j < 0 {
			j += size
		}
		if j < 0 || j >= size {
			panic(fmt.Sprintf("tensor.IndexAdd: index %d out of range for dim %d of shape %v", idx[i], dim, dst.shape))
		}
		rows[i] = j
	}
	if dst.dev != nil || src.dev != nil {
		b := backendOf("IndexAdd", dst, src)
		must("IndexAdd", b, b.IndexAdd(dst, d, uploadIndex("IndexAdd", b, rows), src))
		return
	}
	for i, j := range rows {
		AddInto(dst.Select(d, j), src.Select(d, i))
	}
}

// Where returns a new tensor taking a's element where mask is nonzero and
// b's elsewhere. mask (any dtype), a and b broadcast together; a and b must
// share the dtype F32 or F64.
func Where(mask, a, b *Tensor) *Tensor {
	floatPair("Where", a, b)
	sh, err := BroadcastShapes(a.shape, b.shape)
	if err == nil {
		sh, err = BroadcastShapes(sh, mask.shape)
	}
	if err != nil {
		panic(fmt.Sprintf("tensor.Where: mask %v, a %v and b %v do not broadcast", mask.shape, a.shape, b.shape))
	}
	if mask.dev != nil || a.dev != nil || b.dev != nil {
		return devWhere(mask, a, b, sh)
	}
	m := mask.nonzero()
	out := Zeros(a.dtype, sh...)
	strides := [][]int{out.strides, broadcastStrides(a, sh), broadcastStrides(b, sh), broadcastStrides(m, sh)}
	offs := []int{0, a.offset, b.offset, m.offset}
	md := m.data.([]uint8)
	switch o := out.data.(type) {
	case []float32:
		whereRows(o, a.data.([]float32), b.data.([]float32), md, sh, strides, offs)
	case []float64:
		whereRows(o, a.data.([]float64), b.data.([]float64), md, sh, strides, offs)
	}
	return out
}

func whereRows[T float](o, x, y []T, m []uint8, sh []int, strides [][]int, offs []int) {
	forEachRow(sh, strides, offs, func(offs []int, n int, in []int) {
		i, ia, ib, im := offs[0], offs[1], offs[2], offs[3]
		for k := 0; k < n; k++ {
			if m[im] != 0 {
				o[i] = x[ia]
			} else {
				o[i] = y[ib]
			}
			i += in[0]
			ia += in[1]
			ib += in[2]
			im += in[3]
		}
	})
}

// nonzero returns a Bool tensor of t's shape: 1 where t's element is nonzero
// (NaN counts as nonzero).
func (t *Tensor) nonzero() *Tensor {
	if t.dtype == Bool {
		return t
	}
	out := Zeros(Bool, t.shape...)
	o := out.data.([]uint8)
	idx := make([]int, len(t.shape))
	for i := range o {
		if t.loadAt(t.offsetOf(idx)) != 0 {
			o[i] = 1
		}
		incIndex(idx, t.shape)
	}
	return out
}

// MaskedFill returns a copy of t (F32 or F64) with v wherever mask is
// nonzero; mask (any dtype) must broadcast to t's shape.
func MaskedFill(t, mask *Tensor, v float64) *Tensor {
	sh, err := BroadcastShapes(t.shape, mask.shape)
	if err != nil || !sameShape(sh, t.shape) {
		panic(fmt.Sprintf("tensor.MaskedFill: mask shape %v does not broadcast to %v", mask.shape, t.shape))
	}
	if !t.computeFloat() {
		panic(fmt.Sprintf("tensor.MaskedFill: dtype %v (need float32 or float64)", t.dtype))
	}
	return Where(mask, FullOn(t.Device(), t.dtype, v), t)
}
