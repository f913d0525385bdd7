//go:build cgo

package cuda

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"radcap/tensor"
)

// openGPU opens the first GPU or skips the test with the reason. Set
// RADCAP_REQUIRE_GPU=1 on a GPU machine to make a failed Open fail instead.
func openGPU(t testing.TB) *Device {
	t.Helper()
	d, err := Open(Options{CacheDir: os.Getenv("RADCAP_CUDA_CACHE")})
	if err != nil {
		if os.Getenv("RADCAP_REQUIRE_GPU") != "" {
			t.Fatalf("RADCAP_REQUIRE_GPU is set but no GPU opened: %v", err)
		}
		t.Skipf("no usable CUDA GPU, GPU test skipped: %v", err)
	}
	t.Logf("GPU %s (sm_%d), kernels from cache: %v, cuBLASLt: %v", d.Name(), d.Arch(), d.KernelsFromCache(), d.HasCublasLt())
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

// relTol is the bound: 1e-5 for f32, the type's epsilon (2^-10,
// 2^-7) for f16 and bf16, relative to the largest reference magnitude.
func relTol(dt tensor.DType) float64 {
	switch dt {
	case tensor.F16:
		return 1.0 / 1024
	case tensor.BF16:
		return 1.0 / 128
	}
	return 1e-5
}

// round returns v as stored in dt.
func round(dt tensor.DType, v float64) float64 {
	switch dt {
	case tensor.F16:
		return float64(tensor.F16ToF32(tensor.F32ToF16(float32(v))))
	case tensor.BF16:
		return float64(tensor.BF16ToF32(tensor.F32ToBF16(float32(v))))
	case tensor.F32:
		return float64(float32(v))
	}
	return v
}

// randVals returns n fresh values uniform in [-scale, scale), rounded to dt.
func randVals(rng *rand.Rand, dt tensor.DType, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = round(dt, (2*rng.Float64()-1)*scale)
	}
	return v
}

func encode(dt tensor.DType, v []float64) []byte {
	b := make([]byte, len(v)*dt.Size())
	for i, x := range v {
		switch dt {
		case tensor.F16:
			binary.LittleEndian.PutUint16(b[2*i:], tensor.F32ToF16(float32(x)))
		case tensor.BF16:
			binary.LittleEndian.PutUint16(b[2*i:], tensor.F32ToBF16(float32(x)))
		case tensor.F32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
		case tensor.I64:
			binary.LittleEndian.PutUint64(b[8*i:], uint64(int64(x)))
		case tensor.U8:
			b[i] = uint8(x)
		default:
			panic(fmt.Sprintf("encode %v", dt))
		}
	}
	return b
}

func decode(dt tensor.DType, b []byte) []float64 {
	v := make([]float64, len(b)/dt.Size())
	for i := range v {
		switch dt {
		case tensor.F16:
			v[i] = float64(tensor.F16ToF32(binary.LittleEndian.Uint16(b[2*i:])))
		case tensor.BF16:
			v[i] = float64(tensor.BF16ToF32(binary.LittleEndian.Uint16(b[2*i:])))
		case tensor.F32:
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		default:
			panic(fmt.Sprintf("decode %v", dt))
		}
	}
	return v
}

// upload copies v (as dt) into a fresh buffer.
func upload(t testing.TB, d *Device, dt tensor.DType, v []float64) *Buffer {
	t.Helper()
	b, err := d.Alloc(len(v) * dt.Size())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Upload(b, 0, encode(dt, v)); err != nil {
		t.Fatal(err)
	}
	return b
}

// poisoned returns a buffer of n elements of dt filled with NaN, so that
// an element a kernel fails to write fails the comparison.
func poisoned(t testing.TB, d *Device, dt tensor.DType, n int) *Buffer {
	t.Helper()
	b, err := d.Alloc((n*dt.Size() + 3) / 4 * 4)
	if err != nil {
		t.Fatal(err)
	}
	pat := uint32(0x7fc00000)
	switch dt {
	case tensor.F16:
		pat = 0x7e007e00
	case tensor.BF16:
		pat = 0x7fc07fc0
	}
	if err := d.Fill32(b, pat, b.Size()/4); err != nil {
		t.Fatal(err)
	}
	b.size = n * dt.Size()
	return b
}

func download(t testing.TB, d *Device, dt tensor.DType, b *Buffer, n int) []float64 {
	t.Helper()
	raw := make([]byte, n*dt.Size())
	if err := d.Download(raw, b, 0); err != nil {
		t.Fatal(err)
	}
	return decode(dt, raw)
}

// checkClose fails unless max|got − want| ≤ tol·max|want| with no NaN in
// got where want is finite.
func checkClose(t testing.TB, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale, worst, at := 0.0, 0.0, -1
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	if scale == 0 {
		scale = 1
	}
	for i := range got {
		e := math.Abs(got[i] - want[i])
		if math.IsNaN(want[i]) && math.IsNaN(got[i]) {
			continue
		}
		if math.IsNaN(e) || math.IsInf(e, 0) {
			t.Fatalf("%s: element %d is %v, want %v (unwritten or overflowed)", what, i, got[i], want[i])
		}
		if e > worst {
			worst, at = e, i
		}
	}
	if worst > tol*scale {
		t.Fatalf("%s: max error %.3g at %d (got %v, want %v) exceeds %.3g × max|want| %.3g", what, worst, at, got[at], want[at], tol, scale)
	}
}

func f64(v []float64, shape ...int) *tensor.Tensor {
	return tensor.FromF64(append([]float64(nil), v...), shape...)
}

var gpuTypes = []tensor.DType{tensor.F32, tensor.F16, tensor.BF16}

// freshRNG returns a generator with a fresh seed, logged for reproduction.
func freshRNG(t testing.TB) *rand.Rand {
	seed := rand.Uint64()
	t.Logf("random seed %d", seed)
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}
