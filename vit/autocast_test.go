package vit

import (
	"math/rand/v2"
	"slices"
	"testing"

	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
)

// TestPatchEmbeddingAutocast checks that nn.SetAutocast reaches the patch
// embedding: under bf16 its output and the patch weight's gradient are
// bfloat16 values (and differ from float32's), and switching back to F32
// gives the float32 result again.
func TestPatchEmbeddingAutocast(t *testing.T) {
	cfg := CLIPDefaults()
	cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads, cfg.IntermediateSize = 16, 1, 2, 32
	cfg.ImageSize, cfg.PatchSize = 16, 8
	m, err := NewCLIP(cfg, nn.NewInit(3), nn.NewMode(3))
	if err != nil {
		t.Fatal(err)
	}
	pixels := tensor.RandN(rand.New(rand.NewPCG(1, 2)), tensor.F32, 2, 3, 16, 16)
	embed := func() (out, grad []float32) {
		m.PatchWeight.ZeroGrad()
		tp := autograd.NewTape()
		y := m.Embed(autograd.Const(pixels))
		if err := tp.Backward(autograd.Sum(autograd.Square(y), nil, false)); err != nil {
			t.Fatal(err)
		}
		return y.Value.Contiguous().F32(), m.PatchWeight.Grad.Contiguous().F32()
	}
	_, g32 := embed()
	if n, err := nn.SetAutocast(m, tensor.BF16); err != nil || n == 0 {
		t.Fatalf("SetAutocast: %d layers, %v", n, err)
	}
	if m.Autocast != tensor.BF16 {
		t.Fatalf("SetAutocast did not reach the patch embedding (Autocast %v)", m.Autocast)
	}
	_, g16 := embed()
	differ := false
	for i, v := range g16 {
		if r := tensor.BF16ToF32(tensor.F32ToBF16(v)); r != v {
			t.Fatalf("patch weight gradient[%d] = %v is not a bfloat16 value (%v)", i, v, r)
		}
		differ = differ || v != g32[i]
	}
	if !differ {
		t.Error("bf16 patch weight gradient equals the float32 one: no rounding happened")
	}
	if _, err := nn.SetAutocast(m, tensor.F32); err != nil {
		t.Fatal(err)
	}
	if _, g := embed(); !slices.Equal(g, g32) {
		t.Error("after SetAutocast(F32) the gradient differs from the float32 run")
	}
}
