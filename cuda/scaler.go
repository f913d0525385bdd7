package cuda

import "fmt"

// LossScaler is dynamic loss scaling for fp16 training, as
// torch.cuda.amp.GradScaler: the loss is multiplied by Scale before the
// backward; AdamW.Step divides the gradients by it and skips the step when
// any gradient is Inf or NaN. Update then halves the scale after an
// overflow, and doubles it after Interval steps in a row without one.
type LossScaler struct {
	Scale    float32 // current scale, 65536 by default
	Growth   float32 // factor after Interval good steps (2)
	Backoff  float32 // factor after an overflow (0.5)
	Interval int     // good steps before growing (2000)
	good     int
}

// NewLossScaler returns a scaler with GradScaler's defaults.
func NewLossScaler() *LossScaler {
	return &LossScaler{Scale: 65536, Growth: 2, Backoff: 0.5, Interval: 2000}
}

// Update records whether the last step overflowed and adjusts the scale.
func (s *LossScaler) Update(foundInf bool) error {
	if s.Scale <= 0 || s.Growth < 1 || s.Backoff <= 0 || s.Backoff >= 1 || s.Interval < 1 {
		return fmt.Errorf("cuda: loss scaler with scale %v, growth %v, backoff %v, interval %d (want scale > 0, growth ≥ 1, 0 < backoff < 1, interval ≥ 1)",
			s.Scale, s.Growth, s.Backoff, s.Interval)
	}
	if foundInf {
		s.Scale *= s.Backoff
		s.good = 0
		return nil
	}
	s.good++
	if s.good >= s.Interval {
		s.Scale *= s.Growth
		s.good = 0
	}
	return nil
}
