// Package tensor provides dense n-dimensional arrays and the CPU kernels
// radcap's autograd, layers and models are built on.
//
// # Storage, shape, strides
//
// A Tensor is a view onto a flat storage slice of one element type (its
// DType): []float32 for F32, []float64 for F64, []uint16 bit patterns for F16
// and BF16, []int64 for I64, []int32 for I32, []uint8 for U8 and Bool. The
// view is described by a shape (the size of each dimension), strides (how
// many storage elements to step to move one along each dimension) and an
// offset (where element [0, 0, ...] lives). Element idx is at
//
//	storage[offset + idx[0]*strides[0] + idx[1]*strides[1] + ...]
//
// A freshly made tensor is contiguous: its strides are the C-order (row-major)
// ones, e.g. [12, 4, 1] for shape [2, 3, 4].
//
// # Views
//
// Reshape (of a contiguous tensor), Permute, Transpose, Narrow, Select,
// Unsqueeze, Squeeze and Expand only compute a new shape, strides and offset
// and share the storage: writing through one view is visible in the others.
// Expand gives broadcast dims stride 0, so one stored value stands for a
// whole dimension. Contiguous, Clone, To and Concat copy. Every kernel accepts
// views; the element-wise kernels take a fast path when operands are
// contiguous.
//
// # Operations
//
// Element-wise operations (Add, Mul, Exp, ...) follow NumPy broadcasting
// and return new contiguous tensors of F32 or F64. Reductions (Sum, Mean,
// Max) work over any axes; Sum of F32 accumulates in float64. MatMul
// multiplies batches of matrices with either operand transposed, through
// package sgemm for F32 and gonum's BLAS for F64. Shape mismatches are
// programmer errors and panic with a message naming the op and the shapes;
// validating user input is the job of the layers above.
//
// # Data types
//
// Arithmetic kernels run on F32 (CPU training) and F64 (gradient checks);
// both operands of a binary op must share the dtype. F16 and BF16 tensors
// are storage formats: convert them with To(F32) to compute, and back with
// To(F16) or To(BF16). I64 holds token ids and argmax results; I32, U8 and
// Bool are for interchange and masks (a mask may have any dtype: nonzero
// means true).
//
// # Half precision
//
// F32ToF16, F16ToF32, F32ToBF16 and BF16ToF32 convert single values, rounding
// to nearest even as IEEE 754, NumPy and PyTorch do: overflow gives ±Inf,
// tiny values become subnormals or ±0, NaN stays NaN (quiet, sign kept).
// To converts whole tensors.
//
// # Data access and concurrency
//
// F32, F64, I64, U16 (and I32, U8) return the elements in C order: the
// storage itself when the tensor is contiguous, so writes go through, and a
// copy otherwise. At and SetAt address single elements. Large element-wise
// kernels and batches of small matrix products use several goroutines
// internally; a Tensor itself is not safe for concurrent writes.
//
// # Devices
//
// A tensor lives on the host ("cpu", every constructor above) or on a
// device: a Backend (backend.go) registered by name with RegisterBackend,
// holding the storage behind an opaque Handle. Device reports where a
// tensor lives, and ToDevice is the only way across (an explicit copy).
// Views of a device tensor share its storage, as on the host. Every op
// checks its operands: all on the host runs the CPU kernels (the check is
// a nil test), all on one backend calls that backend, and operands on
// different devices panic, naming the op and the devices. The host
// accessors (F32, F64, I64, I32, U8, U16, Float64s, At, SetAt, Item) and
// Map panic on a device tensor and say to call ToDevice("cpu") first, so
// no code can read device data by accident. EmptyOn, ZerosOn and FullOn
// make tensors on a device; device memory is freed when no tensor refers
// to it any more.
package tensor
