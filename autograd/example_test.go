package autograd_test

import (
	"fmt"

	"radcap/autograd"
	"radcap/tensor"
)

// This example fits y = 2x + 1 with one linear layer and plain gradient
// descent: parameters are Vars made once with Param; each step records its
// forward on a fresh tape, Backward fills the parameters' Grad (and
// releases the tape), and the update reads Grad and clears it.
func Example() {
	x := tensor.FromF32([]float32{0, 1, 2, 3}, 4, 1) // 4 samples, 1 feature
	y := tensor.FromF32([]float32{1, 3, 5, 7}, 4, 1) // y = 2x + 1

	w := autograd.Param(tensor.FromF32([]float32{0.5}, 1, 1)) // [out, in], as nn.Linear
	b := autograd.Param(tensor.FromF32([]float32{0}, 1))

	for step := 0; step < 300; step++ {
		tp := autograd.NewTape()
		pred := autograd.Linear(tp.Const(x), w, b) // x·wᵀ + b
		loss := autograd.Mean(autograd.Square(autograd.Sub(pred, tp.Const(y))), nil, false)
		if err := tp.Backward(loss); err != nil {
			panic(err)
		}
		if step == 0 {
			// By hand: residuals −1, −2.5, −4, −5.5; loss 53.5/4;
			// dL/dw = mean(2·r·x) = −13.5, dL/db = mean(2·r) = −6.5.
			fmt.Printf("step 0: loss %.3f, dw %.2f, db %.2f, tape length after Backward %d\n",
				loss.Item(), w.Grad.Item(), b.Grad.Item(), tp.Len())
		}
		for _, p := range []*autograd.Var{w, b} {
			tensor.AddInto(p.Value, tensor.MulScalar(p.Grad, -0.05)) // p -= lr·grad
			p.ZeroGrad()
		}
	}
	fmt.Printf("w %.3f, b %.3f\n", w.Value.Item(), b.Value.Item())

	// Output:
	// step 0: loss 13.375, dw -13.50, db -6.50, tape length after Backward 0
	// w 2.000, b 1.000
}
