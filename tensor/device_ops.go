package tensor

import "fmt"

// The device halves of the exported ops. Each exported op checks its
// operands' shapes and dtypes as before and, when any operand has device
// storage, calls one of these instead of its CPU kernel. They allocate the
// result on the operands' backend, hand the backend operands already
// broadcast to the result's shape (see the Backend conventions) and panic
// on a backend error, naming the op and the device.

// devAny reports whether any of ts lives on a device.
func devAny(ts []*Tensor) bool {
	for _, t := range ts {
		if t != nil && t.dev != nil {
			return true
		}
	}
	return false
}

// devBinary is binary on a device; sh is the broadcast shape.
func devBinary(op BinaryOp, a, b *Tensor, sh []int) *Tensor {
	name := op.String()
	be := backendOf(name, a, b)
	out := emptyLike(be, a.dtype, sh)
	must(name, be, be.Binary(op, out, a.Expand(sh...), b.Expand(sh...)))
	return out
}

// devAddInto is AddInto on a device. dst dims that alias (stride 0, size
// > 1) are all one element, which receives the sum of src over them, so
// src is summed over those dims first and the backend sees no aliasing.
func devAddInto(dst, src *Tensor) {
	be := backendOf("AddInto", dst, src)
	s := src.Expand(dst.shape...)
	var alias []int
	for i, st := range dst.strides {
		if st == 0 && dst.shape[i] > 1 {
			alias = append(alias, i)
		}
	}
	d := dst
	if len(alias) > 0 {
		s = Sum(s, alias, true)
		for _, i := range alias {
			d = d.Narrow(i, 0, 1)
		}
	}
	must("AddInto", be, be.Binary(BinAdd, d, d, s))
}

// devUnary is an element-wise op of one float tensor on a device.
func devUnary(op UnaryOp, a *Tensor, s, t float64) *Tensor {
	if !a.computeFloat() {
		panic(fmt.Sprintf("tensor.%s: dtype %v (need float32, float64, float16 or bfloat16)", op, a.dtype))
	}
	out := emptyLike(a.dev.b, a.dtype, a.shape)
	must(op.String(), a.dev.b, a.dev.b.Unary(op, out, a, s, t))
	return out
}

// devReduce is Sum or Mean on a device.
func devReduce(name string, op ReduceOp, t *Tensor, axes []int, keepdim bool) *Tensor {
	if !t.computeFloat() {
		panic(fmt.Sprintf("tensor.%s: dtype %v (need float32, float64, float16 or bfloat16)", name, t.dtype))
	}
	mask := reduceAxes(name, t, axes)
	out := emptyLike(t.dev.b, t.dtype, reducedShape(t.shape, mask, true))
	must(name, t.dev.b, t.dev.b.Reduce(op, out, t))
	if keepdim {
		return out
	}
	return out.Reshape(reducedShape(t.shape, mask, false)...)
}

// devMax is Max along dim d on a device (shapes checked by Max).
func devMax(t *Tensor, d int, keepdim bool) (values, argmax *Tensor) {
	sh := t.Shape()
	sh[d] = 1
	values = emptyLike(t.dev.b, t.dtype, sh)
	argmax = emptyLike(t.dev.b, I64, sh)
	must("Max", t.dev.b, t.dev.b.ArgMax(values, argmax, t, d))
	if keepdim {
		return values, argmax
	}
	return values.Squeeze(d), argmax.Squeeze(d)
}

// devMatMul is MatMul on a device: it checks the shapes as MatMul does,
// broadcasts the batch dims and copies a matrix operand that is neither
// row- nor column-major.
func devMatMul(a, b *Tensor, transA, transB bool) *Tensor {
	be := backendOf("MatMul", a, b)
	ra, rb := a.Rank(), b.Rank()
	m, k := a.shape[ra-2], a.shape[ra-1]
	if transA {
		m, k = k, m
	}
	k2, n := b.shape[rb-2], b.shape[rb-1]
	if transB {
		k2, n = n, k2
	}
	if k != k2 {
		panic(fmt.Sprintf("tensor.MatMul: shapes %v and %v (transA=%v, transB=%v): inner dims %d and %d differ",
			a.shape, b.shape, transA, transB, k, k2))
	}
	batch, err := BroadcastShapes(a.shape[:ra-2], b.shape[:rb-2])
	if err != nil {
		panic(fmt.Sprintf("tensor.MatMul: batch dims of %v and %v: %v", a.shape, b.shape, err))
	}
	out := emptyLike(be, a.dtype, append(append([]int{}, batch...), m, n))
	if out.Numel() == 0 {
		return out
	}
	if k == 0 {
		must("MatMul", be, be.Fill(out, 0))
		return out
	}
	must("MatMul", be, be.MatMul(out, matOperand(a, batch), matOperand(b, batch), transA, transB))
	return out
}

// matOperand returns t with its batch dims broadcast to batch, copied
// first when its matrices are neither row- nor column-major.
func matOperand(t *Tensor, batch []int) *Tensor {
	r := t.Rank()
	if _, ok := matLayout(t.shape[r-2], t.shape[r-1], t.strides[r-2], t.strides[r-1]); !ok {
		t = t.Clone()
	}
	return t.Expand(append(append([]int{}, batch...), t.shape[r-2:]...)...)
}

// uploadIndex moves checked host indices to b as a 1-D I64 tensor.
func uploadIndex(op string, b Backend, rows []int) *Tensor {
	h := make([]int64, len(rows))
	for i, r := range rows {
		h[i] = int64(r)
	}
	t, err := FromI64(h, len(h)).ToDevice(b.Name())
	if err != nil {
		panic(fmt.Sprintf("tensor.%s: %v", op, err))
	}
	return t
}

// devIndexSelect gathers along dim d on a device; idx is 1-D I64 there.
func devIndexSelect(t *Tensor, d int, idx *Tensor) *Tensor {
	be := backendOf("IndexSelect", t, idx)
	sh := t.Shape()
	sh[d] = idx.Numel()
	out := emptyLike(be, t.dtype, sh)
	must("IndexSelect", be, be.IndexSelect(out, t, d, idx))
	return out
}

// devWhere is Where on a device; sh is the broadcast shape.
func devWhere(mask, a, b *Tensor, sh []int) *Tensor {
	be := backendOf("Where", mask, a, b)
	out := emptyLike(be, a.dtype, sh)
	must("Where", be, be.Where(out, mask.Expand(sh...), a.Expand(sh...), b.Expand(sh...)))
	return out
}

// indexList checks an index tensor for IndexSelectTensor and IndexAddTensor
// and returns it flattened and contiguous.
func indexList(op string, idx *Tensor) *Tensor {
	if idx.dtype != I64 {
		panic(fmt.Sprintf("tensor.%s: index dtype %v (want int64)", op, idx.dtype))
	}
	return idx.Reshape(-1).Contiguous()
}

// hostRows returns the I64 host tensor idx as ints.
func hostRows(idx *Tensor) []int {
	v := idx.I64()
	rows := make([]int, len(v))
	for i, x := range v {
		rows[i] = int(x)
	}
	return rows
}

// IndexSelectTensor is IndexSelect with the indices in an I64 tensor (any
// shape, read in C order) on t's device: the embedding lookup of token ids
// that live on a device. On the host the indices are checked as
// IndexSelect checks them; on a device they are not read from the host, and
// an index out of range gives undefined values (the backend's choice).
func IndexSelectTensor(t *Tensor, dim int, idx *Tensor) *Tensor {
	idx = indexList("IndexSelectTensor", idx)
	if t.dev == nil && idx.dev == nil {
		return IndexSelect(t, dim, hostRows(idx))
	}
	return devIndexSelect(t, t.axis("IndexSelectTensor", dim), idx)
}

// IndexAddTensor is IndexAdd with the indices in an I64 tensor on dst's
// device (see IndexSelectTensor).
func IndexAddTensor(dst *Tensor, dim int, idx, src *Tensor) {
	idx = indexList("IndexAddTensor", idx)
	if dst.dev == nil && src.dev == nil && idx.dev == nil {
		IndexAdd(dst, dim, hostRows(idx), src)
		return
	}
	d := dst.axis("IndexAddTensor", dim)
	floatPair("IndexAddTensor", dst, src)
	want := dst.Shape()
	want[d] = idx.Numel()
	if !sameShape(want, src.shape) {
		panic(fmt.Sprintf("tensor.IndexAddTensor: source shape %v, want %v for dst %v and %d indices", src.shape, want, dst.shape, idx.Numel()))
	}
	be := backendOf("IndexAddTensor", dst, idx, src)
	must("IndexAddTensor", be, be.IndexAdd(dst, d, idx, src))
}
