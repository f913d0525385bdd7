package pretrain

import (
	"fmt"
	"strings"

	"radcap/blip"
	"radcap/nn"
)

// blipModelCard is the README.md written beside a pretrained blip-small:
// what the model is, how it was made (the exact command and settings),
// how long that took and the losses it reached.
func blipModelCard(o Options, cfg blip.Config, params []nn.NamedParam, res *Result) string {
	v, t := cfg.VisionConfig, cfg.TextConfig
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", o.Model)
	fmt.Fprintf(&b, "A small BLIP (`BlipForConditionalGeneration`, the architecture of `Salesforce/blip-image-captioning-base`)\n")
	fmt.Fprintf(&b, "that radcap pretrained itself from random weights, the built-in analog of that model: `radcap finetune\n")
	fmt.Fprintf(&b, "--model %s` fine-tunes it on the built-in synthetic chest X-ray set. Before fine-tuning it has never\n", o.Model)
	fmt.Fprintf(&b, "seen a chest X-ray: its captions of one are captions of shapes.\n\n")
	fmt.Fprintf(&b, "## Architecture (%d parameters, stored in float16)\n\n", nn.CountParams(params))
	fmt.Fprintf(&b, "- vision tower: BLIP's ViT, %dx%d images, %dx%d patches (%d image tokens), width %d, %d layers, %d heads, MLP %d\n",
		v.ImageSize, v.ImageSize, v.PatchSize, v.PatchSize, v.NumPatches()+1, v.HiddenSize, v.NumHiddenLayers, v.NumAttentionHeads, v.IntermediateSize)
	fmt.Fprintf(&b, "- text decoder: BERT with causal self-attention and cross-attention to every image token in each layer,\n")
	fmt.Fprintf(&b, "  width %d, %d layers, %d heads, MLP %d, %d text positions; captions start with [DEC]\n",
		t.HiddenSize, t.NumHiddenLayers, t.NumAttentionHeads, t.IntermediateSize, t.MaxPositionEmbeddings)
	fmt.Fprintf(&b, "- vocabulary: BERT uncased plus BLIP's [DEC] (%d, bos) and [ENC] (%d), %d tokens; the word embeddings\n",
		t.BosTokenID, t.BosTokenID+1, t.VocabSize)
	fmt.Fprintf(&b, "  and the LM head's matrix are two %d x %d tensors, as in BLIP, and are most of the parameters\n\n", t.VocabSize, t.HiddenSize)
	fmt.Fprintf(&b, "The folder loads in transformers (`BlipForConditionalGeneration.from_pretrained`,\n")
	fmt.Fprintf(&b, "`BlipProcessor.from_pretrained`) and in radcap (`blip.LoadCaptionModel`, `models.LoadBLIP(\"%s\")`).\n\n", o.Model)
	fmt.Fprintf(&b, "## Pretraining\n\n")
	writeShapesData(&b, v.ImageSize)
	fmt.Fprintf(&b, "Losses (package `radcap/train/pretrain`), as BLIP is pretrained, on one vision tower:\n\n")
	fmt.Fprintf(&b, "- ITC: image-text contrastive, between `vision_proj` of the image's class token and `text_proj` of a BERT\n")
	fmt.Fprintf(&b, "  text encoder's [CLS] (`BlipForImageTextRetrieval`'s text encoder, %d layers, run without\n", t.NumHiddenLayers)
	fmt.Fprintf(&b, "  cross-attention), in a %d-wide space, with BLIP's learned temperature;\n", o.EmbedDim)
	fmt.Fprintf(&b, "- ITM: image-text matching by that encoder with cross-attention to the image tokens, reading [ENC] caption,\n")
	fmt.Fprintf(&b, "  on the matched pairs and hard negatives drawn from the ITC similarities (never another image of the\n")
	fmt.Fprintf(&b, "  same scene);\n")
	fmt.Fprintf(&b, "- LM: the captioning loss of the decoder, reading [DEC] caption, from step %d on;\n", o.TowerSteps)
	if !o.NoAttributes {
		fmt.Fprintf(&b, "- attributes: a direct image-level loss, binary cross entropy on each position's shape, size and\n")
		fmt.Fprintf(&b, "  brightness, read from the mean of the image tokens of that region; and the same attributes read from\n")
		fmt.Fprintf(&b, "  the decoder's [DEC] position, which attends to every image token: it teaches the decoder to read the\n")
		fmt.Fprintf(&b, "  image into the text, which the caption loss alone learns late.\n")
	}
	fmt.Fprintf(&b, "\nThe vision tower's position embeddings start from MAE's fixed 2-D sine-cosine table (then train) instead\n")
	fmt.Fprintf(&b, "of BLIP's random N(0, 0.02) one, a tenth of the patch embeddings: with it the tokens know where they are\n")
	fmt.Fprintf(&b, "from the first step, and the decoder learns to say where a shape is.\n")
	fmt.Fprintf(&b, "The first %d steps (the tower stage) train without the LM loss, so the vision tower learns to see before\n", o.TowerSteps)
	fmt.Fprintf(&b, "the decoder learns to write; the other losses stay on in the LM stage. The heads' biases start at the\n")
	fmt.Fprintf(&b, "base rates of their targets. The retrieval model's text encoder, projections, ITM head and temperature\n")
	fmt.Fprintf(&b, "and the attribute heads are pretraining-only and discarded: only `BlipForConditionalGeneration`'s\n")
	fmt.Fprintf(&b, "parameters are saved.\n\n")
	fmt.Fprintf(&b, "Settings: %d steps (%d tower + %d LM) of %d pairs, AdamW (weight decay %g, not on biases and\n",
		o.Steps, o.TowerSteps, o.Steps-o.TowerSteps, o.Batch, o.WeightDecay)
	fmt.Fprintf(&b, "LayerNorms), gradient clipping at 1, learning rate %g (tower stage) and %g (LM stage), each stage\n", o.LR, o.LMLR)
	fmt.Fprintf(&b, "with %d warmup steps and a cosine decay to 0, captions cut at %d tokens, seed %d.\n\n", o.Warmup, o.MaxLength, o.Seed)
	writeRunTail(&b, o, res)
	return b.String()
}
