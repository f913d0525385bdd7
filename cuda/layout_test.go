package cuda

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"radcap/tensor"
)

// peel is the kernels' index arithmetic (ew_offsets) in Go: the storage
// offsets of operand k's element for linear output index i.
func peel(shape []int, strides [][]int, offs []int, i int) []int {
	o := slices.Clone(offs)
	for d := len(shape) - 1; d >= 0; d-- {
		r := i % shape[d]
		i /= shape[d]
		for k := range o {
			o[k] += r * strides[k][d]
		}
	}
	return o
}

// offsetAt is the storage offset of the multi-index idx of a view.
func offsetAt(s strided, idx []int) int {
	st := s.stridesOf()
	o := s.offset
	lead := len(idx) - len(s.shape)
	for i := range s.shape {
		if s.shape[i] > 1 {
			o += idx[lead+i] * st[i]
		}
	}
	return o
}

// TestPlanElementwiseAddressesEveryElement checks, over random views
// (permuted, narrowed, broadcast), that the merged plan visits the output
// elements in C order and reads every input at the element NumPy
// broadcasting assigns to it.
func TestPlanElementwiseAddressesEveryElement(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		rank := 1 + rng.IntN(5)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = 1 + rng.IntN(4)
		}
		out := randomView(rng, shape)
		a := randomView(rng, shape)
		// b: a suffix of the shape with some dims broadcast.
		bs := slices.Clone(shape[rng.IntN(rank):])
		for i := range bs {
			if rng.IntN(3) == 0 {
				bs[i] = 1
			}
		}
		b := randomView(rng, bs)
		p, err := planElementwise("test", out, []string{"a", "b"}, a, b)
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if len(p.shape) > rank {
			t.Fatalf("merged rank %d above %d", len(p.shape), rank)
		}
		idx := make([]int, rank)
		for i := 0; i < p.n; i++ {
			got := peel(p.shape, p.strides, p.offs, i)
			want := []int{offsetAt(out, idx), offsetAt(a, idx), offsetAt(b, idx)}
			if !slices.Equal(got, want) {
				t.Fatalf("shape %v out %+v a %+v b %+v: element %d (%v) at %v, want %v", shape, out, a, b, i, idx, got, want)
			}
			for d := rank - 1; d >= 0; d-- {
				if idx[d]++; idx[d] < shape[d] {
					break
				}
				idx[d] = 0
			}
		}
	}
}

// randomView returns a view of the given shape: a random permutation of
// a contiguous layout of a larger tensor, narrowed, with an offset.
func randomView(rng *rand.Rand, shape []int) strided {
	r := len(shape)
	big := make([]int, r)
	for i := range big {
		big[i] = shape[i] + rng.IntN(2)
	}
	perm := rng.Perm(r)
	st := make([]int, r)
	n := 1
	for j := r - 1; j >= 0; j-- {
		st[perm[j]] = n
		n *= big[perm[j]]
	}
	return strided{shape: shape, strides: st, offset: rng.IntN(3)}
}

func TestPlanElementwiseMergesDense(t *testing.T) {
	p, err := planElementwise("test", strided{shape: []int{4, 5, 6}}, []string{"a"}, strided{shape: []int{4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.shape, []int{120}) || p.n != 120 {
		t.Fatalf("dense [4 5 6] planned as %v (n %d), want [120]", p.shape, p.n)
	}
	// A row vector broadcast over rows keeps two dims.
	p, err = planElementwise("test", strided{shape: []int{4, 5, 6}}, []string{"a"}, strided{shape: []int{6}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.shape, []int{20, 6}) || !slices.Equal(p.strides[1], []int{0, 1}) {
		t.Fatalf("row broadcast planned as %v %v", p.shape, p.strides)
	}
}

func TestPlanElementwiseErrors(t *testing.T) {
	for _, c := range []struct {
		out  strided
		in   strided
		want string
	}{
		{strided{shape: []int{2, 3}}, strided{shape: []int{4}}, "does not broadcast"},
		{strided{shape: []int{3}}, strided{shape: []int{2, 3}}, "does not broadcast"},
		{strided{shape: []int{2, 3}, strides: []int{0, 1}}, strided{shape: []int{3}}, "stride 0"},
		{strided{shape: []int{2, 3}, strides: []int{1}}, strided{shape: []int{3}}, "strides"},
		{strided{shape: []int{2, 3}}, strided{shape: []int{3}, offset: -1}, "offset"},
		{strided{shape: []int{2, 2, 2, 2, 2, 2, 2, 2, 2}, strides: []int{1, 2, 4, 8, 16, 32, 64, 128, 256}},
			strided{shape: []int{2, 2, 2, 2, 2, 2, 2, 2, 2}}, "dims after merging"},
	} {
		_, err := planElementwise("Add", c.out, []string{"a"}, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "cuda: Add") {
			t.Errorf("out %+v in %+v: error %v, want one containing %q", c.out, c.in, err, c.want)
		}
	}
}

// runReducePlan is the reduce kernel's arithmetic in Go over host data
// (sum, or max with the first index), for checking planReduce.
func runReducePlan(p redPlan, x []float64, y []float64, max bool) []int {
	args := make([]int, p.m)
	for o := 0; o < p.m; o++ {
		xo := peel(p.oshape, [][]int{p.ost, p.yst}, []int{p.xoff, p.yoff}, o)
		acc, bi := 0.0, -1
		if max {
			acc = math.Inf(-1)
		}
		for j := 0; j < p.r; j++ {
			v := x[peel(p.ishape, [][]int{p.ist}, []int{xo[0]}, j)[0]]
			if !max {
				acc += v
			} else if bi < 0 || v > acc {
				acc, bi = v, j
			}
		}
		y[xo[1]] = acc
		args[o] = bi
	}
	return args
}

// TestPlanReduceMatchesTensor reduces random permuted views over every
// axis set with the planned index arithmetic and compares with tensor.Sum
// and tensor.Max.
func TestPlanReduceMatchesTensor(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shape := []int{3, 4, 2, 5}
	for mask := 1; mask < 16; mask++ {
		var axes []int
		for i := range shape {
			if mask&(1<<i) != 0 {
				axes = append(axes, i)
			}
		}
		v := randomView(rng, shape)
		store := make([]float64, v.span())
		for i := range store {
			store[i] = rng.NormFloat64()
		}
		// The same view as a tensor: gather it through offsetAt.
		dense := make([]float64, 0, 120)
		idx := make([]int, 4)
		for i := 0; i < 120; i++ {
			dense = append(dense, store[offsetAt(v, idx)])
			for d := 3; d >= 0; d-- {
				if idx[d]++; idx[d] < shape[d] {
					break
				}
				idx[d] = 0
			}
		}
		xt := tensor.FromF64(dense, shape...)
		for _, keep := range []bool{false, true} {
			want := tensor.Sum(xt, axes, keep)
			p, err := planReduce("Sum", v, axes, strided{shape: want.Shape()})
			if err != nil {
				t.Fatal(err)
			}
			y := make([]float64, want.Numel())
			runReducePlan(p, store, y, false)
			for i, w := range want.F64() {
				if math.Abs(y[i]-w) > 1e-12 {
					t.Fatalf("axes %v keep %v: sum[%d] = %v, want %v", axes, keep, i, y[i], w)
				}
			}
		}
		if len(axes) == 1 {
			vals, arg := tensor.Max(xt, axes[0], false)
			p, err := planReduce("Max", v, axes, strided{shape: vals.Shape()})
			if err != nil {
				t.Fatal(err)
			}
			y := make([]float64, vals.Numel())
			args := runReducePlan(p, store, y, true)
			for i, w := range vals.F64() {
				if y[i] != w || int64(args[i]) != arg.I64()[i] {
					t.Fatalf("axis %d: max[%d] = %v at %d, want %v at %d", axes[0], i, y[i], args[i], w, arg.I64()[i])
				}
			}
		}
	}
}

func TestPlanReduceErrors(t *testing.T) {
	x := strided{shape: []int{2, 3}}
	for _, c := range []struct {
		axes []int
		y    []int
		want string
	}{{[]int{2}, []int{2}, "out of range"}, {[]int{1, 1}, []int{2}, "repeated"}, {[]int{1}, []int{3}, "output shape"}} {
		if _, err := planReduce("Sum", x, c.axes, strided{shape: c.y}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("axes %v y %v: error %v, want %q", c.axes, c.y, err, c.want)
		}
	}
}

// denseOf gathers the elements of view s of store in C order.
func denseOf(s strided, store []float64) []float64 {
	n := 1
	for _, d := range s.shape {
		n *= d
	}
	out := make([]float64, 0, n)
	idx := make([]int, len(s.shape))
	for i := 0; i < n; i++ {
		out = append(out, store[offsetAt(s, idx)])
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < s.shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}
