// Package modelbench holds what the models' benchmarks share: radcap's
// SGEMM rate at 1024³ as the in-run reference, CPU-time accounting, peak
// heap sampling and the metrics every model benchmark reports (images/s,
// model GFLOP/s per wall-clock and per CPU second, their ratio to SGEMM,
// peak live heap). It is imported by _test files only.
package modelbench

import (
	"math/rand/v2"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"radcap/tensor/sgemm"
)

// Rate is a throughput in GFLOP/s measured two ways: per second of
// wall-clock time and per second of CPU time used by this process. On a
// machine other processes share, the wall-clock rate depends on how much of
// the CPU they leave; the CPU-time rate does not, as long as the work keeps
// all its threads busy.
type Rate struct{ Wall, CPU float64 }

// SGEMM returns radcap's SGEMM rate on 1024³ products, repeated for at
// least a second after a warm-up: the reference a model's rate is compared
// with in the same run.
func SGEMM() Rate {
	const n = 1024
	rng := rand.New(rand.NewPCG(1, 2))
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	sgemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
	start, cpu0 := time.Now(), CPUTime()
	reps := 0
	for reps < 5 || time.Since(start) < time.Second {
		sgemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
		reps++
	}
	flops := 2 * n * n * n * float64(reps) / 1e9
	return Rate{Wall: flops / time.Since(start).Seconds(), CPU: flops / (CPUTime() - cpu0).Seconds()}
}

// PeakHeap samples the live heap (the runtime/metrics counterpart of
// MemStats.HeapAlloc) every millisecond while f runs and returns the
// largest value seen, in bytes.
func PeakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	peak := read()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
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
	})
	f()
	close(done)
	wg.Wait()
	return max(peak, read())
}

// Measure runs f b.N times and returns its wall-clock and CPU time per run
// and the peak live heap seen.
func Measure(b *testing.B, f func()) (wall, cpu time.Duration, peak uint64) {
	b.ResetTimer()
	start, cpu0 := time.Now(), CPUTime()
	for range b.N {
		peak = max(peak, PeakHeap(f))
	}
	wall, cpu = time.Since(start), CPUTime()-cpu0
	b.StopTimer()
	return wall / time.Duration(b.N), cpu / time.Duration(b.N), peak
}

// Report adds the figures every model benchmark prints: images/s, the
// model's GFLOP/s (per wall-clock and per CPU second), radcap's SGEMM rate
// at 1024³ measured in the same run (the mean of the runs before and
// after), their ratios, and the peak live heap.
func Report(b *testing.B, images int, flops float64, wall, cpu time.Duration, peak uint64, before, after Rate) {
	sg := Rate{Wall: (before.Wall + after.Wall) / 2, CPU: (before.CPU + after.CPU) / 2}
	model := Rate{Wall: flops / wall.Seconds() / 1e9, CPU: flops / cpu.Seconds() / 1e9}
	b.ReportMetric(float64(images)/wall.Seconds(), "images/s")
	b.ReportMetric(model.Wall, "model_GFLOP/s")
	b.ReportMetric(sg.Wall, "sgemm1024_GFLOP/s")
	b.ReportMetric(model.Wall/sg.Wall, "ratio")
	b.ReportMetric(model.CPU, "model_GFLOP/cpu-s")
	b.ReportMetric(sg.CPU, "sgemm1024_GFLOP/cpu-s")
	b.ReportMetric(model.CPU/sg.CPU, "ratio_cpu")
	b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MiB")
}
