package train

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"radcap/autograd"
	"radcap/internal/emu"
	"radcap/nn"
	"radcap/nn/optim"
	"radcap/safetensors"
	"radcap/tensor"
)

// fp16 training on a device (float16 model, float32 master weights, loss
// scaling), on the emulator.

// TestStepperFP16SkipsOverflow: a loss scale whose seed overflows float16
// makes every gradient inf; the step is skipped (masters unchanged, scale
// halved) until the scale fits, then the step is taken and the float16
// model receives the rounded masters.
func TestStepperFP16SkipsOverflow(t *testing.T) {
	emuBackend(t)
	m := newLinear(4)
	named := []nn.NamedParam{{Name: "w.weight", Var: m.w}, {Name: "w.bias", Var: m.b}}
	if err := MoveParams(named, emu.Name); err != nil {
		t.Fatal(err)
	}
	h, err := newHalfMaster(named)
	if err != nil {
		t.Fatal(err)
	}
	if m.w.Value.DType() != tensor.F16 || h.master[0].Var.Value.DType() != tensor.F32 || h.master[0].Var.Value.Device() != emu.Name {
		t.Fatalf("model %v, master %v on %s", m.w.Value.DType(), h.master[0].Var.Value.DType(), h.master[0].Var.Value.Device())
	}
	opt, err := optim.NewAdamW([]optim.Group{{Params: h.optimParams()}}, optim.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStepper(opt, h.optimParams(), StepConfig{AccumulationSteps: 1, MaxGradNorm: 1, BaseLR: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	s.half = h
	if err := h.scaler.SetState(optim.ScalerState{Scale: 1 << 17}); err != nil { // seed 131072: inf in float16
		t.Fatal(err)
	}
	before, _ := h.master[0].Var.Value.ToDevice("cpu")
	rng := rand.New(rand.NewPCG(1, 1))
	x, _ := tensor.RandN(rng, tensor.F32, 2, 4).To(tensor.F16).ToDevice(emu.Name)
	y, _ := tensor.RandN(rng, tensor.F32, 2, 3).To(tensor.F16).ToDevice(emu.Name)
	var infos []StepInfo
	for range 3 {
		tp := autograd.NewTape()
		info, err := s.Backward(tp, m.loss(tp, x, y))
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	if !infos[0].Skipped || !infos[1].Skipped || infos[2].Skipped || !infos[2].Stepped {
		t.Fatalf("skipped %v %v %v, want true true false", infos[0].Skipped, infos[1].Skipped, infos[2].Skipped)
	}
	if h.scaler.Scale() != 1<<15 || opt.Steps() != 1 || infos[2].Step != 0 {
		t.Errorf("scale %v (want 32768), %d optimizer steps (want 1), step index %d", h.scaler.Scale(), opt.Steps(), infos[2].Step)
	}
	after, _ := h.master[0].Var.Value.ToDevice("cpu")
	if tensor.Sum(tensor.Abs(tensor.Sub(after, before)), nil, false).Item() == 0 {
		t.Error("the step that fitted did not change the masters")
	}
	half, _ := m.w.Value.ToDevice("cpu")
	if want := after.To(tensor.F16); !slices.Equal(half.U16(), want.U16()) {
		t.Error("the float16 model does not hold the rounded masters")
	}
}

// TestRunFP16OnDevice: the tiny GIT trained in fp16 on emu follows the
// float32 CPU run to float16 round-off (every logged loss and gradient
// norm), saves float32 weights, and a run killed after step 3 and resumed
// from its checkpoint at step 2 ends with the same weights, optimizer
// state and loss scaler as the uninterrupted fp16 run.
func TestRunFP16OnDevice(t *testing.T) {
	emuBackend(t)
	splits := synthSplits(t, 8, 2, 2)
	cfg := func(out, dev, prec string) Config {
		c := tinyConfig(out)
		c.Device, c.Precision = dev, prec
		c.Epochs, c.BatchSize, c.Accumulation = 1, 2, 1 // 4 steps
		c.SaveSteps, c.SaveTotalLimit = 2, 3
		c.Generate.MaxNewTokens = 3
		c.Samples = 0
		c.NoDropout = true
		return c
	}
	model := func(seed uint64) Model { return tinyGIT(t, seed, splits.Train, splits.Validation, splits.Test) }
	cpuOut, devOut, killedOut := t.TempDir(), t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), cfg(cpuOut, "cpu", "fp32"), model(3), splits, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg(devOut, emu.Name, "fp16"), model(3), splits, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	var want, got []LogEntry
	for _, c := range []struct {
		out string
		to  *[]LogEntry
	}{{cpuOut, &want}, {devOut, &got}} {
		raw, err := os.ReadFile(filepath.Join(c.out, "checkpoint-4", TrainerStateFile))
		if err != nil {
			t.Fatal(err)
		}
		var st TrainerState
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatal(err)
		}
		*c.to = st.History
		if c.out == devOut && (st.LossScale == nil || st.LossScale.Scale != halfInitScale || st.LossScale.GrowthTracker != 4) {
			t.Errorf("fp16 loss scaler state %+v, want scale %d after 4 good steps", st.LossScale, halfInitScale)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("fp16 history has %d entries, fp32 %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if le := math.Abs(g.Loss-w.Loss) / w.Loss; !(le <= 2e-3) {
			t.Errorf("entry %d (%s step %d): loss %.6g, fp32 CPU %.6g (relative %.2g > 2e-3)", i, w.Kind, w.Step, g.Loss, w.Loss, le)
		}
		if w.Kind == "train" {
			if ge := math.Abs(g.GradNorm-w.GradNorm) / w.GradNorm; !(ge <= 2e-3) {
				t.Errorf("step %d: grad norm %.6g, fp32 CPU %.6g (relative %.2g > 2e-3)", w.Step, g.GradNorm, w.GradNorm, ge)
			}
		}
	}
	f, err := safetensors.Open(filepath.Join(devOut, "best", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range f.Names() {
		if info, _ := f.Info(n); info.DType != safetensors.F32 {
			t.Errorf("best model's %s saved as %v, want the float32 masters", n, info.DType)
		}
	}
	f.Close()

	killed := errors.New("killed")
	_, err = Run(context.Background(), cfg(killedOut, emu.Name, "fp16"), model(3), splits, RunOptions{afterStep: func(step int64) error {
		if step == 3 {
			return killed
		}
		return nil
	}})
	if !errors.Is(err, killed) {
		t.Fatalf("first part: %v", err)
	}
	if _, err := Run(context.Background(), cfg(killedOut, emu.Name, "fp16"), model(99), splits, RunOptions{Resume: true}); err != nil {
		t.Fatal(err)
	}
	st, err := readState(filepath.Join(killedOut, "checkpoint-4"))
	if err != nil {
		t.Fatal(err)
	}
	if st.LossScale == nil || st.LossScale.GrowthTracker != 4 {
		t.Errorf("resumed fp16 run's loss scaler %+v, want 4 good steps counted across the resume", st.LossScale)
	}
	for _, name := range []string{"model.safetensors", OptimizerFile} {
		if !sameFile(t, filepath.Join(devOut, "checkpoint-4", name), filepath.Join(killedOut, "checkpoint-4", name)) {
			t.Errorf("checkpoint-4/%s of the resumed fp16 run differs from the uninterrupted one", name)
		}
	}
}
