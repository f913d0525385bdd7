package blip

import (
	"testing"

	"radcap/autograd"
	"radcap/tensor"
)

// loadInto copies the checkpoint tensors into the builder's parameters.
func loadInto(t *testing.T, b *builder, model string) {
	t.Helper()
	fx := openFixture(t, model, "model.safetensors")
	for _, p := range b.params {
		p.v.Value = fx.get(p.name)
	}
}

// The text decoder alone, fed the reference image states.
func TestTextDecoderParity(t *testing.T) {
	cfg, err := LoadConfig(fixturesDir() + "/blip")
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{dt: tensor.F32}
	d, err := newTextDecoder(b, "text_decoder", cfg.TextConfig)
	if err != nil {
		t.Fatal(err)
	}
	loadInto(t, b, "blip")
	in := openFixture(t, "blip", "inputs.safetensors")
	ex := openFixture(t, "blip", "expected.safetensors")
	tp := autograd.NewTape()
	img := tp.Const(ex.get("vision_last_hidden_state"))
	p, err := d.forward(runCtx{}, in.get("input_ids"), in.get("attention_mask"), img)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "decoder_input_embeds", p.Embeds.Value, ex.get("decoder_input_embeds"), 5e-5)
	checkClose(t, "decoder_self_attention_mask_4d", p.SelfMask, ex.get("decoder_self_attention_mask_4d"), 0)
	checkClose(t, "decoder_cross_attention_mask_4d", p.CrossMask, ex.get("decoder_cross_attention_mask_4d"), 0)
	checkClose(t, "decoder_last_hidden_state", p.Hidden.Value, ex.get("decoder_last_hidden_state"), 5e-5)
	checkClose(t, "logits", p.Logits.Value, ex.get("logits"), 5e-5)
	loss, err := lmLoss(p.Logits, in.get("labels"), cfg.TextConfig.LabelSmoothing)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "loss", loss.Value, ex.get("loss"), 1e-5)
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	for _, p := range b.params {
		checkGrad(t, p.name, p.v.Grad, ex.get("grad."+p.name), 1e-5, 1e-3)
	}
}

// The retrieval heads alone, fed the reference image states.
func TestRetrievalHeadsParity(t *testing.T) {
	cfg, err := LoadConfig(fixturesDir() + "/blip_retrieval")
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{dt: tensor.F32}
	r, err := newRetrievalHeads(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	loadInto(t, b, "blip_retrieval")
	in := openFixture(t, "blip_retrieval", "inputs.safetensors")
	ex := openFixture(t, "blip_retrieval", "expected.safetensors")
	tp := autograd.NewTape()
	img := tp.Const(ex.get("vision_last_hidden_state"))
	itm, err := r.itm(runCtx{}, in.get("itm_input_ids"), in.get("itm_attention_mask"), img)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "itm_question_embeds", itm.Hidden.Value, ex.get("itm_question_embeds"), 5e-5)
	checkClose(t, "itm_logits", itm.Logits.Value, ex.get("itm_logits"), 5e-5)
	itc, err := r.itc(runCtx{}, in.get("itc_input_ids"), in.get("itc_attention_mask"), img)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "itc_question_embeds", itc.Hidden.Value, ex.get("itc_question_embeds"), 5e-5)
	checkClose(t, "itc_image_feat", itc.ImageFeat.Value, ex.get("itc_image_feat"), 5e-5)
	checkClose(t, "itc_text_feat", itc.TextFeat.Value, ex.get("itc_text_feat"), 5e-5)
	checkClose(t, "itc_similarity", itc.Similarity.Value, ex.get("itc_similarity"), 5e-5)
	itmLoss := autograd.CrossEntropy(itm.Logits, in.get("itm_labels"), autograd.IgnoreIndex, 0)
	checkClose(t, "itm_loss", itmLoss.Value, ex.get("itm_loss"), 1e-5)
	itcObj := autograd.Sum(autograd.Mul(itc.Similarity, tp.Const(in.get("itc_weight"))), nil, false)
	checkClose(t, "itc_objective", itcObj.Value, ex.get("itc_objective"), 1e-5)
	obj := autograd.Add(itmLoss, itcObj)
	checkClose(t, "objective", obj.Value, ex.get("objective"), 1e-5)
	if err := tp.Backward(obj); err != nil {
		t.Fatal(err)
	}
	for _, p := range b.params {
		checkGrad(t, p.name, p.v.Grad, ex.get("grad."+p.name), 1e-5, 1e-3)
	}
}
