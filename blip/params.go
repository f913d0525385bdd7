package blip

import (
	"math/rand/v2"

	"radcap/autograd"
	"radcap/tensor"
)

// builder creates parameters in PyTorch's named_parameters() order and
// records their Hugging Face names. With rng nil every parameter is zero
// (the values are about to be loaded from a checkpoint).
type builder struct {
	dt     tensor.DType
	rng    *rand.Rand
	std    float64
	params []namedVar
}

// namedVar is one parameter with its Hugging Face name.
type namedVar struct {
	name string
	v    *autograd.Var
}

// normal makes a parameter drawn from N(0, std²) (zeros without rng).
func (b *builder) normal(name string, shape ...int) *autograd.Var {
	t := tensor.Zeros(b.dt, shape...)
	if b.rng != nil {
		t = tensor.MulScalar(tensor.RandN(b.rng, b.dt, shape...), b.std)
	}
	return b.add(name, t)
}

// fill makes a parameter with every entry v.
func (b *builder) fill(name string, v float64, shape ...int) *autograd.Var {
	return b.add(name, tensor.Full(b.dt, v, shape...))
}

func (b *builder) add(name string, t *tensor.Tensor) *autograd.Var {
	p := autograd.Param(t)
	b.params = append(b.params, namedVar{name, p})
	return p
}

// linear is nn.Linear: y = x wᵀ + b, w [out, in].
type linear struct{ w, b *autograd.Var }

// newLinear registers prefix.weight and prefix.bias (when bias) as
// nn.Linear.__init__ does: weight first.
func (b *builder) linear(prefix string, in, out int, bias bool) linear {
	l := linear{w: b.normal(prefix+".weight", out, in)}
	if bias {
		l.b = b.fill(prefix+".bias", 0, out)
	}
	return l
}

func (l linear) forward(x *autograd.Var) *autograd.Var { return autograd.Linear(x, l.w, l.b) }

// layerNorm is nn.LayerNorm over the last dimension.
type layerNorm struct {
	w, b *autograd.Var
	eps  float64
}

func (b *builder) layerNorm(prefix string, n int, eps float64) layerNorm {
	return layerNorm{w: b.fill(prefix+".weight", 1, n), b: b.fill(prefix+".bias", 0, n), eps: eps}
}

func (l layerNorm) forward(x *autograd.Var) *autograd.Var {
	return autograd.LayerNorm(x, l.w, l.b, l.eps)
}
