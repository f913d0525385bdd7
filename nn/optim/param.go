package optim

import (
	"fmt"
	"strings"

	"radcap/autograd"
	"radcap/tensor"
)

// Param is a named parameter: a leaf Var (made with autograd.Param) and its
// Hugging Face name, as models list them in PyTorch's named_parameters()
// order.
type Param struct {
	Name string
	Var  *autograd.Var
}

// Group is a parameter group with its own weight decay, like one entry of a
// PyTorch optimizer's param_groups.
type Group struct {
	Params      []Param
	WeightDecay float64
}

// NoDecay reports whether Hugging Face's Trainer (transformers 4.45,
// Trainer.get_decay_parameter_names) leaves the named parameter out of
// weight decay: when the name contains "bias" anywhere (the Trainer tests
// the substring, not the suffix) or the parameter belongs to a LayerNorm
// module.
//
// The Trainer recognises LayerNorm modules by their type; from a name alone
// this function recognises a LayerNorm by the last component of its module
// path (the name without ".weight"/".bias") when that component, in lower
// case, contains "layernorm", "layer_norm" or "layrnorm" (CLIP's
// "pre_layrnorm"), or is "ln" or starts with "ln_". A LayerNorm whose module
// name says nothing of the kind — GIT's "git.visual_projection.
// visual_projection.1" — must be passed in layerNormModules, as full module
// paths.
func NoDecay(name string, layerNormModules ...string) bool {
	if strings.Contains(name, "bias") {
		return true
	}
	module := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		module = name[:i]
	} else {
		return false // a parameter of the root module is never in a LayerNorm
	}
	for _, m := range layerNormModules {
		if m == module {
			return true
		}
	}
	return IsLayerNormName(module)
}

// IsLayerNormName reports whether a module path names a LayerNorm by the
// naming rule NoDecay documents.
func IsLayerNormName(module string) bool {
	last := module
	if i := strings.LastIndexByte(module, '.'); i >= 0 {
		last = module[i+1:]
	}
	last = strings.ToLower(last)
	return strings.Contains(last, "layernorm") || strings.Contains(last, "layer_norm") ||
		strings.Contains(last, "layrnorm") || last == "ln" || strings.HasPrefix(last, "ln_")
}

// TrainerGroups splits params into the Trainer's two groups, in its order:
// first the parameters that get weightDecay, then those for which noDecay
// is true, with weight decay 0; each keeps the order of params. Parameters
// whose Var does not require a gradient (frozen) are left out, as the
// Trainer leaves them out. noDecay is usually a closure over NoDecay.
func TrainerGroups(params []Param, weightDecay float64, noDecay func(name string) bool) []Group {
	decay := Group{WeightDecay: weightDecay}
	none := Group{WeightDecay: 0}
	for _, p := range params {
		if p.Var == nil || !p.Var.RequiresGrad {
			continue
		}
		if noDecay(p.Name) {
			none.Params = append(none.Params, p)
		} else {
			decay.Params = append(decay.Params, p)
		}
	}
	return []Group{decay, none}
}

// ZeroGrad sets every existing gradient to zero in place, as PyTorch 1.13's
// Module.zero_grad() (set_to_none=False, what the Trainer calls) does; a
// gradient that is nil stays nil. Backward then adds into the zeroed
// tensors.
func ZeroGrad(params []Param) {
	for _, p := range params {
		if p.Var == nil || p.Var.Grad == nil {
			continue
		}
		g := p.Var.Grad
		if !g.OnHost() {
			zeroDevice(g)
			continue
		}
		if g.IsContiguous() {
			zeroContiguous(g)
		} else {
			p.Var.Grad = tensor.Zeros(g.DType(), g.Shape()...)
		}
	}
}

func zeroContiguous(t *tensor.Tensor) {
	switch t.DType() {
	case tensor.F32:
		clear(t.F32())
	case tensor.F64:
		clear(t.F64())
	default:
		t.CopyFrom(tensor.Zeros(t.DType(), t.Shape()...))
	}
}

// update32 runs f on the float32 elements of t in C order and makes sure
// the changes land in t: directly when t is contiguous (F32 then returns
// its storage), through a copy otherwise.
func update32(t *tensor.Tensor, f func([]float32)) {
	d := t.F32()
	f(d)
	if !t.IsContiguous() {
		t.CopyFrom(tensor.FromF32(d, t.Shape()...))
	}
}

// update64 is update32 for float64 tensors.
func update64(t *tensor.Tensor, f func([]float64)) {
	d := t.F64()
	f(d)
	if !t.IsContiguous() {
		t.CopyFrom(tensor.FromF64(d, t.Shape()...))
	}
}

// checkFloat reports an error unless dt is float32 or float64, the dtypes
// the optimizer updates (fp16 training keeps float32 master weights).
func checkFloat(what string, dt tensor.DType) error {
	if dt != tensor.F32 && dt != tensor.F64 {
		return fmt.Errorf("%s has dtype %v; the optimizer works on float32 or float64 (keep float32 master weights for fp16 training)", what, dt)
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
