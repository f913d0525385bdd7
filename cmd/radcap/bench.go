package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"radcap/autograd"
	"radcap/blip"
	"radcap/cuda"
	"radcap/gitmodel"
	"radcap/internal/modelbench"
	"radcap/nn"
	"radcap/nn/optim"
	"radcap/tensor"
	"radcap/tensor/sgemm"
	"radcap/vit"
)

// benchConfig holds the flags of `radcap bench`.
type benchConfig struct {
	device    string
	what      string
	models    string
	batch     int
	seq       int
	newTokens int
	reps      int
	quick     bool
}

func benchFlags(c *benchConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.device, "device", "cpu", "cpu or cuda")
	fs.StringVar(&c.what, "what", "matmul,attention,train,caption", "comma-separated measurements")
	fs.StringVar(&c.models, "models", "git-base,blip-base", "models of the train and caption rows")
	fs.IntVar(&c.batch, "batch", 8, "images per training step and per captioning batch")
	fs.IntVar(&c.seq, "seq", 40, "caption length in tokens of the training step")
	fs.IntVar(&c.newTokens, "new-tokens", 20, "tokens generated per caption")
	fs.IntVar(&c.reps, "reps", 0, "repetitions of each measurement (0: 20 on cuda, 2 on cpu)")
	fs.BoolVar(&c.quick, "quick", false, "tiny shapes and models (a smoke run of every row)")
	return fs
}

func benchUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: radcap bench [--device cpu|cuda] [flags]

Measures radcap's speed and prints a table of ratios against a reference
timed in the same process: on the CPU radcap's SGEMM at 1024³ (GFLOP/s),
on CUDA cuBLASLt (fp16 at 4096³, and per matmul shape). Rows: matmul at
4096³ and the models' shapes, attention forward + backward, a full
training step of git-base and blip-base (random weights, dropout off,
AdamW) with images/s and peak memory, and greedy captioning. On the CPU
the step is fp32; on CUDA it is the step of radcap finetune --device cuda
(train.Run on in-memory synthetic images with captions of --seq tokens),
in fp16 (float16 model, float32 master weights, loss scaling) and fp32,
timed over the second half of 2×--reps optimizer steps.
PyTorch's figures come from bench/run_gpu.sh on the same machine.
Without a GPU, --device cuda exits with status 1 and a one-line error.

Flags:
`)
	var c benchConfig
	fs := benchFlags(&c)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// benchRow is one line of the table: a measured rate and its reference.
type benchRow struct {
	name  string
	value float64 // in unit
	unit  string
	ratio float64 // value's rate / the reference's rate; NaN: none
	note  string
}

// bencher measures on one device.
type bencher struct {
	cfg  benchConfig
	dev  *cuda.Device // nil on the CPU
	be   *cuda.Backend
	ref  float64 // reference rate, GFLOP/s
	refN string  // what the reference is
	rows []benchRow
}

func runBench(args []string, stdout, stderr io.Writer) int {
	var c benchConfig
	fs := benchFlags(&c)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			benchUsage(stdout)
			return exitOK
		}
		return usageError(stderr, "bench", err.Error())
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "bench", "unexpected argument "+fs.Arg(0))
	}
	if c.device != "cpu" && c.device != "cuda" {
		return usageError(stderr, "bench", fmt.Sprintf("--device %q (want cpu or cuda)", c.device))
	}
	if c.batch < 1 || c.seq < 2 || c.newTokens < 1 || c.reps < 0 {
		return usageError(stderr, "bench", "--batch and --new-tokens must be at least 1, --seq at least 2, --reps at least 0")
	}
	for _, w := range strings.Split(c.what, ",") {
		if !slices.Contains([]string{"matmul", "attention", "train", "caption"}, w) {
			return usageError(stderr, "bench", fmt.Sprintf("--what: unknown measurement %q", w))
		}
	}
	for _, m := range strings.Split(c.models, ",") {
		if m != "git-base" && m != "blip-base" {
			return usageError(stderr, "bench", fmt.Sprintf("--models: unknown model %q (want git-base, blip-base)", m))
		}
	}
	if c.reps == 0 {
		c.reps = 2
		if c.device == "cuda" {
			c.reps = 20
		}
	}
	b := &bencher{cfg: c}
	if c.device == "cuda" {
		d, err := cuda.Open(cuda.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "radcap bench: --device cuda: %v\n", err)
			return exitError
		}
		defer d.Close()
		if b.be, err = cuda.Register(d); err != nil {
			fmt.Fprintf(stderr, "radcap bench: %v\n", err)
			return exitError
		}
		b.dev = d
	}
	if err := b.reference(); err != nil {
		fmt.Fprintf(stderr, "radcap bench: reference: %v\n", err)
		return exitError
	}
	what := strings.Split(c.what, ",")
	if slices.Contains(what, "matmul") {
		b.matmulRows()
	}
	if slices.Contains(what, "attention") {
		b.attentionRows()
	}
	for _, m := range strings.Split(c.models, ",") {
		label := m
		if c.quick {
			label += " (tiny config)"
		}
		if slices.Contains(what, "train") && b.dev == nil {
			b.safely(label+" train step", func() error { return b.trainRow(m, label) })
		}
		if slices.Contains(what, "train") && b.dev != nil {
			for _, prec := range []string{"fp16", "fp32"} {
				b.safely(fmt.Sprintf("%s train step %s", label, prec), func() error { return b.finetuneRow(m, label, prec) })
			}
		}
		if slices.Contains(what, "caption") {
			b.safely(label+" greedy caption", func() error { return b.captionRow(m, label) })
		}
	}
	b.print(stdout)
	for _, r := range b.rows {
		if strings.HasPrefix(r.note, "failed") {
			return exitError
		}
	}
	return exitOK
}

// safely runs a measurement, turning an error or a panic into a failed row.
func (b *bencher) safely(name string, f func() error) {
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return f()
	}()
	switch {
	case err == nil:
	case strings.Contains(err.Error(), "host access to a device tensor"):
		// A part of radcap that does not run on a device yet (generation
		// reads its logits on the host): not a failure of the device.
		b.rows = append(b.rows, benchRow{name: name, ratio: math.NaN(), note: "not available on this device yet: " + oneLine(err.Error())})
	default:
		b.rows = append(b.rows, benchRow{name: name, ratio: math.NaN(), note: "failed: " + oneLine(err.Error())})
	}
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// timeReps runs f once to warm up, then reps times, and returns the mean
// time per run (on cuda the device is synchronised at both ends).
func (b *bencher) timeReps(f func() error) (time.Duration, error) {
	sync := func() error {
		if b.dev != nil {
			return b.dev.Sync()
		}
		return nil
	}
	if err := f(); err != nil {
		return 0, err
	}
	if err := sync(); err != nil {
		return 0, err
	}
	start := time.Now()
	for range b.cfg.reps {
		if err := f(); err != nil {
			return 0, err
		}
	}
	if err := sync(); err != nil {
		return 0, err
	}
	return time.Since(start) / time.Duration(b.cfg.reps), nil
}

// reference measures the reference rate: radcap's SGEMM at 1024³ on the
// CPU (256³ with --quick), cuBLASLt fp16 at 4096³ on CUDA.
func (b *bencher) reference() error {
	if b.dev == nil {
		n := 1024
		if b.cfg.quick {
			n = 256
		}
		b.ref, b.refN = sgemmRate(n), fmt.Sprintf("radcap SGEMM %d³", n)
		return nil
	}
	n := 4096
	if b.cfg.quick {
		n = 512
	}
	lt := b.dev.HasCublasLt()
	per, err := b.dev.TimeMatMul(tensor.F16, n, n, n, lt, b.cfg.reps)
	if err != nil {
		return err
	}
	b.ref = 2 * float64(n*n*n) / per.Seconds() / 1e9
	b.refN = fmt.Sprintf("cuBLASLt fp16 %d³", n)
	if !lt {
		b.refN = fmt.Sprintf("radcap fp16 matmul %d³ (cuBLASLt not found)", n)
	}
	return nil
}

// sgemmRate is radcap's SGEMM rate (GFLOP/s) on n³ products, timed for at
// least half a second after a warm-up.
func sgemmRate(n int) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	a, c := make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	sgemm.Sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n)
	start, reps := time.Now(), 0
	for reps < 3 || time.Since(start) < 500*time.Millisecond {
		sgemm.Sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n)
		reps++
	}
	return 2 * float64(n*n*n) * float64(reps) / time.Since(start).Seconds() / 1e9
}

// matmulRows times [m, k]·[k, n] at 4096³ and the models' shapes (batch 8,
// caption length 40): fp32 tensor.MatMul on the CPU against SGEMM 1024³,
// radcap's fp16 kernel on CUDA against cuBLASLt on the same shape.
func (b *bencher) matmulRows() {
	shapes := []struct {
		name    string
		m, n, k int
	}{{"4096³", 4096, 4096, 4096}, {"git qkv", 1896, 2304, 768}, {"git mlp up", 1896, 3072, 768},
		{"git lm head", 320, 30522, 768}, {"blip vit mlp up", 4616, 3072, 768}}
	for _, s := range shapes {
		if b.cfg.quick {
			s.m, s.n, s.k = max(s.m/16, 1), max(s.n/16, 1), max(s.k/16, 1)
		}
		name := fmt.Sprintf("matmul %s (%d×%d×%d)", s.name, s.m, s.n, s.k)
		flop := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		b.safely(name, func() error {
			if b.dev == nil {
				rng := rand.New(rand.NewPCG(3, 4))
				x, y := tensor.RandN(rng, tensor.F32, s.m, s.k), tensor.RandN(rng, tensor.F32, s.k, s.n)
				per, err := b.timeReps(func() error { tensor.MatMul(x, y, false, false); return nil })
				if err != nil {
					return err
				}
				rate := flop / per.Seconds() / 1e9
				b.rows = append(b.rows, benchRow{name: name, value: rate, unit: "GFLOP/s", ratio: rate / b.ref, note: "fp32"})
				return nil
			}
			own, err := b.dev.TimeMatMul(tensor.F16, s.m, s.n, s.k, false, b.cfg.reps)
			if err != nil {
				return err
			}
			row := benchRow{name: name, value: flop / own.Seconds() / 1e12, unit: "TFLOP/s", ratio: math.NaN(), note: "fp16, radcap kernel"}
			if b.dev.HasCublasLt() {
				lt, err := b.dev.TimeMatMul(tensor.F16, s.m, s.n, s.k, true, b.cfg.reps)
				if err != nil {
					return err
				}
				row.ratio = lt.Seconds() / own.Seconds()
				row.note = fmt.Sprintf("fp16; ratio vs cuBLASLt on this shape (%.1f TFLOP/s)", flop/lt.Seconds()/1e12)
			}
			b.rows = append(b.rows, row)
			return nil
		})
	}
}

// attentionRows times attention forward + backward at the models' shapes
// (nominal FLOPs: 7 products of 2·Tq·Tk·D per head, as the cuda benchmark
// and bench/sdpa.py count them).
func (b *bencher) attentionRows() {
	shapes := []struct {
		name              string
		bs, h, tq, tk, hd int
		git               bool
	}{{"git decoder", 8, 12, 237, 237, 64, true}, {"blip vit", 8, 12, 577, 577, 64, false}, {"blip cross", 8, 12, 40, 577, 64, false}}
	for _, s := range shapes {
		if b.cfg.quick {
			s.bs, s.h, s.tq, s.tk, s.hd = 1, 2, max(s.tq/16, 2), max(s.tk/16, 2), 16
		}
		prefix := s.tk - 40
		if b.cfg.quick {
			prefix = s.tk / 2
		}
		name := fmt.Sprintf("attention fwd+bwd %s (%d×%d×%d×%d)", s.name, s.bs, s.h, s.tq, s.hd)
		flop := 7 * 2 * float64(s.bs*s.h) * float64(s.tq) * float64(s.tk) * float64(s.hd)
		b.safely(name, func() error {
			if b.dev != nil {
				mask, pre := cuda.MaskNone, 0
				if s.git {
					mask, pre = cuda.MaskGIT, prefix
				}
				per, err := b.dev.TimeAttention(tensor.F16, s.bs, s.h, s.tq, s.tk, s.hd, mask, pre, b.cfg.reps)
				if err != nil {
					return err
				}
				rate := flop / per.Seconds() / 1e9
				b.rows = append(b.rows, benchRow{name: name, value: per.Seconds() * 1e3, unit: "ms", ratio: rate / b.ref, note: "fp16 fused kernels; ratio = GFLOP/s / reference"})
				return nil
			}
			rng := rand.New(rand.NewPCG(5, 6))
			q, k, v := tensor.RandN(rng, tensor.F32, s.bs, s.h, s.tq, s.hd), tensor.RandN(rng, tensor.F32, s.bs, s.h, s.tk, s.hd), tensor.RandN(rng, tensor.F32, s.bs, s.h, s.tk, s.hd)
			var mask *tensor.Tensor
			if s.git {
				mask = tensor.Zeros(tensor.F32, 1, 1, s.tq, s.tk)
				for i := 0; i < s.tq; i++ {
					for j := prefix; j < s.tk; j++ {
						if j > i {
							mask.SetAt(math.Inf(-1), 0, 0, i, j)
						}
					}
				}
			}
			g := tensor.RandN(rng, tensor.F32, s.bs, s.h, s.tq, s.hd)
			per, err := b.timeReps(func() error {
				qv, kv, vv := autograd.Param(q), autograd.Param(k), autograd.Param(v)
				tp := autograd.NewTape()
				o := autograd.ScaledDotProductAttention(qv, kv, vv, mask, false, 1/math.Sqrt(float64(s.hd)))
				return tp.BackwardWithGrad(o, g)
			})
			if err != nil {
				return err
			}
			rate := flop / per.Seconds() / 1e9
			b.rows = append(b.rows, benchRow{name: name, value: per.Seconds() * 1e3, unit: "ms", ratio: rate / b.ref, note: "fp32; ratio = GFLOP/s / reference"})
			return nil
		})
	}
}

// benchModel is a model of the train and caption rows, built with random
// weights (the speed does not depend on them) on the bench's device.
type benchModel struct {
	params  []nn.NamedParam
	loss    func() (*autograd.Var, error)
	caption func() error
	stepF   float64 // matrix-product FLOPs of one training step
	greedyF float64 // of captioning the batch
}

// quickVision shrinks a ViT config for --quick.
func quickVision(v *vit.Config) {
	v.HiddenSize, v.IntermediateSize, v.NumHiddenLayers, v.NumAttentionHeads, v.ImageSize, v.PatchSize = 32, 64, 1, 2, 32, 16
}

// quickBLIP shrinks a BLIP config for --quick: one layer of width 32 in
// the text decoder and the vision tower, on 32-pixel images.
func quickBLIP(cfg *blip.Config) {
	t := &cfg.TextConfig
	t.HiddenSize, t.EncoderHiddenSize, t.IntermediateSize, t.NumHiddenLayers, t.NumAttentionHeads = 32, 32, 64, 1, 2
	v := &cfg.VisionConfig
	v.HiddenSize, v.IntermediateSize, v.NumHiddenLayers, v.NumAttentionHeads, v.ImageSize, v.PatchSize = 32, 64, 1, 2, 32, 16
}

// benchIDs returns batch random captions of seq tokens starting with bos.
func benchIDs(rng *rand.Rand, batch, seq, vocab, bos int) *tensor.Tensor {
	ids := make([]int64, batch*seq)
	for i := range ids {
		ids[i] = int64(1000 + rng.IntN(vocab-1000))
		if i%seq == 0 {
			ids[i] = int64(bos)
		}
	}
	return tensor.FromI64(ids, batch, seq)
}

// toBenchDevice moves the parameters and the pixels to the bench's device.
func (b *bencher) toBenchDevice(params []nn.NamedParam, pixels *tensor.Tensor) (*tensor.Tensor, error) {
	if b.dev == nil {
		return pixels, nil
	}
	for _, p := range params {
		v, err := p.Var.Value.ToDevice(cuda.BackendName)
		if err != nil {
			return nil, err
		}
		p.Var.Value = v
	}
	return pixels.ToDevice(cuda.BackendName)
}

func (b *bencher) model(name string) (*benchModel, error) {
	rng := rand.New(rand.NewPCG(7, 8))
	c := b.cfg
	if name == "git-base" {
		cfg := gitmodel.BaseConfig()
		if c.quick {
			cfg.HiddenSize, cfg.IntermediateSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads, cfg.VocabSize = 32, 64, 1, 2, 1100
			quickVision(&cfg.Vision)
		}
		m, err := gitmodel.New(cfg, 1)
		if err != nil {
			return nil, err
		}
		m.SetTraining(false)
		s := cfg.Vision.ImageSize
		ids := benchIDs(rng, c.batch, c.seq, cfg.VocabSize, cfg.BosTokenID)
		px, err := b.toBenchDevice(m.NamedParams(), tensor.RandN(rng, tensor.F32, c.batch, 3, s, s))
		if err != nil {
			return nil, err
		}
		in := gitmodel.Inputs{Pixels: px, InputIDs: ids, Labels: ids}
		opts := m.GenerationOptions()
		opts.MaxNewTokens, opts.MinNewTokens = c.newTokens, c.newTokens
		return &benchModel{params: m.NamedParams(),
			loss:    func() (*autograd.Var, error) { l, _, err := m.Loss(in); return l, err },
			caption: func() error { _, err := m.Generate(px, nil, opts); return err },
			stepF:   cfg.TrainStepFLOPs(c.batch, c.seq), greedyF: float64(c.batch) * cfg.GreedyFLOPs(c.newTokens)}, nil
	}
	cfg := blip.BaseConfig()
	if c.quick {
		quickBLIP(&cfg)
	}
	m, err := blip.NewCaptionModel(cfg, 1)
	if err != nil {
		return nil, err
	}
	m.SetTraining(false)
	s := cfg.VisionConfig.ImageSize
	ids := benchIDs(rng, c.batch, c.seq, cfg.TextConfig.VocabSize, cfg.TextConfig.BosTokenID)
	px, err := b.toBenchDevice(m.NamedParams(), tensor.RandN(rng, tensor.F32, c.batch, 3, s, s))
	if err != nil {
		return nil, err
	}
	in := blip.CaptionInputs{Pixels: px, InputIDs: ids, Labels: ids}
	opts := m.GenerateOptions()
	opts.MaxNewTokens, opts.MinNewTokens = c.newTokens, c.newTokens
	step, greedy := blipFLOPs(cfg, c.seq, c.newTokens)
	return &benchModel{params: m.NamedParams(),
		loss: func() (*autograd.Var, error) {
			out, err := m.Forward(in)
			if err != nil {
				return nil, err
			}
			return out.Loss, nil
		},
		caption: func() error { _, err := m.Generate(px, nil, opts); return err },
		stepF:   float64(c.batch) * step, greedyF: float64(c.batch) * greedy}, nil
}

// blipFLOPs counts BLIP's matrix products (2·m·k·n each; a backward
// doubles every product except the patch embedding's, whose input needs
// no gradient) for one image: a training step on a caption of seq tokens,
// and greedy captioning of newTokens with the image side computed once.
func blipFLOPs(c blip.Config, seq, newTokens int) (step, greedy float64) {
	v, tc := c.VisionConfig, c.TextConfig
	n := float64(v.NumPatches() + 1)
	dv, iv, p := float64(v.HiddenSize), float64(v.IntermediateSize), float64(v.PatchSize)
	patch := 2 * float64(v.NumPatches()) * 3 * p * p * dv
	vision := float64(v.NumHiddenLayers) * (8*n*dv*dv + 4*n*n*dv + 4*n*dv*iv)
	d, in, voc := float64(tc.HiddenSize), float64(tc.IntermediateSize), float64(tc.VocabSize)
	crossKV := float64(tc.NumHiddenLayers) * 4 * n * float64(tc.EncoderHiddenSize) * d
	decoder := func(q, k float64) float64 { // self-attention, cross-attention, MLP
		return float64(tc.NumHiddenLayers) * (8*q*d*d + 4*q*k*d + 4*q*d*d + 4*q*n*d + 4*q*d*in)
	}
	head := func(q float64) float64 { return 2*q*d*d + 2*q*d*voc }
	l := float64(seq)
	fwd := patch + vision + crossKV + decoder(l, l) + head(l)
	step = 3*fwd - patch
	greedy = patch + vision + crossKV
	for s := range newTokens {
		greedy += decoder(1, float64(s+1)) + head(1)
	}
	return step, greedy
}

// peakHeap is modelbench.PeakHeap for a function that can fail: the
// largest live Go heap seen while f runs.
func peakHeap(f func() error) (uint64, error) {
	var err error
	peak := modelbench.PeakHeap(func() { err = f() })
	return peak, err
}

// trainRow times a training step on the CPU: zero the gradients, forward
// with the loss, backward, nn/optim's AdamW (fp32). On CUDA finetuneRow
// measures radcap finetune's own step instead.
func (b *bencher) trainRow(name, label string) error {
	m, err := b.model(name)
	if err != nil {
		return err
	}
	o := optim.DefaultOptions()
	const lr, wd = 5e-5, 1e-8
	group := optim.Group{WeightDecay: wd}
	for _, p := range m.params {
		group.Params = append(group.Params, optim.Param{Name: p.Name, Var: p.Var})
	}
	opt, err := optim.NewAdamW([]optim.Group{group}, o)
	if err != nil {
		return err
	}
	step := func() error {
		nn.ZeroGrad(m.params)
		tp := autograd.NewTape()
		l, err := m.loss()
		if err != nil {
			return err
		}
		if err := tp.Backward(l); err != nil {
			return err
		}
		return opt.Step(lr)
	}
	runtime.GC()
	var per time.Duration
	peak, err := peakHeap(func() error { per, err = b.timeReps(step); return err })
	if err != nil {
		return err
	}
	rate := m.stepF / per.Seconds() / 1e9
	b.rows = append(b.rows, benchRow{name: fmt.Sprintf("%s train step (batch %d, %d tokens)", label, b.cfg.batch, b.cfg.seq),
		value: float64(b.cfg.batch) / per.Seconds(), unit: "images/s", ratio: rate / b.ref, note: "fp32; ratio = model GFLOP/s / reference"})
	b.rows = append(b.rows, benchRow{name: fmt.Sprintf("%s train step peak Go heap", label), value: float64(peak) / (1 << 30), unit: "GiB", ratio: math.NaN()})
	return nil
}

// captionRow times greedy captioning of the batch.
func (b *bencher) captionRow(name, label string) error {
	m, err := b.model(name)
	if err != nil {
		return err
	}
	nn.SetRequiresGrad(m.params, false)
	per, err := b.timeReps(m.caption)
	if err != nil {
		return err
	}
	rate := m.greedyF / per.Seconds() / 1e9
	b.rows = append(b.rows, benchRow{name: fmt.Sprintf("%s greedy caption (batch %d, %d tokens)", label, b.cfg.batch, b.cfg.newTokens),
		value: per.Seconds() * 1e3 / float64(b.cfg.batch), unit: "ms/image", ratio: rate / b.ref, note: "fp32; ratio = model GFLOP/s / reference"})
	return nil
}

// print writes the table.
func (b *bencher) print(w io.Writer) {
	dev := "cpu"
	if b.dev != nil {
		dev = fmt.Sprintf("cuda: %s (sm_%d)", b.dev.Name(), b.dev.Arch())
	}
	fmt.Fprintf(w, "radcap bench on %s, %d repetitions per row\n", dev, b.cfg.reps)
	fmt.Fprintf(w, "reference: %s = %.1f GFLOP/s (measured in this run)\n\n", b.refN, b.ref)
	fmt.Fprintf(w, "| %-60s | %12s | %-9s | %8s | %s |\n", "measurement", "value", "unit", "ratio", "note")
	fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", strings.Repeat("-", 60), strings.Repeat("-", 12), strings.Repeat("-", 9), strings.Repeat("-", 8), "---")
	for _, r := range b.rows {
		value, ratio := fmt.Sprintf("%.4g", r.value), fmt.Sprintf("%.3g", r.ratio)
		if strings.HasPrefix(r.note, "failed") || strings.HasPrefix(r.note, "not available") {
			value = "—"
		}
		if math.IsNaN(r.ratio) {
			ratio = "—"
		}
		fmt.Fprintf(w, "| %-60s | %12s | %-9s | %8s | %s |\n", r.name, value, r.unit, ratio, r.note)
	}
}
