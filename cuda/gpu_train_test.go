//go:build cgo

package cuda

import (
	"fmt"
	"math"
	"testing"

	"radcap/tensor"
)

// adamwRef is torch.optim.AdamW's update in float64.
func adamwRef(p, m, v, g []float64, h AdamWHyper) {
	bc1 := 1 - math.Pow(h.Beta1, float64(h.Step))
	bc2 := 1 - math.Pow(h.Beta2, float64(h.Step))
	for i := range p {
		gi := g[i] * h.InvScale
		p[i] -= h.LR * h.WeightDecay * p[i]
		m[i] = h.Beta1*m[i] + (1-h.Beta1)*gi
		v[i] = h.Beta2*v[i] + (1-h.Beta2)*gi*gi
		p[i] -= h.LR * (m[i] / bc1) / (math.Sqrt(v[i]/bc2) + h.Eps)
	}
}

func TestAdamWGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	sizes := []int{1000, 7, 768 * 3, 1}
	gdts := []tensor.DType{tensor.F16, tensor.F32, tensor.BF16, tensor.F16}
	type host struct{ p, m, v, g []float64 }
	hs := make([]host, len(sizes))
	ps := make([]AdamWParam, len(sizes))
	for i, n := range sizes {
		hs[i] = host{p: randVals(rng, tensor.F32, n, 1), m: make([]float64, n), v: make([]float64, n)}
		ps[i] = AdamWParam{N: n, Master: upload(t, d, tensor.F32, hs[i].p), M: upload(t, d, tensor.F32, hs[i].m),
			V: upload(t, d, tensor.F32, hs[i].v), GradDType: gdts[i], ParamDType: gdts[i], Param: poisoned(t, d, gdts[i], n)}
		ps[i].Grad = poisoned(t, d, gdts[i], n)
	}
	opt, err := d.NewAdamW(ps)
	if err != nil {
		t.Fatal(err)
	}
	defer opt.Free()
	h := AdamWHyper{LR: 5e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, InvScale: 1.0 / 512, CheckFinite: true}
	for step := 1; step <= 3; step++ {
		for i := range ps {
			hs[i].g = randVals(rng, gdts[i], sizes[i], 512) // scaled gradients
			if err := d.Upload(ps[i].Grad, 0, encode(gdts[i], hs[i].g)); err != nil {
				t.Fatal(err)
			}
		}
		h.Step = step
		skipped, err := opt.Step(h)
		if err != nil || skipped {
			t.Fatalf("step %d: skipped %v, %v", step, skipped, err)
		}
		for i := range ps {
			adamwRef(hs[i].p, hs[i].m, hs[i].v, hs[i].g, h)
			name := fmt.Sprintf("step %d param %d", step, i)
			checkClose(t, name+" master", download(t, d, tensor.F32, ps[i].Master, sizes[i]), hs[i].p, 1e-5)
			checkClose(t, name+" m", download(t, d, tensor.F32, ps[i].M, sizes[i]), hs[i].m, 1e-5)
			checkClose(t, name+" v", download(t, d, tensor.F32, ps[i].V, sizes[i]), hs[i].v, 1e-5)
			checkClose(t, name+" param", download(t, d, gdts[i], ps[i].Param, sizes[i]), hs[i].p, relTol(gdts[i]))
		}
	}
	// An Inf or NaN in any gradient skips the whole step.
	for _, bad := range []float64{math.Inf(1), math.NaN()} {
		before := download(t, d, tensor.F32, ps[0].Master, sizes[0])
		g := randVals(rng, gdts[2], sizes[2], 1)
		g[sizes[2]-1] = bad
		if err := d.Upload(ps[2].Grad, 0, encode(gdts[2], g)); err != nil {
			t.Fatal(err)
		}
		h.Step = 4
		skipped, err := opt.Step(h)
		if err != nil || !skipped {
			t.Fatalf("gradient %v: skipped %v, %v", bad, skipped, err)
		}
		checkClose(t, "master after a skipped step", download(t, d, tensor.F32, ps[0].Master, sizes[0]), before, 0)
	}
}

func TestCastGPU(t *testing.T) {
	d := openGPU(t)
	rng := freshRNG(t)
	n := 4099
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(float32((2*rng.Float64() - 1) * math.Pow(2, float64(rng.IntN(40)-20))))
	}
	v[0], v[1], v[2], v[3] = math.Inf(1), math.NaN(), 1e6, -1e-9 // overflow in f16, NaN, tiny
	src := upload(t, d, tensor.F32, v)
	for _, dt := range []tensor.DType{tensor.F16, tensor.BF16} {
		half := poisoned(t, d, dt, n)
		if err := d.Cast(src, tensor.F32, half, dt, n); err != nil {
			t.Fatal(err)
		}
		raw := make([]byte, 2*n)
		if err := d.Download(raw, half, 0); err != nil {
			t.Fatal(err)
		}
		want := encode(dt, v) // tensor.F32ToF16 / F32ToBF16: round to nearest even
		for i := 0; i < n; i++ {
			if raw[2*i] != want[2*i] || raw[2*i+1] != want[2*i+1] {
				t.Fatalf("%v: element %d (%v): bits %02x%02x, want %02x%02x", dt, i, v[i], raw[2*i+1], raw[2*i], want[2*i+1], want[2*i])
			}
		}
		back := poisoned(t, d, tensor.F32, n)
		if err := d.Cast(half, dt, back, tensor.F32, n); err != nil {
			t.Fatal(err)
		}
		got := download(t, d, tensor.F32, back, n)
		exp := decode(dt, want)
		for i := range got {
			if got[i] != exp[i] && !(math.IsNaN(got[i]) && math.IsNaN(exp[i])) {
				t.Fatalf("%v→f32 element %d: %v, want %v", dt, i, got[i], exp[i])
			}
		}
	}
}

// After a first step, repeating the same allocations takes nothing from
// the driver.
func TestAllocatorSteadyStateGPU(t *testing.T) {
	d := openGPU(t)
	step := func() {
		var bs []*Buffer
		for _, n := range []int{4 << 20, 123, 77 << 10, 4 << 20, 3 << 20} {
			b, err := d.Alloc(n)
			if err != nil {
				t.Fatal(err)
			}
			bs = append(bs, b)
		}
		for _, b := range bs {
			if err := b.Free(); err != nil {
				t.Fatal(err)
			}
		}
	}
	step()
	first := d.AllocStats()
	step()
	step()
	if s := d.AllocStats(); s.DriverAllocs != first.DriverAllocs || s.Hits != first.Hits+10 {
		t.Fatalf("steady state: %+v after first step %+v", s, first)
	}
	if free, total, err := d.MemInfo(); err != nil || free == 0 || free > total {
		t.Fatalf("MemInfo %d / %d, %v", free, total, err)
	}
}
