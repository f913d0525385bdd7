package optim

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"radcap/safetensors"
	"radcap/tensor"
)

// State returns a parameter's moments and step count: exp_avg, exp_avg_sq
// and step of PyTorch's state[p]. ok is false for an unknown name or a
// parameter that has not taken a step yet. The tensors are the optimizer's
// own; do not change them.
func (o *AdamW) State(name string) (expAvg, expAvgSq *tensor.Tensor, step int64, ok bool) {
	st := o.state[name]
	if st == nil || st.expAvg == nil {
		return nil, nil, 0, false
	}
	return st.expAvg, st.expAvgSq, st.step, true
}

// State file layout (safetensors):
//
//	step                 I64 []  Steps()
//	exp_avg.<name>       the parameter's dtype and shape
//	exp_avg_sq.<name>    likewise
//	step.<name>          I64 []  only when it differs from step (a parameter
//	                             that was skipped for want of a gradient)
//
// The metadata records the format and the hyperparameters, for people
// reading the file; loading does not enforce them.
const (
	stateFormat = "radcap.optim.AdamW/1"
	keyStep     = "step"
	preExpAvg   = "exp_avg."
	preExpAvgSq = "exp_avg_sq."
	preStep     = "step."
)

// StateTensors returns the optimizer state as named tensors in the layout
// of SaveState (parameters that have not stepped are left out). The moment
// tensors are the optimizer's own, not copies.
func (o *AdamW) StateTensors() (names []string, ts []*tensor.Tensor) {
	names = append(names, keyStep)
	ts = append(ts, tensor.FromI64([]int64{o.steps}))
	for _, n := range o.names {
		st := o.state[n]
		if st.expAvg == nil {
			continue
		}
		names = append(names, preExpAvg+n, preExpAvgSq+n)
		ts = append(ts, st.expAvg, st.expAvgSq)
		if st.step != o.steps {
			names = append(names, preStep+n)
			ts = append(ts, tensor.FromI64([]int64{st.step}))
		}
	}
	return names, ts
}

// SaveState writes the optimizer state to path as a safetensors file,
// atomically (a temporary file in the same folder renamed over path).
func (o *AdamW) SaveState(path string) error {
	names, ts := o.StateTensors()
	for i, t := range ts {
		if !t.OnHost() {
			h, err := t.ToDevice("cpu") // explicit download of a device moment
			if err != nil {
				return fmt.Errorf("optim: save state %s: %s: %w", path, names[i], err)
			}
			ts[i] = h
		}
	}
	meta := map[string]string{
		"format": stateFormat,
		"beta1":  strconv.FormatFloat(o.opts.Beta1, 'g', -1, 64),
		"beta2":  strconv.FormatFloat(o.opts.Beta2, 'g', -1, 64),
		"eps":    strconv.FormatFloat(o.opts.Eps, 'g', -1, 64),
	}
	for i, g := range o.groups {
		meta[fmt.Sprintf("group.%d.weight_decay", i)] = strconv.FormatFloat(g.WeightDecay, 'g', -1, 64)
	}
	if err := safetensors.WriteTensors(path, names, ts, meta); err != nil {
		return fmt.Errorf("optim: save state %s: %w", path, err)
	}
	return nil
}

// LoadState replaces the optimizer state with the one SaveState wrote to
// path. See LoadStateTensors for the checks.
func (o *AdamW) LoadState(path string) error {
	f, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("optim: load state %s: %w", path, err)
	}
	defer f.Close()
	get := map[string]*tensor.Tensor{}
	for _, n := range f.Names() {
		t, err := f.Tensor(n)
		if err != nil {
			return fmt.Errorf("optim: load state %s: tensor %q: %w", path, n, err)
		}
		get[n] = t.Clone() // detach from the mapped file
	}
	if err := o.LoadStateTensors(get); err != nil {
		return fmt.Errorf("optim: load state %s: %w", path, err)
	}
	return nil
}

// LoadStateTensors replaces the optimizer state with named tensors in the
// layout of StateTensors; the moments are copied. It fails, changing
// nothing, on a missing "step", a tensor for an unknown parameter, an
// unknown tensor name, an exp_avg without its exp_avg_sq (or the reverse),
// a moment whose shape or dtype differs from its parameter's, or a
// negative step. Parameters without moments in ts start afresh.
func (o *AdamW) LoadStateTensors(ts map[string]*tensor.Tensor) error {
	stepT, ok := ts[keyStep]
	if !ok {
		return fmt.Errorf("no %q tensor", keyStep)
	}
	steps, err := scalarInt(keyStep, stepT)
	if err != nil {
		return err
	}
	fresh := map[string]*paramState{}
	for _, n := range o.names {
		fresh[n] = &paramState{}
	}
	ownStep := map[string]int64{} // step.<name> entries
	// Walk names in sorted order so the first error is deterministic.
	for _, key := range slices.Sorted(maps.Keys(ts)) {
		t := ts[key]
		var name string
		switch {
		case key == keyStep:
			continue
		case strings.HasPrefix(key, preExpAvgSq):
			name = key[len(preExpAvgSq):]
		case strings.HasPrefix(key, preExpAvg):
			name = key[len(preExpAvg):]
		case strings.HasPrefix(key, preStep):
			name = key[len(preStep):]
		default:
			return fmt.Errorf("unexpected tensor %q", key)
		}
		st, known := fresh[name]
		if !known {
			return fmt.Errorf("tensor %q: no parameter named %q in this optimizer", key, name)
		}
		if strings.HasPrefix(key, preStep) {
			s, err := scalarInt(key, t)
			if err != nil {
				return err
			}
			ownStep[name] = s
			continue
		}
		v := o.params[name].Var.Value
		if t.DType() != v.DType() || !sameShape(t.Shape(), v.Shape()) {
			return fmt.Errorf("tensor %q is %v %v, parameter %v %v", key, t.DType(), t.Shape(), v.DType(), v.Shape())
		}
		c := t.Clone()
		if d := v.Device(); d != c.Device() {
			// Upload the moment to its parameter's device.
			if c, err = c.ToDevice(d); err != nil {
				return fmt.Errorf("tensor %q: %w", key, err)
			}
		}
		if strings.HasPrefix(key, preExpAvgSq) {
			st.expAvgSq = c
		} else {
			st.expAvg = c
		}
	}
	for _, n := range o.names {
		st := fresh[n]
		own, hasOwn := ownStep[n]
		switch {
		case (st.expAvg == nil) != (st.expAvgSq == nil):
			return fmt.Errorf("parameter %q has only one of %q and %q", n, preExpAvg+n, preExpAvgSq+n)
		case st.expAvg == nil && hasOwn:
			return fmt.Errorf("tensor %q without moments for %q", preStep+n, n)
		case st.expAvg == nil:
		case hasOwn:
			st.step = own
		default:
			st.step = steps
		}
	}
	o.state, o.steps = fresh, steps
	return nil
}

func scalarInt(key string, t *tensor.Tensor) (int64, error) {
	if t.DType() != tensor.I64 || t.Numel() != 1 {
		return 0, fmt.Errorf("tensor %q must be one I64 value, is %v %v", key, t.DType(), t.Shape())
	}
	s := t.I64()[0]
	if s < 0 {
		return 0, fmt.Errorf("tensor %q: negative step %d", key, s)
	}
	return s, nil
}
