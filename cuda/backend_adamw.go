//go:build cgo

package cuda

import (
	"fmt"

	"radcap/tensor"
)

// TensorAdamW is the fused AdamW kernel over device tensors: fp32
// parameters (their own master weights) updated in place from their
// gradients, with the moments kept here. One launch per step.
type TensorAdamW struct {
	b    *Backend
	m, v []*tensor.Tensor
	step int
}

// NewTensorAdamW returns an optimizer for parameters of these sizes.
func (b *Backend) NewTensorAdamW(params []*tensor.Tensor) (*TensorAdamW, error) {
	o := &TensorAdamW{b: b}
	for i, p := range params {
		if p.Device() != BackendName || p.DType() != tensor.F32 || !p.IsContiguous() {
			return nil, fmt.Errorf("cuda: AdamW: parameter %d is %v on %s (want contiguous float32 on cuda)", i, p, p.Device())
		}
		m, err := b.zeros(tensor.F32, p.Numel())
		if err != nil {
			return nil, err
		}
		v, err := b.zeros(tensor.F32, p.Numel())
		if err != nil {
			return nil, err
		}
		o.m, o.v = append(o.m, m), append(o.v, v)
	}
	return o, nil
}

// Step applies one AdamW step (torch.optim.AdamW) at learning rate lr
// with weight decay wd to params from grads (nil: the parameter is
// skipped this step, as PyTorch skips parameters without a gradient).
func (o *TensorAdamW) Step(params, grads []*tensor.Tensor, lr, wd, beta1, beta2, eps float64) error {
	if len(params) != len(o.m) || len(grads) != len(params) {
		return fmt.Errorf("cuda: AdamW: %d parameters and %d gradients for an optimizer of %d", len(params), len(grads), len(o.m))
	}
	var table []AdamWParam
	var keep []*tensor.Tensor
	for i, p := range params {
		g := grads[i]
		if g == nil {
			continue
		}
		if g.Device() != BackendName || g.Numel() != p.Numel() {
			return fmt.Errorf("cuda: AdamW: gradient %d is %v on %s for a parameter of %d elements", i, g, g.Device(), p.Numel())
		}
		if g.DType() != tensor.F32 && g.DType() != tensor.F16 && g.DType() != tensor.BF16 {
			g = g.To(tensor.F32)
		}
		g = g.Contiguous()
		keep = append(keep, g)
		table = append(table, AdamWParam{Master: buf(p), M: buf(o.m[i]), V: buf(o.v[i]), Grad: buf(g), GradDType: g.DType(), N: p.Numel()})
	}
	if len(table) == 0 {
		return nil
	}
	o.step++
	k, err := o.b.d.NewAdamW(table)
	if err != nil {
		return err
	}
	_, err = k.Step(AdamWHyper{LR: lr, Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: wd, Step: o.step, InvScale: 1})
	if ferr := k.Free(); err == nil {
		err = ferr
	}
	_ = keep // the gradients' buffers stay referenced until the launch is queued
	return err
}
