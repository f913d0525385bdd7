//go:build cgo

package cuda

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"radcap/autograd"
	"radcap/blip"
	"radcap/gitmodel"
	"radcap/nn"
	"radcap/nn/optim"
	"radcap/tensor"
)

// Whole-model benchmarks on the GPU: a training step (zero the gradients,
// forward with the loss, backward, fused AdamW) of git-base and blip-base
// with random weights at batch 8 and captions of 40 tokens, and greedy
// captioning of 8 images with 20 new tokens. Reported: images/s and the
// peak GPU memory in use (peak-GiB). bench/run_gpu.sh puts them beside
// torch_anchor.py's figures from the same machine. The models run in
// float32 on the GPU: fp16 autocast is not wired into the models yet.

const benchBatch, benchSeq, benchNewTokens = 8, 40, 20

// benchCaptionIDs returns batch random captions of seq tokens after bos.
func benchCaptionIDs(batch, seq, vocab, bos int) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(3, 4))
	ids := make([]int64, batch*seq)
	for i := range ids {
		ids[i] = int64(1000 + rng.IntN(vocab-1000))
		if i%seq == 0 {
			ids[i] = int64(bos)
		}
	}
	return tensor.FromI64(ids, batch, seq)
}

// modelOnGPU moves params to the GPU and returns random pixels there.
func modelOnGPU(b *testing.B, params []nn.NamedParam, image int) *tensor.Tensor {
	for _, p := range params {
		p.Var.Value = onGPU(b, p.Var.Value)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	return onGPU(b, tensor.RandN(rng, tensor.F32, benchBatch, 3, image, image))
}

// runModelBench times f b.N times after a warm-up and reports images/s,
// ms per batch and the peak GPU memory in use during the timed runs. A
// panic of the warm-up (an op the device path lacks) skips the benchmark
// with its message instead of ending the whole benchmark binary.
func runModelBench(b *testing.B, be *Backend, f func() error) {
	defer failOnPanic(b)
	var warm any
	err := func() error {
		defer func() { warm = recover() }()
		return f()
	}()
	if warm != nil {
		b.Skipf("does not run on the GPU yet: %v", warm)
	}
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	if err := be.d.Sync(); err != nil {
		b.Fatal(err)
	}
	be.d.ResetPeakStats()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	if err := be.d.Sync(); err != nil {
		b.Fatal(err)
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(benchBatch)/per.Seconds(), "images/s")
	b.ReportMetric(per.Seconds()*1e3, "ms/batch")
	b.ReportMetric(float64(be.d.AllocStats().PeakInUseBytes)/(1<<30), "peak-GiB")
}

// trainStep is one step of a model given its loss.
func trainStep(b *testing.B, be *Backend, params []nn.NamedParam, loss func() (*autograd.Var, error)) func() error {
	values := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		values[i] = p.Var.Value
	}
	opt, err := be.NewTensorAdamW(values)
	if err != nil {
		b.Fatal(err)
	}
	o := optim.DefaultOptions()
	return func() error {
		nn.ZeroGrad(params)
		tp := autograd.NewTape()
		l, err := loss()
		if err != nil {
			return err
		}
		if err := tp.Backward(l); err != nil {
			return err
		}
		grads := make([]*tensor.Tensor, len(params))
		for i, p := range params {
			grads[i] = p.Var.Grad
		}
		return opt.Step(values, grads, 5e-5, 1e-8, o.Beta1, o.Beta2, o.Eps)
	}
}

func BenchmarkTrainStep(b *testing.B) {
	be := cudaBackend(b)
	b.Run("git-base", func(b *testing.B) {
		cfg := gitmodel.BaseConfig()
		m, err := gitmodel.New(cfg, 1)
		if err != nil {
			b.Fatal(err)
		}
		px := modelOnGPU(b, m.NamedParams(), cfg.Vision.ImageSize)
		ids := benchCaptionIDs(benchBatch, benchSeq, cfg.VocabSize, cfg.BosTokenID)
		in := gitmodel.Inputs{Pixels: px, InputIDs: ids, Labels: ids}
		runModelBench(b, be, trainStep(b, be, m.NamedParams(), func() (*autograd.Var, error) {
			l, _, err := m.Loss(in)
			return l, err
		}))
	})
	b.Run("blip-base", func(b *testing.B) {
		cfg := blip.BaseConfig()
		m, err := blip.NewCaptionModel(cfg, 1)
		if err != nil {
			b.Fatal(err)
		}
		px := modelOnGPU(b, m.NamedParams(), cfg.VisionConfig.ImageSize)
		ids := benchCaptionIDs(benchBatch, benchSeq, cfg.TextConfig.VocabSize, cfg.TextConfig.BosTokenID)
		in := blip.CaptionInputs{Pixels: px, InputIDs: ids, Labels: ids}
		runModelBench(b, be, trainStep(b, be, m.NamedParams(), func() (*autograd.Var, error) {
			out, err := m.Forward(in)
			if err != nil {
				return nil, err
			}
			return out.Loss, nil
		}))
	})
}

func BenchmarkCaption(b *testing.B) {
	be := cudaBackend(b)
	b.Run("git-base", func(b *testing.B) {
		cfg := gitmodel.BaseConfig()
		m, err := gitmodel.New(cfg, 1)
		if err != nil {
			b.Fatal(err)
		}
		nn.SetRequiresGrad(m.NamedParams(), false)
		px := modelOnGPU(b, m.NamedParams(), cfg.Vision.ImageSize)
		opts := m.GenerationOptions()
		opts.MaxNewTokens, opts.MinNewTokens = benchNewTokens, benchNewTokens
		runModelBench(b, be, func() error { _, err := m.Generate(px, nil, opts); return err })
	})
	b.Run("blip-base", func(b *testing.B) {
		cfg := blip.BaseConfig()
		m, err := blip.NewCaptionModel(cfg, 1)
		if err != nil {
			b.Fatal(err)
		}
		nn.SetRequiresGrad(m.NamedParams(), false)
		px := modelOnGPU(b, m.NamedParams(), cfg.VisionConfig.ImageSize)
		opts := m.GenerateOptions()
		opts.MaxNewTokens, opts.MinNewTokens = benchNewTokens, benchNewTokens
		runModelBench(b, be, func() error { _, err := m.Generate(px, nil, opts); return err })
	})
}
