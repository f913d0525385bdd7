package train

import (
	"fmt"

	"radcap/autograd"
	"radcap/blip"
	"radcap/data"
	"radcap/generate"
	"radcap/gitmodel"
	"radcap/imageproc"
	"radcap/nn"
	"radcap/tensor"
	"radcap/tokenizer"
)

// Model is a captioning model as the fine-tuning loop sees it. The loop
// never looks inside: GIT and BLIP (and anything else with a caption loss
// and a generator) plug in through this interface.
type Model interface {
	// Arch names the architecture ("git" or "blip").
	Arch() string
	// NamedParams lists the trainable parameters under their Hugging Face
	// names, in PyTorch's named_parameters() order.
	NamedParams() []nn.NamedParam
	// SetTraining switches dropout on (training) or off (evaluation).
	SetTraining(on bool)
	// Mode is the run-time state the model's dropout draws from; the loop
	// swaps in its own generator so that it can save and restore it.
	Mode() *nn.Mode
	// Loss is the mean caption cross entropy of a batch (a scalar).
	Loss(b *data.Batch) (*autograd.Var, error)
	// Generate captions a batch of preprocessed images.
	Generate(pixels *tensor.Tensor, opts GenerateOptions) ([]string, error)
	// Save writes a Hugging Face model folder: config.json,
	// model.safetensors, and the tokenizer and image-processor files.
	Save(dir string) error
	// Processor is the image preprocessing the model expects.
	Processor() imageproc.Processor
	// Tokenizer encodes captions the way the model's loss expects them.
	Tokenizer() *tokenizer.Tokenizer
	// NoDecayModules names LayerNorm modules whose names do not say so, for
	// the Trainer's no-weight-decay group (optim.NoDecay).
	NoDecayModules() []string
}

// GenerateOptions choose how captions are generated.
type GenerateOptions struct {
	// Beams is the beam width; 1 (or 0) is greedy search.
	Beams int `json:"beams"`
	// MaxNewTokens limits the caption length in tokens.
	MaxNewTokens int `json:"max_new_tokens"`
}

// genOptions applies o over a model's generation defaults.
func (o GenerateOptions) apply(base generate.Options) generate.Options {
	base.NumBeams = max(1, o.Beams)
	if o.MaxNewTokens > 0 {
		base.MaxNewTokens = o.MaxNewTokens
	}
	return base
}

// decodeAll turns generated sequences into caption strings.
func decodeAll(tok *tokenizer.Tokenizer, seqs *tensor.Tensor) []string {
	rows, width := seqs.Dim(0), seqs.Dim(1)
	ids := seqs.Contiguous().I64()
	out := make([]string, rows)
	for r := range rows {
		out[r] = tok.Decode(ids[r*width:(r+1)*width], true)
	}
	return out
}

// GIT adapts a gitmodel.Model (GitForCausalLM) to Model. Captions are
// encoded as [CLS] caption [SEP] with [CLS] the model's bos_token_id and
// [SEP] its eos_token_id, as GIT's processor does with the BERT vocabulary.
type GIT struct {
	M     *gitmodel.Model
	Tok   *tokenizer.Tokenizer
	Proc  imageproc.Processor
	files map[string][]byte // tokenizer and processor files written beside the weights
}

// NewGIT wraps m with its tokenizer and image processor. It checks that
// the tokenizer's [CLS], [SEP] and [PAD] are the model's bos, eos and pad
// ids and that its vocabulary fits the model's.
func NewGIT(m *gitmodel.Model, tok *tokenizer.Tokenizer, proc imageproc.Processor) (*GIT, error) {
	c := m.Config
	if tok.VocabSize() > c.VocabSize {
		return nil, fmt.Errorf("git: tokenizer has %d tokens, the model's vocab_size is %d", tok.VocabSize(), c.VocabSize)
	}
	for _, p := range []struct {
		what      string
		tok, want int
	}{{"[CLS] / bos_token_id", tok.CLSID(), c.BosTokenID}, {"[SEP] / eos_token_id", tok.SEPID(), c.EosTokenID}, {"[PAD] / pad_token_id", tok.PadID(), c.PadTokenID}} {
		if p.tok != p.want {
			return nil, fmt.Errorf("git: tokenizer %s is %d, the model's is %d", p.what, p.tok, p.want)
		}
	}
	if err := checkProcessorSize(proc, c.Vision.ImageSize); err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	return &GIT{M: m, Tok: tok, Proc: proc}, nil
}

// Arch returns "git".
func (g *GIT) Arch() string { return "git" }

// NamedParams returns the model's parameters.
func (g *GIT) NamedParams() []nn.NamedParam { return g.M.NamedParams() }

// SetTraining switches dropout.
func (g *GIT) SetTraining(on bool) { g.M.SetTraining(on) }

// Mode returns the model's dropout state.
func (g *GIT) Mode() *nn.Mode { return g.M.Mode }

// Processor returns the image preprocessing.
func (g *GIT) Processor() imageproc.Processor { return g.Proc }

// Tokenizer returns the caption tokenizer.
func (g *GIT) Tokenizer() *tokenizer.Tokenizer { return g.Tok }

// NoDecayModules names GIT's visual-projection LayerNorm.
func (g *GIT) NoDecayModules() []string {
	return []string{"git.visual_projection.visual_projection.1"}
}

// Loss is GIT's next-token cross entropy over the caption tokens.
func (g *GIT) Loss(b *data.Batch) (*autograd.Var, error) {
	loss, _, err := g.lossAndImage(b)
	return loss, err
}

func (g *GIT) lossAndImage(b *data.Batch) (*autograd.Var, ImageFeatures, error) {
	px, err := onDevice(g, b.PixelValues)
	if err != nil {
		return nil, ImageFeatures{}, err
	}
	loss, out, err := g.M.Loss(gitmodel.Inputs{
		Pixels: px, InputIDs: b.InputIDs, AttentionMask: b.AttentionMask, Labels: b.Labels,
	})
	if err != nil {
		return nil, ImageFeatures{}, err
	}
	return loss, g.features(out), nil
}

// features picks the image tokens and the decoder output at the first
// caption position ([CLS], after the image tokens) from a forward pass.
func (g *GIT) features(out *gitmodel.Outputs) ImageFeatures {
	img := g.M.Config.NumImageTokens()
	first := autograd.Select(out.Hidden, 1, img)
	text := autograd.Narrow(out.Hidden, 1, img, out.Hidden.Value.Dim(1)-img)
	return ImageFeatures{Tokens: out.ImageTokens, First: first, Text: text}
}

// Image runs GIT without its LM head and returns the image features.
func (g *GIT) Image(b *data.Batch) (ImageFeatures, error) {
	px, err := onDevice(g, b.PixelValues)
	if err != nil {
		return ImageFeatures{}, err
	}
	out, err := g.M.Forward(gitmodel.Inputs{Pixels: px, InputIDs: b.InputIDs, AttentionMask: b.AttentionMask})
	if err != nil {
		return ImageFeatures{}, err
	}
	return g.features(out), nil
}

// ImageWidth is the width of GIT's projected image tokens.
func (g *GIT) ImageWidth() int { return g.M.Config.HiddenSize }

// Generate captions pixels starting from [CLS].
func (g *GIT) Generate(pixels *tensor.Tensor, opts GenerateOptions) ([]string, error) {
	pixels, err := onDevice(g, pixels)
	if err != nil {
		return nil, fmt.Errorf("git generate: %w", err)
	}
	res, err := g.M.Generate(pixels, nil, opts.apply(g.M.GenerationOptions()))
	if err != nil {
		return nil, fmt.Errorf("git generate: %w", err)
	}
	return decodeAll(g.Tok, res.Sequences), nil
}

// Save writes the model folder.
func (g *GIT) Save(dir string) error {
	if err := saveOnHost(g.NamedParams(), func() error { return g.M.Save(dir) }); err != nil {
		return err
	}
	return writeSideFiles(dir, g.files, g.Tok, g.Proc, "CLIPImageProcessor")
}

// BLIP adapts a blip.CaptionModel (BlipForConditionalGeneration) to Model:
// the decoder reads [DEC] caption [SEP], with label smoothing from the
// text config as transformers computes the loss.
type BLIP struct {
	M     *blip.CaptionModel
	Tok   *tokenizer.Tokenizer
	Proc  imageproc.Processor
	files map[string][]byte
}

// NewBLIP wraps m with its tokenizer (which must know [DEC] as the model's
// bos) and image processor.
func NewBLIP(m *blip.CaptionModel, tok *tokenizer.Tokenizer, proc imageproc.Processor) (*BLIP, error) {
	tc := m.Config.TextConfig
	if tok.VocabSize() > tc.VocabSize {
		return nil, fmt.Errorf("blip: tokenizer has %d tokens, the model's vocab_size is %d", tok.VocabSize(), tc.VocabSize)
	}
	if tok.SEPID() != tc.SepTokenID || tok.PadID() != tc.PadTokenID {
		return nil, fmt.Errorf("blip: tokenizer [SEP]/[PAD] are %d/%d, the model's sep/pad ids %d/%d", tok.SEPID(), tok.PadID(), tc.SepTokenID, tc.PadTokenID)
	}
	if err := checkProcessorSize(proc, m.Config.VisionConfig.ImageSize); err != nil {
		return nil, fmt.Errorf("blip: %w", err)
	}
	return &BLIP{M: m, Tok: tok, Proc: proc}, nil
}

// Arch returns "blip".
func (b *BLIP) Arch() string { return "blip" }

// NamedParams returns the model's parameters.
func (b *BLIP) NamedParams() []nn.NamedParam { return b.M.NamedParams() }

// SetTraining switches dropout.
func (b *BLIP) SetTraining(on bool) { b.M.SetTraining(on) }

// Mode returns the model's dropout state.
func (b *BLIP) Mode() *nn.Mode { return b.M.Mode }

// Processor returns the image preprocessing.
func (b *BLIP) Processor() imageproc.Processor { return b.Proc }

// Tokenizer returns the caption tokenizer.
func (b *BLIP) Tokenizer() *tokenizer.Tokenizer { return b.Tok }

// NoDecayModules is empty: BLIP's LayerNorms are named as such.
func (b *BLIP) NoDecayModules() []string { return nil }

// Loss is BLIP's label-smoothed next-token cross entropy.
func (b *BLIP) Loss(bt *data.Batch) (*autograd.Var, error) {
	loss, _, err := b.lossAndImage(bt)
	return loss, err
}

func (b *BLIP) lossAndImage(bt *data.Batch) (*autograd.Var, ImageFeatures, error) {
	px, err := onDevice(b, bt.PixelValues)
	if err != nil {
		return nil, ImageFeatures{}, err
	}
	out, err := b.M.Forward(blip.CaptionInputs{
		Pixels: px, InputIDs: b.M.WithDEC(bt.InputIDs), AttentionMask: bt.AttentionMask, Labels: bt.Labels,
	})
	if err != nil {
		return nil, ImageFeatures{}, err
	}
	// The first caption position is [DEC].
	return out.Loss, ImageFeatures{Tokens: out.VisionHidden, First: autograd.Select(out.Hidden, 1, 0), Text: out.Hidden}, nil
}

// Image runs BLIP without labels and returns the image features.
func (b *BLIP) Image(bt *data.Batch) (ImageFeatures, error) {
	px, err := onDevice(b, bt.PixelValues)
	if err != nil {
		return ImageFeatures{}, err
	}
	out, err := b.M.Forward(blip.CaptionInputs{Pixels: px, InputIDs: b.M.WithDEC(bt.InputIDs), AttentionMask: bt.AttentionMask})
	if err != nil {
		return ImageFeatures{}, err
	}
	return ImageFeatures{Tokens: out.VisionHidden, First: autograd.Select(out.Hidden, 1, 0), Text: out.Hidden}, nil
}

// ImageWidth is the width of BLIP's vision tower output.
func (b *BLIP) ImageWidth() int { return b.M.Config.VisionConfig.HiddenSize }

// Generate captions pixels starting from [DEC].
func (b *BLIP) Generate(pixels *tensor.Tensor, opts GenerateOptions) ([]string, error) {
	pixels, err := onDevice(b, pixels)
	if err != nil {
		return nil, fmt.Errorf("blip generate: %w", err)
	}
	res, err := b.M.Generate(pixels, nil, opts.apply(b.M.GenerateOptions()))
	if err != nil {
		return nil, fmt.Errorf("blip generate: %w", err)
	}
	return decodeAll(b.Tok, res.Sequences), nil
}

// Save writes the model folder.
func (b *BLIP) Save(dir string) error {
	if err := saveOnHost(b.NamedParams(), func() error { return b.M.Save(dir, 0) }); err != nil {
		return err
	}
	return writeSideFiles(dir, b.files, b.Tok, b.Proc, "BlipImageProcessor")
}

// checkProcessorSize checks that proc produces images of the vision
// tower's size.
func checkProcessorSize(p imageproc.Processor, size int) error {
	w, h := p.CropWidth, p.CropHeight
	if w == 0 || h == 0 {
		w, h = p.Width, p.Height
	}
	if w != size || h != size {
		return fmt.Errorf("image processor gives %dx%d images, the vision tower takes %dx%d", w, h, size, size)
	}
	return nil
}

// ModelDevice returns the device of m's parameters ("cpu" for a model on
// the host, or one without parameters).
func ModelDevice(m Model) string { return modelDeviceOf(m.NamedParams()) }

// MoveParams moves every parameter's value to device (an upload, or a
// download for "cpu"; parameters already there are left as they are) and
// drops their gradients, which would be on the old device.
func MoveParams(params []nn.NamedParam, device string) error {
	for _, p := range params {
		if p.Var == nil || p.Var.Value == nil || p.Var.Value.Device() == device {
			continue
		}
		v, err := p.Var.Value.ToDevice(device)
		if err != nil {
			return fmt.Errorf("move %s to %s: %w", p.Name, device, err)
		}
		p.Var.Value, p.Var.Grad = v, nil
	}
	return nil
}

// MoveModel moves m's parameters to device (see MoveParams); the model's
// Loss and Generate then move each batch's pixels there.
func MoveModel(m Model, device string) error {
	if err := MoveParams(m.NamedParams(), device); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// onDevice returns pixels on the device of m's parameters: an explicit
// upload of the batch (pixels already there are returned as they are).
func onDevice(m Model, pixels *tensor.Tensor) (*tensor.Tensor, error) {
	if pixels == nil {
		return nil, nil
	}
	d, dt := "cpu", pixels.DType()
	for _, p := range m.NamedParams() {
		if p.Var != nil && p.Var.Value != nil {
			d, dt = p.Var.Value.Device(), p.Var.Value.DType()
			break
		}
	}
	px := pixels
	if px.Device() != d {
		var err error
		if px, err = px.ToDevice(d); err != nil {
			return nil, fmt.Errorf("move the pixels to %s: %w", d, err)
		}
	}
	if d != "cpu" && (dt == tensor.F16 || dt == tensor.BF16) && px.DType() != dt {
		px = px.To(dt) // a half-precision model (fp16 training) takes half-precision pixels
	}
	return px, nil
}

// saveOnHost runs save with every parameter of params on the host: the
// values of a model on a device are downloaded, explicitly, for the
// writer (safetensors reads host memory), and put back afterwards.
func saveOnHost(params []nn.NamedParam, save func() error) error {
	saved := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		if p.Var == nil || p.Var.Value == nil || p.Var.Value.OnHost() {
			continue
		}
		h, err := p.Var.Value.ToDevice("cpu")
		if err != nil {
			return fmt.Errorf("download %s: %w", p.Name, err)
		}
		saved[i], p.Var.Value = p.Var.Value, h
	}
	defer func() {
		for i, p := range params {
			if saved[i] != nil {
				p.Var.Value = saved[i]
			}
		}
	}()
	return save()
}
