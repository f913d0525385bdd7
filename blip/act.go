package blip

import (
	"fmt"

	"radcap/autograd"
)

// activation returns the op for a transformers ACT2FN name that radcap
// implements, or an error naming the unknown one.
func activation(name string) (func(*autograd.Var) *autograd.Var, error) {
	switch name {
	case "gelu":
		return autograd.GELU, nil
	case "gelu_new", "gelu_pytorch_tanh":
		return autograd.GELUTanh, nil
	case "quick_gelu":
		return autograd.QuickGELU, nil
	}
	return nil, fmt.Errorf("unknown activation %q (radcap implements gelu, gelu_new, gelu_pytorch_tanh, quick_gelu)", name)
}
