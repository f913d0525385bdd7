package blip

import (
	"math"
	"path/filepath"
	"testing"

	"radcap/safetensors"
	"radcap/tensor"
)

// fixture is one opened safetensors file of the fixtures.
type fixture struct {
	t *testing.T
	f *safetensors.File
}

func openFixture(t *testing.T, model, file string) *fixture {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(fixturesDir(), model, file))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &fixture{t, f}
}

func (fx *fixture) get(name string) *tensor.Tensor {
	fx.t.Helper()
	x, err := fx.f.Tensor(name)
	if err != nil {
		fx.t.Fatalf("fixture tensor %s: %v", name, err)
	}
	return x
}

// maxAbsDiff returns max |a - b| after checking the shapes agree.
func maxAbsDiff(t *testing.T, what string, got, want *tensor.Tensor) float64 {
	t.Helper()
	gs, ws := got.Shape(), want.Shape()
	if len(gs) != len(ws) {
		t.Fatalf("%s: shape %v, want %v", what, gs, ws)
	}
	for i := range gs {
		if gs[i] != ws[i] {
			t.Fatalf("%s: shape %v, want %v", what, gs, ws)
		}
	}
	g, w := got.Float64s(), want.Float64s()
	m := 0.0
	for i := range g {
		d := math.Abs(g[i] - w[i])
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		m = math.Max(m, d)
	}
	return m
}

// checkClose fails when any element differs by more than tol and logs the
// maximum error (the report quotes these).
func checkClose(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	d := maxAbsDiff(t, what, got, want)
	t.Logf("%-45s max abs err %.3g", what, d)
	if d > tol {
		t.Errorf("%s: max abs error %.3g > %.3g", what, d, tol)
	}
}

// checkGrad compares a gradient element-wise within atol + rtol·|want|;
// where absOnly(i) holds, only the absolute tolerance applies (those
// gradients are zero in exact arithmetic). It returns the max abs error.
func checkGrad(t *testing.T, name string, got, want *tensor.Tensor, atol, rtol float64, absOnly func(int) bool) float64 {
	t.Helper()
	if got == nil {
		got = tensor.Zeros(want.DType(), want.Shape()...)
	}
	m := maxAbsDiff(t, name, got, want)
	g, w := got.Float64s(), want.Float64s()
	for i := range g {
		tol := atol + rtol*math.Abs(w[i])
		if absOnly != nil && absOnly(i) {
			tol = atol
		}
		if math.Abs(g[i]-w[i]) > tol {
			t.Errorf("grad %s[%d] = %.8g, want %.8g (tolerance %.2g + %.2g·|want|)", name, i, g[i], w[i], atol, rtol)
			return m
		}
	}
	return m
}
