//go:build cgo

package cuda

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"
	"unsafe"

	"radcap/tensor"
)

// BackendName is the device name of the CUDA backend ("--device cuda").
const BackendName = "cuda"

// Backend is tensor.Backend (and autograd's fused interfaces) on one
// Device: tensors on it hold *Buffer handles from the caching allocator,
// element-wise ops, reductions and copies run the strided kernels, MatMul
// runs cuBLASLt when it is loaded and radcap's kernels otherwise.
// Register makes it the "cuda" device.
type Backend struct {
	d *Device
	// noLt makes MatMul use radcap's kernels even when cuBLASLt is loaded.
	noLt bool
}

// Register registers d's backend with package tensor under "cuda" (once
// per Device; registering the same Device again returns the same
// backend). cmd/radcap calls it for --device cuda.
func Register(d *Device) (*Backend, error) {
	d.closeMu.Lock()
	if d.backend == nil {
		d.backend = &Backend{d: d}
	}
	b := d.backend
	d.closeMu.Unlock()
	if err := tensor.RegisterBackend(b); err != nil {
		return nil, fmt.Errorf("cuda: %w", err)
	}
	return b, nil
}

// Device returns the backend's device.
func (b *Backend) Device() *Device { return b.d }

// Name is "cuda".
func (b *Backend) Name() string { return BackendName }

// allocRetries is how often Alloc runs the garbage collector (whose
// cleanups free unreachable tensors' buffers) before reporting out of
// memory.
const allocRetries = 3

// Alloc returns a buffer for n elements of dt. When the device is out of
// memory it runs the garbage collector, so that unreachable tensors give
// their buffers back, and tries again.
func (b *Backend) Alloc(dt tensor.DType, n int) (tensor.Handle, error) {
	size := n * dt.Size()
	var err error
	for try := 0; ; try++ {
		var buf *Buffer
		if buf, err = b.d.Alloc(size); err == nil {
			return buf, nil
		}
		if try == allocRetries {
			return nil, err
		}
		runtime.GC()
		time.Sleep(time.Duration(10*(try+1)) * time.Millisecond) // let the cleanups run
	}
}

// Free returns a handle's buffer to the allocator.
func (b *Backend) Free(h tensor.Handle) {
	if buf, ok := h.(*Buffer); ok {
		_ = buf.Free() // nothing to report to: Free runs from a GC cleanup
	}
}

// hostBytes views a host storage slice as bytes (no copy).
func hostBytes(s any) ([]byte, error) {
	var p unsafe.Pointer
	var n int
	switch v := s.(type) {
	case []float32:
		p, n = unsafe.Pointer(unsafe.SliceData(v)), 4*len(v)
	case []float64:
		p, n = unsafe.Pointer(unsafe.SliceData(v)), 8*len(v)
	case []uint16:
		p, n = unsafe.Pointer(unsafe.SliceData(v)), 2*len(v)
	case []int64:
		p, n = unsafe.Pointer(unsafe.SliceData(v)), 8*len(v)
	case []int32:
		p, n = unsafe.Pointer(unsafe.SliceData(v)), 4*len(v)
	case []uint8:
		p, n = unsafe.Pointer(unsafe.SliceData(v)), len(v)
	default:
		return nil, fmt.Errorf("cuda: host storage of type %T", s)
	}
	if n == 0 {
		return nil, nil
	}
	return unsafe.Slice((*byte)(p), n), nil
}

// buffer returns a handle's buffer.
func buffer(h tensor.Handle) (*Buffer, error) {
	buf, ok := h.(*Buffer)
	if !ok || buf == nil {
		return nil, fmt.Errorf("cuda: handle of type %T is not a cuda buffer", h)
	}
	return buf, nil
}

// Upload copies a whole host storage slice into h.
func (b *Backend) Upload(dst tensor.Handle, src any) error {
	buf, err := buffer(dst)
	if err != nil {
		return err
	}
	raw, err := hostBytes(src)
	if err != nil {
		return err
	}
	return b.d.Upload(buf, 0, raw)
}

// Download copies h into a host storage slice and waits for it.
func (b *Backend) Download(dst any, src tensor.Handle) error {
	buf, err := buffer(src)
	if err != nil {
		return err
	}
	raw, err := hostBytes(dst)
	if err != nil {
		return err
	}
	return b.d.Download(raw, buf, 0)
}

// view is t as the kernels see it.
func view(t *tensor.Tensor) (View, error) {
	buf, err := buffer(t.Handle())
	if err != nil {
		return View{}, err
	}
	return View{Buf: buf, DType: t.DType(), Shape: t.Shape(), Strides: t.Strides(), Offset: t.Offset()}, nil
}

// views converts several tensors.
func views(ts ...*tensor.Tensor) ([]View, error) {
	out := make([]View, len(ts))
	for i, t := range ts {
		v, err := view(t)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Copy copies src's elements into dst bit for bit.
func (b *Backend) Copy(dst, src *tensor.Tensor) error {
	v, err := views(dst, src)
	if err != nil {
		return err
	}
	return b.d.CopyView(v[0], v[1])
}

// Cast converts src's elements into dst's dtype (tensor.To's rules).
func (b *Backend) Cast(dst, src *tensor.Tensor) error {
	v, err := views(dst, src)
	if err != nil {
		return err
	}
	return b.d.CastView(v[0], v[1])
}

// fillBits is the bit pattern of v stored as dt, converted on the host
// exactly as tensor.Full converts it.
func fillBits(dt tensor.DType, v float64) (uint64, error) {
	h := tensor.Full(dt, v, 1)
	switch dt {
	case tensor.F32:
		return uint64(math.Float32bits(h.F32()[0])), nil
	case tensor.F64:
		return math.Float64bits(h.F64()[0]), nil
	case tensor.F16, tensor.BF16:
		return uint64(h.U16()[0]), nil
	case tensor.I64:
		return uint64(h.I64()[0]), nil
	case tensor.I32:
		return uint64(uint32(h.I32()[0])), nil
	case tensor.U8, tensor.Bool:
		return uint64(h.U8()[0]), nil
	}
	return 0, fmt.Errorf("cuda: Fill: dtype %v", dt)
}

// Fill sets every element of dst to v.
func (b *Backend) Fill(dst *tensor.Tensor, v float64) error {
	bits, err := fillBits(dst.DType(), v)
	if err != nil {
		return err
	}
	y, err := view(dst)
	if err != nil {
		return err
	}
	return b.d.FillBits(y, bits)
}

// unaryMap translates a tensor.UnaryOp and its scalars into a kernel op.
func unaryMap(op tensor.UnaryOp, s, t float64) (UnaryOp, float32, float32, error) {
	switch op {
	case tensor.UnNeg:
		return UnaryNeg, 0, 0, nil
	case tensor.UnExp:
		return UnaryExp, 0, 0, nil
	case tensor.UnLog:
		return UnaryLog, 0, 0, nil
	case tensor.UnSqrt:
		return UnarySqrt, 0, 0, nil
	case tensor.UnRsqrt:
		return UnaryRsqrt, 0, 0, nil
	case tensor.UnTanh:
		return UnaryTanh, 0, 0, nil
	case tensor.UnSigmoid:
		return UnarySigmoid, 0, 0, nil
	case tensor.UnErf:
		return UnaryErf, 0, 0, nil
	case tensor.UnAbs:
		return UnaryAbs, 0, 0, nil
	case tensor.UnSquare:
		return UnarySquare, 0, 0, nil
	case tensor.UnAddScalar:
		return UnaryAffine, 1, float32(s), nil
	case tensor.UnMulScalar:
		return UnaryAffine, float32(s), 0, nil
	case tensor.UnPowScalar:
		return UnaryPow, float32(s), 0, nil
	case tensor.UnClamp:
		return UnaryClamp, float32(s), float32(t), nil
	}
	return 0, 0, 0, fmt.Errorf("cuda: unary op %v", op)
}

// Unary computes dst = op(src).
func (b *Backend) Unary(op tensor.UnaryOp, dst, src *tensor.Tensor, s, t float64) error {
	k, p0, p1, err := unaryMap(op, s, t)
	if err != nil {
		return err
	}
	v, err := views(dst, src)
	if err != nil {
		return err
	}
	return b.d.Unary(k, v[0], v[1], p0, p1)
}

// binaryMap translates a tensor.BinaryOp into a kernel op.
func binaryMap(op tensor.BinaryOp) (BinaryOp, error) {
	switch op {
	case tensor.BinAdd:
		return BinaryAdd, nil
	case tensor.BinSub:
		return BinarySub, nil
	case tensor.BinMul:
		return BinaryMul, nil
	case tensor.BinDiv:
		return BinaryDiv, nil
	case tensor.BinMaximum:
		return BinaryMax, nil
	case tensor.BinMinimum:
		return BinaryMin, nil
	case tensor.BinGreater:
		return BinaryGreater, nil
	case tensor.BinLess:
		return BinaryLess, nil
	case tensor.BinEqual:
		return BinaryEqual, nil
	}
	return 0, fmt.Errorf("cuda: binary op %v", op)
}

// Binary computes dst = op(a, b).
func (b *Backend) Binary(op tensor.BinaryOp, dst, x, y *tensor.Tensor) error {
	k, err := binaryMap(op)
	if err != nil {
		return err
	}
	v, err := views(dst, x, y)
	if err != nil {
		return err
	}
	return b.d.Binary(k, v[0], v[1], v[2], 0)
}

// Where computes dst = mask ? a : b.
func (b *Backend) Where(dst, mask, x, y *tensor.Tensor) error {
	v, err := views(dst, mask, x, y)
	if err != nil {
		return err
	}
	return b.d.Where(v[0], v[1], v[2], v[3])
}

// Reduce sums or averages src over the dims where dst has size 1.
func (b *Backend) Reduce(op tensor.ReduceOp, dst, src *tensor.Tensor) error {
	v, err := views(dst, src)
	if err != nil {
		return err
	}
	axes, err := reduceAxesOf(dst.Shape(), src.Shape())
	if err != nil {
		return err
	}
	if len(axes) == 0 { // nothing reduced (every reduced dim has size 1)
		return b.d.CopyView(v[0], v[1])
	}
	count := 1
	for _, a := range axes {
		count *= src.Dim(a)
	}
	alpha := float32(1)
	if op == tensor.ReduceMean {
		alpha = float32(1 / float64(count)) // +Inf·0 = NaN for an empty mean
		if count == 0 {
			alpha = float32(math.NaN())
		}
	}
	return b.d.Reduce(ReduceArgs{Op: ReduceSum, X: v[1], Y: v[0], Axes: axes, Alpha: alpha})
}

// ArgMax writes the maximum along axis and its first index.
func (b *Backend) ArgMax(values, indices, src *tensor.Tensor, axis int) error {
	v, err := views(values, indices, src)
	if err != nil {
		return err
	}
	if !indices.IsContiguous() {
		return errors.New("cuda: ArgMax: indices must be contiguous")
	}
	arg := v[1].Buf.at(indices.Offset(), tensor.I64)
	return b.d.Reduce(ReduceArgs{Op: ReduceMax, X: v[2], Y: v[0], Axes: []int{axis}, Arg: arg})
}

// at returns a buffer that starts off elements of dt into b (a window for
// kernel arguments; it must not be freed).
func (b *Buffer) at(off int, dt tensor.DType) *Buffer {
	o := off * dt.Size()
	return &Buffer{d: b.d, ptr: b.ptr + uint64(o), size: b.size - o}
}

// MatMul computes the batched product dst = op(a)·op(b).
func (b *Backend) MatMul(dst, x, y *tensor.Tensor, transA, transB bool) error {
	v, err := views(dst, x, y)
	if err != nil {
		return err
	}
	dt := dst.DType()
	if dt != tensor.F32 && dt != tensor.F16 && dt != tensor.BF16 {
		return fmt.Errorf("cuda: MatMul: dtype %v (want f32, f16 or bf16)", dt)
	}
	p, err := planMatMul(layoutOf(dst), layoutOf(x), layoutOf(y), transA, transB)
	if err != nil {
		return err
	}
	if p.k == 0 {
		return b.d.FillBits(v[0], 0)
	}
	for _, l := range p.launches {
		a := MatMulArgs{In: dt, Out: dt, M: p.m, N: p.n, K: p.k, TransA: p.transA, TransB: p.transB,
			LdA: p.lda, LdB: p.ldb, LdC: p.ldc, Batch: l.batch, StrideA: l.sA, StrideB: l.sB, StrideC: l.sC, Alpha: 1,
			A: v[1].Buf.at(l.offA, dt), B: v[2].Buf.at(l.offB, dt), C: v[0].Buf.at(l.offC, dt)}
		if a.Batch > 1 && a.StrideC == 0 {
			return fmt.Errorf("cuda: MatMul: dst %v written twice", dst.Shape())
		}
		if b.d.HasCublasLt() && !b.noLt {
			if err := b.d.MatMulLt(a); err == nil {
				continue
			}
			// cuBLASLt declined (an alignment or a layout it has no
			// algorithm for): radcap's kernel takes every layout.
		}
		if err := b.d.MatMul(a); err != nil {
			return err
		}
	}
	return nil
}

// IndexSelect gathers src's slices along dim at idx into dst.
func (b *Backend) IndexSelect(dst, src *tensor.Tensor, dim int, idx *tensor.Tensor) error {
	v, err := views(dst, src, idx)
	if err != nil {
		return err
	}
	return b.d.Gather(v[0], v[1], dim, v[2].Buf.at(idx.Offset(), tensor.I64))
}

// IndexAdd adds src's slices into dst along dim at idx (f32).
func (b *Backend) IndexAdd(dst *tensor.Tensor, dim int, idx, src *tensor.Tensor) error {
	v, err := views(dst, src, idx)
	if err != nil {
		return err
	}
	return b.d.IndexAdd(v[0], v[1], dim, v[2].Buf.at(idx.Offset(), tensor.I64))
}
