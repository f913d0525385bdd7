package optim

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"radcap/tensor"
)

// Options are AdamW's hyperparameters other than the learning rate (given
// to every Step, see the package doc) and the weight decay (per Group).
type Options struct {
	Beta1, Beta2 float64 // decay rates of the first and second moments
	Eps          float64 // added to the bias-corrected root of the second moment
}

// DefaultOptions returns torch.optim.AdamW's defaults, which the Trainer
// also uses: betas (0.9, 0.999), eps 1e-8.
func DefaultOptions() Options { return Options{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// AdamW is torch.optim.AdamW as PyTorch 1.13 computes it on the CPU
// (_single_tensor_adamw, amsgrad and maximize off). For each parameter p
// with gradient g, on its t-th step at learning rate lr and weight decay
// wd, element-wise and in p's dtype:
//
//	p  = p * (1 - lr*wd)                 // decoupled weight decay
//	m  = m*beta1 + (1-beta1)*g           // exp_avg
//	v  = v*beta2 + (1-beta2)*g*g         // exp_avg_sq
//	p  = p + (-lr/(1-beta1^t)) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)
//
// The scalar factors are computed in float64 and rounded to p's dtype, as
// PyTorch passes Python floats to its float32 kernels, and every tensor
// operation rounds its result to p's dtype, in the order above. The moments
// start at zero when a parameter takes its first step. A parameter whose
// Grad is nil is skipped entirely (no decay, no step counted), as PyTorch
// skips parameters whose grad is None.
type AdamW struct {
	opts   Options
	groups []Group
	state  map[string]*paramState
	params map[string]Param
	names  []string // every parameter name, group order
	steps  int64    // Step calls that updated parameters
}

// paramState is one parameter's optimizer state: PyTorch's state[p].
type paramState struct {
	expAvg, expAvgSq *tensor.Tensor // nil until the first step
	step             int64
}

// toDevice moves the moments to device d.
func (st *paramState) toDevice(d string) error {
	m, err := st.expAvg.ToDevice(d)
	if err != nil {
		return err
	}
	v, err := st.expAvgSq.ToDevice(d)
	if err != nil {
		return err
	}
	st.expAvg, st.expAvgSq = m, v
	return nil
}

// NewAdamW returns an AdamW over the given groups. It fails on a nil Var, a
// repeated name or Var, a parameter that is not float32/float64, betas
// outside [0, 1), or a negative eps or weight decay.
func NewAdamW(groups []Group, opts Options) (*AdamW, error) {
	if !(opts.Beta1 >= 0 && opts.Beta1 < 1) || !(opts.Beta2 >= 0 && opts.Beta2 < 1) {
		return nil, fmt.Errorf("optim: AdamW betas (%v, %v) must lie in [0, 1)", opts.Beta1, opts.Beta2)
	}
	if !(opts.Eps >= 0) {
		return nil, fmt.Errorf("optim: AdamW eps %v must be >= 0", opts.Eps)
	}
	o := &AdamW{opts: opts, state: map[string]*paramState{}, params: map[string]Param{}}
	seen := map[any]string{}
	for gi, g := range groups {
		if !(g.WeightDecay >= 0) {
			return nil, fmt.Errorf("optim: group %d: weight decay %v must be >= 0", gi, g.WeightDecay)
		}
		cp := Group{WeightDecay: g.WeightDecay, Params: append([]Param(nil), g.Params...)}
		for _, p := range cp.Params {
			if p.Var == nil || p.Var.Value == nil {
				return nil, fmt.Errorf("optim: parameter %q has no value", p.Name)
			}
			if err := checkFloat(fmt.Sprintf("optim: parameter %q", p.Name), p.Var.Value.DType()); err != nil {
				return nil, err
			}
			if _, dup := o.state[p.Name]; dup {
				return nil, fmt.Errorf("optim: parameter name %q appears twice", p.Name)
			}
			if other, dup := seen[p.Var]; dup {
				return nil, fmt.Errorf("optim: parameters %q and %q are the same Var", other, p.Name)
			}
			seen[p.Var] = p.Name
			o.state[p.Name] = &paramState{}
			o.params[p.Name] = p
			o.names = append(o.names, p.Name)
		}
		o.groups = append(o.groups, cp)
	}
	return o, nil
}

// Options returns the optimizer's hyperparameters.
func (o *AdamW) Options() Options { return o.opts }

// Groups returns the parameter groups (a copy of the slice; the Params are
// the optimizer's own).
func (o *AdamW) Groups() []Group { return append([]Group(nil), o.groups...) }

// Steps returns how many times Step has run: the scheduler's step counter.
func (o *AdamW) Steps() int64 { return o.steps }

// Step updates every parameter that has a gradient, at learning rate lr.
// It fails, changing nothing, on a negative or non-finite lr or a gradient
// whose shape or dtype differs from its parameter's. Gradients are read,
// not changed; clearing them is ZeroGrad's job.
func (o *AdamW) Step(lr float64) error {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("optim: AdamW learning rate %v must be finite and >= 0", lr)
	}
	for _, g := range o.groups {
		for _, p := range g.Params {
			if p.Var.Grad == nil {
				continue
			}
			if err := checkGrad(p); err != nil {
				return err
			}
		}
	}
	var jobs []func()
	var dev []devItem
	for _, g := range o.groups {
		for _, p := range g.Params {
			if p.Var.Grad == nil {
				continue
			}
			st := o.state[p.Name]
			if st.expAvg == nil {
				v := p.Var.Value
				if v.OnHost() {
					st.expAvg, st.expAvgSq = tensor.Zeros(v.DType(), v.Shape()...), tensor.Zeros(v.DType(), v.Shape()...)
				} else {
					st.expAvg, st.expAvgSq = tensor.ZerosOn(v.Device(), v.DType(), v.Shape()...), tensor.ZerosOn(v.Device(), v.DType(), v.Shape()...)
				}
			}
			if d := p.Var.Value.Device(); st.expAvg.Device() != d {
				// Moments restored on the host for a parameter moved since.
				if err := st.toDevice(d); err != nil {
					return fmt.Errorf("optim: state of %q: %w", p.Name, err)
				}
			}
			st.step++
			c := o.coefficients(lr, g.WeightDecay, st.step)
			if !p.Var.Value.OnHost() {
				dev = append(dev, devItem{p: p, st: st, c: c, wd: g.WeightDecay})
				continue
			}
			p := p
			jobs = append(jobs, func() { c.apply(p.Var.Value, p.Var.Grad, st.expAvg, st.expAvgSq) })
		}
	}
	runParallel(jobs)
	if err := o.stepDevice(dev, lr); err != nil {
		return err
	}
	o.steps++
	return nil
}

func checkGrad(p Param) error {
	v, g := p.Var.Value, p.Var.Grad
	if g.DType() != v.DType() {
		return fmt.Errorf("optim: gradient of %q has dtype %v, parameter %v", p.Name, g.DType(), v.DType())
	}
	if !sameShape(g.Shape(), v.Shape()) {
		return fmt.Errorf("optim: gradient of %q has shape %v, parameter %v", p.Name, g.Shape(), v.Shape())
	}
	if g.Device() != v.Device() {
		return fmt.Errorf("optim: gradient of %q is on %s, parameter on %s", p.Name, g.Device(), v.Device())
	}
	return nil
}

// coeffs are one parameter's scalar factors for one step, in float64; the
// kernels round them to the parameter's dtype.
type coeffs struct {
	decay   float64 // 1 - lr*wd
	b1, a1  float64 // beta1, 1-beta1
	b2, a2  float64 // beta2, 1-beta2
	bc2Sqrt float64 // sqrt(1 - beta2^t)
	eps     float64
	negStep float64 // -lr / (1 - beta1^t)
}

func (o *AdamW) coefficients(lr, wd float64, step int64) coeffs {
	t := float64(step) // PyTorch 1.13 keeps the step as a float tensor
	bc1 := 1 - math.Pow(o.opts.Beta1, t)
	bc2 := 1 - math.Pow(o.opts.Beta2, t)
	return coeffs{
		decay: 1 - lr*wd,
		b1:    o.opts.Beta1, a1: 1 - o.opts.Beta1,
		b2: o.opts.Beta2, a2: 1 - o.opts.Beta2,
		bc2Sqrt: math.Sqrt(bc2),
		eps:     o.opts.Eps,
		negStep: -(lr / bc1),
	}
}

func (c coeffs) apply(p, g, m, v *tensor.Tensor) {
	switch p.DType() {
	case tensor.F32:
		gd := g.F32()
		update32(m, func(md []float32) {
			update32(v, func(vd []float32) {
				update32(p, func(pd []float32) { adamw32(c, pd, gd, md, vd) })
			})
		})
	case tensor.F64:
		gd := g.F64()
		update64(m, func(md []float64) {
			update64(v, func(vd []float64) {
				update64(p, func(pd []float64) { adamw64(c, pd, gd, md, vd) })
			})
		})
	}
}

// adamw32 is the float32 kernel. The explicit float32 conversions keep
// every intermediate rounded as PyTorch's separate tensor ops round it
// (and stop the compiler from fusing multiply-adds).
func adamw32(c coeffs, p, g, m, v []float32) {
	decay, b1, a1 := float32(c.decay), float32(c.b1), float32(c.a1)
	b2, a2 := float32(c.b2), float32(c.a2)
	bc2Sqrt, eps, negStep := float32(c.bc2Sqrt), float32(c.eps), float32(c.negStep)
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := g[i]
		pi := p[i] * decay
		mi := float32(m[i]*b1) + float32(a1*gi)
		vi := float32(v[i]*b2) + float32(float32(a2*gi)*gi)
		denom := float32(float32(math.Sqrt(float64(vi)))/bc2Sqrt) + eps
		p[i] = pi + float32(float32(negStep*mi)/denom)
		m[i], v[i] = mi, vi
	}
}

// adamw64 is the float64 kernel, same order of operations.
func adamw64(c coeffs, p, g, m, v []float64) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := g[i]
		pi := p[i] * c.decay
		mi := float64(m[i]*c.b1) + float64(c.a1*gi)
		vi := float64(v[i]*c.b2) + float64(float64(c.a2*gi)*gi)
		denom := float64(math.Sqrt(vi)/c.bc2Sqrt) + c.eps
		p[i] = pi + float64(float64(c.negStep*mi)/denom)
		m[i], v[i] = mi, vi
	}
}

// runParallel runs independent jobs on up to GOMAXPROCS goroutines.
func runParallel(jobs []func()) {
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	if workers <= 1 {
		for _, j := range jobs {
			j()
		}
		return
	}
	next := make(chan func())
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				j()
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
}
