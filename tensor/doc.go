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
// # Half precision
//
// F32ToF16, F16ToF32, F32ToBF16 and BF16ToF32 convert single values, rounding
// to nearest even as IEEE 754, NumPy and PyTorch do; To converts whole tensors.
package tensor
