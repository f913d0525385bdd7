package optim

import (
	"fmt"
	"math"

	"radcap/tensor"
)

// ScalerOptions configure a LossScaler; DefaultScalerOptions gives
// torch.cuda.amp.GradScaler's defaults.
type ScalerOptions struct {
	InitScale      float64 // first scale
	GrowthFactor   float64 // scale *= GrowthFactor after GrowthInterval good steps in a row
	BackoffFactor  float64 // scale *= BackoffFactor after a step with inf/NaN gradients
	GrowthInterval int
}

// DefaultScalerOptions returns GradScaler's defaults: scale 65536, growth
// 2.0 every 2000 good steps, backoff 0.5.
func DefaultScalerOptions() ScalerOptions {
	return ScalerOptions{InitScale: 65536, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 2000}
}

// LossScaler is dynamic loss scaling for fp16 training with the semantics of
// PyTorch 1.13's torch.cuda.amp.GradScaler. The loss's backward is seeded
// with Scale() (tp.BackwardWithGrad(loss, tensor.Full(dt, s.Scale()))), so
// small fp16 gradients do not flush to zero; then, once per optimizer
// step:
//
//	s.Unscale(opt)           // grads /= scale, notes inf/NaN (optional: Step does it)
//	optim.ClipGradNorm(...)  // on the true gradients
//	stepped, err := s.Step(opt, lr)
//	err = s.Update()         // back off after inf/NaN, grow after GrowthInterval good steps
//
// A step whose gradients hold an inf or NaN is skipped; the Trainer (via
// accelerate) then does not advance the learning-rate schedule either. The
// scale is a float32 value, as GradScaler keeps it.
type LossScaler struct {
	opts          ScalerOptions
	scale         float32
	growthTracker int
	unscaled      bool // Unscale ran since the last Update
	foundInf      bool // what Unscale found
}

// ScalerState is what a checkpoint must keep of a LossScaler to resume.
type ScalerState struct {
	Scale         float64 `json:"scale"`
	GrowthTracker int     `json:"growth_tracker"`
}

// NewLossScaler returns a LossScaler. It fails on a scale that is not
// positive and finite in float32, a growth factor not above 1, a backoff
// factor not in (0, 1), or a growth interval below 1.
func NewLossScaler(o ScalerOptions) (*LossScaler, error) {
	if err := checkScale(o.InitScale); err != nil {
		return nil, err
	}
	if !(o.GrowthFactor > 1) || math.IsInf(o.GrowthFactor, 0) {
		return nil, fmt.Errorf("optim: loss scaler growth factor %v must be finite and > 1", o.GrowthFactor)
	}
	if !(o.BackoffFactor > 0 && o.BackoffFactor < 1) {
		return nil, fmt.Errorf("optim: loss scaler backoff factor %v must lie in (0, 1)", o.BackoffFactor)
	}
	if o.GrowthInterval < 1 {
		return nil, fmt.Errorf("optim: loss scaler growth interval %d must be >= 1", o.GrowthInterval)
	}
	return &LossScaler{opts: o, scale: float32(o.InitScale)}, nil
}

func checkScale(s float64) error {
	if f := float32(s); !(f > 0) || math.IsInf(float64(f), 0) {
		return fmt.Errorf("optim: loss scale %v must be positive and finite in float32", s)
	}
	return nil
}

// Scale returns the current loss scale.
func (s *LossScaler) Scale() float64 { return float64(s.scale) }

// State returns the scale and the count of good steps since the last
// change, for a checkpoint.
func (s *LossScaler) State() ScalerState {
	return ScalerState{Scale: float64(s.scale), GrowthTracker: s.growthTracker}
}

// SetState restores what State returned. It fails on a scale that is not
// positive and finite or a tracker outside [0, GrowthInterval).
func (s *LossScaler) SetState(st ScalerState) error {
	if err := checkScale(st.Scale); err != nil {
		return err
	}
	if st.GrowthTracker < 0 || st.GrowthTracker >= s.opts.GrowthInterval {
		return fmt.Errorf("optim: loss scaler growth tracker %d outside [0, %d)", st.GrowthTracker, s.opts.GrowthInterval)
	}
	s.scale, s.growthTracker = float32(st.Scale), st.GrowthTracker
	s.unscaled, s.foundInf = false, false
	return nil
}

// Unscale divides the gradients of opt's parameters by the scale, in place
// (multiplying by the float32 reciprocal, as GradScaler does), and notes
// whether any element is inf or NaN; it returns that. It may run once per
// step: a second call before Update is an error, as in PyTorch.
func (s *LossScaler) Unscale(opt *AdamW) (foundInf bool, err error) {
	if s.unscaled {
		return false, fmt.Errorf("optim: Unscale was already called since the last Update")
	}
	inv := float32(1 / float64(s.scale))
	var dev []*tensor.Tensor
	for _, g := range opt.groups {
		for _, p := range g.Params {
			grad := p.Var.Grad
			if grad == nil {
				continue
			}
			if !grad.OnHost() && (grad.DType() == tensor.F32 || grad.DType() == tensor.F64) {
				dev = append(dev, grad)
				continue
			}
			switch grad.DType() {
			case tensor.F32:
				update32(grad, func(d []float32) {
					for i, x := range d {
						if math.IsInf(float64(x), 0) || x != x {
							s.foundInf = true
						}
						d[i] = x * inv
					}
				})
			case tensor.F64:
				update64(grad, func(d []float64) {
					for i, x := range d {
						if math.IsInf(x, 0) || x != x {
							s.foundInf = true
						}
						d[i] = x * float64(inv)
					}
				})
			default:
				return false, fmt.Errorf("optim: gradient of %q has dtype %v; unscaling works on float32 or float64", p.Name, grad.DType())
			}
		}
	}
	if len(dev) > 0 {
		// One download for the flags of every device gradient.
		bad, err := unscaleDevice(dev, float64(inv))
		if err != nil {
			return false, err
		}
		s.foundInf = s.foundInf || bad
	}
	s.unscaled = true
	return s.foundInf, nil
}

// Step unscales the gradients if Unscale has not run yet, then takes the
// optimizer step at learning rate lr unless an inf or NaN was found. It
// reports whether the step was taken.
func (s *LossScaler) Step(opt *AdamW, lr float64) (stepped bool, err error) {
	if !s.unscaled {
		if _, err := s.Unscale(opt); err != nil {
			return false, err
		}
	}
	if s.foundInf {
		return false, nil
	}
	if err := opt.Step(lr); err != nil {
		return false, err
	}
	return true, nil
}

// Update adjusts the scale for the next step, as GradScaler.update does:
// after a step with inf/NaN gradients the scale is multiplied by the
// backoff factor and the good-step count restarts; otherwise the count
// grows, and when it reaches the growth interval the scale is multiplied
// by the growth factor (unless that overflows float32) and the count
// restarts. Call it once per optimizer step, after Step; without an
// Unscale or Step since the last Update it fails, as GradScaler does ("no
// inf checks were recorded"), and changes nothing.
func (s *LossScaler) Update() error {
	if !s.unscaled {
		return fmt.Errorf("optim: loss scaler Update without Unscale or Step since the last Update")
	}
	if s.foundInf {
		s.scale = float32(float64(s.scale) * s.opts.BackoffFactor)
		s.growthTracker = 0
	} else if s.growthTracker+1 == s.opts.GrowthInterval {
		if grown := float32(float64(s.scale) * s.opts.GrowthFactor); !math.IsInf(float64(grown), 0) {
			s.scale = grown
		}
		s.growthTracker = 0
	} else {
		s.growthTracker++
	}
	s.unscaled, s.foundInf = false, false
	return nil
}
