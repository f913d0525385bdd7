package autograd

import "math"

// A fast exponential for the float32 kernels. float64 kernels (the ones
// GradCheck differentiates) always call package math; float32 kernels only
// need float32 accuracy, and math.Exp costs about twice a polynomial. The
// approximation is tested against math.Exp over the whole float32 range
// (fastmath_test.go).

// expApprox returns eˣ with a relative error below 1e-9 for x in
// [−87, 88] (the float32 range); smaller x gives 0, larger +Inf. It
// reduces x = k·ln2 + r with |r| ≤ ln2/2 and sums the Taylor series of eʳ
// to degree 9 (remainder < 3e-11), then scales by 2ᵏ through the exponent
// bits.
func expApprox(x float64) float64 {
	switch {
	case x < -87.5:
		return 0
	case x > 88.8:
		return math.Inf(1)
	case x != x:
		return x
	}
	const (
		log2e = 1.4426950408889634074
		ln2Hi = 6.93147180369123816490e-01 // ln2 split in two so that k·ln2Hi is exact
		ln2Lo = 1.90821492927058770002e-10
	)
	// Adding 1.5·2⁵² rounds x·log2(e) to the nearest integer (no call).
	const shifter = 0x1.8p52
	k := (x*log2e + shifter) - shifter
	r := (x - k*ln2Hi) - k*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320+r*(1.0/362880)))))))))
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// is32 reports whether the kernel instantiation is the float32 one.
func is32[T float]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

// expT is eˣ at the accuracy T needs: expApprox for float32, math.Exp for
// float64.
func expT[T float](x float64) float64 {
	if is32[T]() {
		return expApprox(x)
	}
	return math.Exp(x)
}
