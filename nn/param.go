package nn

import (
	"math/rand/v2"

	"radcap/autograd"
	"radcap/tensor"
)

// NamedParam is one parameter of a model under its Hugging Face name.
type NamedParam struct {
	Name string
	Var  *autograd.Var
}

// Join joins a parameter-name prefix and a name with a dot; an empty prefix
// gives name itself.
func Join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// CountParams returns the number of scalars in params.
func CountParams(params []NamedParam) int {
	n := 0
	for _, p := range params {
		n += p.Var.Value.Numel()
	}
	return n
}

// ZeroGrad clears the gradient of every parameter (optimizer.zero_grad()).
func ZeroGrad(params []NamedParam) {
	for _, p := range params {
		p.Var.ZeroGrad()
	}
}

// SetRequiresGrad sets RequiresGrad on every parameter: false freezes them
// (requires_grad_(False)), so pure inference records nothing.
func SetRequiresGrad(params []NamedParam, on bool) {
	for _, p := range params {
		p.Var.RequiresGrad = on
	}
}

// Mode is the run-time state a model's blocks share: whether the model is
// training (dropout on) and the generator dropout draws from.
type Mode struct {
	Training bool
	RNG      *rand.Rand
}

// NewMode returns an evaluation-mode Mode whose dropout generator is
// seeded with seed.
func NewMode(seed uint64) *Mode {
	return &Mode{RNG: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Dropout applies dropout with probability p when training and returns x
// unchanged otherwise (nn.Dropout in train and eval mode).
func (m *Mode) Dropout(x *autograd.Var, p float64) *autograd.Var {
	if m == nil || !m.Training || p == 0 {
		return x
	}
	return autograd.Dropout(x, p, true, m.RNG)
}

// attentionDropout is the attention-weight dropout probability in effect:
// p when training, 0 otherwise.
func (m *Mode) attentionDropout(p float64) float64 {
	if m == nil || !m.Training {
		return 0
	}
	return p
}

// Init draws initial weights from a seeded generator in one dtype.
type Init struct {
	RNG   *rand.Rand
	DType tensor.DType
	// Skip makes Normal return zeros without drawing, for a model whose
	// weights are about to be loaded from a checkpoint.
	Skip bool
}

// NewInit returns a float32 initializer seeded with seed.
func NewInit(seed uint64) *Init {
	return &Init{RNG: rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc908)), DType: tensor.F32}
}

// Normal returns a parameter of the given shape drawn from N(0, std²).
func (in *Init) Normal(std float64, shape ...int) *autograd.Var {
	t := tensor.Zeros(in.DType, shape...)
	if in.Skip {
		return autograd.Param(t)
	}
	switch in.DType {
	case tensor.F32:
		d := t.F32()
		for i := range d {
			d[i] = float32(in.RNG.NormFloat64() * std)
		}
	case tensor.F64:
		d := t.F64()
		for i := range d {
			d[i] = in.RNG.NormFloat64() * std
		}
	default:
		panic("nn.Init: parameters must be F32 or F64, not " + in.DType.String())
	}
	return autograd.Param(t)
}

// Zeros returns a parameter of zeros.
func (in *Init) Zeros(shape ...int) *autograd.Var {
	return autograd.Param(tensor.Zeros(in.DType, shape...))
}

// Ones returns a parameter of ones.
func (in *Init) Ones(shape ...int) *autograd.Var {
	return autograd.Param(tensor.Full(in.DType, 1, shape...))
}
