package tensor

import "fmt"

// offsetOf returns the storage index of the element at idx (no bounds check
// beyond what the caller did).
func (t *Tensor) offsetOf(idx []int) int {
	off := t.offset
	for i, v := range idx {
		off += v * t.strides[i]
	}
	return off
}

// checkedOffset validates idx against the shape and returns its storage index.
func (t *Tensor) checkedOffset(op string, idx []int) int {
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("tensor.%s: %d indices for shape %v", op, len(idx), t.shape))
	}
	off := t.offset
	for i, v := range idx {
		if v < 0 {
			v += t.shape[i]
		}
		if v < 0 || v >= t.shape[i] {
			panic(fmt.Sprintf("tensor.%s: index %v out of range for shape %v", op, idx, t.shape))
		}
		off += v * t.strides[i]
	}
	return off
}

// loadAt reads storage element i as a float64.
func (t *Tensor) loadAt(i int) float64 {
	switch d := t.data.(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	case []uint16:
		if t.dtype == BF16 {
			return float64(BF16ToF32(d[i]))
		}
		return float64(F16ToF32(d[i]))
	case []int64:
		return float64(d[i])
	case []int32:
		return float64(d[i])
	case []uint8:
		return float64(d[i])
	}
	panic("tensor: invalid storage")
}

// storeAt writes v, converted to the tensor's dtype, to storage element i.
func (t *Tensor) storeAt(i int, v float64) {
	switch d := t.data.(type) {
	case []float32:
		d[i] = float32(v)
	case []float64:
		d[i] = v
	case []uint16:
		d[i] = f64ToHalf(t.dtype, v)
	case []int64:
		d[i] = int64(v)
	case []int32:
		d[i] = int32(v)
	case []uint8:
		d[i] = toU8(t.dtype, v)
	}
}

// f64ToHalf converts through float32 (as PyTorch does) to F16 or BF16 bits.
func f64ToHalf(dt DType, v float64) uint16 {
	if dt == BF16 {
		return F32ToBF16(float32(v))
	}
	return F32ToF16(float32(v))
}

// toU8 converts v to a uint8 (or a 0/1 bool).
func toU8(dt DType, v float64) uint8 {
	if dt == Bool {
		if v != 0 {
			return 1
		}
		return 0
	}
	return uint8(int64(v))
}

// fillStorage sets every element of a storage slice to v converted to dt.
func fillStorage(data any, dt DType, v float64) {
	switch d := data.(type) {
	case []float32:
		fillSlice(d, float32(v))
	case []float64:
		fillSlice(d, v)
	case []uint16:
		fillSlice(d, f64ToHalf(dt, v))
	case []int64:
		fillSlice(d, int64(v))
	case []int32:
		fillSlice(d, int32(v))
	case []uint8:
		fillSlice(d, toU8(dt, v))
	}
}

func fillSlice[E any](s []E, v E) {
	for i := range s {
		s[i] = v
	}
}

// At returns the element at idx converted to float64. Negative indices count
// from the end of their dimension.
func (t *Tensor) At(idx ...int) float64 {
	t.hostOnly("At")
	return t.loadAt(t.checkedOffset("At", idx))
}

// SetAt stores v (converted to the tensor's dtype) at idx. It writes through
// to the storage, so every view sharing it sees the change.
func (t *Tensor) SetAt(v float64, idx ...int) {
	t.hostOnly("SetAt")
	t.storeAt(t.checkedOffset("SetAt", idx), v)
}

// Item returns the only element of a one-element tensor as a float64.
func (t *Tensor) Item() float64 {
	t.hostOnly("Item")
	if t.Numel() != 1 {
		panic(fmt.Sprintf("tensor.Item: tensor of shape %v has %d elements, not 1", t.shape, t.Numel()))
	}
	return t.loadAt(t.offset)
}

// dense returns t's elements in C order as a slice of t's storage type: the
// storage itself (sub-sliced) when t is contiguous, otherwise a fresh copy.
func dense[E any](t *Tensor) []E {
	data := t.data.([]E)
	n := t.Numel()
	if t.IsContiguous() {
		return data[t.offset : t.offset+n : t.offset+n]
	}
	out := make([]E, n)
	copyStrided(out, contiguousStrides(t.shape), 0, data, t.strides, t.offset, t.shape)
	return out
}

func (t *Tensor) mustDType(op string, dts ...DType) {
	t.hostOnly(op)
	for _, d := range dts {
		if t.dtype == d {
			return
		}
	}
	panic(fmt.Sprintf("tensor.%s: tensor has dtype %v", op, t.dtype))
}

// F32 returns the elements of an F32 tensor in C order. When the tensor is
// contiguous this is its storage (writes go through); otherwise a copy.
// It panics for any other dtype.
func (t *Tensor) F32() []float32 { t.mustDType("F32", F32); return dense[float32](t) }

// F64 returns the elements of an F64 tensor in C order, like F32.
func (t *Tensor) F64() []float64 { t.mustDType("F64", F64); return dense[float64](t) }

// I64 returns the elements of an I64 tensor in C order, like F32.
func (t *Tensor) I64() []int64 { t.mustDType("I64", I64); return dense[int64](t) }

// I32 returns the elements of an I32 tensor in C order, like F32.
func (t *Tensor) I32() []int32 { t.mustDType("I32", I32); return dense[int32](t) }

// U8 returns the elements of a U8 or Bool tensor in C order, like F32.
func (t *Tensor) U8() []uint8 { t.mustDType("U8", U8, Bool); return dense[uint8](t) }

// U16 returns the raw bits of an F16 or BF16 tensor in C order, like F32.
func (t *Tensor) U16() []uint16 { t.mustDType("U16", F16, BF16); return dense[uint16](t) }

// Float64s returns a fresh copy of the elements in C order, converted to
// float64, whatever the dtype.
func (t *Tensor) Float64s() []float64 {
	t.hostOnly("Float64s")
	if t.dtype == F64 {
		return append([]float64(nil), t.F64()...)
	}
	return t.To(F64).data.([]float64)
}

// copyStrided copies the elements of shape from src (strides ss, offset so)
// to dst (strides ds, offset do).
func copyStrided[E any](dst []E, ds []int, do int, src []E, ss []int, so int, shape []int) {
	forEachRow(shape, [][]int{ds, ss}, []int{do, so}, func(offs []int, n int, in []int) {
		d, s := offs[0], offs[1]
		if in[0] == 1 && in[1] == 1 {
			copy(dst[d:d+n], src[s:s+n])
			return
		}
		for j := 0; j < n; j++ {
			dst[d] = src[s]
			d += in[0]
			s += in[1]
		}
	})
}

// copyInto copies src's elements, read through srcStrides over dst's shape,
// into dst through dst's own strides; both tensors have the same dtype.
func copyInto(dst *Tensor, src *Tensor, srcStrides []int) {
	switch d := dst.data.(type) {
	case []float32:
		copyStrided(d, dst.strides, dst.offset, src.data.([]float32), srcStrides, src.offset, dst.shape)
	case []float64:
		copyStrided(d, dst.strides, dst.offset, src.data.([]float64), srcStrides, src.offset, dst.shape)
	case []uint16:
		copyStrided(d, dst.strides, dst.offset, src.data.([]uint16), srcStrides, src.offset, dst.shape)
	case []int64:
		copyStrided(d, dst.strides, dst.offset, src.data.([]int64), srcStrides, src.offset, dst.shape)
	case []int32:
		copyStrided(d, dst.strides, dst.offset, src.data.([]int32), srcStrides, src.offset, dst.shape)
	case []uint8:
		copyStrided(d, dst.strides, dst.offset, src.data.([]uint8), srcStrides, src.offset, dst.shape)
	}
}

// Contiguous returns t itself when it is already contiguous, otherwise a
// contiguous copy.
func (t *Tensor) Contiguous() *Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Clone()
}

// Clone returns a contiguous copy that shares nothing with t.
func (t *Tensor) Clone() *Tensor {
	if t.dev != nil {
		out := emptyLike(t.dev.b, t.dtype, t.shape)
		must("Clone", t.dev.b, t.dev.b.Copy(out, t))
		return out
	}
	out := Zeros(t.dtype, t.shape...)
	copyInto(out, t, t.strides)
	return out
}

// CopyFrom copies src's elements into t (through t's strides, so a view's
// storage is updated). The shapes must be equal; src is converted to t's
// dtype if they differ. src must not overlap t's storage (unless it is t
// itself). It panics on a shape mismatch.
func (t *Tensor) CopyFrom(src *Tensor) {
	if !sameShape(t.shape, src.shape) {
		panic(fmt.Sprintf("tensor.CopyFrom: shapes %v and %v differ", t.shape, src.shape))
	}
	if t.dev != nil || src.dev != nil {
		b := backendOf("CopyFrom", t, src)
		if src.dtype != t.dtype {
			must("CopyFrom", b, b.Cast(t, src))
			return
		}
		must("CopyFrom", b, b.Copy(t, src))
		return
	}
	if src.dtype != t.dtype {
		src = src.To(t.dtype)
	}
	copyInto(t, src, src.strides)
}

// To returns a new contiguous tensor with the elements converted to dt, even
// when dt is t's own dtype, on t's device (ToDevice moves between devices). Float to integer conversion truncates toward
// zero; conversion to F16 and BF16 rounds to nearest even (F64 values are
// rounded to float32 first, as PyTorch does); integer to integer conversion
// wraps like a Go conversion.
func (t *Tensor) To(dt DType) *Tensor {
	if dt == t.dtype {
		return t.Clone()
	}
	if t.dev != nil {
		out := emptyLike(t.dev.b, dt, t.shape)
		must("To", t.dev.b, t.dev.b.Cast(out, t))
		return out
	}
	src := t.Contiguous()
	n := src.Numel()
	out := Zeros(dt, src.shape...)
	if !t.dtype.IsFloat() && !dt.IsFloat() {
		vals := src.int64s()
		for i, v := range vals {
			storeInt(out, i, v)
		}
		return out
	}
	switch s := src.data.(type) {
	case []float32:
		s = s[src.offset : src.offset+n]
		if o, ok := out.data.([]uint16); ok {
			conv := F32ToF16
			if dt == BF16 {
				conv = F32ToBF16
			}
			for i, v := range s {
				o[i] = conv(v)
			}
			return out
		}
		for i, v := range s {
			out.storeAt(i, float64(v))
		}
	case []uint16:
		s = s[src.offset : src.offset+n]
		conv := F16ToF32
		if t.dtype == BF16 {
			conv = BF16ToF32
		}
		if o, ok := out.data.([]float32); ok {
			for i, v := range s {
				o[i] = conv(v)
			}
			return out
		}
		for i, v := range s {
			out.storeAt(i, float64(conv(v)))
		}
	default:
		for i := 0; i < n; i++ {
			out.storeAt(i, src.loadAt(src.offset+i))
		}
	}
	return out
}

// int64s returns the elements of a contiguous integer tensor as int64.
func (t *Tensor) int64s() []int64 {
	n := t.Numel()
	out := make([]int64, n)
	switch d := t.data.(type) {
	case []int64:
		copy(out, d[t.offset:t.offset+n])
	case []int32:
		for i := range out {
			out[i] = int64(d[t.offset+i])
		}
	case []uint8:
		for i := range out {
			out[i] = int64(d[t.offset+i])
		}
	}
	return out
}

// storeInt writes an integer to element i of an integer tensor.
func storeInt(t *Tensor, i int, v int64) {
	switch d := t.data.(type) {
	case []int64:
		d[i] = v
	case []int32:
		d[i] = int32(v)
	case []uint8:
		if t.dtype == Bool {
			if v != 0 {
				d[i] = 1
			} else {
				d[i] = 0
			}
		} else {
			d[i] = uint8(v)
		}
	}
}

// isNaN reports whether v is NaN, for either float type.
func isNaN[T float](v T) bool { return v != v }
