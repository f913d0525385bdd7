package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"radcap/tensor"
)

func TestOrient(t *testing.T) {
	for _, c := range []struct {
		r, c, sr, sc int
		trans        bool
		flip         bool
		ld           int
		ok           bool
	}{
		{3, 4, 4, 1, false, false, 4, true},  // row-major
		{3, 4, 10, 1, true, true, 10, true},  // row-major with padding, transposed op
		{3, 4, 1, 3, false, true, 3, true},   // column-major: the transpose, row-major
		{3, 4, 1, 5, true, false, 5, true},   // column-major, transposed op
		{1, 4, 0, 1, false, false, 4, true},  // one row, any row stride
		{3, 1, 7, 0, false, false, 7, true},  // one column
		{3, 4, 2, 2, false, false, 0, false}, // neither
		{3, 4, 0, 1, false, false, 0, false}, // rows overlap (an expanded row)
	} {
		trans, ld, ok := orient(c.r, c.c, c.sr, c.sc, c.trans)
		if ok != c.ok || (ok && (trans != c.flip || ld != c.ld)) {
			t.Errorf("orient(%d, %d, %d, %d, %v) = %v, %d, %v; want %v, %d, %v", c.r, c.c, c.sr, c.sc, c.trans, trans, ld, ok, c.flip, c.ld, c.ok)
		}
	}
}

// emulateMatMul runs a plan with the kernels' arithmetic on host storage.
func emulateMatMul(p mmPlan, a, b, c []float64) {
	for _, l := range p.launches {
		for z := 0; z < l.batch; z++ {
			a0, b0, c0 := l.offA+z*l.sA, l.offB+z*l.sB, l.offC+z*l.sC
			for i := 0; i < p.m; i++ {
				for j := 0; j < p.n; j++ {
					s := 0.0
					for k := 0; k < p.k; k++ {
						ia, ib := a0+i*p.lda+k, b0+k*p.ldb+j
						if p.transA {
							ia = a0 + k*p.lda + i
						}
						if p.transB {
							ib = b0 + j*p.ldb + k
						}
						av, bv := a[ia], b[ib]
						s += av * bv
					}
					c[c0+i*p.ldc+j] = s
				}
			}
		}
	}
}

// stridedOperand returns a view of a fresh random storage with the given
// logical shape: its dims permuted in storage by perm, offset by off,
// plus the storage.
func stridedOperand(rng *rand.Rand, shape, perm []int, off int) (*tensor.Tensor, []float64) {
	r := len(shape)
	st := make([]int, r)
	n := 1
	for j := r - 1; j >= 0; j-- {
		st[perm[j]] = n
		n *= shape[perm[j]]
	}
	store := make([]float64, n+off)
	for i := range store {
		store[i] = rng.NormFloat64()
	}
	base := tensor.FromF64(store, len(store))
	return tensor.AsStrided(base, shape, st, off), store
}

// TestPlanMatMulMatchesTensor plans products of row-major, column-major,
// offset and batch-broadcast operands, runs the plans with the kernels'
// index arithmetic and compares with tensor.MatMul.
func TestPlanMatMulMatchesTensor(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	checked := 0
	for trial := 0; trial < 200; trial++ {
		m, n, k := 1+rng.IntN(5), 1+rng.IntN(5), 1+rng.IntN(5)
		batch := [][]int{{}, {3}, {2, 3}, {2, 1, 3}}[rng.IntN(4)]
		transA, transB := rng.IntN(2) == 1, rng.IntN(2) == 1
		ashape := append(append([]int(nil), batch...), m, k)
		if transA {
			ashape = append(append([]int(nil), batch...), k, m)
		}
		bshape := append(append([]int(nil), batch...), k, n)
		if transB {
			bshape = append(append([]int(nil), batch...), n, k)
		}
		// b sometimes broadcast over the first batch dim.
		bcast := len(batch) > 0 && rng.IntN(2) == 0
		if bcast {
			bshape[0] = 1
		}
		a, astore := stridedOperand(rng, ashape, rng.Perm(len(ashape)), rng.IntN(3))
		b, bstore := stridedOperand(rng, bshape, rng.Perm(len(bshape)), rng.IntN(3))
		// Operands whose matrices are neither row- nor column-major are
		// copied by package tensor before the backend sees them.
		r := len(ashape)
		if _, _, ok := orient(ashape[r-2], ashape[r-1], a.Strides()[r-2], a.Strides()[r-1], false); !ok {
			continue
		}
		if _, _, ok := orient(bshape[r-2], bshape[r-1], b.Strides()[r-2], b.Strides()[r-1], false); !ok {
			continue
		}
		want := tensor.MatMul(a, b, transA, transB)
		dstShape := want.Shape()
		bb := b.Expand(append(append([]int(nil), dstShape[:r-2]...), bshape[r-2:]...)...)
		p, err := planMatMul(strided{shape: dstShape}, layoutOf(a), layoutOf(bb), transA, transB)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		got := make([]float64, want.Numel())
		emulateMatMul(p, astore, bstore, got)
		name := fmt.Sprintf("a %v%v b %v%v trans %v %v", ashape, a.Strides(), bshape, b.Strides(), transA, transB)
		for i, w := range want.F64() {
			if math.Abs(got[i]-w) > 1e-12 {
				t.Fatalf("%s: element %d = %v, want %v (plan %+v)", name, i, got[i], w, p)
			}
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d of 200 random products had row- or column-major operands", checked)
	}
}

func TestPlanMatMulSplitsLargeBatches(t *testing.T) {
	p, err := planMatMul(strided{shape: []int{70000, 2, 2}}, strided{shape: []int{70000, 2, 2}}, strided{shape: []int{70000, 2, 2}}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.launches) != 2 || p.launches[0].batch != maxBatch || p.launches[1].batch != 70000-maxBatch || p.launches[1].offA != maxBatch*4 {
		t.Fatalf("launches %+v", p.launches)
	}
}

// TestPlanAttentionAddresses checks that the plan's [B, H, T, D] layout
// reaches the same storage elements as the tensors' views: q, k, v as
// heads of a fused QKV projection and a padding mask [B, 1, 1, Tk]
// expanded over heads and queries.
func TestPlanAttentionAddresses(t *testing.T) {
	const B, T, H, D = 2, 5, 3, 4
	base := tensor.FromF64(make([]float64, B*T*3*H*D), B*T*3*H*D)
	qkv := tensor.AsStrided(base, []int{B, T, 3, H, D}, []int{T * 3 * H * D, 3 * H * D, H * D, D, 1}, 0)
	heads := func(i int) *tensor.Tensor { return qkv.Select(2, i).Permute(0, 2, 1, 3) } // [B, H, T, D]
	q, k, v := heads(0), heads(1), heads(2)
	mbase := tensor.FromF64(make([]float64, B*T), B, 1, 1, T)
	mask := mbase.Expand(B, H, T, T)
	ml := layoutOf(mask)
	p, reason := planAttention(layoutOf(q), layoutOf(k), layoutOf(v), &ml)
	if reason != "" {
		t.Fatal(reason)
	}
	if p.b != B || p.h != H || p.tq != T || p.tk != T || p.d != D {
		t.Fatalf("plan %+v", p)
	}
	for _, c := range []struct {
		name string
		x    *tensor.Tensor
		l    HeadLayout
		off  int
	}{{"q", q, p.q, p.qOff}, {"k", k, p.k, p.kOff}, {"v", v, p.v, p.vOff}} {
		st := c.x.Strides()
		for b := 0; b < B; b++ {
			for h := 0; h < H; h++ {
				for i := 0; i < T; i++ {
					want := c.x.Offset() + b*st[0] + h*st[1] + i*st[2]
					if got := c.off + b*c.l.Batch + h*c.l.Head + i*c.l.Row; got != want {
						t.Fatalf("%s[%d,%d,%d]: offset %d, want %d", c.name, b, h, i, got, want)
					}
				}
			}
		}
	}
	st := mask.Strides()
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			for i := 0; i < T; i++ {
				for j := 0; j < T; j++ {
					want := b*st[0] + h*st[1] + i*st[2] + j*st[3]
					if got := p.maskOff + b*p.mask.Batch + h*p.mask.Head + i*p.mask.Row + j*p.mask.Col; got != want {
						t.Fatalf("mask[%d,%d,%d,%d]: offset %d, want %d", b, h, i, j, got, want)
					}
				}
			}
		}
	}
	if fmt.Sprint(p.outShape) != fmt.Sprint([]int{B, H, T, D}) {
		t.Fatalf("out shape %v", p.outShape)
	}
}

func TestPlanAttentionDeclines(t *testing.T) {
	dense := func(shape ...int) strided { return strided{shape: shape} }
	bcastK := strided{shape: []int{2, 3, 5, 4}, strides: []int{20, 0, 4, 1}}
	for _, c := range []struct {
		name    string
		q, k, v strided
	}{
		{"head dim 130", dense(2, 5, 130), dense(2, 5, 130), dense(2, 5, 130)},
		{"v head dim differs", dense(2, 5, 4), dense(2, 5, 4), dense(2, 5, 8)},
		{"k broadcast over heads", dense(2, 3, 5, 4), bcastK, dense(2, 3, 5, 4)},
		{"last dim strided", strided{shape: []int{2, 5, 4}, strides: []int{40, 8, 2}}, dense(2, 5, 4), dense(2, 5, 4)},
		{"three batch dims", strided{shape: []int{2, 3, 2, 5, 4}, strides: []int{240, 40, 120, 8, 1}}, dense(2, 3, 2, 5, 4), dense(2, 3, 2, 5, 4)},
	} {
		if _, reason := planAttention(c.q, c.k, c.v, nil); reason == "" {
			t.Errorf("%s: planned, want declined", c.name)
		}
	}
	// Rank 3 and rank 2 fold into B = 1 or H = 1.
	p, reason := planAttention(dense(6, 5, 4), dense(6, 7, 4), dense(6, 7, 4), nil)
	if reason != "" || p.b*p.h != 6 || p.tq != 5 || p.tk != 7 {
		t.Fatalf("rank 3: %+v %s", p, reason)
	}
}

func TestReduceAxesOf(t *testing.T) {
	axes, err := reduceAxesOf([]int{1, 3, 1}, []int{2, 3, 4})
	if err != nil || fmt.Sprint(axes) != "[0 2]" {
		t.Fatalf("axes %v, %v", axes, err)
	}
	if _, err := reduceAxesOf([]int{2, 3}, []int{2, 4}); err == nil {
		t.Fatal("a non-keepdim shape was accepted")
	}
}
