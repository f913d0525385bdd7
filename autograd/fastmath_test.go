package autograd

import (
	"math"
	"testing"
)

// expApprox must match math.Exp to 1e-9 relative over the float32 range.
func TestExpApprox(t *testing.T) {
	worst, at := 0.0, 0.0
	for x := -87.0; x <= 88.0; x += 0.000731 {
		want := math.Exp(x)
		if e := math.Abs(expApprox(x)-want) / want; e > worst {
			worst, at = e, x
		}
	}
	t.Logf("worst relative error %.3g at x = %v", worst, at)
	if worst > 1e-9 {
		t.Errorf("expApprox: relative error %.3g at x = %v", worst, at)
	}
	if expApprox(-1000) != 0 || !math.IsInf(expApprox(1000), 1) || !math.IsNaN(expApprox(math.NaN())) {
		t.Error("expApprox: wrong limits")
	}
}
