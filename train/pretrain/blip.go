package pretrain

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"radcap/autograd"
	"radcap/blip"
	"radcap/data"
	"radcap/data/synth"
	"radcap/imageproc"
	"radcap/nn"
	"radcap/tensor"
)

// blipSmallVocab is blip-small's vocabulary: BERT uncased's 30,522 tokens
// plus BLIP's [DEC] (30522, the decoder's bos) and [ENC] (30523, the
// first token of the ITM text encoder), as in
// Salesforce/blip-image-captioning-base.
const blipSmallVocab = 30524

// BlipSmallConfig is the configuration of blip-small, the BLIP radcap
// ships: BLIP's captioning architecture (BlipForConditionalGeneration)
// scaled down to fit a CPU, with the sizes of git-small. The vision tower
// is BLIP's ViT on 64x64 images with 8x8 patches (64 patches and the class
// token), width 128, 3 layers, 4 heads; the text decoder is a BERT of
// width 64, 2 layers, 2 heads, with cross-attention to every image token
// in each layer. The vocabulary is BERT uncased plus [DEC] and [ENC]
// (30,524 tokens); the word embeddings and the LM head's matrix are two
// tensors, as in BLIP, and are most of the parameters
// (tie_word_embeddings false).
func BlipSmallConfig() blip.Config {
	c := blip.DefaultConfig()
	c.Architectures = []string{"BlipForConditionalGeneration"}
	c.ProjectionDim, c.ImageTextHiddenSize = 64, 64
	// The LM head's matrix is its own tensor (as radcap's BLIP and
	// transformers' BlipForConditionalGeneration keep it); saying so in
	// both configs keeps any transformers version from tying it to the
	// word embeddings on load.
	c.TieWordEmbeddings = false
	c.TextConfig.Extra = map[string]json.RawMessage{"tie_word_embeddings": json.RawMessage("false")}
	t := &c.TextConfig
	t.VocabSize, t.HiddenSize, t.IntermediateSize = blipSmallVocab, 64, 256
	t.NumHiddenLayers, t.NumAttentionHeads, t.MaxPositionEmbeddings = 2, 2, 64
	t.ProjectionDim = 64
	t.BosTokenID = blipSmallVocab - 2 // [DEC]
	v := &c.VisionConfig
	v.HiddenSize, v.IntermediateSize, v.NumHiddenLayers, v.NumAttentionHeads = 128, 512, 3, 4
	v.ImageSize, v.PatchSize, v.ProjectionDim = 64, 8, 64
	t.EncoderHiddenSize = v.HiddenSize
	return c
}

// DefaultBLIPOptions returns the settings that made the shipped
// blip-small: git-small's, with a shorter tower stage (500 of the 1,400
// steps) and a higher LM-stage learning rate (7e-4), which measured a
// lower LM loss (0.37 against 0.66) than git-small's settings.
func DefaultBLIPOptions() Options {
	o := DefaultOptions()
	o.Model = BlipSmall
	o.TowerSteps = 500
	o.LMLR = 7e-4
	return o
}

// blipTrainer holds one BLIP pretraining run: the captioning model, the
// retrieval model whose vision tower is the captioning model's (so one
// tower learns from ITC, ITM and LM, as BLIP's one ViT does), the
// attribute heads and the generator of the hard negatives.
type blipTrainer struct {
	model *blip.CaptionModel
	retr  *blip.RetrievalModel
	heads *attrHeads
	rng   *rand.Rand
	attrs bool  // add the attribute losses
	enc   int64 // [ENC], the first token of the ITM text encoder
}

// newBLIPTrainer builds the models of cfg with random weights from seed.
// The retrieval model's text encoder, projections, ITM head and
// temperature are pretraining-only: they are never saved.
func newBLIPTrainer(cfg blip.Config, o Options) (*blipTrainer, error) {
	cfg.ImageTextHiddenSize = o.EmbedDim
	model, err := blip.NewCaptionModel(cfg, o.Seed)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	retr, err := blip.NewRetrievalModel(cfg, o.Seed+3)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	retr.Vision = model.Vision
	vc := cfg.VisionConfig
	pe := model.Vision.PositionEmbedding
	pe.Value = sinCosPositions(vc.ImageSize/vc.PatchSize, vc.HiddenSize).To(pe.Value.DType())
	model.SetTraining(true)
	retr.SetTraining(true)
	perRegion := synth.NumShapeTargets / len(shapeRegions())
	heads := newAttrHeads(nn.NewInit(o.Seed+7), cfg.VisionConfig.HiddenSize, cfg.TextConfig.HiddenSize,
		cfg.VisionConfig.ImageSize/cfg.VisionConfig.PatchSize, shapeRegions(), perRegion, cfg.InitializerRange)
	// The ITM head starts at the log-odds of its 1:2 mix of matched and
	// mismatched pairs (see attrHeads.initBiases for why).
	for _, p := range retr.NamedParams() {
		if p.Name == "itm_head.bias" {
			p.Var.Value.SetAt(0, 0)
			p.Var.Value.SetAt(-math.Ln2, 1)
		}
	}
	enc := int64(cfg.TextConfig.BosTokenID) + 1
	if cfg.TextConfig.BosTokenID < 0 || enc >= int64(cfg.TextConfig.VocabSize) {
		return nil, fmt.Errorf("pretrain: bos_token_id %d leaves no [ENC] id after it in the vocabulary of %d", cfg.TextConfig.BosTokenID, cfg.TextConfig.VocabSize)
	}
	return &blipTrainer{model: model, retr: retr, heads: heads, rng: rand.New(rand.NewPCG(o.Seed, 0xb11b)), attrs: !o.NoAttributes, enc: enc}, nil
}

// sinCosPositions is the fixed 2-D sine-cosine position embedding of
// MAE (He et al., 2022) for a class token and a grid x grid patch grid,
// [1, 1 + grid², d]: the class token's row is 0; patch (row r, column c)
// has sin and cos of r·ω_k in the first half of its dimensions and of c·ω_k
// in the second, ω_k = 10000^(−k/(d/4)), k = 0 .. d/4 − 1. blip-small's
// vision tower starts from it instead of BLIP's random N(0, 0.02) table:
// a random table of that size is a tenth of the patch embeddings, the
// tokens barely know where they are, and in a run of minutes the decoder
// does not learn to say where a shape is. The table is trained like the
// rest.
func sinCosPositions(grid, d int) *tensor.Tensor {
	out := make([]float32, (1+grid*grid)*d)
	quarter := d / 4
	for r := range grid {
		for c := range grid {
			row := out[(1+r*grid+c)*d:]
			for k := range quarter {
				w := math.Pow(10000, -float64(k)/float64(quarter))
				row[k] = float32(math.Sin(float64(r) * w))
				row[quarter+k] = float32(math.Cos(float64(r) * w))
				row[2*quarter+k] = float32(math.Sin(float64(c) * w))
				row[3*quarter+k] = float32(math.Cos(float64(c) * w))
			}
		}
	}
	return tensor.FromF32(out, 1, 1+grid*grid, d)
}

// trainingParams lists every trained parameter once: the captioning
// model's, the retrieval model's except the shared vision tower, the
// temperature and the attribute heads'.
func (t *blipTrainer) trainingParams() []nn.NamedParam {
	ps := t.model.NamedParams()
	for _, p := range t.retr.TrainingParams() {
		if !strings.HasPrefix(p.Name, "vision_model.") {
			ps = append(ps, p)
		}
	}
	return append(ps, t.heads.NamedParams()...)
}

// step computes the losses of batch b as BLIP pretrains: the captioning
// model's forward ([DEC] first) gives the image tokens and, when lm is
// set, the LM loss; ITC and ITM (hard negatives, [ENC] first) run the
// retrieval model's text encoder on the same image tokens; the attribute
// losses read the image tokens per region and the decoder's [DEC]
// position, which attends to every image token.
func (t *blipTrainer) step(b *data.Batch, lm bool) (losses, error) {
	var out losses
	in := blip.CaptionInputs{Pixels: b.PixelValues, InputIDs: t.model.WithDEC(b.InputIDs), AttentionMask: b.AttentionMask}
	if lm {
		in.Labels = b.Labels
	}
	o, err := t.model.Forward(in)
	if err != nil {
		return out, fmt.Errorf("pretrain: BLIP forward: %w", err)
	}
	out.lm = o.Loss
	image := o.VisionHidden
	itc, err := t.retr.ITC(image, b.InputIDs, b.AttentionMask)
	if err != nil {
		return out, fmt.Errorf("pretrain: ITC: %w", err)
	}
	if out.itc, err = blip.ITCLoss(itc.Similarity, t.retr.Temp); err != nil {
		return out, fmt.Errorf("pretrain: %w", err)
	}
	if t.attrs && b.Targets != nil {
		if out.attr, err = t.heads.attrLoss(image, b.Targets); err != nil {
			return out, err
		}
		if out.dattr, err = t.heads.decoderAttrLoss(autograd.Select(o.Hidden, 1, 0), b.Targets); err != nil {
			return out, err
		}
	}
	if out.itm, err = t.itmLoss(image, b, itc.Similarity.Value); err != nil {
		return out, err
	}
	return out, nil
}

// itmLoss is BLIP's matching loss on the B matched pairs and 2B hard
// negatives: for each image a caption and for each caption an image,
// drawn with probability softmax(sim/temp) among the examples that do not
// show the same scene. The text encoder reads [ENC] caption with
// cross-attention to the image tokens; itm_head scores its first
// position.
func (t *blipTrainer) itmLoss(image *autograd.Var, b *data.Batch, sim *tensor.Tensor) (*autograd.Var, error) {
	n := b.InputIDs.Dim(0)
	s := sim.Float64s()
	temp := t.retr.Temp.Item()
	same := sameScene(b)
	imgRows, txtRows := make([]int, 0, 3*n), make([]int, 0, 3*n)
	labels := make([]int64, 0, 3*n)
	for i := range n {
		imgRows, txtRows, labels = append(imgRows, i), append(txtRows, i), append(labels, 1)
	}
	w := make([]float64, n)
	for c := range n { // caption c: an image, from column c
		for i := range n {
			w[i] = s[i*n+c] / temp
		}
		if j := drawNegative(w, c, same, t.rng); j >= 0 {
			imgRows, txtRows, labels = append(imgRows, j), append(txtRows, c), append(labels, 0)
		}
	}
	for i := range n { // image i: a caption, from row i
		for c := range n {
			w[c] = s[i*n+c] / temp
		}
		if j := drawNegative(w, i, same, t.rng); j >= 0 {
			imgRows, txtRows, labels = append(imgRows, i), append(txtRows, j), append(labels, 0)
		}
	}
	ids := blip.ReplaceFirstToken(tensor.IndexSelect(b.InputIDs, 0, txtRows), t.enc)
	out, err := t.retr.ITM(gatherRows(image, imgRows), ids, tensor.IndexSelect(b.AttentionMask, 0, txtRows))
	if err != nil {
		return nil, fmt.Errorf("pretrain: ITM: %w", err)
	}
	return autograd.CrossEntropy(out.Logits, tensor.FromI64(labels, len(labels)), autograd.IgnoreIndex, 0), nil
}

// blipProcessor is BLIP's image preprocessing (resize to size x size,
// bicubic, rescale, CLIP mean and std) at size pixels.
func blipProcessor(size int) imageproc.Processor {
	p := imageproc.BLIP()
	p.Width, p.Height = size, size
	return p
}

// runBLIP is Run for blip-small.
func runBLIP(o Options) (*Result, error) {
	cfg := BlipSmallConfig()
	if o.BLIPConfig != nil {
		cfg = *o.BLIPConfig
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	if o.MaxLength > cfg.TextConfig.MaxPositionEmbeddings {
		return nil, fmt.Errorf("pretrain: max length %d exceeds the model's %d positions", o.MaxLength, cfg.TextConfig.MaxPositionEmbeddings)
	}
	start := time.Now()
	t, err := newBLIPTrainer(cfg, o)
	if err != nil {
		return nil, err
	}
	stepper, err := newStepper(o, t.trainingParams())
	if err != nil {
		return nil, err
	}
	size := cfg.VisionConfig.ImageSize
	loader, sample, err := shapesData(o, size, blipProcessor(size))
	if err != nil {
		return nil, err
	}
	t.heads.initBiases(sample)
	res, err := trainLoop(o, start, loader, stepper, t.step, func() error { return SaveBLIP(t.model, o.Out) })
	if err != nil {
		return nil, err
	}
	res.Duration = time.Since(start)
	card := blipModelCard(o, t.model.Config, t.model.NamedParams(), res)
	if err := nn.WriteFileAtomic(filepath.Join(o.Out, "README.md"), []byte(card)); err != nil {
		return nil, fmt.Errorf("pretrain: model card: %w", err)
	}
	return res, nil
}
