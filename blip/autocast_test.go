package blip

import (
	"math/rand/v2"
	"testing"

	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
)

// tinyConfig is a BLIP small enough for a unit test.
func tinyConfig() Config {
	c := DefaultConfig()
	v := &c.VisionConfig
	v.HiddenSize, v.IntermediateSize, v.NumHiddenLayers, v.NumAttentionHeads = 16, 32, 1, 2
	v.ImageSize, v.PatchSize = 16, 8
	tc := &c.TextConfig
	tc.VocabSize, tc.HiddenSize, tc.IntermediateSize, tc.NumHiddenLayers, tc.NumAttentionHeads = 1200, 16, 32, 1, 2
	tc.EncoderHiddenSize = v.HiddenSize
	tc.BosTokenID = 1100
	c.ImageTextHiddenSize = 8
	return c
}

// isBF16 reports whether every value of t is a bfloat16 value.
func isBF16(t *tensor.Tensor) bool {
	for _, v := range t.Contiguous().F32() {
		if tensor.BF16ToF32(tensor.F32ToBF16(v)) != v {
			return false
		}
	}
	return true
}

// TestCaptionAutocast checks that nn.SetAutocast reaches BLIP's text
// decoder through CaptionModel.SetAutocast: under bf16 the vocabulary
// projection's weight gradient is bfloat16, the loss moves a little from
// float32's, and autocast off gives float32's loss again.
func TestCaptionAutocast(t *testing.T) {
	m, err := NewCaptionModel(tinyConfig(), 5)
	if err != nil {
		t.Fatal(err)
	}
	in := benchInputs(m.Config, 2, 6)
	for i, v := range in.InputIDs.I64() {
		in.InputIDs.I64()[i] = v % 1200
		in.Labels.I64()[i] = v % 1200
	}
	in.InputIDs.I64()[0], in.InputIDs.I64()[6] = 30, 30
	step := func() (loss float64, grad *tensor.Tensor) {
		m.text.cls.DecoderW.ZeroGrad()
		tp := autograd.NewTape()
		out, err := m.Forward(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := tp.Backward(out.Loss); err != nil {
			t.Fatal(err)
		}
		return out.Loss.Item(), m.text.cls.DecoderW.Grad
	}
	l32, g32 := step()
	if isBF16(g32) {
		t.Fatal("float32 gradient is already all bfloat16 values: the test cannot tell")
	}
	n, err := nn.SetAutocast(m, tensor.BF16)
	if err != nil {
		t.Fatal(err)
	}
	if m.text.cls.Autocast != tensor.BF16 || m.text.cls.Dense.Autocast != tensor.BF16 {
		t.Fatalf("SetAutocast (%d layers) did not reach the LM head", n)
	}
	for i, l := range m.text.bert.layers {
		if n, _ := nn.SetAutocast(l, tensor.BF16); n == 0 {
			t.Fatalf("text layer %d has no autocast layers", i)
		}
	}
	l16, g16 := step()
	if !isBF16(g16) {
		t.Error("bf16: the vocabulary projection's weight gradient has values that are not bfloat16")
	}
	if l16 == l32 || (l16-l32)/l32 > 1e-2 || (l32-l16)/l32 > 1e-2 {
		t.Errorf("bf16 loss %v vs float32 %v: want different but within 1%%", l16, l32)
	}
	if _, err := nn.SetAutocast(m, tensor.F32); err != nil {
		t.Fatal(err)
	}
	if l, _ := step(); l != l32 {
		t.Errorf("autocast off again: loss %v, want float32's %v", l, l32)
	}
}

// TestRetrievalAutocast checks that the ITC similarity runs in bf16 under
// autocast: with bfloat16 features the similarity is their rounded product.
func TestRetrievalAutocast(t *testing.T) {
	m, err := NewRetrievalModel(tinyConfig(), 6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nn.SetAutocast(m, tensor.BF16); err != nil {
		t.Fatal(err)
	}
	if m.heads.autocast != tensor.BF16 || m.heads.itmHead.Autocast != tensor.BF16 {
		t.Fatal("SetAutocast did not reach the retrieval heads")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	img, err := m.EncodeImage(tensor.RandN(rng, tensor.F32, 2, 3, 16, 16))
	if err != nil {
		t.Fatal(err)
	}
	ids := tensor.FromI64([]int64{30, 500, 600, 102, 30, 700, 102, 0}, 2, 4)
	mask := tensor.FromI64([]int64{1, 1, 1, 1, 1, 1, 1, 0}, 2, 4)
	o, err := m.ITC(img, ids, mask)
	if err != nil {
		t.Fatal(err)
	}
	if !isBF16(o.Similarity.Value) {
		t.Error("ITC similarity under bf16 autocast has values that are not bfloat16")
	}
}
