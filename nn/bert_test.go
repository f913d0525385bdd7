package nn

import (
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

// A layer with cross-attention given no encoder states runs as the same
// layer without its cross-attention block (BlipTextLayer with
// mode="text"), and still uses the block when states are given.
func TestBertLayerSkipsCrossAttentionWithoutEncoder(t *testing.T) {
	init := NewInit(11)
	init.DType = tensor.F64
	l := NewBertLayer(init, nil, tinyBert(true))
	plain := &BertLayer{Attention: l.Attention, Intermediate: l.Intermediate, Act: l.Act,
		Output: l.Output, OutputNorm: l.OutputNorm}
	x := autograd.Const(tensor.RandN(init.RNG, tensor.F64, 2, 4, 8))
	mask := causalMask(0, 4)
	got := l.Forward(x, mask, nil, nil)
	want := plain.Forward(x, mask, nil, nil)
	if d := maxDiff(got.Value, want.Value); d != 0 {
		t.Errorf("Forward without encoder differs from the layer without cross-attention by %g", d)
	}
	cached, _ := l.ForwardCached(x, nil, mask, nil, nil)
	if d := maxDiff(cached.Value, want.Value); d != 0 {
		t.Errorf("ForwardCached with cross nil differs by %g", d)
	}
	enc := autograd.Const(tensor.RandN(init.RNG, tensor.F64, 2, 3, 6))
	if d := maxDiff(l.Forward(x, mask, enc, nil).Value, want.Value); d < 1e-6 {
		t.Errorf("Forward with encoder states matches the text-only pass (diff %g): cross-attention not applied", d)
	}
}
