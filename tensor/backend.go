package tensor

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
)

// This file is the device side of package tensor: the Backend interface a
// device (CUDA, or the emulator tests use) implements, the registry that
// names backends, and the storage of a tensor that lives on a device.
//
// A device tensor has the same shape, strides and offset as a host tensor;
// only its storage differs: an opaque Handle owned by a Backend instead of a
// Go slice. Views (Reshape of a contiguous tensor, Permute, Narrow, Expand,
// ...) stay pure metadata and share the handle. Every exported op checks
// where its operands live: all on the host runs the CPU kernels as before,
// all on one backend calls that backend's method, anything else panics
// naming the op and the devices. ToDevice is the only way across, and the
// host accessors (F32, At, Item, ...) panic on a device tensor, so a hidden
// copy back to the host inside a training step cannot happen.

// Handle is a backend's opaque reference to one allocation of device
// memory. Package tensor never looks inside it; it only hands it back to
// the backend that made it (through Tensor.Handle).
type Handle any

// Backend is a device that tensors can live on. Package tensor calls it
// with operands that already passed the op's shape and dtype checks, so a
// backend only validates what it alone knows (memory, supported dtypes).
//
// Operand conventions, for every method that takes tensors:
//   - Every tensor is on this backend: t.Handle() is one of its handles.
//     Shape, Strides (in elements, never negative, 0 for a broadcast dim)
//     and Offset (in elements) say where each element lives in the handle.
//   - dst is written element by element through its own strides; tensor
//     allocates it (contiguous, contents undefined) unless the method says
//     dst may be a view. dst never overlaps an input unless the method says
//     so, and dst has no stride-0 dim of size > 1 (no element aliases
//     another).
//   - Inputs of element-wise methods are already broadcast to dst's shape
//     (Expand views, stride 0 where broadcast), so a backend never
//     implements NumPy broadcasting itself.
//
// A method returns an error only for a device failure (out of memory, a
// failed launch, an unsupported dtype); package tensor turns it into a
// panic naming the op and the device. Methods may run asynchronously on the
// device as long as later calls and Download observe their results.
// Free may be called from any goroutine (it runs from a GC cleanup).
type Backend interface {
	// Name is the device name users pass to ToDevice and --device
	// ("cuda", "emu"). It must not be "cpu" and must not change.
	Name() string

	// Alloc returns a handle to room for n elements of dt (n may be 0).
	// The contents are undefined. Package tensor frees it with Free once
	// no tensor refers to it any more (through runtime.AddCleanup), so a
	// backend whose memory runs out may run runtime.GC and retry.
	Alloc(dt DType, n int) (Handle, error)
	// Free releases a handle made by Alloc (or passed to FromHandle). It
	// is called as soon as no tensor refers to the handle, which may be
	// while an asynchronous op that reads or writes it is still queued:
	// a backend must order the reuse of the memory after that work (as a
	// stream-ordered caching allocator does).
	Free(h Handle)
	// Upload copies a whole host storage slice into h: src is the slice
	// type of h's dtype ([]float32 for F32, []float64 for F64, []uint16 of
	// bit patterns for F16 and BF16, []int64, []int32, []uint8 for U8 and
	// Bool) with exactly the handle's element count.
	Upload(dst Handle, src any) error
	// Download copies all of h into dst, a host slice as for Upload. It
	// returns once the data is on the host.
	Download(dst any, src Handle) error

	// Copy copies src's elements into dst (same shape and dtype, any
	// strides on both; dst may be a view, e.g. a Narrow of a Concat's
	// output or the target of CopyFrom).
	Copy(dst, src *Tensor) error
	// Cast converts src's elements into dst (same shape, different
	// dtypes, any strides on both; dst may be a view) with the rules of
	// Tensor.To: floats to integers truncate toward zero, to F16/BF16
	// round to nearest even (F64 through float32 first), integers wrap,
	// nonzero becomes true for Bool.
	Cast(dst, src *Tensor) error
	// Fill sets every element of dst (which may be a view) to v converted
	// to dst's dtype as Cast would convert it.
	Fill(dst *Tensor, v float64) error

	// Unary computes dst = op(src) element-wise (dst and src share shape
	// and dtype). s and t are the op's scalars (see UnaryOp).
	//
	// The arithmetic methods (Unary, Binary, Where, Reduce, ArgMax, MatMul,
	// IndexAdd) get F32 or F64 operands, or F16 or BF16 ones for mixed
	// precision: a backend computes those in float32 and rounds each result
	// to the dtype (or returns an error if it does not support them).
	Unary(op UnaryOp, dst, src *Tensor, s, t float64) error
	// Binary computes dst = op(a, b) element-wise; a and b are broadcast
	// to dst's shape and share its dtype. For BinAdd, dst may be a itself
	// (the in-place accumulation of AddInto); dst then has a's strides,
	// possibly those of a view.
	Binary(op BinaryOp, dst, a, b *Tensor) error
	// Where computes dst = mask ? a : b element-wise; mask (any dtype,
	// nonzero and NaN count as true), a and b are broadcast to dst's shape,
	// and a, b, dst share one float dtype.
	Where(dst, mask, a, b *Tensor) error

	// Reduce sums (ReduceSum) or averages (ReduceMean) src over the dims
	// where dst has size 1 and src does not; dst has src's rank (keepdim
	// shape) and float dtype. Accumulate in at least float32 (the CPU
	// accumulates in float64).
	Reduce(op ReduceOp, dst, src *Tensor) error
	// ArgMax writes, along dim axis of src (a float dtype), the maximum into
	// values (src's dtype) and the index of its first occurrence into
	// indices (I64); both have src's shape with axis of size 1. A NaN is
	// the maximum of a row that holds one (the first NaN), as in PyTorch.
	// The axis is never empty.
	ArgMax(values, indices, src *Tensor, axis int) error

	// MatMul computes the batched product dst = op(a) · op(b), where op
	// swaps the last two dims when the flag is set. All three have the
	// same rank >= 2: a is [..., m, k] ([..., k, m] with transA), b is
	// [..., k, n] ([..., n, k] with transB), dst is a fresh contiguous
	// [..., m, n], and a's and b's batch dims are broadcast to dst's (stride
	// 0 where broadcast; otherwise any strides). Each matrix of a and b has
	// unit stride along one of its last two dims (tensor copies operands
	// that do not), so it is a row- or column-major matrix with a leading
	// dimension. The three dtypes are equal. k > 0 (tensor fills dst with
	// zeros itself when k is 0).
	MatMul(dst, a, b *Tensor, transA, transB bool) error

	// IndexSelect gathers dst's slices along dim from src: dst[..., i, ...]
	// = src[..., idx[i], ...] (an embedding lookup with dim 0). idx is a
	// contiguous 1-D I64 tensor on this backend whose values are in
	// [0, src.Dim(dim)) when they came from the host (package tensor checks
	// those); a backend may write anything (CUDA: NaN) for an index out of
	// range. Any dtype.
	IndexSelect(dst, src *Tensor, dim int, idx *Tensor) error
	// IndexAdd adds src's slices along dim into dst at idx, in place:
	// dst[..., idx[i], ...] += src[..., i, ...]; repeated indices
	// accumulate. dst (possibly a view) and src share a float dtype; idx is
	// as for IndexSelect.
	IndexAdd(dst *Tensor, dim int, idx, src *Tensor) error
}

// UnaryOp names an element-wise op of one tensor for Backend.Unary.
type UnaryOp uint8

// The unary ops. The ones with parameters read them from Unary's s and t.
const (
	UnNeg       UnaryOp = iota // -x
	UnExp                      // eˣ
	UnLog                      // ln x
	UnSqrt                     // √x
	UnRsqrt                    // 1/√x
	UnTanh                     // tanh x
	UnSigmoid                  // 1/(1+e⁻ˣ), without overflow
	UnErf                      // erf x
	UnAbs                      // |x|
	UnSquare                   // x²
	UnAddScalar                // x + s
	UnMulScalar                // x · s
	UnPowScalar                // xˢ (math.Pow rules)
	UnClamp                    // min(max(x, s), t); NaN stays NaN
)

var unaryOpNames = [...]string{"Neg", "Exp", "Log", "Sqrt", "Rsqrt", "Tanh", "Sigmoid", "Erf", "Abs",
	"Square", "AddScalar", "MulScalar", "PowScalar", "ClampScalar"}

// String returns the name of the tensor function that runs the op.
func (o UnaryOp) String() string {
	if int(o) < len(unaryOpNames) {
		return unaryOpNames[o]
	}
	return fmt.Sprintf("UnaryOp(%d)", uint8(o))
}

// BinaryOp names an element-wise op of two tensors for Backend.Binary.
type BinaryOp uint8

// The binary ops. Comparisons give 1 or 0 in the operands' float dtype.
const (
	BinAdd     BinaryOp = iota // a + b
	BinSub                     // a - b
	BinMul                     // a · b
	BinDiv                     // a / b
	BinMaximum                 // max(a, b); NaN in either gives NaN
	BinMinimum                 // min(a, b); NaN in either gives NaN
	BinGreater                 // a > b
	BinLess                    // a < b
	BinEqual                   // a == b
)

// String returns the name of the tensor function that runs the op.
func (o BinaryOp) String() string {
	if int(o) < len(binOpNames) {
		return binOpNames[o]
	}
	return fmt.Sprintf("BinaryOp(%d)", uint8(o))
}

// ReduceOp names a reduction for Backend.Reduce.
type ReduceOp uint8

// The reductions.
const (
	ReduceSum  ReduceOp = iota // Σ
	ReduceMean                 // Σ / count (NaN for an empty reduction)
)

// registry maps backend names to backends. It is the package's only
// global state: filled by RegisterBackend (from a main or a test, never
// from an init), read by ToDevice and friends.
var registry = struct {
	sync.RWMutex
	m map[string]Backend
}{m: map[string]Backend{}}

// RegisterBackend makes b available under b.Name(). Registering the same
// backend twice is a no-op; another backend under a taken name, or the
// name "cpu" or "", is an error.
func RegisterBackend(b Backend) error {
	name := b.Name()
	if name == "" || name == "cpu" {
		return fmt.Errorf("tensor: cannot register a backend named %q", name)
	}
	registry.Lock()
	defer registry.Unlock()
	if old, ok := registry.m[name]; ok {
		if old == b {
			return nil
		}
		return fmt.Errorf("tensor: a different backend is already registered as %q", name)
	}
	registry.m[name] = b
	return nil
}

// LookupBackend returns the backend registered under name. "cpu" has no
// backend (it is the host): it returns nil and an error like any unknown
// name.
func LookupBackend(name string) (Backend, error) {
	registry.RLock()
	b, ok := registry.m[name]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("tensor: no device %q (registered: %v)", name, Devices())
	}
	return b, nil
}

// Devices returns the names of the registered backends, sorted, after "cpu".
func Devices() []string {
	registry.RLock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	registry.RUnlock()
	sort.Strings(names)
	return append([]string{"cpu"}, names...)
}

// devStorage is the storage of a device tensor: a handle of n elements
// owned by backend b. It is shared by all views of one allocation and
// freed (b.Free) by a GC cleanup when the last of them is gone.
type devStorage struct {
	b Backend
	h Handle
	n int
}

// freeArg is what the cleanup of a devStorage needs (it must not point
// back at the storage, or the storage would never be collected).
type freeArg struct {
	b Backend
	h Handle
}

// newDevStorage wraps h and arranges for it to be freed.
func newDevStorage(b Backend, h Handle, n int) *devStorage {
	s := &devStorage{b: b, h: h, n: n}
	runtime.AddCleanup(s, func(a freeArg) { a.b.Free(a.h) }, freeArg{b, h})
	return s
}

// Handle returns the device handle of t's storage, or nil for a host
// tensor. It is for backends: only the backend that made the handle can
// read it (with t's shape, strides and offset).
func (t *Tensor) Handle() Handle {
	if t.dev == nil {
		return nil
	}
	return t.dev.h
}

// Backend returns the backend t's storage lives on, or nil on the host.
func (t *Tensor) Backend() Backend {
	if t.dev == nil {
		return nil
	}
	return t.dev.b
}

// OnHost reports whether t's storage is host memory (Device() == "cpu").
func (t *Tensor) OnHost() bool { return t.dev == nil }

// StorageLen returns the number of elements of t's storage (at least the
// largest element index t reaches, plus one).
func (t *Tensor) StorageLen() int {
	if t.dev != nil {
		return t.dev.n
	}
	return storageLen(t.data)
}

// EmptyOn returns a new contiguous tensor on device (allocated, contents
// undefined; on "cpu" it is zeroed). It panics if the device is not
// registered or the allocation fails: use ToDevice to check a user's
// device name first.
func EmptyOn(device string, dt DType, shape ...int) *Tensor {
	if device == "cpu" {
		return Zeros(dt, shape...)
	}
	b, err := LookupBackend(device)
	if err != nil {
		panic(fmt.Sprintf("tensor.EmptyOn: %v", err))
	}
	return emptyLike(b, dt, shape)
}

// ZerosOn returns a new contiguous tensor of zeros on device.
func ZerosOn(device string, dt DType, shape ...int) *Tensor {
	if device == "cpu" {
		return Zeros(dt, shape...)
	}
	return FullOn(device, dt, 0, shape...)
}

// FullOn returns a new contiguous tensor on device with every element v.
func FullOn(device string, dt DType, v float64, shape ...int) *Tensor {
	if device == "cpu" {
		return Full(dt, v, shape...)
	}
	t := EmptyOn(device, dt, shape...)
	must("FullOn", t.dev.b, t.dev.b.Fill(t, v))
	return t
}

// FromHandle wraps a handle of backend b holding n elements of dt as a
// contiguous tensor of shape; the tensor takes ownership (b.Free(h) once
// unreachable). For backends that allocate their results themselves.
func FromHandle(b Backend, h Handle, dt DType, n int, shape ...int) *Tensor {
	if numelOf("FromHandle", shape) > n {
		panic(fmt.Sprintf("tensor.FromHandle: shape %v needs more than the %d elements of the handle", shape, n))
	}
	sh := append([]int{}, shape...)
	return &Tensor{dtype: dt, shape: sh, strides: contiguousStrides(sh), dev: newDevStorage(b, h, n)}
}

// AsStrided returns a view of t's storage with the given shape, strides
// and offset (torch.as_strided), on the host or a device. It panics if an
// element would fall outside the storage or a stride is negative.
func AsStrided(t *Tensor, shape, strides []int, offset int) *Tensor {
	if len(shape) != len(strides) || offset < 0 {
		panic(fmt.Sprintf("tensor.AsStrided: shape %v, strides %v, offset %d", shape, strides, offset))
	}
	last, empty := offset, false
	for i, d := range shape {
		if d < 0 || strides[i] < 0 {
			panic(fmt.Sprintf("tensor.AsStrided: shape %v, strides %v", shape, strides))
		}
		if d == 0 {
			empty = true
		} else {
			last += (d - 1) * strides[i]
		}
	}
	if !empty && last >= t.StorageLen() {
		panic(fmt.Sprintf("tensor.AsStrided: shape %v, strides %v, offset %d reach element %d of a storage of %d",
			shape, strides, offset, last, t.StorageLen()))
	}
	return t.view(append([]int{}, shape...), append([]int{}, strides...), offset)
}

// ToDevice returns t on device: t itself when it is already there,
// otherwise a contiguous copy (upload from the host, download to it, or
// both between two devices). It is the only way data crosses between the
// host and a device; an unknown device or a failed copy is an error.
func (t *Tensor) ToDevice(device string) (*Tensor, error) {
	if device == t.Device() {
		return t, nil
	}
	if device == "cpu" {
		c := t
		if !c.IsContiguous() || c.offset != 0 || c.dev.n != c.Numel() {
			c = t.Clone() // a window of a larger allocation: copy just it, on the device
		}
		out := Zeros(t.dtype, t.shape...)
		if err := c.dev.b.Download(out.data, c.dev.h); err != nil {
			return nil, fmt.Errorf("tensor: copy %v%v from %s: %w", t.dtype, t.shape, t.Device(), err)
		}
		return out, nil
	}
	b, err := LookupBackend(device)
	if err != nil {
		return nil, err
	}
	src := t
	if t.dev != nil {
		if src, err = t.ToDevice("cpu"); err != nil {
			return nil, err
		}
	}
	src = src.Clone() // contiguous, offset 0, storage exactly Numel long
	out, err := tryEmpty(b, t.dtype, t.shape)
	if err != nil {
		return nil, fmt.Errorf("tensor: copy %v%v to %s: %w", t.dtype, t.shape, device, err)
	}
	if err := b.Upload(out.dev.h, src.data); err != nil {
		return nil, fmt.Errorf("tensor: copy %v%v to %s: %w", t.dtype, t.shape, device, err)
	}
	return out, nil
}

// tryEmpty allocates a contiguous tensor of shape on b.
func tryEmpty(b Backend, dt DType, shape []int) (*Tensor, error) {
	n := numelOf("EmptyOn", shape)
	h, err := b.Alloc(dt, n)
	if err != nil {
		return nil, err
	}
	sh := append([]int{}, shape...)
	return &Tensor{dtype: dt, shape: sh, strides: contiguousStrides(sh), dev: newDevStorage(b, h, n)}, nil
}

// emptyLike allocates a contiguous tensor on b, panicking on failure.
func emptyLike(b Backend, dt DType, shape []int) *Tensor {
	t, err := tryEmpty(b, dt, shape)
	if err != nil {
		panic(fmt.Sprintf("tensor: allocate %v%v on %s: %v", dt, shape, b.Name(), err))
	}
	return t
}

// must panics with the op and device when a backend call failed.
func must(op string, b Backend, err error) {
	if err != nil {
		panic(fmt.Sprintf("tensor.%s on %s: %v", op, b.Name(), err))
	}
}

// ErrHostAccess is the panic value's text prefix for a host accessor used on
// a device tensor; tests match it to prove that no step touched device data
// from the host.
var ErrHostAccess = errors.New("tensor: host access to a device tensor")

// hostOnly panics when t lives on a device: op reads or writes elements
// from Go code, which only host tensors allow.
func (t *Tensor) hostOnly(op string) {
	if t.dev != nil {
		panic(fmt.Sprintf("%v: %s on a %v%v tensor on device %q; call ToDevice(\"cpu\") first",
			ErrHostAccess, op, t.dtype, t.shape, t.dev.b.Name()))
	}
}

// backendOf returns the one backend of the operands (nil ones skipped),
// panicking when they live on different devices. Callers have already seen
// that at least one operand is on a device.
func backendOf(op string, ts ...*Tensor) Backend {
	var b Backend
	for _, t := range ts {
		if t == nil {
			continue
		}
		var tb Backend
		if t.dev != nil {
			tb = t.dev.b
		}
		if tb == nil || (b != nil && tb != b) {
			panic(mixedMsg(op, ts))
		}
		b = tb
	}
	return b
}

// mixedMsg describes the devices of the operands of op.
func mixedMsg(op string, ts []*Tensor) string {
	devs := make([]string, 0, len(ts))
	for _, t := range ts {
		if t != nil {
			devs = append(devs, t.Device())
		}
	}
	return fmt.Sprintf("tensor.%s: operands on different devices %v; move them with ToDevice first", op, devs)
}
