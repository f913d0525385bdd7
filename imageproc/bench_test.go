package imageproc

import (
	"bytes"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The benchmarks answer one question: does preprocessing a ~600x550 chest
// X-ray cost well under decoding it? Compare Decode* with Preprocess* of the
// same file in the same run (ns/op); JPEGStdlib is Go's bare decoder for
// reference (no RGB conversion).

const (
	benchGray = "ROCO_75113.jpg" // 600x550, grayscale JPEG
	benchRGB  = "ROCO_39957.jpg" // 600x534, YCbCr 4:2:0 JPEG
)

func benchData(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "images", name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func benchDecode(b *testing.B, name string) {
	data := benchData(b, name)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, name); err != nil {
			b.Fatal(err)
		}
	}
}

func benchStdlib(b *testing.B, name string) {
	data := benchData(b, name)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPreprocess(b *testing.B, name string, p Processor) {
	img, err := Decode(benchData(b, name), name)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Preprocess(img); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeGray600x550(b *testing.B)         { benchDecode(b, benchGray) }
func BenchmarkJPEGStdlibGray600x550(b *testing.B)     { benchStdlib(b, benchGray) }
func BenchmarkPreprocessBLIPGray600x550(b *testing.B) { benchPreprocess(b, benchGray, BLIP()) }
func BenchmarkPreprocessGITGray600x550(b *testing.B)  { benchPreprocess(b, benchGray, GIT()) }
func BenchmarkDecodeRGB600x534(b *testing.B)          { benchDecode(b, benchRGB) }
func BenchmarkJPEGStdlibRGB600x534(b *testing.B)      { benchStdlib(b, benchRGB) }
func BenchmarkPreprocessBLIPRGB600x534(b *testing.B)  { benchPreprocess(b, benchRGB, BLIP()) }
func BenchmarkPreprocessGITRGB600x534(b *testing.B)   { benchPreprocess(b, benchRGB, GIT()) }

// BenchmarkPreprocessVsDecode times decoding and BLIP/GIT preprocessing of
// the 600x550 file alternately in the same loop and reports the fastest
// time of each (min-ns) and their ratios. Minimums are robust to other
// processes sharing the CPU, which the plain ns/op figures are not.
//
// "workers=1" runs the resampler on one goroutine, which compares CPU cost
// with the (single-threaded) decoder; "workers=max" uses GOMAXPROCS
// goroutines, which only helps where cores are idle.
func BenchmarkPreprocessVsDecode(b *testing.B) {
	for _, c := range []struct {
		name    string
		file    string
		workers int
	}{
		{"gray600x550/workers=1", benchGray, 1}, {"gray600x550/workers=max", benchGray, runtime.GOMAXPROCS(0)},
		{"rgb600x534/workers=1", benchRGB, 1}, {"rgb600x534/workers=max", benchRGB, runtime.GOMAXPROCS(0)},
	} {
		name := c.file
		blip, git := BLIP(), GIT()
		blip.Workers, git.Workers = c.workers, c.workers
		b.Run(c.name, func(b *testing.B) {
			data := benchData(b, name)
			img, err := Decode(data, name)
			if err != nil {
				b.Fatal(err)
			}
			best := [3]time.Duration{time.Hour, time.Hour, time.Hour}
			for b.Loop() {
				t0 := time.Now()
				if _, err := Decode(data, name); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := blip.Preprocess(img); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				if _, err := git.Preprocess(img); err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				best[0] = min(best[0], t1.Sub(t0))
				best[1] = min(best[1], t2.Sub(t1))
				best[2] = min(best[2], t3.Sub(t2))
			}
			b.ReportMetric(float64(best[0].Nanoseconds()), "decode-min-ns")
			b.ReportMetric(float64(best[1].Nanoseconds()), "blip-min-ns")
			b.ReportMetric(float64(best[2].Nanoseconds()), "git-min-ns")
			b.ReportMetric(float64(best[1])/float64(best[0]), "blip/decode")
			b.ReportMetric(float64(best[2])/float64(best[0]), "git/decode")
		})
	}
}
