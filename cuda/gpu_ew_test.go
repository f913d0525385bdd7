//go:build cgo

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

// gpuView uploads a random strided view (permuted and offset inside a
// larger storage) of the given shape and returns it with its values in C
// order (as stored in dt). lo, hi bound the values.
func gpuView(t *testing.T, d *Device, rng *rand.Rand, dt tensor.DType, shape []int, lo, hi float64) (View, []float64) {
	t.Helper()
	s := randomView(rng, shape)
	store := make([]float64, max(s.span(), 1))
	for i := range store {
		store[i] = round(dt, lo+(hi-lo)*rng.Float64())
	}
	return View{Buf: upload(t, d, dt, store), DType: dt, Shape: s.shape, Strides: s.strides, Offset: s.offset}, denseOf(s, store)
}

// gpuOut returns a poisoned strided output view of the given shape.
func gpuOut(t *testing.T, d *Device, rng *rand.Rand, dt tensor.DType, shape []int) View {
	s := randomView(rng, shape)
	return View{Buf: poisoned(t, d, dt, max(s.span(), 1)), DType: dt, Shape: s.shape, Strides: s.strides, Offset: s.offset}
}

// readView downloads a view's elements in C order.
func readView(t *testing.T, d *Device, v View) []float64 {
	s := v.layout()
	return denseOf(s, download(t, d, v.DType, v.Buf, max(s.span(), 1)))
}

func TestUnaryGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	shape := []int{3, 17, 40}
	ops := []struct {
		op     UnaryOp
		p0, p1 float64
		lo, hi float64
		ref    func(x float64) float64
	}{
		{UnaryCopy, 0, 0, -3, 3, func(x float64) float64 { return x }},
		{UnaryNeg, 0, 0, -3, 3, func(x float64) float64 { return -x }},
		{UnaryExp, 0, 0, -4, 4, math.Exp},
		{UnaryLog, 0, 0, 0.05, 5, math.Log},
		{UnaryTanh, 0, 0, -3, 3, math.Tanh},
		{UnarySqrt, 0, 0, 0.01, 9, math.Sqrt},
		{UnaryRsqrt, 0, 0, 0.1, 9, func(x float64) float64 { return 1 / math.Sqrt(x) }},
		{UnaryAbs, 0, 0, -3, 3, math.Abs},
		{UnarySigmoid, 0, 0, -6, 6, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{UnaryErf, 0, 0, -3, 3, math.Erf},
		{UnarySquare, 0, 0, -3, 3, func(x float64) float64 { return x * x }},
		{UnaryAffine, 0.75, -0.5, -3, 3, func(x float64) float64 { return 0.75*x - 0.5 }},
		{UnaryPow, 1.7, 0, 0.1, 3, func(x float64) float64 { return math.Pow(x, 1.7) }},
		{UnaryClamp, -1, 0.5, -3, 3, func(x float64) float64 { return math.Min(math.Max(x, -1), 0.5) }},
		{UnaryRecip, 0, 0, 0.2, 3, func(x float64) float64 { return 1 / x }},
		{UnaryReLU, 0, 0, -3, 3, func(x float64) float64 { return math.Max(x, 0) }},
	}
	for _, in := range gpuTypes {
		for _, out := range gpuTypes {
			for _, o := range ops {
				if in != out && o.op != UnaryCopy && o.op != UnaryExp {
					continue // conversions are covered by copy and one map
				}
				name := fmt.Sprintf("%v->%v/op %d", in, out, o.op)
				x, xv := gpuView(t, d, rng, in, shape, o.lo, o.hi)
				// Every other case reads x broadcast along its middle dim.
				if o.op%2 == 1 {
					x, xv = gpuView(t, d, rng, in, []int{3, 1, 40}, o.lo, o.hi)
				}
				y := gpuOut(t, d, rng, out, shape)
				if err := d.Unary(o.op, y, x, float32(o.p0), float32(o.p1)); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				want := make([]float64, 0, 3*17*40)
				for i := 0; i < 3; i++ {
					for j := 0; j < 17; j++ {
						for k := 0; k < 40; k++ {
							src := (i*17+j)*40 + k
							if len(xv) != 3*17*40 {
								src = i*40 + k
							}
							want = append(want, o.ref(xv[src]))
						}
					}
				}
				tol := math.Max(relTol(in), relTol(out))
				if in == tensor.F32 && out == tensor.F32 {
					tol = 1e-5
				}
				checkClose(t, name, readView(t, d, y), want, tol)
			}
		}
	}
}

func TestBinaryGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	ref := map[BinaryOp]func(a, b float64) float64{
		BinaryAdd: func(a, b float64) float64 { return a + b }, BinarySub: func(a, b float64) float64 { return a - b },
		BinaryMul: func(a, b float64) float64 { return a * b }, BinaryDiv: func(a, b float64) float64 { return a / b },
		BinaryMax: math.Max, BinaryMin: math.Min,
		BinaryGreater: func(a, b float64) float64 { return b2f(a > b) }, BinaryLess: func(a, b float64) float64 { return b2f(a < b) },
		BinaryEqual: func(a, b float64) float64 { return b2f(a == b) }, BinaryGreaterEq: func(a, b float64) float64 { return b2f(a >= b) },
		BinaryLessEq: func(a, b float64) float64 { return b2f(a <= b) }, BinaryNotEq: func(a, b float64) float64 { return b2f(a != b) },
		BinaryAxpy: func(a, b float64) float64 { return a - 0.3*b },
	}
	for _, dt := range gpuTypes {
		for op := BinaryAdd; op <= BinaryAxpy; op++ {
			name := fmt.Sprintf("%v/op %d", dt, op)
			// a [4, 1, 33] and b [7, 1] broadcast to [4, 7, 33]; b kept
			// away from 0 for division, values from a small grid so that
			// equal pairs occur for the comparisons.
			a, av := gpuView(t, d, rng, dt, []int{4, 1, 33}, -2, 2)
			b, bv := gpuView(t, d, rng, dt, []int{7, 1}, 0.5, 2)
			if op >= BinaryGreater && op <= BinaryNotEq {
				a, av = gridView(t, d, rng, dt, []int{4, 1, 33})
				b, bv = gridView(t, d, rng, dt, []int{7, 1})
			}
			y := gpuOut(t, d, rng, dt, []int{4, 7, 33})
			if err := d.Binary(op, y, a, b, -0.3); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var want []float64
			for i := 0; i < 4; i++ {
				for j := 0; j < 7; j++ {
					for k := 0; k < 33; k++ {
						want = append(want, ref[op](av[i*33+k], bv[j]))
					}
				}
			}
			tol := relTol(dt)
			if op >= BinaryMax && op <= BinaryNotEq {
				tol = 0 // exact on stored values
			}
			checkClose(t, name, readView(t, d, y), want, tol)
		}
	}
	// In place: a += b, a a permuted view.
	a, av := gpuView(t, d, rng, tensor.F32, []int{5, 6}, -1, 1)
	b, bv := gpuView(t, d, rng, tensor.F32, []int{6}, -1, 1)
	if err := d.Binary(BinaryAdd, a, a, b, 0); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, 30)
	for i := range want {
		want[i] = av[i] + bv[i%6]
	}
	checkClose(t, "in place", readView(t, d, a), want, 1e-6)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// gridView is gpuView with values from {−1, −0.5, 0, 0.5, 1}.
func gridView(t *testing.T, d *Device, rng *rand.Rand, dt tensor.DType, shape []int) (View, []float64) {
	s := randomView(rng, shape)
	store := make([]float64, s.span())
	for i := range store {
		store[i] = float64(rng.IntN(5)-2) / 2
	}
	return View{Buf: upload(t, d, dt, store), DType: dt, Shape: s.shape, Strides: s.strides, Offset: s.offset}, denseOf(s, store)
}

func TestWhereFillCopyGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	for _, dt := range gpuTypes {
		for _, mdt := range []tensor.DType{tensor.U8, tensor.F32, tensor.I64, dt} {
			name := fmt.Sprintf("where %v mask %v", dt, mdt)
			ms := randomView(rng, []int{6, 1})
			mstore := make([]float64, ms.span())
			for i := range mstore {
				mstore[i] = float64(rng.IntN(2))
			}
			m := View{Buf: upload(t, d, mdt, mstore), DType: mdt, Shape: ms.shape, Strides: ms.strides, Offset: ms.offset}
			mv := denseOf(ms, mstore)
			a, av := gpuView(t, d, rng, dt, []int{6, 9}, -1, 1)
			b, bv := gpuView(t, d, rng, dt, []int{9}, -1, 1)
			y := gpuOut(t, d, rng, dt, []int{6, 9})
			if err := d.Where(y, m, a, b); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := make([]float64, 54)
			for i := range want {
				if mv[i/9] != 0 {
					want[i] = av[i]
				} else {
					want[i] = bv[i%9]
				}
			}
			checkClose(t, name, readView(t, d, y), want, 0)
		}
		// Fill a narrowed column block of a [5, 8] matrix: the rest stays.
		base := randVals(rng, dt, 40, 1)
		buf := upload(t, d, dt, base)
		if err := d.Fill(View{Buf: buf, DType: dt, Shape: []int{5, 3}, Strides: []int{8, 1}, Offset: 2}, -1.25); err != nil {
			t.Fatal(err)
		}
		want := append([]float64(nil), base...)
		for r := 0; r < 5; r++ {
			for c := 2; c < 5; c++ {
				want[r*8+c] = -1.25
			}
		}
		checkClose(t, fmt.Sprintf("fill %v", dt), download(t, d, dt, buf, 40), want, 0)
	}
	// CopyView: concat of two permuted i64 and f16 tensors along dim 1,
	// bit for bit, by copying each into a narrowed view of the output.
	for _, dt := range []tensor.DType{tensor.I64, tensor.F16, tensor.F32} {
		x1, x1v := gridView(t, d, rng, dt, []int{4, 3})
		x2, x2v := gridView(t, d, rng, dt, []int{4, 5})
		if dt == tensor.I64 {
			x1, x1v = intView(t, d, rng, []int{4, 3})
			x2, x2v = intView(t, d, rng, []int{4, 5})
		}
		out, err := d.Alloc(4 * 8 * dt.Size())
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Fill32(out, 0xffffffff, 8*dt.Size()); err != nil {
			t.Fatal(err)
		}
		if err := d.CopyView(View{Buf: out, DType: dt, Shape: []int{4, 3}, Strides: []int{8, 1}}, x1); err != nil {
			t.Fatal(err)
		}
		if err := d.CopyView(View{Buf: out, DType: dt, Shape: []int{4, 5}, Strides: []int{8, 1}, Offset: 3}, x2); err != nil {
			t.Fatal(err)
		}
		raw := make([]byte, 32*dt.Size())
		if err := d.Download(raw, out, 0); err != nil {
			t.Fatal(err)
		}
		var want []float64
		for r := 0; r < 4; r++ {
			want = append(want, x1v[r*3:r*3+3]...)
			want = append(want, x2v[r*5:r*5+5]...)
		}
		got := decodeAny(dt, raw)
		checkClose(t, fmt.Sprintf("concat %v", dt), got, want, 0)
	}
}

// intView uploads a random permuted i64 view with values in [−1000, 1000].
func intView(t *testing.T, d *Device, rng *rand.Rand, shape []int) (View, []float64) {
	s := randomView(rng, shape)
	store := make([]float64, s.span())
	for i := range store {
		store[i] = float64(rng.IntN(2001) - 1000)
	}
	return View{Buf: upload(t, d, tensor.I64, store), DType: tensor.I64, Shape: s.shape, Strides: s.strides, Offset: s.offset}, denseOf(s, store)
}

// decodeAny is decode that also reads i64.
func decodeAny(dt tensor.DType, b []byte) []float64 {
	if dt != tensor.I64 {
		return decode(dt, b)
	}
	v := make([]float64, len(b)/8)
	for i := range v {
		var x int64
		for k := 7; k >= 0; k-- {
			x = x<<8 | int64(b[8*i+k])
		}
		v[i] = float64(x)
	}
	return v
}

func TestReduceGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	shape := []int{6, 5, 300}
	for _, dt := range gpuTypes {
		for _, axes := range [][]int{{2}, {0}, {1}, {0, 2}, nil, {-1, 1}} {
			for _, op := range []ReduceOp{ReduceSum, ReduceMax, ReduceMin, ReduceSumSquares} {
				if (op == ReduceMax || op == ReduceMin) && len(axes) != 1 {
					continue
				}
				name := fmt.Sprintf("%v axes %v op %d", dt, axes, op)
				x, xv := gpuView(t, d, rng, dt, shape, -2, 2)
				xt := tensor.FromF64(xv, shape...)
				var want, wantArg *tensor.Tensor
				alpha := float32(1)
				switch op {
				case ReduceSum:
					want = tensor.Mean(xt, axes, true)
					alpha = float32(float64(want.Numel()) / float64(xt.Numel()))
				case ReduceSumSquares:
					want = tensor.Sum(tensor.Square(xt), axes, true)
				case ReduceMax:
					want, wantArg = tensor.Max(xt, axes[0], true)
				case ReduceMin:
					want, wantArg = tensor.Min(xt, axes[0], true)
				}
				y := gpuOut(t, d, rng, dt, want.Shape())
				a := ReduceArgs{Op: op, X: x, Y: y, Axes: axes, Alpha: alpha}
				if wantArg != nil {
					a.Arg = poisoned(t, d, tensor.I64, wantArg.Numel())
				}
				if err := d.Reduce(a); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				tol := relTol(dt)
				if op == ReduceMax || op == ReduceMin {
					tol = 0
				}
				checkClose(t, name, readView(t, d, y), want.F64(), tol)
				if wantArg != nil {
					raw := make([]byte, 8*wantArg.Numel())
					if err := d.Download(raw, a.Arg, 0); err != nil {
						t.Fatal(err)
					}
					checkClose(t, name+" arg", decodeAny(tensor.I64, raw), wantArg.Float64s(), 0)
				}
			}
		}
		// NaN: the max of its row, at the first NaN's index (tensor.Max).
		nanRow := []float64{1, math.NaN(), 3, math.NaN(), 2, 0.5, 9, -1}
		nx := View{Buf: upload(t, d, dt, nanRow), DType: dt, Shape: []int{2, 4}}
		ny, narg := poisoned(t, d, dt, 2), poisoned(t, d, tensor.I64, 2)
		if err := d.Reduce(ReduceArgs{Op: ReduceMax, X: nx, Y: View{Buf: ny, DType: dt, Shape: []int{2}}, Axes: []int{1}, Arg: narg}); err != nil {
			t.Fatal(err)
		}
		wv, wi := tensor.Max(tensor.FromF64(nanRow, 2, 4), 1, false)
		checkClose(t, fmt.Sprintf("%v max with NaN", dt), download(t, d, dt, ny, 2), wv.F64(), 0)
		raw := make([]byte, 16)
		if err := d.Download(raw, narg, 0); err != nil {
			t.Fatal(err)
		}
		checkClose(t, fmt.Sprintf("%v argmax with NaN", dt), decodeAny(tensor.I64, raw), wi.Float64s(), 0)
		// Accumulate: y = 2·Σ + 0.5·y over the first axis (a bias gradient).
		x, xv := gpuView(t, d, rng, dt, []int{40, 24}, -1, 1)
		y0 := randVals(rng, dt, 24, 1)
		y := View{Buf: upload(t, d, dt, y0), DType: dt, Shape: []int{24}}
		if err := d.Reduce(ReduceArgs{Op: ReduceSum, X: x, Y: y, Axes: []int{0}, Alpha: 2, Beta: 0.5}); err != nil {
			t.Fatal(err)
		}
		want := tensor.Sum(tensor.FromF64(xv, 40, 24), []int{0}, false).F64()
		for i := range want {
			want[i] = 2*want[i] + 0.5*y0[i]
		}
		checkClose(t, fmt.Sprintf("%v accumulate", dt), readView(t, d, y), want, relTol(dt))
	}
}

func TestSoftmaxL2GPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	for _, dt := range gpuTypes {
		for _, c := range []struct{ rows, cols int }{{7, 300}, {16, 16}, {3, 4099}} {
			n := c.rows * c.cols
			xv, dyv := randVals(rng, dt, n, 3), randVals(rng, dt, n, 1)
			x, dy := upload(t, d, dt, xv), upload(t, d, dt, dyv)
			for _, log := range []bool{false, true} {
				name := fmt.Sprintf("%v %+v log %v", dt, c, log)
				const scale = 1.7
				xs := make([]float64, n)
				for i := range xs {
					xs[i] = scale * xv[i]
				}
				v := autograd.Param(f64(xs, c.rows, c.cols))
				tp := autograd.NewTape()
				var out *autograd.Var
				if log {
					out = autograd.LogSoftmax(v, -1)
				} else {
					out = autograd.Softmax(v, -1)
				}
				if err := tp.BackwardWithGrad(out, f64(dyv, c.rows, c.cols)); err != nil {
					t.Fatal(err)
				}
				y := poisoned(t, d, dt, n)
				if err := d.Softmax(dt, x, y, c.rows, c.cols, scale, log); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				checkClose(t, name+" y", download(t, d, dt, y, n), out.Value.F64(), relTol(dt))
				dx := poisoned(t, d, dt, n)
				if err := d.SoftmaxGrad(dt, y, dy, dx, c.rows, c.cols, scale, log); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				wantDX := v.Grad.F64()
				for i := range wantDX {
					wantDX[i] *= scale
				}
				if dt != tensor.F32 {
					// The backward reads y as stored in 16 bits; the
					// reference is then the same formula in float64 on
					// that stored y (for f32 it is autograd's gradient).
					wantDX = softmaxBackRef(download(t, d, dt, y, n), dyv, c.rows, c.cols, scale, log)
				}
				checkClose(t, name+" dx", download(t, d, dt, dx, n), wantDX, relTol(dt))
			}
			name := fmt.Sprintf("%v %+v l2", dt, c)
			v := autograd.Param(f64(xv, c.rows, c.cols))
			tp := autograd.NewTape()
			out := autograd.L2Normalize(v, -1, 1e-12)
			if err := tp.BackwardWithGrad(out, f64(dyv, c.rows, c.cols)); err != nil {
				t.Fatal(err)
			}
			y, dx := poisoned(t, d, dt, n), poisoned(t, d, dt, n)
			if err := d.L2Normalize(dt, x, y, c.rows, c.cols, 1e-12); err != nil {
				t.Fatal(err)
			}
			checkClose(t, name+" y", download(t, d, dt, y, n), out.Value.F64(), relTol(dt))
			if err := d.L2NormalizeGrad(dt, x, dy, dx, c.rows, c.cols, 1e-12); err != nil {
				t.Fatal(err)
			}
			checkClose(t, name+" dx", download(t, d, dt, dx, n), v.Grad.F64(), relTol(dt))
		}
	}
}

func TestDropoutGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	for _, dt := range gpuTypes {
		const n = 10001
		const p = 0.1
		seed, offset := rng.Uint64(), rng.Uint64()
		xv := randVals(rng, dt, n, 2)
		x, y := upload(t, d, dt, xv), poisoned(t, d, dt, n)
		if err := d.Dropout(dt, x, y, n, p, seed, offset); err != nil {
			t.Fatal(err)
		}
		want := make([]float64, n)
		for i := range want {
			if PhiloxKeep(seed, offset, int64(i), p) {
				want[i] = xv[i] / (1 - p)
			}
		}
		checkClose(t, fmt.Sprintf("dropout %v", dt), download(t, d, dt, y, n), want, relTol(dt))
	}
}

func TestMatMulF32GPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	for _, c := range []struct {
		m, n, k, batch int
		ta, tb         bool
	}{{65, 70, 33, 1, false, false}, {17, 129, 64, 3, true, false}, {128, 5, 100, 2, false, true}, {31, 47, 19, 2, true, true}} {
		name := fmt.Sprintf("%+v", c)
		av := randVals(rng, tensor.F32, c.batch*c.m*c.k, 1)
		bv := randVals(rng, tensor.F32, c.batch*c.k*c.n, 1)
		c0 := randVals(rng, tensor.F32, c.batch*c.m*c.n, 1)
		a := MatMulArgs{In: tensor.F32, Out: tensor.F32, M: c.m, N: c.n, K: c.k, TransA: c.ta, TransB: c.tb, Batch: c.batch,
			StrideA: c.m * c.k, StrideB: c.k * c.n, Alpha: 1.5, Beta: -0.5,
			A: upload(t, d, tensor.F32, av), B: upload(t, d, tensor.F32, bv), C: upload(t, d, tensor.F32, c0)}
		if err := d.MatMul(a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ashape, bshape := []int{c.batch, c.m, c.k}, []int{c.batch, c.k, c.n}
		if c.ta {
			ashape = []int{c.batch, c.k, c.m}
		}
		if c.tb {
			bshape = []int{c.batch, c.n, c.k}
		}
		prod := tensor.MatMul(f64(av, ashape...), f64(bv, bshape...), c.ta, c.tb).F64()
		for i := range prod {
			prod[i] = 1.5*prod[i] - 0.5*c0[i]
		}
		checkClose(t, name, download(t, d, tensor.F32, a.C, len(prod)), prod, 1e-5)
	}
}

// softmaxBackRef is the softmax (log-softmax) backward in float64 from a
// stored forward output y: dx = s·y(dy − Σdy·y), or s·(dy − e^y·Σdy).
func softmaxBackRef(y, dy []float64, rows, cols int, scale float64, log bool) []float64 {
	dx := make([]float64, len(y))
	for r := 0; r < rows; r++ {
		yr, gr := y[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols]
		s := 0.0
		for i := range yr {
			if log {
				s += gr[i]
			} else {
				s += gr[i] * yr[i]
			}
		}
		for i := range yr {
			if log {
				dx[r*cols+i] = scale * (gr[i] - math.Exp(yr[i])*s)
			} else {
				dx[r*cols+i] = scale * yr[i] * (gr[i] - s)
			}
		}
	}
	return dx
}
