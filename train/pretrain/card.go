package pretrain

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"radcap/gitmodel"
	"radcap/nn"
)

// modelCard is the README.md written beside a pretrained checkpoint: what
// the model is, how it was made (the exact command and settings), how long
// that took and the losses it reached.
func modelCard(o Options, cfg gitmodel.Config, params []nn.NamedParam, res *Result) string {
	v := cfg.Vision
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", o.Model)
	fmt.Fprintf(&b, "A small GIT (`GitForCausalLM`, the architecture of `microsoft/git-base`) that radcap pretrained\n")
	fmt.Fprintf(&b, "itself from random weights, the built-in analog of `microsoft/git-base`: radcap fine-tunes it on the\n")
	fmt.Fprintf(&b, "built-in synthetic chest X-ray set when `radcap finetune` runs without flags. Before fine-tuning it has\n")
	fmt.Fprintf(&b, "never seen a chest X-ray: its captions of one are captions of shapes.\n\n")
	fmt.Fprintf(&b, "## Architecture (%d parameters, stored in float16)\n\n", nn.CountParams(params))
	fmt.Fprintf(&b, "- vision tower: CLIP ViT, %dx%d images, %dx%d patches (%d image tokens), width %d, %d layers, %d heads, MLP %d\n",
		v.ImageSize, v.ImageSize, v.PatchSize, v.PatchSize, v.NumTokens(), v.HiddenSize, v.NumHiddenLayers, v.NumAttentionHeads, v.IntermediateSize)
	fmt.Fprintf(&b, "- decoder: width %d, %d layers, %d heads, MLP %d, %d text positions\n",
		cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads, cfg.IntermediateSize, cfg.MaxPositionEmbeddings)
	fmt.Fprintf(&b, "- vocabulary: BERT uncased (%d tokens); the LM head is tied to the word embeddings (`tie_word_embeddings`),\n", cfg.VocabSize)
	fmt.Fprintf(&b, "  so the %d x %d table, most of the parameters, is stored once\n\n", cfg.VocabSize, cfg.HiddenSize)
	fmt.Fprintf(&b, "The folder loads in transformers (`GitForCausalLM.from_pretrained`, `GitProcessor.from_pretrained`) and in\n")
	fmt.Fprintf(&b, "radcap (`gitmodel.Load`, `models.LoadGIT(\"%s\")`).\n\n", o.Model)
	fmt.Fprintf(&b, "## Pretraining\n\n")
	writeShapesData(&b, v.ImageSize)
	fmt.Fprintf(&b, "Losses (package `radcap/train/pretrain`), as BLIP is pretrained:\n\n")
	fmt.Fprintf(&b, "- ITC: image-text contrastive, between the mean image token and a one-layer BERT text encoder's [CLS]\n")
	fmt.Fprintf(&b, "  (pretraining only; it shares GIT's word embeddings), learned temperature;\n")
	fmt.Fprintf(&b, "- ITM: image-text matching by that encoder layer with cross-attention to the image tokens, on the matched\n")
	fmt.Fprintf(&b, "  pairs and hard negatives drawn from the ITC similarities (never another image of the same scene);\n")
	fmt.Fprintf(&b, "- attributes: a direct image-level loss, binary cross entropy on each position's shape, size and\n")
	fmt.Fprintf(&b, "  brightness, read from the mean of the image tokens of that region; and the same attributes read from\n")
	fmt.Fprintf(&b, "  the decoder's first text position ([CLS], where GIT's captions start), which sees every image token:\n")
	fmt.Fprintf(&b, "  it teaches the decoder to read the image into the text, which the caption loss alone learns late;\n")
	fmt.Fprintf(&b, "- LM: GIT's captioning loss, from step %d on.\n\n", o.TowerSteps)
	fmt.Fprintf(&b, "The first %d steps (the tower stage) train without the LM loss, so the vision tower learns to see before\n", o.TowerSteps)
	fmt.Fprintf(&b, "the decoder learns to write; ITC, ITM and the attribute losses stay on in the LM stage and keep it seeing.\n")
	fmt.Fprintf(&b, "The heads' biases start at the base rates of their targets: a head whose error is the same for every\n")
	fmt.Fprintf(&b, "image pushes every image's features the same way, and within a few AdamW steps a fresh tower forgets\n")
	fmt.Fprintf(&b, "the image.\n")
	fmt.Fprintf(&b, "The pretraining heads are discarded; only `GitForCausalLM`'s parameters are saved.\n\n")
	fmt.Fprintf(&b, "Settings: %d steps (%d tower + %d LM) of %d pairs, AdamW (weight decay %g, not on biases and\n",
		o.Steps, o.TowerSteps, o.Steps-o.TowerSteps, o.Batch, o.WeightDecay)
	fmt.Fprintf(&b, "LayerNorms), gradient clipping at 1, learning rate %g (tower stage) and %g (LM stage), each stage\n", o.LR, o.LMLR)
	fmt.Fprintf(&b, "with %d warmup steps and a cosine decay to 0, captions cut at %d tokens, ITC space %d wide, seed %d.\n\n",
		o.Warmup, o.MaxLength, o.EmbedDim, o.Seed)
	writeRunTail(&b, o, res)
	return b.String()
}

// writeShapesData describes the pretraining data, the shapes set at
// size x size, for a model card.
func writeShapesData(b *strings.Builder, size int) {
	fmt.Fprintf(b, "Data: radcap's synthetic shapes set (`data/synth.Shapes`), generated fresh at every step (nothing is seen\n")
	fmt.Fprintf(b, "twice): one or two circles, squares, triangles or blobs, large or small, bright or dark, in a quadrant or\n")
	fmt.Fprintf(b, "the centre of a textured %dx%d image, captioned e.g. \"There is a large bright circle in the upper left.\"\n\n", size, size)
}

// writeRunTail ends a model card: the command that reproduces the model,
// how long this run took, and its first and last LM-stage losses.
func writeRunTail(b *strings.Builder, o Options, res *Result) {
	fmt.Fprintf(b, "Reproduce (from the repository root):\n\n")
	fmt.Fprintf(b, "    go run ./cmd/radcap pretrain --model %s --out models/%s\n\n", o.Model, o.Model)
	fmt.Fprintf(b, "This run took %s on %d CPU threads (%s/%s), GOMAXPROCS %d.\n\n",
		res.Duration.Round(time.Second), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Fprintf(b, "Mean losses over the first and the last %d steps of the LM stage:\n\n", o.LogEvery)
	fmt.Fprintf(b, "| | ITC | ITM | attributes | decoder attributes | LM |\n| --- | --- | --- | --- | --- | --- |\n")
	fmt.Fprintf(b, "| first | %.4f | %.4f | %.4f | %.4f | %.4f |\n", res.First.ITC, res.First.ITM, res.First.Attr, res.First.DecoderAttr, res.First.LM)
	fmt.Fprintf(b, "| last | %.4f | %.4f | %.4f | %.4f | %.4f |\n", res.Last.ITC, res.Last.ITM, res.Last.Attr, res.Last.DecoderAttr, res.Last.LM)
}
