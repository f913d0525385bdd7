package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning-rate multiplier for optimizer step s
// (counting from 0), as the lr_lambda of PyTorch's LambdaLR: step s runs at
// base*sched(s) (see LR).
type Schedule func(step int64) float64

// LR returns the learning rate of step s for base learning rate base, as
// LambdaLR computes it: base * sched(s).
func (sched Schedule) LR(base float64, step int64) float64 { return base * sched(step) }

// warmupFactor is the linear warm-up all transformers schedules share:
// step/max(1, warmup).
func warmupFactor(step, warmup int64) float64 {
	return float64(step) / float64(max(1, warmup))
}

func checkSteps(name string, warmup, total int64) error {
	if warmup < 0 || total < 0 {
		return fmt.Errorf("optim: %s schedule: warm-up %d and total %d steps must be >= 0", name, warmup, total)
	}
	return nil
}

// LinearWarmup is transformers' get_linear_schedule_with_warmup (the
// Trainer's default "linear" schedule): the multiplier rises linearly from
// 0 at step 0 to 1 at step warmup, then falls linearly to 0 at step total
// and stays 0 after:
//
//	step < warmup: step / max(1, warmup)
//	otherwise:     max(0, (total-step) / max(1, total-warmup))
//
// With warmup > 0 the first step runs at learning rate 0. It fails on a
// negative warmup or total.
func LinearWarmup(warmup, total int64) (Schedule, error) {
	if err := checkSteps("linear", warmup, total); err != nil {
		return nil, err
	}
	return func(step int64) float64 {
		if step < warmup {
			return warmupFactor(step, warmup)
		}
		return max(0, float64(total-step)/float64(max(1, total-warmup)))
	}, nil
}

// ConstantWarmup is transformers' get_constant_schedule_with_warmup: the
// linear warm-up of LinearWarmup, then 1. warmup 0 gives the constant
// schedule (get_constant_schedule). It fails on a negative warmup.
func ConstantWarmup(warmup int64) (Schedule, error) {
	if err := checkSteps("constant", warmup, 0); err != nil {
		return nil, err
	}
	return func(step int64) float64 {
		if step < warmup {
			return warmupFactor(step, warmup)
		}
		return 1
	}, nil
}

// CosineWarmup is transformers' get_cosine_schedule_with_warmup: the linear
// warm-up, then, with progress p = (step-warmup)/max(1, total-warmup),
//
//	max(0, 0.5 * (1 + cos(pi * cycles * 2 * p)))
//
// cycles 0.5 (transformers' default) is a half cosine from 1 down to 0 at
// step total. It fails on a negative warmup, total or cycles.
func CosineWarmup(warmup, total int64, cycles float64) (Schedule, error) {
	if err := checkSteps("cosine", warmup, total); err != nil {
		return nil, err
	}
	if !(cycles >= 0) || math.IsInf(cycles, 0) {
		return nil, fmt.Errorf("optim: cosine schedule: cycles %v must be finite and >= 0", cycles)
	}
	return func(step int64) float64 {
		if step < warmup {
			return warmupFactor(step, warmup)
		}
		p := float64(step-warmup) / float64(max(1, total-warmup))
		return max(0, 0.5*(1+math.Cos(math.Pi*cycles*2*p)))
	}, nil
}
