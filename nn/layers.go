package nn

import (
	"fmt"

	"radcap/autograd"
	"radcap/tensor"
)

// Linear is nn.Linear: y = x Wᵀ + b with W [out, in] and b [out] (nil when
// the layer has no bias). Names: weight, bias.
type Linear struct {
	Weight, Bias *autograd.Var
	// Autocast is the dtype the product runs in under mixed precision:
	// tensor.BF16 rounds x, W, b and y (and their gradients) to bfloat16
	// as torch.autocast does (see Autocast); the zero value, tensor.F32,
	// runs in the parameters' own dtype.
	Autocast tensor.DType
}

// NewLinear returns a Linear in → out with weights drawn from N(0, std²)
// and a zero bias (when bias is set).
func NewLinear(init *Init, in, out int, bias bool, std float64) *Linear {
	l := &Linear{Weight: init.Normal(std, out, in)}
	if bias {
		l.Bias = init.Zeros(out)
	}
	return l
}

// Forward applies the layer to x [..., in]. When nothing needs a gradient
// and x has at most a few rows (incremental decoding), it runs as
// matrix-vector products, which read the weight once without packing it.
func (l *Linear) Forward(x *autograd.Var) *autograd.Var {
	return Autocast(l.Autocast, linear, x, l.Weight, l.Bias)
}

// SetAutocast sets the dtype the product runs in (Autocaster).
func (l *Linear) SetAutocast(dt tensor.DType) { l.Autocast = dt }

// linear is x·Wᵀ + b for inputs (x, W, b), b possibly nil: matrix-vector
// products for a few rows without gradients, a matrix product otherwise.
func linear(in ...*autograd.Var) *autograd.Var {
	x, w, b := in[0], in[1], in[2]
	if y := linearGEMV(x, w, b); y != nil {
		return y
	}
	return autograd.Linear(x, w, b)
}

// NamedParams lists weight and bias under prefix.
func (l *Linear) NamedParams(prefix string) []NamedParam {
	ps := []NamedParam{{Join(prefix, "weight"), l.Weight}}
	if l.Bias != nil {
		ps = append(ps, NamedParam{Join(prefix, "bias"), l.Bias})
	}
	return ps
}

// Embedding is nn.Embedding: a table [num, dim] looked up by token id. The
// row PaddingIdx (autograd.NoPadding for none) gets no gradient. Name:
// weight.
type Embedding struct {
	Weight     *autograd.Var
	PaddingIdx int
}

// NewEmbedding returns a table drawn from N(0, std²) with the padding row
// (if any) zeroed, as transformers initialises it.
func NewEmbedding(init *Init, num, dim, paddingIdx int, std float64) *Embedding {
	e := &Embedding{Weight: init.Normal(std, num, dim), PaddingIdx: paddingIdx}
	if paddingIdx >= 0 && paddingIdx < num {
		e.Weight.Value.Select(0, paddingIdx).CopyFrom(tensor.Zeros(init.DType, dim))
	}
	return e
}

// Forward looks up ids (I64, any shape), giving ids.shape + [dim]. Ids must
// already be checked to lie in [0, num).
func (e *Embedding) Forward(ids *tensor.Tensor) *autograd.Var {
	return autograd.Embedding(e.Weight, ids, e.PaddingIdx)
}

// NamedParams lists the table under prefix.
func (e *Embedding) NamedParams(prefix string) []NamedParam {
	return []NamedParam{{Join(prefix, "weight"), e.Weight}}
}

// LayerNorm is nn.LayerNorm over the last dimension. Names: weight, bias.
type LayerNorm struct {
	Weight, Bias *autograd.Var
	Eps          float64
}

// NewLayerNorm returns a LayerNorm of width dim with weight 1 and bias 0.
func NewLayerNorm(init *Init, dim int, eps float64) *LayerNorm {
	return &LayerNorm{Weight: init.Ones(dim), Bias: init.Zeros(dim), Eps: eps}
}

// Forward normalises x over its last dimension.
func (n *LayerNorm) Forward(x *autograd.Var) *autograd.Var {
	return autograd.LayerNorm(x, n.Weight, n.Bias, n.Eps)
}

// NamedParams lists weight and bias under prefix.
func (n *LayerNorm) NamedParams(prefix string) []NamedParam {
	return []NamedParam{{Join(prefix, "weight"), n.Weight}, {Join(prefix, "bias"), n.Bias}}
}

// Activation is an element-wise non-linearity.
type Activation func(*autograd.Var) *autograd.Var

// ActivationNames lists the hidden_act values of transformers' ACT2FN
// that ParseActivation accepts.
func ActivationNames() []string {
	return []string{"gelu", "gelu_new", "gelu_pytorch_tanh", "quick_gelu"}
}

// ParseActivation returns the activation a config's hidden_act names
// ("gelu" is the erf form; "gelu_new" and "gelu_pytorch_tanh" the tanh
// approximation; "quick_gelu" is x·σ(1.702x)), or an error for a name
// radcap does not implement.
func ParseActivation(name string) (Activation, error) {
	switch name {
	case "gelu":
		return autograd.GELU, nil
	case "gelu_new", "gelu_pytorch_tanh":
		return autograd.GELUTanh, nil
	case "quick_gelu":
		return autograd.QuickGELU, nil
	}
	return nil, fmt.Errorf("unknown hidden_act %q (radcap implements %v)", name, ActivationNames())
}

// MLP is the feed-forward block of CLIP and BLIP vision layers:
// fc2(act(fc1(x))). Names: fc1, fc2.
type MLP struct {
	FC1, FC2 *Linear
	Act      Activation
}

// NewMLP returns an MLP dim → hidden → dim.
func NewMLP(init *Init, dim, hidden int, act Activation, std float64) *MLP {
	return &MLP{FC1: NewLinear(init, dim, hidden, true, std), FC2: NewLinear(init, hidden, dim, true, std), Act: act}
}

// Forward applies the MLP to x [..., dim].
func (m *MLP) Forward(x *autograd.Var) *autograd.Var {
	return m.FC2.Forward(m.Act(m.FC1.Forward(x)))
}

// NamedParams lists fc1 then fc2 under prefix.
func (m *MLP) NamedParams(prefix string) []NamedParam {
	return append(m.FC1.NamedParams(Join(prefix, "fc1")), m.FC2.NamedParams(Join(prefix, "fc2"))...)
}
