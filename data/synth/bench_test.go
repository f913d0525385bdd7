package synth

import "testing"

func benchSample(b *testing.B, size int) {
	g, err := NewCXR(Config{Seed: 1, Size: size})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := g.Sample("train", i%1700); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCXRSample64 and BenchmarkCXRSample128 time one chest X-ray
// (lesions, rendering, caption) at 64x64 and 128x128.
func BenchmarkCXRSample64(b *testing.B)  { benchSample(b, 64) }
func BenchmarkCXRSample128(b *testing.B) { benchSample(b, 128) }

// BenchmarkShapesSample64 times one shapes image at 64x64.
func BenchmarkShapesSample64(b *testing.B) {
	g, _ := NewShapes(ShapesConfig{Seed: 1})
	for i := 0; b.Loop(); i++ {
		if _, err := g.Sample(i); err != nil {
			b.Fatal(err)
		}
	}
}
