//go:build cgo

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

// The tensor backend against the CPU: every tensor op and autograd fused
// op the models use, run through package tensor / autograd on "cuda" and
// on the host with the same inputs. Skips without a GPU.

// gpuDevice is the device name the backend tests run on.
var gpuDevice = BackendName

// testBackend is the one device registered as "cuda" for this test
// binary (the registry holds one backend per name, so it stays open).
var testBackend struct {
	once sync.Once
	b    *Backend
	err  error
}

// cudaBackend opens and registers the GPU or skips the test.
func cudaBackend(t testing.TB) *Backend {
	t.Helper()
	testBackend.once.Do(func() {
		d, err := Open(Options{CacheDir: os.Getenv("RADCAP_CUDA_CACHE")})
		if err != nil {
			testBackend.err = err
			return
		}
		testBackend.b, testBackend.err = Register(d)
	})
	if testBackend.err != nil {
		if os.Getenv("RADCAP_REQUIRE_GPU") != "" {
			t.Fatalf("RADCAP_REQUIRE_GPU is set but no GPU opened: %v", testBackend.err)
		}
		t.Skipf("no usable CUDA GPU, GPU test skipped: %v", testBackend.err)
	}
	return testBackend.b
}

// failOnPanic, deferred first in a GPU test, turns a panic (package
// tensor panics on a device error) into a failure of that test alone, so
// the other tests of a GPU run still run.
func failOnPanic(t testing.TB) {
	if p := recover(); p != nil {
		t.Fatalf("panic: %v\n%s", p, debug.Stack())
	}
}

func onGPU(t testing.TB, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	if x == nil {
		return nil
	}
	y, err := x.ToDevice(gpuDevice)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func onHost(t testing.TB, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	y, err := x.ToDevice("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// closeTensors fails unless got (a device tensor) matches want (host) in
// shape and within tol·max|want| (NaN only where want is NaN).
func closeTensors(t testing.TB, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if got.Device() != gpuDevice {
		t.Fatalf("%s: result on %s, want %s", what, got.Device(), gpuDevice)
	}
	if fmt.Sprint(got.Shape()) != fmt.Sprint(want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	checkClose(t, what, onHost(t, got).Float64s(), want.Float64s(), tol)
}

func randF32(rng *rand.Rand, shape ...int) *tensor.Tensor {
	return tensor.RandN(rng, tensor.F32, shape...)
}

func TestBackendTensorOpsGPU(t *testing.T) {
	defer failOnPanic(t)
	cudaBackend(t)
	rng := freshRNG(t)
	a, b := randF32(rng, 4, 1, 33), randF32(rng, 7, 1)
	pos := tensor.AddScalar(tensor.Abs(randF32(rng, 5, 40)), 0.1)
	x := randF32(rng, 6, 5, 30).Permute(2, 0, 1) // strided
	binary := map[string]func(a, b *tensor.Tensor) *tensor.Tensor{
		"Add": tensor.Add, "Sub": tensor.Sub, "Mul": tensor.Mul, "Div": tensor.Div, "Maximum": tensor.Maximum,
		"Minimum": tensor.Minimum, "Greater": tensor.Greater, "Less": tensor.Less, "Equal": tensor.Equal,
	}
	for name, f := range binary {
		tol := 1e-6
		if name == "Div" {
			tol = 1e-5
		}
		bb := b
		if name == "Equal" {
			bb = a.Narrow(2, 0, 1) // equal pairs occur
		}
		closeTensors(t, name, f(onGPU(t, a), onGPU(t, bb)), f(a, bb), tol)
	}
	unary := map[string]func(x *tensor.Tensor) *tensor.Tensor{
		"Neg": tensor.Neg, "Exp": tensor.Exp, "Log": tensor.Log, "Sqrt": tensor.Sqrt, "Rsqrt": tensor.Rsqrt, "Tanh": tensor.Tanh,
		"Sigmoid": tensor.Sigmoid, "Erf": tensor.Erf, "Abs": tensor.Abs, "Square": tensor.Square,
		"AddScalar": func(x *tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(x, -0.25) },
		"MulScalar": func(x *tensor.Tensor) *tensor.Tensor { return tensor.MulScalar(x, 1.5) },
		"PowScalar": func(x *tensor.Tensor) *tensor.Tensor { return tensor.PowScalar(x, 1.7) },
		"Clamp":     func(x *tensor.Tensor) *tensor.Tensor { return tensor.ClampScalar(x, 0.2, 0.9) },
	}
	for name, f := range unary {
		closeTensors(t, name, f(onGPU(t, pos)), f(pos), 1e-5)
		closeTensors(t, name+" strided", f(onGPU(t, x.Narrow(0, 3, 20))), f(x.Narrow(0, 3, 20)), 1e-5)
	}
	// Where and MaskedFill with a u8 mask broadcast over rows.
	m := tensor.Greater(randF32(rng, 1, 33), tensor.Scalar(tensor.F32, 0)).To(tensor.U8)
	closeTensors(t, "Where", tensor.Where(onGPU(t, m), onGPU(t, a), onGPU(t, b)), tensor.Where(m, a, b), 0)
	closeTensors(t, "MaskedFill", tensor.MaskedFill(onGPU(t, a), onGPU(t, m), -1e4), tensor.MaskedFill(a, m, -1e4), 0)
	// Reductions.
	for _, axes := range [][]int{{0}, {2}, {0, 2}, nil} {
		for _, keep := range []bool{false, true} {
			name := fmt.Sprintf("axes %v keep %v", axes, keep)
			closeTensors(t, "Sum "+name, tensor.Sum(onGPU(t, x), axes, keep), tensor.Sum(x, axes, keep), 1e-5)
			closeTensors(t, "Mean "+name, tensor.Mean(onGPU(t, x), axes, keep), tensor.Mean(x, axes, keep), 1e-5)
		}
	}
	for axis := 0; axis < 3; axis++ {
		v, i := tensor.Max(onGPU(t, x), axis, false)
		wv, wi := tensor.Max(x, axis, false)
		closeTensors(t, fmt.Sprintf("Max %d", axis), v, wv, 0)
		closeTensors(t, fmt.Sprintf("ArgMax %d", axis), i, wi, 0)
	}
	// AddInto and ReduceToShape (broadcast gradients).
	acc := randF32(rng, 4, 7, 33)
	dacc := onGPU(t, acc)
	tensor.AddInto(dacc, onGPU(t, a))
	tensor.AddInto(acc, a)
	closeTensors(t, "AddInto", dacc, acc, 1e-6)
	closeTensors(t, "ReduceToShape", tensor.ReduceToShape(onGPU(t, acc), []int{7, 1}), tensor.ReduceToShape(acc, []int{7, 1}), 1e-5)
	// Views and copies.
	closeTensors(t, "Contiguous", onGPU(t, x).Contiguous(), x.Contiguous(), 0)
	closeTensors(t, "Concat", tensor.Concat(1, onGPU(t, x), onGPU(t, x.Narrow(1, 1, 2))), tensor.Concat(1, x, x.Narrow(1, 1, 2)), 0)
	for _, dt := range []tensor.DType{tensor.F16, tensor.BF16, tensor.I64, tensor.U8, tensor.F64} {
		y := tensor.MulScalar(x, 3)
		closeTensors(t, fmt.Sprintf("To %v and back", dt), onGPU(t, y).To(dt).To(tensor.F32), y.To(dt).To(tensor.F32), 0)
	}
	// MatMul: transposes, strided operands, broadcast batch.
	for _, c := range []struct {
		a, b   *tensor.Tensor
		ta, tb bool
	}{
		{randF32(rng, 3, 17, 40), randF32(rng, 40, 9), false, false},
		{randF32(rng, 2, 3, 40, 17), randF32(rng, 1, 3, 9, 40), true, true},
		{randF32(rng, 65, 70).Transpose(0, 1), randF32(rng, 65, 33), false, false},
		{randF32(rng, 5, 4, 8, 16).Permute(0, 2, 1, 3), randF32(rng, 5, 4, 8, 16).Permute(0, 2, 1, 3), false, true},
	} {
		name := fmt.Sprintf("MatMul %v%v x %v%v", c.a.Shape(), c.a.Strides(), c.b.Shape(), c.b.Strides())
		closeTensors(t, name, tensor.MatMul(onGPU(t, c.a), onGPU(t, c.b), c.ta, c.tb), tensor.MatMul(c.a, c.b, c.ta, c.tb), 1e-5)
	}
	// IndexSelect and IndexAdd (an embedding and its backward).
	w := randF32(rng, 50, 24)
	ids := []int{3, 49, 0, 3, 17}
	closeTensors(t, "IndexSelect", tensor.IndexSelect(onGPU(t, w), 0, ids), tensor.IndexSelect(w, 0, ids), 0)
	closeTensors(t, "IndexSelect dim 1", tensor.IndexSelect(onGPU(t, w), 1, []int{5, 0, 23}), tensor.IndexSelect(w, 1, []int{5, 0, 23}), 0)
	src := randF32(rng, 5, 24)
	dw, hw := onGPU(t, w.Clone()), w.Clone()
	tensor.IndexAdd(dw, 0, ids, onGPU(t, src))
	tensor.IndexAdd(hw, 0, ids, src)
	closeTensors(t, "IndexAdd", dw, hw, 1e-6)
}

// gradCase runs f on host and device copies of inputs (as parameters),
// back-propagates the same random output gradient and compares the
// output and every input gradient.
func gradCase(t *testing.T, rng *rand.Rand, name string, tol float64, inputs []*tensor.Tensor, f func(vs []*autograd.Var) *autograd.Var) {
	t.Helper()
	gradCaseIn(t, name, tensor.F32, tol, inputs, f)
}

// gradCaseIn is gradCase with the GPU's inputs and output gradient stored
// in dt (f16 or bf16: the reference runs in float32 on the same rounded
// values, and the GPU's results are compared after widening).
func gradCaseIn(t *testing.T, name string, dt tensor.DType, tol float64, inputs []*tensor.Tensor, f func(vs []*autograd.Var) *autograd.Var) {
	t.Helper()
	round := func(x *tensor.Tensor) *tensor.Tensor {
		if dt == tensor.F32 {
			return x
		}
		return x.To(dt).To(tensor.F32)
	}
	run := func(dev bool) (*tensor.Tensor, []*tensor.Tensor) {
		vs := make([]*autograd.Var, len(inputs))
		for i, x := range inputs {
			if dev {
				x = onGPU(t, x.To(dt))
			} else {
				x = round(x)
			}
			vs[i] = autograd.Param(x)
		}
		tp := autograd.NewTape()
		y := f(vs)
		g := tensor.RandN(rand.New(rand.NewPCG(7, 8)), tensor.F32, y.Value.Shape()...)
		if dev {
			g = onGPU(t, g.To(dt))
		} else {
			g = round(g)
		}
		if err := tp.BackwardWithGrad(y, g); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var grads []*tensor.Tensor
		for _, v := range vs {
			grads = append(grads, v.Grad)
		}
		return y.Value, grads
	}
	want, wantG := run(false)
	got, gotG := run(true)
	widen := func(x *tensor.Tensor) *tensor.Tensor {
		if x.DType() != dt {
			t.Fatalf("%s: result of dtype %v on the GPU, want %v", name, x.DType(), dt)
		}
		return x.To(tensor.F32)
	}
	closeTensors(t, name+" forward", widen(got), want, tol)
	for i := range wantG {
		if wantG[i] == nil {
			continue
		}
		if gotG[i] == nil {
			t.Fatalf("%s: no gradient for input %d on the GPU", name, i)
		}
		closeTensors(t, fmt.Sprintf("%s grad %d", name, i), widen(gotG[i]), wantG[i], tol)
	}
}

func TestBackendFusedOpsGPU(t *testing.T) {
	defer failOnPanic(t)
	cudaBackend(t)
	rng := freshRNG(t)
	const tol = 1e-5
	// Attention: GIT's mask (image prefix + causal text) as an additive
	// mask with padding, on q, k, v that are heads of one QKV projection.
	const B, H, T, D, prefix = 2, 3, 23, 16, 9
	qkv := randF32(rng, B, T, 3, H, D)
	gitMask := tensor.Zeros(tensor.F32, B, 1, T, T)
	for b := 0; b < B; b++ {
		for i := 0; i < T; i++ {
			for j := 0; j < T; j++ {
				if (j >= prefix && j > i) || (b == 1 && j == T-1) {
					gitMask.SetAt(math.Inf(-1), b, 0, i, j)
				}
			}
		}
	}
	gradCase(t, rng, "attention GIT mask", tol, []*tensor.Tensor{qkv}, func(vs []*autograd.Var) *autograd.Var {
		heads := func(i int) *autograd.Var { return autograd.Permute(autograd.Select(vs[0], 2, i), 0, 2, 1, 3) }
		m := gitMask
		if vs[0].Value.Device() == gpuDevice {
			m = onGPU(t, gitMask)
		}
		return autograd.ScaledDotProductAttention(heads(0), heads(1), heads(2), m, false, 1/math.Sqrt(D))
	})
	gradCase(t, rng, "attention causal cross", tol, []*tensor.Tensor{randF32(rng, B, H, 7, D), randF32(rng, B, H, 7, D), randF32(rng, B, H, 7, D)},
		func(vs []*autograd.Var) *autograd.Var {
			return autograd.ScaledDotProductAttention(vs[0], vs[1], vs[2], nil, true, 0.3)
		})
	gradCase(t, rng, "layer norm", tol, []*tensor.Tensor{randF32(rng, 6, 5, 48), randF32(rng, 48), randF32(rng, 48)},
		func(vs []*autograd.Var) *autograd.Var { return autograd.LayerNorm(vs[0], vs[1], vs[2], 1e-12) })
	for _, c := range []struct {
		name string
		f    func(*autograd.Var) *autograd.Var
	}{{"gelu", autograd.GELU}, {"gelu tanh", autograd.GELUTanh}, {"quick gelu", autograd.QuickGELU}} {
		gradCase(t, rng, c.name, tol, []*tensor.Tensor{randF32(rng, 9, 64)}, func(vs []*autograd.Var) *autograd.Var { return c.f(vs[0]) })
	}
	gradCase(t, rng, "softmax", tol, []*tensor.Tensor{randF32(rng, 8, 100)}, func(vs []*autograd.Var) *autograd.Var { return autograd.Softmax(vs[0], -1) })
	gradCase(t, rng, "log softmax", tol, []*tensor.Tensor{randF32(rng, 8, 100)}, func(vs []*autograd.Var) *autograd.Var { return autograd.LogSoftmax(vs[0], -1) })
	gradCase(t, rng, "l2 normalize", tol, []*tensor.Tensor{randF32(rng, 8, 100)}, func(vs []*autograd.Var) *autograd.Var { return autograd.L2Normalize(vs[0], -1, 1e-12) })
	targets := tensor.FromI64([]int64{3, -100, 999, 0, 512, -100, 7, 8}, 8)
	gradCase(t, rng, "cross entropy", tol, []*tensor.Tensor{randF32(rng, 8, 1000)}, func(vs []*autograd.Var) *autograd.Var {
		return autograd.CrossEntropy(vs[0], targets, -100, 0.1)
	})
	ids := tensor.FromI64([]int64{1, 0, 4, 4, 9, 0}, 2, 3)
	gradCase(t, rng, "embedding", tol, []*tensor.Tensor{randF32(rng, 10, 32)}, func(vs []*autograd.Var) *autograd.Var {
		return autograd.Embedding(vs[0], ids, 0)
	})
	gradCase(t, rng, "linear", tol, []*tensor.Tensor{randF32(rng, 2, 7, 48), randF32(rng, 20, 48), randF32(rng, 20)}, func(vs []*autograd.Var) *autograd.Var {
		return autograd.Linear(vs[0], vs[1], vs[2])
	})
	// 16-bit storage (what autocast would hand the device): matmul and
	// attention within the type's epsilon of float32 on the same values.
	for _, dt := range []tensor.DType{tensor.F16, tensor.BF16} {
		gradCaseIn(t, fmt.Sprintf("%v matmul", dt), dt, relTol(dt), []*tensor.Tensor{randF32(rng, 3, 17, 40), randF32(rng, 3, 40, 24)},
			func(vs []*autograd.Var) *autograd.Var { return autograd.MatMul(vs[0], vs[1]) })
		gradCaseIn(t, fmt.Sprintf("%v attention causal", dt), dt, relTol(dt), []*tensor.Tensor{randF32(rng, 2, 3, 19, 32), randF32(rng, 2, 3, 19, 32), randF32(rng, 2, 3, 19, 32)},
			func(vs []*autograd.Var) *autograd.Var {
				return autograd.ScaledDotProductAttention(vs[0], vs[1], vs[2], nil, true, 1/math.Sqrt(32))
			})
	}
}
