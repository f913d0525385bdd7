package blip

import (
	"math"
	"math/rand/v2"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

// ITCLoss against the formula written out in float64.
func TestITCLossValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b := 4
	sim := tensor.RandU(rng, tensor.F64, -1, 1, b, b)
	temp := autograd.Param(tensor.Scalar(tensor.F64, 0.07))
	loss, err := ITCLoss(autograd.Const(sim), temp)
	if err != nil {
		t.Fatal(err)
	}
	s := sim.F64()
	want := 0.0
	for i := 0; i < b; i++ {
		rowZ, colZ := 0.0, 0.0
		for j := 0; j < b; j++ {
			rowZ += math.Exp(s[i*b+j] / 0.07)
			colZ += math.Exp(s[j*b+i] / 0.07)
		}
		want += (math.Log(rowZ) - s[i*b+i]/0.07) + (math.Log(colZ) - s[i*b+i]/0.07)
	}
	want /= 2 * float64(b)
	if got := loss.Item(); math.Abs(got-want) > 1e-12 {
		t.Errorf("ITC loss %v, want %v", got, want)
	}
	if _, err := ITCLoss(autograd.Const(tensor.Zeros(tensor.F64, 2, 3)), temp); err == nil {
		t.Error("non-square similarity: no error")
	}
}

func TestITCLossGradCheckAndClamp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	err := autograd.GradCheck(func(in []*autograd.Var) *autograd.Var {
		l, err := ITCLoss(in[0], in[1])
		if err != nil {
			t.Fatal(err)
		}
		return l
	}, []*tensor.Tensor{tensor.RandU(rng, tensor.F64, -1, 1, 3, 3), tensor.Scalar(tensor.F64, 0.2)}, nil)
	if err != nil {
		t.Error(err)
	}
	hot := autograd.Param(tensor.Scalar(tensor.F32, 2))
	if _, err := ITCLoss(autograd.Const(tensor.Zeros(tensor.F32, 2, 2)), hot); err != nil {
		t.Fatal(err)
	}
	if hot.Item() != MaxTemp {
		t.Errorf("temperature 2 clamped to %v, want %v", hot.Item(), MaxTemp)
	}
}

func TestSampleNegative(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	logits := []float64{10, 0, 9, -5}
	counts := make([]int, 4)
	for i := 0; i < 2000; i++ {
		counts[sampleNegative(logits, 0, rng)]++
	}
	if counts[0] != 0 {
		t.Errorf("drew the positive %d times", counts[0])
	}
	// softmax without the positive: index 2 dominates (e^9 vs e^0, e^-5).
	if counts[2] < 1900 {
		t.Errorf("counts %v: the hardest negative should dominate", counts)
	}
	a := sampleNegative(logits, 2, rand.New(rand.NewPCG(7, 7)))
	b := sampleNegative(logits, 2, rand.New(rand.NewPCG(7, 7)))
	if a != b || a == 2 {
		t.Errorf("seeded draws %d, %d", a, b)
	}
}

// With two pairs the only negatives are the other row, so the loss must
// equal the cross entropy over the six pairs scored one by one.
func TestITMHardNegatives(t *testing.T) {
	m := loadRetrieval(t)
	r := m.heads
	in := openFixture(t, "blip_retrieval", "inputs.safetensors")
	ex := openFixture(t, "blip_retrieval", "expected.safetensors")
	img := autograd.Const(ex.get("vision_last_hidden_state"))
	ids, mask := in.get("itm_input_ids"), in.get("itm_attention_mask")
	sim := tensor.FromF32([]float32{0.9, 0.1, 0.2, 0.8}, 2, 2)
	out, err := r.itmHardNegatives(ids, mask, img, sim, DefaultTemp, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if out.NegImage[0] != 1 || out.NegImage[1] != 0 || out.NegText[0] != 1 || out.NegText[1] != 0 {
		t.Fatalf("negatives %v %v", out.NegImage, out.NegText)
	}
	pairs := [][2]int{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 1}, {1, 0}} // (image, text)
	var want float64
	for k, p := range pairs {
		o, err := r.itm(ids.Narrow(0, p[1], 1), mask.Narrow(0, p[1], 1), autograd.Narrow(img, 0, p[0], 1))
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, "ITM logits of one pair", out.Logits.Value.Narrow(0, k, 1), o.Logits.Value, 1e-5)
		l0, l1 := o.Logits.Value.At(0, 0), o.Logits.Value.At(0, 1)
		lse := math.Max(l0, l1) + math.Log(math.Exp(l0-math.Max(l0, l1))+math.Exp(l1-math.Max(l0, l1)))
		target := l0
		if k < 2 {
			target = l1
		}
		want += (lse - target) / 6
	}
	if d := math.Abs(out.Loss.Item() - want); d > 1e-5 {
		t.Errorf("ITM loss %v, want %v", out.Loss.Item(), want)
	}
	if _, err := r.itmHardNegatives(ids.Narrow(0, 0, 1), mask.Narrow(0, 0, 1), autograd.Narrow(img, 0, 0, 1), tensor.Zeros(tensor.F32, 1, 1), DefaultTemp, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("batch of one: no error")
	}
}
