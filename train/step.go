package train

import (
	"fmt"
	"math"

	"radcap/autograd"
	"radcap/nn/optim"
	"radcap/tensor"
)

// StepConfig says how micro-batch losses become optimizer steps.
type StepConfig struct {
	// AccumulationSteps is the number of micro-batches per optimizer step
	// (Trainer's gradient_accumulation_steps); each micro-batch's loss is
	// divided by it before its backward pass.
	AccumulationSteps int
	// MaxGradNorm is the global gradient-norm limit (Trainer's
	// max_grad_norm, 1.0 by default); 0 turns clipping off, as in the
	// Trainer.
	MaxGradNorm float64
	// BaseLR is the learning rate the schedule multiplies.
	BaseLR float64
	// Schedule gives the multiplier of each optimizer step (counted from
	// 0); nil means constant 1.
	Schedule optim.Schedule
}

// StepInfo reports what one call of Stepper.Backward did.
type StepInfo struct {
	// Loss is the micro-batch's loss before the division by the
	// accumulation steps.
	Loss float64
	// Stepped is true when this micro-batch completed an accumulation cycle
	// and the optimizer stepped; the fields below are set only then.
	Stepped bool
	// Step is the optimizer step just taken, counted from 0.
	Step int64
	// GradNorm is the global gradient norm before clipping (what the
	// Trainer logs as grad_norm); it is computed even with clipping off.
	GradNorm float64
	// LR is the learning rate the step used.
	LR float64
	// Skipped is true (with fp16 loss scaling) when the gradients held an
	// inf or NaN: the optimizer did not step, the loss scale backed off,
	// and GradNorm is 0.
	Skipped bool
}

// Stepper drives an AdamW optimizer from micro-batch losses: it owns the
// accumulation count and applies, after every AccumulationSteps-th
// backward pass, clipping, the step at the scheduled learning rate and
// optim.ZeroGrad, in the Trainer's order.
type Stepper struct {
	cfg    StepConfig
	opt    *optim.AdamW
	params []optim.Param
	micro  int         // micro-batches accumulated since the last step
	half   *halfMaster // fp16 on a device: float16 model, float32 masters, loss scaling
}

// NewStepper returns a Stepper for opt over params (the parameters whose
// gradients are clipped and zeroed: all of the model's, as the Trainer
// passes model.parameters()). It fails on AccumulationSteps < 1, a
// negative or non-finite MaxGradNorm or BaseLR.
func NewStepper(opt *optim.AdamW, params []optim.Param, cfg StepConfig) (*Stepper, error) {
	if cfg.AccumulationSteps < 1 {
		return nil, fmt.Errorf("train: accumulation steps %d must be >= 1", cfg.AccumulationSteps)
	}
	if !(cfg.MaxGradNorm >= 0) || math.IsInf(cfg.MaxGradNorm, 0) {
		return nil, fmt.Errorf("train: max grad norm %v must be finite and >= 0", cfg.MaxGradNorm)
	}
	if !(cfg.BaseLR >= 0) || math.IsInf(cfg.BaseLR, 0) {
		return nil, fmt.Errorf("train: learning rate %v must be finite and >= 0", cfg.BaseLR)
	}
	return &Stepper{cfg: cfg, opt: opt, params: params}, nil
}

// Pending returns how many micro-batches have been accumulated since the
// last optimizer step.
func (s *Stepper) Pending() int { return s.micro }

// Backward runs the backward pass of one micro-batch's loss (a scalar on
// tape tp) seeded with 1/AccumulationSteps — the gradient of
// loss/AccumulationSteps — so the gradients accumulate to the mean over
// the micro-batches, and steps the optimizer when the cycle is complete.
func (s *Stepper) Backward(tp *autograd.Tape, loss *autograd.Var) (StepInfo, error) {
	if loss.Value.Numel() != 1 {
		return StepInfo{}, fmt.Errorf("train: loss has shape %v, want a scalar", loss.Shape())
	}
	l, err := hostScalar(loss.Value)
	if err != nil {
		return StepInfo{}, fmt.Errorf("train: loss: %w", err)
	}
	info := StepInfo{Loss: l}
	g := 1 / float64(s.cfg.AccumulationSteps)
	if s.half != nil {
		g *= s.half.scaler.Scale()
	}
	seed := tensor.FullOn(loss.Value.Device(), loss.DType(), g, loss.Shape()...)
	if err := tp.BackwardWithGrad(loss, seed); err != nil {
		return info, fmt.Errorf("train: backward: %w", err)
	}
	if s.half != nil {
		s.half.takeGrads()
	}
	s.micro++
	if s.micro < s.cfg.AccumulationSteps {
		return info, nil
	}
	return s.step(info)
}

// Flush takes the optimizer step with the micro-batches accumulated so
// far, fewer than AccumulationSteps (at the end of an epoch whose batch
// count the accumulation steps do not divide, as the Trainer does on an
// epoch's last batch); their gradients keep the 1/AccumulationSteps
// factor. With nothing pending it does nothing and reports Stepped false.
func (s *Stepper) Flush() (StepInfo, error) {
	if s.micro == 0 {
		return StepInfo{}, nil
	}
	return s.step(StepInfo{})
}

// step clips, steps the optimizer at the scheduled learning rate and
// zeroes the gradients.
func (s *Stepper) step(info StepInfo) (StepInfo, error) {
	s.micro = 0
	var err error
	if s.half != nil {
		// Unscale the float32 master gradients and look for inf/NaN.
		found, err := s.half.scaler.Unscale(s.opt)
		if err != nil {
			return info, fmt.Errorf("train: %w", err)
		}
		if found {
			optim.ZeroGrad(s.params)
			if err := s.half.scaler.Update(); err != nil {
				return info, fmt.Errorf("train: %w", err)
			}
			info.Step, info.Stepped, info.Skipped = s.opt.Steps(), true, true
			info.LR = s.lr(info.Step)
			return info, nil
		}
	}
	if s.cfg.MaxGradNorm > 0 {
		info.GradNorm, err = optim.ClipGradNorm(s.params, s.cfg.MaxGradNorm)
	} else {
		info.GradNorm, err = optim.GradNorm(s.params)
	}
	if err != nil {
		return info, fmt.Errorf("train: %w", err)
	}
	info.Step = s.opt.Steps()
	info.LR = s.lr(info.Step)
	if err := s.opt.Step(info.LR); err != nil {
		return info, fmt.Errorf("train: optimizer step %d: %w", info.Step, err)
	}
	optim.ZeroGrad(s.params)
	if s.half != nil {
		if err := s.half.scaler.Update(); err != nil {
			return info, fmt.Errorf("train: %w", err)
		}
		s.half.syncModel()
	}
	info.Stepped = true
	return info, nil
}

// lr is the scheduled learning rate of optimizer step.
func (s *Stepper) lr(step int64) float64 {
	if s.cfg.Schedule != nil {
		return s.cfg.Schedule.LR(s.cfg.BaseLR, step)
	}
	return s.cfg.BaseLR
}

// hostScalar returns the value of a one-element tensor. A tensor on a
// device is downloaded first, explicitly: the one value per micro-batch
// (the loss for the log) that training reads back from a device.
func hostScalar(t *tensor.Tensor) (float64, error) {
	if !t.OnHost() {
		h, err := t.ToDevice("cpu")
		if err != nil {
			return 0, err
		}
		t = h
	}
	return t.Item(), nil
}
