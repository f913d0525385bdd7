package train

import (
	"fmt"

	"radcap/autograd"
	"radcap/nn"
	"radcap/nn/optim"
	"radcap/tensor"
)

// Mixed precision fp16 on a device, as the reference run trains
// (Trainer with fp16=True: float32 master weights, dynamic loss scaling):
//
//   - The model's parameters hold float16 copies on the device, so the
//     forward and backward passes run in float16 (the backend computes each
//     op in float32 and rounds its result, as GPU kernels accumulate in
//     float32); the pixels are cast to float16 with their upload.
//   - The optimizer updates float32 master weights: one Var per parameter,
//     on the device, that the model never sees. After each micro-batch's
//     backward pass the float16 gradients are added into the masters'
//     float32 gradients (so accumulation is in float32) and dropped.
//   - The backward pass is seeded with the loss scale (divided by the
//     accumulation steps); before clipping, the master gradients are
//     unscaled and checked for inf/NaN (optim.LossScaler, the semantics of
//     torch.cuda.amp.GradScaler, one downloaded flag per step). A step with
//     an inf or NaN is skipped and the scale backs off.
//   - After each step the masters are rounded into the model's float16
//     parameters. Checkpoints and the best model hold the float32 masters,
//     as the Trainer saves its float32 weights; the scaler's state is in
//     trainer_state.json.
//
// Differences from PyTorch autocast: there every parameter stays float32
// and only the matrix products and attention run in float16, while layer
// norms, softmax and the loss run in float32; here every op runs on
// float16 values. The loss itself is therefore a float16 value, and a
// seed of scale/accumulation above float16's largest value (65504) is
// infinite: GradScaler's initial scale of 65536 would make the first step
// overflow for certain (without accumulation), so the scale starts at
// halfInitScale instead; growth and backoff are GradScaler's.
//
// Not yet done: bfloat16 parameters (--precision bf16 on a device keeps
// float32 parameters and emulates autocast by rounding, as on the CPU),
// and a fused AdamW over the masters (optim.FusedAdamW, when the backend
// offers it, is used by the optimizer; cuda does not offer it yet).

// halfInitScale is the first loss scale of fp16 training: 2^15, the
// largest power of two below float16's largest value.
const halfInitScale = 32768

// halfMaster pairs a model's float16 parameters with their float32
// masters.
type halfMaster struct {
	model  []nn.NamedParam // the model's Vars: float16 values on the device
	master []nn.NamedParam // the optimizer's Vars: float32 values, same names
	scaler *optim.LossScaler
	dev    string // the device of both
}

// newHalfMaster takes params (float32, already on their device) as the
// masters and gives the model float16 copies in their place.
func newHalfMaster(params []nn.NamedParam) (*halfMaster, error) {
	o := optim.DefaultScalerOptions()
	o.InitScale = halfInitScale
	sc, err := optim.NewLossScaler(o)
	if err != nil {
		return nil, err
	}
	h := &halfMaster{model: params, scaler: sc, dev: modelDeviceOf(params)}
	for _, p := range params {
		if p.Var.Value.DType() != tensor.F32 {
			return nil, fmt.Errorf("fp16: parameter %s is %v, want float32 master weights", p.Name, p.Var.Value.DType())
		}
		mv := autograd.Param(p.Var.Value)
		mv.RequiresGrad = p.Var.RequiresGrad
		h.master = append(h.master, nn.NamedParam{Name: p.Name, Var: mv})
	}
	h.syncModel()
	return h, nil
}

// syncModel rounds the masters into the model's float16 parameters (new
// tensors on the device, the masters' gradients untouched).
func (h *halfMaster) syncModel() {
	for i, p := range h.model {
		p.Var.Value = h.master[i].Var.Value.To(tensor.F16)
		p.Var.Grad = nil
	}
}

// takeGrads adds the model's float16 gradients into the masters' float32
// gradients and drops them: called after every micro-batch's backward.
func (h *halfMaster) takeGrads() {
	for i, p := range h.model {
		g := p.Var.Grad
		if g == nil {
			continue
		}
		g32 := g.To(tensor.F32)
		mv := h.master[i].Var
		if mv.Grad == nil {
			mv.Grad = g32
		} else {
			tensor.AddInto(mv.Grad, g32)
		}
		p.Var.Grad = nil
	}
}

// withMasters runs f with the model's parameters holding the float32
// masters (to save or load them), then rounds the masters back into the
// model.
func (h *halfMaster) withMasters(f func() error) error {
	halves := make([]*tensor.Tensor, len(h.model))
	for i, p := range h.model {
		halves[i], p.Var.Value = p.Var.Value, h.master[i].Var.Value
	}
	err := f()
	loaded := false
	for i, p := range h.model {
		if v := p.Var.Value; v != h.master[i].Var.Value {
			// f replaced the model's values (a load): they become the
			// masters, on the masters' device.
			h.master[i].Var.Value, loaded = v, true
		}
	}
	if !loaded {
		for i, p := range h.model {
			p.Var.Value = halves[i]
		}
		return err
	}
	if err == nil {
		err = MoveParams(h.master, h.dev)
	}
	h.syncModel()
	return err
}

// modelDeviceOf is the device of the first parameter of params ("cpu"
// when there is none).
func modelDeviceOf(params []nn.NamedParam) string {
	for _, p := range params {
		if p.Var != nil && p.Var.Value != nil {
			return p.Var.Value.Device()
		}
	}
	return "cpu"
}

// optimParams returns the masters as the optimizer's parameters.
func (h *halfMaster) optimParams() []optim.Param {
	out := make([]optim.Param, len(h.master))
	for i, p := range h.master {
		out[i] = optim.Param{Name: p.Name, Var: p.Var}
	}
	return out
}
