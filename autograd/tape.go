package autograd

import (
	"fmt"

	"radcap/tensor"
)

// Var is a value in a differentiable computation, the counterpart of a
// PyTorch tensor with requires_grad. Value holds the data. Grad is nil until
// a Backward reaches the Var as a leaf; later Backward calls add to it (as
// PyTorch's .grad does), until ZeroGrad clears it.
type Var struct {
	// Value is the forward value. Ops never modify it in place.
	Value *tensor.Tensor
	// Grad is d(loss)/d(Value) accumulated over Backward calls, for leaves
	// only (Vars not produced by a recorded op). It has Value's shape and
	// dtype and is contiguous.
	Grad *tensor.Tensor
	// RequiresGrad marks a Var whose gradient is wanted. Leaves made by
	// Param have it set; an op's output has it when any input has it and
	// the op was recorded. Setting it false on a parameter freezes it.
	RequiresGrad bool

	node *node // the op that produced this Var, nil for leaves and constants
	tape *Tape // the tape this Var's node is on, or that a constant is bound to
}

// Param returns a leaf that requires a gradient and belongs to no tape: a
// model parameter. It persists across training steps; each step records
// its ops on a fresh tape.
func Param(t *tensor.Tensor) *Var { return &Var{Value: t, RequiresGrad: true} }

// Const returns a leaf that needs no gradient and belongs to no tape (a
// constant input, a target, a mask).
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// DType returns the dtype of v's value.
func (v *Var) DType() tensor.DType { return v.Value.DType() }

// Item returns the single element of v's value (see tensor.Tensor.Item).
func (v *Var) Item() float64 { return v.Value.Item() }

// ZeroGrad clears the accumulated gradient (sets Grad to nil).
func (v *Var) ZeroGrad() { v.Grad = nil }

// Detach returns a constant sharing v's value: gradients stop there.
func (v *Var) Detach() *Var { return &Var{Value: v.Value, tape: v.tape} }

// String describes the Var for debugging.
func (v *Var) String() string {
	op := "leaf"
	if v.node != nil {
		op = v.node.op
	}
	return fmt.Sprintf("Var(%s, requiresGrad=%v, %v)", op, v.RequiresGrad, v.Value)
}

// backwardFunc receives the gradient of the loss with respect to an op's
// output and returns the gradient with respect to each input, in the order
// the inputs were given (nil for inputs that need none). It must not modify
// its argument.
type backwardFunc func(g *tensor.Tensor) []*tensor.Tensor

// node is one recorded op: its inputs, its output and its backward.
type node struct {
	op       string
	inputs   []*Var
	out      *Var
	backward backwardFunc
	// aliases says the backward may return its argument or views of it
	// (reshape, permute, ...); such gradients are copied before they are
	// accumulated in place. Otherwise every returned gradient is a fresh
	// tensor the tape may take over.
	aliases bool
	tape    *Tape // nil while pending (no input was on a tape yet)
}

// Tape records the ops of one forward pass so that Backward can run their
// backwards in reverse. An op is recorded on the tape of its inputs; ops
// whose inputs are all parameters or tapeless values stay pending and are
// moved onto a tape as soon as their result meets a Var of that tape (or is
// passed to Backward). A Tape is not safe for concurrent use.
type Tape struct {
	nodes  []*node
	noGrad int
	// uploads holds the device copies of host constants (masks, ids) that
	// ops on this tape uploaded, so each is uploaded once (device.go).
	uploads map[uploadKey]*tensor.Tensor
}

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{} }

// Len returns the number of recorded ops (0 after Backward).
func (tp *Tape) Len() int { return len(tp.nodes) }

// Const returns a constant bound to tp: ops that take it record on tp, so
// a forward pass whose first op reads only parameters and this constant
// (an embedding lookup, say) is recorded from the start.
func (tp *Tape) Const(t *tensor.Tensor) *Var { return &Var{Value: t, tape: tp} }

// NoGrad runs f with recording switched off for ops on tp: their results
// carry no history and require no gradient (torch.no_grad()).
func (tp *Tape) NoGrad(f func()) {
	tp.noGrad++
	defer func() { tp.noGrad-- }()
	f()
}

// Release drops every recorded op without running a backward.
func (tp *Tape) Release() {
	for i, n := range tp.nodes {
		tp.nodes[i] = nil
		n.out.node = nil
		n.out.RequiresGrad = false
		n.inputs, n.backward, n.out = nil, nil, nil
	}
	tp.nodes = nil
	tp.uploads = nil
}

// tapeOf returns the one tape found among the inputs (through their own
// tape or a pending history); two different tapes is a programmer error.
func tapeOf(op string, inputs []*Var) *Tape {
	var tp *Tape
	for _, in := range inputs {
		if in == nil {
			continue
		}
		t := in.tape
		if t == nil && in.node != nil {
			t = in.node.tape
		}
		if t == nil {
			continue
		}
		if tp != nil && t != tp {
			panic(fmt.Sprintf("autograd.%s: inputs belong to different tapes", op))
		}
		tp = t
	}
	return tp
}

// record wraps an op's forward value in a Var and, when recording is on and
// some input requires a gradient, remembers backward for it. Ops call it
// last, with their inputs in the order backward returns gradients.
func record(op string, value *tensor.Tensor, aliases bool, backward backwardFunc, inputs ...*Var) *Var {
	tp := tapeOf(op, inputs)
	out := &Var{Value: value, tape: tp}
	if tp != nil && tp.noGrad > 0 {
		return out
	}
	need := false
	for _, in := range inputs {
		if in != nil && in.RequiresGrad {
			need = true
			break
		}
	}
	if !need {
		return out
	}
	n := &node{op: op, inputs: inputs, out: out, backward: backward, aliases: aliases}
	out.node, out.RequiresGrad = n, true
	if tp != nil {
		for _, in := range inputs {
			if in != nil {
				tp.adopt(in)
			}
		}
		n.tape = tp
		tp.nodes = append(tp.nodes, n)
	}
	return out
}

// adopt moves v's pending history (ops recorded before any of their inputs
// was on a tape) onto tp, inputs before outputs.
func (tp *Tape) adopt(v *Var) {
	n := v.node
	if n == nil || n.tape == tp {
		return
	}
	if n.tape != nil {
		panic(fmt.Sprintf("autograd: the history of %s is on another tape (a value built from parameters was used on two tapes)", n.op))
	}
	n.tape = tp
	for _, in := range n.inputs {
		if in != nil {
			tp.adopt(in)
		}
	}
	v.tape = tp
	tp.nodes = append(tp.nodes, n)
}

// gradBuf is a gradient being accumulated during Backward. owned says the
// tape allocated it and may add into it in place.
type gradBuf struct {
	t     *tensor.Tensor
	owned bool
}

// accumulate adds g to the gradient of v.
func accumulate(grads map[*Var]*gradBuf, op string, v *Var, g *tensor.Tensor, owned bool) {
	if g.DType() != v.Value.DType() || !sameShape(g.Shape(), v.Value.Shape()) {
		panic(fmt.Sprintf("autograd: backward of %s gave a %v%v gradient for a %v%v input",
			op, g.DType(), g.Shape(), v.Value.DType(), v.Value.Shape()))
	}
	b := grads[v]
	switch {
	case b == nil:
		grads[v] = &gradBuf{t: g, owned: owned}
	case b.owned:
		tensor.AddInto(b.t, g)
	case owned:
		// The new gradient is ours: add the shared one into it instead of
		// allocating a third tensor.
		tensor.AddInto(g, b.t)
		b.t, b.owned = g, true
	default:
		b.t, b.owned = tensor.Add(b.t, g), true
	}
}

// Backward computes the gradient of the scalar loss with respect to every
// leaf it depends on that requires a gradient, adding it to the leaf's Grad,
// and then releases the tape. loss must be on tp or have a pending history
// (which is adopted first).
func (tp *Tape) Backward(loss *Var) error {
	if loss.Value.Numel() != 1 {
		return fmt.Errorf("autograd: Backward of a non-scalar %v value (use BackwardWithGrad)", loss.Value.Shape())
	}
	return tp.BackwardWithGrad(loss, tensor.FullOn(loss.Value.Device(), loss.Value.DType(), 1, loss.Value.Shape()...))
}

// BackwardWithGrad is Backward for any output, seeded with grad = d(loss)/d(out)
// (of out's shape and dtype): out.backward(grad) in PyTorch. Loss scaling for
// mixed precision seeds with the scale.
func (tp *Tape) BackwardWithGrad(out *Var, grad *tensor.Tensor) error {
	if !out.RequiresGrad {
		return fmt.Errorf("autograd: Backward of a value that does not require a gradient (no recorded op leads to it)")
	}
	if !sameShape(grad.Shape(), out.Value.Shape()) || grad.DType() != out.Value.DType() {
		return fmt.Errorf("autograd: Backward seed %v%v does not match output %v%v",
			grad.DType(), grad.Shape(), out.Value.DType(), out.Value.Shape())
	}
	if gd, od := grad.Device(), out.Value.Device(); gd != od {
		return fmt.Errorf("autograd: Backward seed is on %s, the output on %s (make the seed with tensor.FullOn(out.Value.Device(), ...))", gd, od)
	}
	if out.node != nil {
		if out.node.tape != nil && out.node.tape != tp {
			return fmt.Errorf("autograd: Backward on a tape the output was not recorded on")
		}
		tp.adopt(out)
	}
	grads := map[*Var]*gradBuf{out: {t: grad}}
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		n := tp.nodes[i]
		b := grads[n.out]
		if b == nil {
			continue
		}
		delete(grads, n.out)
		gin := n.backward(b.t)
		for j, in := range n.inputs {
			if in == nil || !in.RequiresGrad || j >= len(gin) || gin[j] == nil {
				continue
			}
			accumulate(grads, n.op, in, gin[j], !n.aliases)
		}
		// Drop what the node saved for its backward now, not at the end,
		// so activations are freed as the backward pass walks down.
		n.backward = nil
	}
	// What is left are the leaves (and values from pending histories on no
	// tape, which cannot happen after adopt).
	for v, b := range grads {
		if v.node != nil {
			continue
		}
		switch {
		case v.Grad != nil:
			tensor.AddInto(v.Grad, b.t)
		case b.owned && b.t.IsContiguous():
			v.Grad = b.t
		default:
			v.Grad = b.t.Clone()
		}
	}
	tp.Release()
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
