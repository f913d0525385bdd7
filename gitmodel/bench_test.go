package gitmodel

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"radcap/autograd"
	"radcap/tensor"
	"radcap/tensor/sgemm"
)

// rate is a throughput measured two ways: per second of wall-clock time
// and per second of CPU time used by this process. On a machine other
// processes share, the wall-clock rate depends on how much of the CPU they
// leave; the CPU-time rate does not, as long as the work keeps all its
// threads busy.
type rate struct{ wall, cpu float64 }

// cpuTime returns the user+system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSgemm returns radcap's SGEMM rate in GFLOP/s on 1024³ products,
// repeated for at least a second after a warm-up: the reference the
// model's rate is compared with in the same run.
func benchSgemm() rate {
	const n = 1024
	rng := rand.New(rand.NewPCG(1, 2))
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	sgemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
	start, cpu0 := time.Now(), cpuTime()
	reps := 0
	for reps < 5 || time.Since(start) < time.Second {
		sgemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
		reps++
	}
	flops := 2 * n * n * n * float64(reps) / 1e9
	return rate{wall: flops / time.Since(start).Seconds(), cpu: flops / (cpuTime() - cpu0).Seconds()}
}

// peakHeap samples the live heap (the runtime/metrics counterpart of
// MemStats.HeapAlloc) every millisecond while f runs and returns the
// largest value seen, in bytes.
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	peak := read()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				peak = max(peak, read())
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return max(peak, read())
}

// benchBatch is a random batch of images and full-length captions.
func benchBatch(cfg Config, batch, textLen int) Inputs {
	rng := rand.New(rand.NewPCG(3, 4))
	s := cfg.Vision.ImageSize
	ids := make([]int64, batch*textLen)
	for i := range ids {
		ids[i] = 1000 + rng.Int64N(int64(cfg.VocabSize-1000))
		if i%textLen == 0 {
			ids[i] = int64(cfg.BosTokenID)
		}
	}
	return Inputs{
		Pixels:   tensor.RandN(rng, tensor.F32, batch, 3, s, s),
		InputIDs: tensor.FromI64(ids, batch, textLen),
		Labels:   tensor.FromI64(append([]int64(nil), ids...), batch, textLen),
	}
}

// measure runs f b.N times and returns its wall-clock and CPU time per
// run and the peak live heap seen.
func measure(b *testing.B, f func()) (wall, cpu time.Duration, peak uint64) {
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		peak = max(peak, peakHeap(f))
	}
	wall, cpu = time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	return wall / time.Duration(b.N), cpu / time.Duration(b.N), peak
}

// report adds the figures every model benchmark prints: images/s, the
// model's GFLOP/s (per wall-clock and per CPU second), radcap's SGEMM rate
// at 1024³ measured in the same run (the mean of the runs before and
// after), their ratios, and the peak live heap.
func report(b *testing.B, images int, flops float64, wall, cpu time.Duration, peak uint64, before, after rate) {
	sg := rate{wall: (before.wall + after.wall) / 2, cpu: (before.cpu + after.cpu) / 2}
	model := rate{wall: flops / wall.Seconds() / 1e9, cpu: flops / cpu.Seconds() / 1e9}
	b.ReportMetric(float64(images)/wall.Seconds(), "images/s")
	b.ReportMetric(model.wall, "model_GFLOP/s")
	b.ReportMetric(sg.wall, "sgemm1024_GFLOP/s")
	b.ReportMetric(model.wall/sg.wall, "ratio")
	b.ReportMetric(model.cpu, "model_GFLOP/cpu-s")
	b.ReportMetric(sg.cpu, "sgemm1024_GFLOP/cpu-s")
	b.ReportMetric(model.cpu/sg.cpu, "ratio_cpu")
	b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MiB")
}

// BenchmarkTrainStep times one training step (zero_grad, forward with the
// loss, backward) of git-base in training mode (dropout on) on captions of
// 40 tokens, float32, and compares its model FLOP/s with radcap's SGEMM at
// 1024³ measured in the same run. Names: BenchmarkTrainStep/git-base/b1, b8.
func BenchmarkTrainStep(b *testing.B) {
	m, err := New(BaseConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	m.SetTraining(true)
	params := m.NamedParams()
	const textLen = 40
	for _, batch := range []int{1, 8} {
		b.Run(fmt.Sprintf("git-base/b%d", batch), func(b *testing.B) {
			in := benchBatch(m.Config, batch, textLen)
			step := func() {
				for _, p := range params {
					p.Var.ZeroGrad()
				}
				tp := autograd.NewTape()
				loss, _, err := m.Loss(in)
				if err != nil {
					b.Fatal(err)
				}
				if err := tp.Backward(loss); err != nil {
					b.Fatal(err)
				}
			}
			step() // warm-up: buffers, gradients allocated
			runtime.GC()
			before := benchSgemm()
			wall, cpu, peak := measure(b, step)
			report(b, batch, m.Config.TrainStepFLOPs(batch, textLen), wall, cpu, peak, before, benchSgemm())
		})
	}
}

// BenchmarkCaption times greedy captioning of one image with git-base: 20
// new tokens (no stop token, as min_new_tokens = 20 forces), the image side
// computed once.
func BenchmarkCaption(b *testing.B) {
	m, err := New(BaseConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	const newTokens = 20
	px := benchBatch(m.Config, 1, 2).Pixels
	opts := m.GenerationOptions()
	opts.MaxNewTokens, opts.MinNewTokens = newTokens, newTokens
	b.Run("git-base/greedy20", func(b *testing.B) {
		run := func() {
			res, err := m.Generate(px, nil, opts)
			if err != nil {
				b.Fatal(err)
			}
			if w := res.Sequences.Dim(1); w != newTokens+1 {
				b.Fatalf("generated width %d, want %d", w, newTokens+1)
			}
		}
		run()
		runtime.GC()
		before := benchSgemm()
		wall, cpu, peak := measure(b, run)
		report(b, 1, m.Config.GreedyFLOPs(newTokens), wall, cpu, peak, before, benchSgemm())
		// PyTorch 1.13's median on the 2-core reference machine
		// (shared/fixtures/hf/benchmark_pytorch_cpu.json); a ratio across
		// machines, so only indicative.
		b.ReportMetric(46.32/wall.Seconds(), "x_vs_pytorch_46s")
	})
}

// The FLOP counts agree with a count of the products on a tiny config
// where they can be listed by hand.
func TestFLOPCounts(t *testing.T) {
	c := DefaultConfig()
	c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.VocabSize = 4, 8, 1, 10
	c.NumAttentionHeads = 1
	c.Vision.HiddenSize, c.Vision.IntermediateSize, c.Vision.NumHiddenLayers = 2, 4, 1
	c.Vision.NumAttentionHeads, c.Vision.ImageSize, c.Vision.PatchSize = 1, 2, 1
	// Vision: 4 patches, 5 tokens, D=2, I=4, C=3, P=1.
	patch := 2.0 * 4 * 3 * 1 * 2
	vis := 4*2*5*2*2.0 + 2*2*5*5*2 + 2*2*5*2*4 + 2*5*2*4 // layer + projection to 4
	// Decoder over T = 5 + 3 = 8 tokens, D=4, I=8; head on 2 positions.
	dec := 4*2*8*4*4.0 + 2*2*8*8*4 + 2*2*8*4*8
	head := 2 * 2 * 4 * 10.0
	want := 3*(patch+vis+dec+head) - patch
	if got := c.TrainStepFLOPs(1, 3); got != want {
		t.Errorf("TrainStepFLOPs = %v, want %v", got, want)
	}
	if got := c.TrainStepFLOPs(2, 3); got != 2*want {
		t.Errorf("batch 2: %v, want %v", got, 2*want)
	}
	// Greedy, 1 token: vision, decoder over the 5 image tokens, one step over 6 keys.
	imgDec := 4*2*5*4*4.0 + 2*2*5*5*4 + 2*2*5*4*8
	step := 4*2*1*4*4.0 + 2*2*1*6*4 + 2*2*1*4*8 + 2*4*10
	if got, w := c.GreedyFLOPs(1), patch+vis+imgDec+step; got != w {
		t.Errorf("GreedyFLOPs = %v, want %v", got, w)
	}
}
