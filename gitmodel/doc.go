// Package gitmodel is GIT (GitForCausalLM of transformers): a CLIP image
// encoder whose tokens, projected to the text width, are put in front of
// the text tokens of one BERT-like decoder.
//
//	pixels ─ CLIP ViT ─ Linear ─ LayerNorm ─┐               image tokens [B, I, D]
//	ids ─ word + position emb ─ LayerNorm ──┴─ concat ─ 6 post-LN layers ─ LM head
//
// GIT's attention mask lets image tokens see all image tokens (and no
// text), and text tokens see all image tokens and the text tokens up to
// their own (causal), with padded text keys masked. The loss is the
// next-token cross entropy over the text positions: the prediction at
// text position i is scored against token i+1, labels of −100 are
// ignored. Parameter names are those of the Hugging Face checkpoint
// (git.embeddings.*, git.image_encoder.vision_model.*, git.encoder.layer.N.*,
// git.visual_projection.visual_projection.{0,1}.*, output.*), so a model
// folder moves freely between radcap and transformers.
//
// Generation runs the image through the vision tower and the decoder once
// (image tokens never attend to text, so their keys and values in every
// layer do not change while text is added) and then decodes text with a
// key/value cache.
package gitmodel
