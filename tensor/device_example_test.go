package tensor_test

import (
	"fmt"

	"radcap/internal/emu"
	"radcap/tensor"
)

// A tensor moves to a registered device with ToDevice, computes there, and
// comes back the same way; the host accessors refuse device tensors.
func ExampleTensor_ToDevice() {
	if _, err := emu.Register(false); err != nil { // the emulated device "emu"
		panic(err)
	}
	a, err := tensor.FromF32([]float32{1, 2, 3, 4}, 2, 2).ToDevice("emu")
	if err != nil {
		panic(err)
	}
	b := tensor.MatMul(a, a, false, true) // runs on the device
	fmt.Println(b)
	h, err := b.ToDevice("cpu")
	if err != nil {
		panic(err)
	}
	fmt.Println(h.F32())
	// Output:
	// Tensor(float32, [2 2], device=emu)
	// [5 11 11 25]
}
