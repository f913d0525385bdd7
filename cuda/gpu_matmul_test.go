//go:build cgo

package cuda

import (
	"fmt"
	"testing"

	"radcap/tensor"
)

// matmulRef is C = alpha·op(A)·op(B) + beta·C0 per batch with tensor.MatMul
// in float64; A and B hold batch (or 1, broadcast) dense matrices.
func matmulRef(a MatMulArgs, av, bv, c0 []float64) []float64 {
	ra, ca := a.M, a.K
	if a.TransA {
		ra, ca = a.K, a.M
	}
	rb, cb := a.K, a.N
	if a.TransB {
		rb, cb = a.N, a.K
	}
	out := make([]float64, 0, a.Batch*a.M*a.N)
	for z := 0; z < a.Batch; z++ {
		at := f64(av[z*a.StrideA:z*a.StrideA+ra*ca], ra, ca)
		bt := f64(bv[z*a.StrideB:z*a.StrideB+rb*cb], rb, cb)
		p := tensor.MatMul(at, bt, a.TransA, a.TransB).F64()
		for i, x := range p {
			v := float64(a.Alpha) * x
			if a.Beta != 0 {
				v += float64(a.Beta) * c0[z*a.M*a.N+i]
			}
			out = append(out, v)
		}
	}
	return out
}

type matmulCase struct {
	m, n, k, batch int
	ta, tb         bool
	bcastA         bool
	alpha, beta    float32
}

var matmulCases = []matmulCase{
	{64, 64, 32, 1, false, false, false, 1, 0},
	{70, 45, 100, 1, false, false, false, 1, 0},
	{33, 130, 77, 1, true, false, false, 1, 0},
	{129, 65, 48, 1, false, true, false, 1, 0},
	{17, 9, 200, 1, true, true, false, 1, 0},
	{40, 96, 64, 3, false, true, false, 1, 0},
	{40, 96, 64, 3, false, false, true, 0.5, 0},
	{50, 70, 90, 2, true, false, false, 2, 0.75},
}

// testMatMul checks one matmul implementation against tensor.MatMul on
// fresh random inputs, for both input types and both output types.
func testMatMul(t *testing.T, d *Device, run func(MatMulArgs) error) {
	rng := freshRNG(t)
	for _, in := range []tensor.DType{tensor.F16, tensor.BF16} {
		for _, out := range []tensor.DType{in, tensor.F32} {
			for _, c := range matmulCases {
				name := fmt.Sprintf("%v→%v/%+v", in, out, c)
				a := MatMulArgs{In: in, Out: out, M: c.m, N: c.n, K: c.k, TransA: c.ta, TransB: c.tb,
					Batch: c.batch, Alpha: c.alpha, Beta: c.beta, StrideA: c.m * c.k, StrideB: c.k * c.n}
				na := c.batch
				if c.bcastA {
					a.StrideA, na = 0, 1
				}
				av := randVals(rng, in, na*c.m*c.k, 1)
				bv := randVals(rng, in, c.batch*c.k*c.n, 1)
				a.A, a.B = upload(t, d, in, av), upload(t, d, in, bv)
				var c0 []float64
				if c.beta != 0 {
					c0 = randVals(rng, out, c.batch*c.m*c.n, 1)
					a.C = upload(t, d, out, c0)
				} else {
					a.C = poisoned(t, d, out, c.batch*c.m*c.n)
				}
				if err := run(a); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				got := download(t, d, out, a.C, c.batch*c.m*c.n)
				checkClose(t, name, got, matmulRef(a, av, bv, c0), relTol(out))
				a.A.Free()
				a.B.Free()
				a.C.Free()
			}
		}
	}
}

func TestMatMulGPU(t *testing.T) {
	d := openGPU(t)
	testMatMul(t, d, d.MatMul)
}

func TestMatMulLtGPU(t *testing.T) {
	d := openGPU(t)
	if !d.HasCublasLt() {
		t.Skip("cuBLASLt not installed on this GPU machine; the fast path is not checked")
	}
	testMatMul(t, d, d.MatMulLt)
}

func TestMatMulArgErrors(t *testing.T) {
	// Validation needs no device: buffers are plain values here.
	buf := func(n int) *Buffer { return &Buffer{ptr: 1 << 20, size: n} }
	ok := MatMulArgs{A: buf(2 * 6), B: buf(2 * 12), C: buf(2 * 8), In: tensor.F16, Out: tensor.F16, M: 2, N: 4, K: 3, Alpha: 1}
	if err := ok.normalise("MatMul"); err != nil {
		t.Fatalf("valid args: %v", err)
	}
	for name, mut := range map[string]func(*MatMulArgs){
		"A too small": func(a *MatMulArgs) { a.A = buf(2*6 - 1) },
		"C too small": func(a *MatMulArgs) { a.C = buf(2*8 - 2) },
		"f32 inputs":  func(a *MatMulArgs) { a.In = tensor.F32 },
		"bf16 out":    func(a *MatMulArgs) { a.Out = tensor.BF16 },
		"zero K":      func(a *MatMulArgs) { a.K = 0 },
		"ldA short":   func(a *MatMulArgs) { a.LdA = 2 },
		"nil B":       func(a *MatMulArgs) { a.B = nil },
		"batch 2":     func(a *MatMulArgs) { a.Batch = 2; a.StrideA = 6; a.StrideB = 12 },
	} {
		a := ok
		mut(&a)
		if err := a.normalise("MatMul"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
