package tensor_test

import (
	"fmt"

	"radcap/tensor"
)

// This example walks through the model: a tensor is a view (shape, strides,
// offset) onto shared storage; views do not copy; arithmetic broadcasts like
// NumPy; reductions and matrix products return new tensors.
func Example() {
	// A 2x3 float32 matrix. FromF32 takes ownership of the slice.
	x := tensor.FromF32([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	fmt.Println(x.Shape(), x.Strides(), x.IsContiguous())

	// Transpose is a view: same storage, swapped strides, no copy.
	xt := x.Transpose(0, 1)
	fmt.Println(xt.Shape(), xt.Strides(), xt.IsContiguous())
	xt.SetAt(60, 2, 1) // writes x[1, 2]
	fmt.Println(x.At(1, 2))

	// Broadcasting: a [3] row is added to every row of the [2, 3] matrix.
	bias := tensor.FromF32([]float32{10, 20, 30}, 3)
	fmt.Println(tensor.Add(x, bias).F32())

	// Reductions over any axes; keepdim keeps the reduced axis as size 1.
	fmt.Println(tensor.Sum(x, []int{1}, false).F32())
	fmt.Println(tensor.Sum(x, []int{0}, true).Shape())

	// x · xᵀ with the second operand transposed: [[1·1+2·2+3·3, 1·4+2·5+3·60], ...].
	fmt.Println(tensor.MatMul(x, x, false, true).F32())

	// Half precision rounds to nearest even: 0.1 is not exact in float16.
	h := tensor.F32ToF16(0.1)
	fmt.Printf("%#04x %v\n", h, tensor.F16ToF32(h))

	// Output:
	// [2 3] [3 1] true
	// [3 2] [1 3] false
	// 60
	// [11 22 33 14 25 90]
	// [6 69]
	// [1 3]
	// [14 194 194 3641]
	// 0x2e66 0.099975586
}
