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
	"strings"
	"testing"

	"radcap/blip"
	"radcap/internal/emu"
	"radcap/tensor"
)

// Training on a device, proven on the emulated device "emu" (package
// internal/emu): it keeps its memory behind opaque handles, so any host
// access to a device tensor panics, and it computes with the CPU's own
// kernels, so a run on it must reproduce the CPU run bit for bit. It
// counts downloads: between two optimizer steps of one epoch the only
// ones allowed are the explicit scalars (one loss per micro-batch, one
// vector of gradient norms per step).

// emuBackend registers the emulator with fused kernels and returns it.
func emuBackend(t *testing.T) *emu.Fused {
	t.Helper()
	b, err := emu.Register(false)
	if err != nil {
		t.Fatal(err)
	}
	return b.(*emu.Fused)
}

// logLines reads a run's log.jsonl without the wall-clock fields.
func logLines(t *testing.T, out string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(out, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"time", "images_per_second"} {
			delete(m, k)
		}
		if r, ok := m["result"].(map[string]any); ok {
			delete(r, "seconds")
		}
		b, _ := json.Marshal(m)
		lines = append(lines, string(b))
	}
	return lines
}

// sameFile reports whether two files have the same bytes.
func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return len(x) > 0 && string(x) == string(y)
}

// stepDownloads returns an afterStep hook that checks the downloads
// between optimizer step s-1 and s for each s in spans (want per span: the
// spans must lie inside one epoch and hold no checkpoint, which runs before
// afterStep) and counts the spans it checked; stop, when set, runs next.
func stepDownloads(t *testing.T, b *emu.Fused, spans []int64, want int64, checked *int, stop func(int64) error) func(int64) error {
	last, lastStep := b.Stats(), int64(-1)
	return func(step int64) error {
		now := b.Stats()
		if lastStep == step-1 && slices.Contains(spans, step) {
			if n := now.Downloads - last.Downloads; n != want {
				t.Errorf("step %d: %d downloads since step %d, want %d (one loss per micro-batch and the gradient norms)", step, n, step-1, want)
			}
			*checked++
		}
		last, lastStep = b.Stats(), step
		if stop != nil {
			return stop(step)
		}
		return nil
	}
}

// TestRunOnDeviceMatchesCPU runs the tiny GIT on the synthetic set (two
// epochs of three optimizer steps with accumulation over two batches,
// validation with generated captions, checkpoints) on the CPU and on emu,
// the emu run killed after step 5 and resumed from its checkpoint at step
// 4: the logs (every training loss and gradient norm, every evaluation's
// loss and metrics), the last checkpoint's weights and optimizer state,
// and the best model are identical bit for bit. Dropout is off here:
// attention with dropout has no fused kernel, so on a device autograd
// composes it, which rounds differently (TestRunOnDeviceWithDropout).
func TestRunOnDeviceMatchesCPU(t *testing.T) {
	b := emuBackend(t)
	splits := synthSplits(t, 12, 3, 3)
	cfg := func(out, dev string) Config {
		c := tinyConfig(out)
		c.Device = dev
		c.Epochs, c.BatchSize, c.Accumulation = 2, 2, 2 // 6 batches, 3 steps per epoch
		c.SaveSteps, c.SaveTotalLimit = 2, 4
		c.Generate.MaxNewTokens = 5
		c.Samples = 0
		c.NoDropout = true
		return c
	}
	cpuOut := t.TempDir()
	cpuModel := tinyGIT(t, 3, splits.Train, splits.Validation, splits.Test)
	if _, err := Run(context.Background(), cfg(cpuOut, "cpu"), cpuModel, splits, RunOptions{}); err != nil {
		t.Fatal(err)
	}

	devOut := t.TempDir()
	killed := errors.New("killed")
	checked := 0
	m1 := tinyGIT(t, 3, splits.Train, splits.Validation, splits.Test)
	_, err := Run(context.Background(), cfg(devOut, emu.Name), m1, splits, RunOptions{
		afterStep: stepDownloads(t, b, []int64{3, 5}, 3, &checked, func(step int64) error {
			if step == 5 {
				return killed
			}
			return nil
		})})
	if !errors.Is(err, killed) {
		t.Fatalf("emu run, first part: %v", err)
	}
	for _, p := range m1.NamedParams() {
		if p.Var.Value.Device() != emu.Name {
			t.Fatalf("%s is on %s after training on emu", p.Name, p.Var.Value.Device())
		}
	}
	m2 := tinyGIT(t, 99, splits.Train, splits.Validation, splits.Test) // a fresh process
	res, err := Run(context.Background(), cfg(devOut, emu.Name), m2, splits, RunOptions{
		Resume: true, afterStep: stepDownloads(t, b, []int64{6}, 3, &checked, nil)})
	if err != nil {
		t.Fatalf("emu run, resumed: %v", err)
	}
	if checked != 3 { // 2->3, 4->5, 5->6 (checkpoints at 2 and 4)
		t.Errorf("checked the downloads of %d step spans, want 3", checked)
	}
	if res.Steps != 6 || ModelDevice(m2) != emu.Name {
		t.Errorf("resumed run: %d steps, model on %s", res.Steps, ModelDevice(m2))
	}

	// The resumed run rewrote log.jsonl from its checkpoint's history, so
	// the killed part's step 5 is logged once, as on the CPU.
	want, got := logLines(t, cpuOut), logLines(t, devOut)
	if len(got) != len(want) {
		t.Errorf("emu log has %d lines, CPU log %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("log line %d differs:\nemu %s\ncpu %s", i, got[i], want[i])
		}
	}
	for _, f := range []string{"checkpoint-6/model.safetensors", "checkpoint-6/" + OptimizerFile, "best/model.safetensors"} {
		if !sameFile(t, filepath.Join(cpuOut, f), filepath.Join(devOut, f)) {
			t.Errorf("%s differs between the CPU and the emu run", f)
		}
	}
	cpuHost := paramsCopy(cpuModel)
	if err := MoveModel(m2, "cpu"); err != nil {
		t.Fatal(err)
	}
	if d := paramsChanged(cpuHost, m2); d != 0 {
		t.Errorf("the emu run ends with %d tensors differing from the CPU run", d)
	}
}

// TestRunOnDeviceWithDropout: with dropout on (same masks: they are drawn
// on the host from the run's generator and uploaded), the emu run of the
// tiny GIT follows the CPU run to float32 round-off, since attention with
// dropout is composed from tensor ops on a device. The same holds on
// "emu-nofused", where every fused op is composed (what a backend that
// declines its fused kernels runs).
func TestRunOnDeviceWithDropout(t *testing.T) {
	emuBackend(t)
	if _, err := emu.Register(true); err != nil {
		t.Fatal(err)
	}
	splits := synthSplits(t, 8, 2, 2)
	cfg := func(out, dev string) Config {
		c := tinyConfig(out)
		c.Device = dev
		c.Epochs, c.BatchSize, c.Accumulation = 1, 2, 1 // 4 steps
		c.Generate.MaxNewTokens = 3
		c.Samples = 0
		return c
	}
	a := tinyGIT(t, 3, splits.Train, splits.Validation, splits.Test)
	if _, err := Run(context.Background(), cfg(t.TempDir(), "cpu"), a, splits, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	want := paramsCopy(a)
	for _, dev := range []string{emu.Name, emu.PlainName} {
		b := tinyGIT(t, 3, splits.Train, splits.Validation, splits.Test)
		res, err := Run(context.Background(), cfg(t.TempDir(), dev), b, splits, RunOptions{})
		if err != nil {
			t.Fatalf("%s: %v", dev, err)
		}
		if res.Steps != 4 {
			t.Fatalf("%s: %d steps", dev, res.Steps)
		}
		if err := MoveModel(b, "cpu"); err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for name, got := range paramsCopy(b) {
			w := want[name]
			scale, diff := 0.0, 0.0
			for i := range w {
				scale = math.Max(scale, math.Abs(float64(w[i])))
				diff = math.Max(diff, math.Abs(float64(got[i]-w[i])))
			}
			// Key biases get gradients that are zero but for round-off
			// (softmax ignores a constant added to a row): they stay near
			// 0, so they get an absolute bound.
			if strings.HasSuffix(name, "k_proj.bias") || strings.HasSuffix(name, "key.bias") {
				if !(diff <= 1e-6) {
					t.Errorf("%s: %s: largest difference %.3g (bound 1e-6 absolute)", dev, name, diff)
				}
				continue
			}
			// A tensor that is still near 0 after 4 steps (a bias whose
			// largest element is ~1e-3) differs by round-off passed
			// through Adam's normalisation, which a bound relative to that
			// element does not allow for; 1e-6 absolute is still far below
			// what a wrong mask or a missing term would give (~lr = 1e-3).
			worst = math.Max(worst, diff/scale)
			if !(diff <= 1e-5*scale || diff <= 1e-6) {
				t.Errorf("%s: %s: largest difference %.3g, %.3g of its largest element (bound 1e-5, or 1e-6 absolute)", dev, name, diff, diff/scale)
			}
		}
		t.Logf("%s with dropout: parameters within %.3g of each tensor's largest element after 4 steps", dev, worst)
	}
}

// TestRunOnDeviceBLIP: one epoch of the tiny BLIP captioning model on emu
// equals the CPU run bit for bit (log and best weights), with no download
// between steps but the explicit scalars.
func TestRunOnDeviceBLIP(t *testing.T) {
	b := emuBackend(t)
	splits := synthSplits(t, 8, 2, 2)
	newBLIP := func() *BLIP {
		g := tinyGIT(t, 1, splits.Train, splits.Validation, splits.Test)
		tok := g.Tok
		c := blip.DefaultConfig()
		tc := &c.TextConfig
		tc.VocabSize = tok.VocabSize() + 2
		tc.HiddenSize, tc.NumHiddenLayers, tc.NumAttentionHeads, tc.IntermediateSize = 32, 1, 2, 64
		tc.MaxPositionEmbeddings = 96
		tc.BosTokenID, tc.PadTokenID, tc.SepTokenID = tok.VocabSize(), tok.PadID(), tok.SEPID()
		vc := &c.VisionConfig
		vc.HiddenSize, vc.NumHiddenLayers, vc.NumAttentionHeads, vc.IntermediateSize = 32, 1, 2, 64
		vc.ImageSize, vc.PatchSize = 32, 16
		tc.EncoderHiddenSize = vc.HiddenSize
		m, err := blip.NewCaptionModel(c, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := tok.AddBLIPTokens(tc.BosTokenID); err != nil {
			t.Fatal(err)
		}
		bl, err := NewBLIP(m, tok, blipProcessor(32))
		if err != nil {
			t.Fatal(err)
		}
		return bl
	}
	cfg := func(out, dev string) Config {
		c := tinyConfig(out)
		c.Model, c.Device = "tiny-blip", dev
		c.Epochs, c.BatchSize, c.Accumulation = 1, 2, 1 // 4 steps
		c.Generate.MaxNewTokens = 4
		c.Samples = 0
		return c
	}
	cpuOut, devOut := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), cfg(cpuOut, "cpu"), newBLIP(), splits, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	checked := 0
	m := newBLIP()
	if _, err := Run(context.Background(), cfg(devOut, emu.Name), m, splits, RunOptions{afterStep: stepDownloads(t, b, []int64{2, 3, 4}, 2, &checked, nil)}); err != nil {
		t.Fatal(err)
	}
	if checked != 3 || ModelDevice(m) != emu.Name {
		t.Errorf("checked %d step spans (want 3); model on %s", checked, ModelDevice(m))
	}
	if w, g := logLines(t, cpuOut), logLines(t, devOut); !slices.Equal(w, g) {
		t.Errorf("logs differ:\nemu %v\ncpu %v", g, w)
	}
	if !sameFile(t, filepath.Join(cpuOut, "best/model.safetensors"), filepath.Join(devOut, "best/model.safetensors")) {
		t.Error("best/model.safetensors differs between the CPU and the emu run")
	}
}

// TestGenerateOnDevice: greedy and beam search with the tiny GIT on emu
// give the CPU's token ids.
func TestGenerateOnDevice(t *testing.T) {
	emuBackend(t)
	splits := synthSplits(t, 4, 2, 2)
	g := tinyGIT(t, 5, splits.Train)
	g.SetTraining(false)
	px := tensor.RandN(rand.New(rand.NewPCG(1, 2)), tensor.F32, 3, 3, 32, 32)
	for _, beams := range []int{1, 3} {
		opts := (GenerateOptions{Beams: beams, MaxNewTokens: 8}).apply(g.M.GenerationOptions())
		want, err := g.M.Generate(px, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := MoveModel(g, emu.Name); err != nil {
			t.Fatal(err)
		}
		dpx, err := px.ToDevice(emu.Name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := g.M.Generate(dpx, nil, opts)
		if err != nil {
			t.Fatalf("beams %d on emu: %v", beams, err)
		}
		if !slices.Equal(got.Sequences.I64(), want.Sequences.I64()) {
			t.Errorf("beams %d: ids on emu %v, CPU %v", beams, got.Sequences.I64(), want.Sequences.I64())
		}
		caps, err := g.Generate(px, GenerateOptions{Beams: beams, MaxNewTokens: 8}) // host pixels, model on emu
		if err != nil || len(caps) != 3 {
			t.Errorf("beams %d: captions %q, %v", beams, caps, err)
		}
		if err := MoveModel(g, "cpu"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunBF16OnDevice: bf16 (autocast emulated by rounding, float32
// parameters) on emu equals the CPU's bf16 run bit for bit.
func TestRunBF16OnDevice(t *testing.T) {
	emuBackend(t)
	splits := synthSplits(t, 8, 2, 2)
	cfg := func(out, dev string) Config {
		c := tinyConfig(out)
		c.Device, c.Precision = dev, "bf16"
		c.Epochs, c.BatchSize, c.Accumulation = 1, 2, 1
		c.Generate.MaxNewTokens = 3
		c.Samples = 0
		c.NoDropout = true
		return c
	}
	a, b := t.TempDir(), t.TempDir()
	for _, r := range []struct{ out, dev string }{{a, "cpu"}, {b, emu.Name}} {
		if _, err := Run(context.Background(), cfg(r.out, r.dev), tinyGIT(t, 3, splits.Train, splits.Validation, splits.Test), splits, RunOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if w, g := logLines(t, a), logLines(t, b); !slices.Equal(w, g) {
		t.Errorf("bf16 logs differ:\nemu %v\ncpu %v", g, w)
	}
	if !sameFile(t, filepath.Join(a, "best/model.safetensors"), filepath.Join(b, "best/model.safetensors")) {
		t.Error("bf16: best/model.safetensors differs between the CPU and the emu run")
	}
}

// TestRunOnDeviceAux: the auxiliary finding head (the built-in run's
// flat and first poolings) runs on a device and gives the CPU's run bit
// for bit.
func TestRunOnDeviceAux(t *testing.T) {
	emuBackend(t)
	splits := synthSplits(t, 4, 2, 2)
	a, b := t.TempDir(), t.TempDir()
	for _, r := range []struct{ out, dev string }{{a, "cpu"}, {b, emu.Name}} {
		c := tinyConfig(r.out)
		c.Device, c.AuxFindings, c.AuxPool = r.dev, 1, PoolFlat+"+"+PoolFirst
		c.NoDropout = true // dropout on a device is not bit for bit (TestRunOnDeviceWithDropout)
		if _, err := Run(context.Background(), c, tinyGIT(t, 3, splits.Train, splits.Validation, splits.Test), splits, RunOptions{}); err != nil {
			t.Fatalf("aux on %s: %v", r.dev, err)
		}
	}
	if w, g := logLines(t, a), logLines(t, b); !slices.Equal(w, g) {
		t.Errorf("aux logs differ:\nemu %v\ncpu %v", g, w)
	}
	if !sameFile(t, filepath.Join(a, "best/model.safetensors"), filepath.Join(b, "best/model.safetensors")) {
		t.Error("aux: best/model.safetensors differs between the CPU and the emu run")
	}
}
