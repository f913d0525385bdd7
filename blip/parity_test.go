package blip

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

func loadCaption(t *testing.T) *CaptionModel {
	t.Helper()
	m, unexpected, err := LoadCaptionModel(filepath.Join(fixturesDir(), "blip"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(unexpected) != 0 {
		t.Fatalf("unexpected tensors %v", unexpected)
	}
	return m
}

func loadRetrieval(t *testing.T) *RetrievalModel {
	t.Helper()
	m, unexpected, err := LoadRetrievalModel(filepath.Join(fixturesDir(), "blip_retrieval"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(unexpected) != 0 {
		t.Fatalf("unexpected tensors %v", unexpected)
	}
	return m
}

// exactZero returns, for a parameter, which of its gradient's elements the
// fixture README lists as zero in exact arithmetic (compared with the
// absolute tolerance only): every attention key bias, and the middle
// (key) third of the vision tower's fused qkv bias. nil: none.
func exactZero(name string, n int) func(i int) bool {
	switch {
	case strings.HasSuffix(name, ".key.bias"):
		return func(int) bool { return true }
	case strings.HasSuffix(name, ".qkv.bias"):
		return func(i int) bool { return i >= n/3 && i < 2*n/3 }
	}
	return nil
}

// compareGrads checks every parameter's gradient against grad.<name>
// (1e-5 absolute + 1e-3 relative; the key biases and the middle third of
// the fused qkv bias, zero in exact arithmetic, absolutely) and that the
// fixture has no gradient the model lacks.
func compareGrads(t *testing.T, names []string, grads []*tensor.Tensor, ex *fixture) {
	t.Helper()
	worst, worstName := 0.0, ""
	for i, name := range names {
		want := ex.get("grad." + name)
		if d := checkGrad(t, name, grads[i], want, 1e-5, 1e-3, exactZero(name, want.Numel())); d > worst {
			worst, worstName = d, name
		}
	}
	t.Logf("%d gradients; largest abs error %.3g (%s)", len(names), worst, worstName)
	n := 0
	for _, name := range ex.f.Names() {
		if len(name) > 5 && name[:5] == "grad." {
			n++
			if !slices.Contains(names, name[5:]) {
				t.Errorf("fixture gradient %s has no parameter", name)
			}
		}
	}
	if n != len(names) {
		t.Errorf("fixture has %d gradients, model %d parameters", n, len(names))
	}
}

func TestCaptionParity(t *testing.T) {
	m := loadCaption(t)
	in := openFixture(t, "blip", "inputs.safetensors")
	ex := openFixture(t, "blip", "expected.safetensors")
	batch := CaptionInputs{
		Pixels: in.get("pixel_values"), InputIDs: in.get("input_ids"),
		AttentionMask: in.get("attention_mask"), Labels: in.get("labels"),
	}
	out, err := m.Forward(batch)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "vision_last_hidden_state", out.VisionHidden.Value, ex.get("vision_last_hidden_state"), 5e-5)
	checkClose(t, "vision_pooler_output", m.Vision.Pooled(out.VisionHidden).Value, ex.get("vision_pooler_output"), 5e-5)
	checkClose(t, "decoder_input_embeds", out.Embeds.Value, ex.get("decoder_input_embeds"), 5e-5)
	checkClose(t, "decoder_self_attention_mask_4d", out.SelfMask, ex.get("decoder_self_attention_mask_4d"), 0)
	checkClose(t, "decoder_cross_attention_mask_4d", out.CrossMask, ex.get("decoder_cross_attention_mask_4d"), 0)
	checkClose(t, "decoder_last_hidden_state", out.Hidden.Value, ex.get("decoder_last_hidden_state"), 5e-5)
	checkClose(t, "logits", out.Logits.Value, ex.get("logits"), 5e-5)
	checkClose(t, "loss", out.Loss.Value, ex.get("loss"), 1e-5)
	tp := autograd.NewTape()
	if err := tp.Backward(out.Loss); err != nil {
		t.Fatal(err)
	}
	params := m.NamedParams()
	names := make([]string, len(params))
	grads := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		names[i], grads[i] = p.Name, p.Var.Grad
	}
	compareGrads(t, names, grads, ex)

	plain, err := m.ForwardSmoothing(batch, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "loss_no_smoothing", plain.Loss.Value, ex.get("loss_no_smoothing"), 1e-5)
}

func TestRetrievalParity(t *testing.T) {
	m := loadRetrieval(t)
	in := openFixture(t, "blip_retrieval", "inputs.safetensors")
	ex := openFixture(t, "blip_retrieval", "expected.safetensors")
	pixels := in.get("pixel_values")
	// Like the reference, each head runs the vision tower itself.
	img1, err := m.EncodeImage(pixels)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "vision_last_hidden_state", img1.Value, ex.get("vision_last_hidden_state"), 5e-5)
	itm, err := m.ITM(img1, in.get("itm_input_ids"), in.get("itm_attention_mask"))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "itm_question_embeds", itm.Hidden.Value, ex.get("itm_question_embeds"), 5e-5)
	checkClose(t, "itm_logits", itm.Logits.Value, ex.get("itm_logits"), 5e-5)
	img2, err := m.EncodeImage(pixels)
	if err != nil {
		t.Fatal(err)
	}
	itc, err := m.ITC(img2, in.get("itc_input_ids"), in.get("itc_attention_mask"))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "itc_question_embeds", itc.Hidden.Value, ex.get("itc_question_embeds"), 5e-5)
	checkClose(t, "itc_image_feat", itc.ImageFeat.Value, ex.get("itc_image_feat"), 5e-5)
	checkClose(t, "itc_text_feat", itc.TextFeat.Value, ex.get("itc_text_feat"), 5e-5)
	checkClose(t, "itc_similarity", itc.Similarity.Value, ex.get("itc_similarity"), 5e-5)
	itmLoss := autograd.CrossEntropy(itm.Logits, in.get("itm_labels"), autograd.IgnoreIndex, 0)
	checkClose(t, "itm_loss", itmLoss.Value, ex.get("itm_loss"), 1e-5)
	itcObj := autograd.Sum(autograd.Mul(itc.Similarity, autograd.Const(in.get("itc_weight"))), nil, false)
	checkClose(t, "itc_objective", itcObj.Value, ex.get("itc_objective"), 1e-5)
	obj := autograd.Add(itmLoss, itcObj)
	checkClose(t, "objective", obj.Value, ex.get("objective"), 1e-5)
	tp := autograd.NewTape()
	if err := tp.Backward(obj); err != nil {
		t.Fatal(err)
	}
	params := m.NamedParams()
	names := make([]string, len(params))
	grads := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		names[i], grads[i] = p.Name, p.Var.Grad
	}
	compareGrads(t, names, grads, ex)
}
