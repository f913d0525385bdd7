package pretrain

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"time"

	"radcap/autograd"
	"radcap/blip"
	"radcap/data"
	"radcap/data/synth"
	"radcap/gitmodel"
	"radcap/imageproc"
	"radcap/nn"
	"radcap/nn/optim"
	"radcap/tokenizer"
	"radcap/train"
)

// The models Run pretrains.
const (
	// GitSmall is the small GIT (GitForCausalLM) of models/git-small.
	GitSmall = "git-small"
	// BlipSmall is the small BLIP (BlipForConditionalGeneration) of
	// models/blip-small.
	BlipSmall = "blip-small"
)

// Options set up a pretraining run. Zero fields take the model's defaults
// (ModelOptions: DefaultOptions or DefaultBLIPOptions).
type Options struct {
	// Model names the model: GitSmall or BlipSmall.
	Model string
	// Out is the folder the checkpoint is written to (Hugging Face layout).
	Out string
	// Config replaces git-small's preset configuration (tests use a tiny
	// one); nil uses GitSmallConfig.
	Config *gitmodel.Config
	// BLIPConfig replaces blip-small's preset configuration; nil uses
	// BlipSmallConfig.
	BLIPConfig *blip.Config
	// Steps is the number of optimizer steps; the first TowerSteps of them
	// train with ITC and ITM only, the rest add the LM loss.
	Steps, TowerSteps int
	// Batch is the number of image-caption pairs per step.
	Batch int
	// LR is the peak learning rate of the tower stage and LMLR that of the
	// LM stage; each stage warms up linearly over Warmup steps and then
	// decays to 0 along a cosine. WeightDecay is AdamW's (not on biases and
	// LayerNorms).
	LR, LMLR    float64
	Warmup      int
	WeightDecay float64
	// MaxLength truncates captions (tokens, [CLS] and [SEP] included).
	MaxLength int
	// EmbedDim is the width of the ITC space.
	EmbedDim int
	// NoAttributes leaves out the image-level attribute loss (binary cross
	// entropy on each shape's kind, size and brightness per position).
	NoAttributes bool
	// Seed selects the initial weights and the data.
	Seed uint64
	// LogEvery is the number of steps between progress lines on Log
	// (nil: no log); SaveEvery > 0 also writes the checkpoint every that
	// many steps, so a long run can be stopped and still leave one.
	LogEvery, SaveEvery int
	Log                 io.Writer
}

// DefaultOptions returns the settings that made the shipped git-small.
func DefaultOptions() Options {
	return Options{
		Model: "git-small", Steps: 1400, TowerSteps: 900, Batch: 32,
		LR: 1e-3, LMLR: 5e-4, Warmup: 50, WeightDecay: 0.01, MaxLength: 32, EmbedDim: 64,
		Seed: 1, LogEvery: 25,
	}
}

// shapeRegions are the boxes of the shapes set's positions, in the order
// of synth.ShapeTargets' blocks: upper left, upper right, lower left,
// lower right, centre.
func shapeRegions() [][4]float64 {
	return [][4]float64{{0, 0, 0.5, 0.5}, {0.5, 0, 1, 0.5}, {0, 0.5, 0.5, 1}, {0.5, 0.5, 1, 1}, {0.25, 0.25, 0.75, 0.75}}
}

// Result summarises a run.
type Result struct {
	// Steps is the number of optimizer steps taken.
	Steps int
	// First and Last are the mean loss terms over the first and the last
	// LogEvery steps (or fewer) of the LM stage (of the whole run when it
	// has no LM stage).
	First, Last Terms
	// Duration is the wall-clock time of the run.
	Duration time.Duration
}

// Terms are mean loss terms (NaN when not computed).
type Terms struct {
	ITC, ITM, Attr, DecoderAttr, LM float64
}

// ModelOptions returns the default settings of the named model:
// DefaultOptions for git-small, DefaultBLIPOptions for blip-small.
func ModelOptions(model string) (Options, error) {
	switch model {
	case GitSmall:
		return DefaultOptions(), nil
	case BlipSmall:
		return DefaultBLIPOptions(), nil
	}
	return Options{}, fmt.Errorf("pretrain: unknown model %q (want %s or %s)", model, GitSmall, BlipSmall)
}

// fill puts the model's default values (DefaultOptions, or
// DefaultBLIPOptions for blip-small) into o's zero fields.
func (o Options) fill() Options {
	d := DefaultOptions()
	if o.Model == BlipSmall {
		d = DefaultBLIPOptions()
	}
	if o.Model == "" {
		o.Model = d.Model
	}
	if o.Steps == 0 {
		o.Steps, o.TowerSteps = d.Steps, d.TowerSteps
	}
	if o.Batch == 0 {
		o.Batch = d.Batch
	}
	if o.LR == 0 {
		o.LR = d.LR
	}
	if o.LMLR == 0 {
		o.LMLR = d.LMLR
	}
	if o.MaxLength == 0 {
		o.MaxLength = d.MaxLength
	}
	if o.EmbedDim == 0 {
		o.EmbedDim = d.EmbedDim
	}
	if o.LogEvery == 0 {
		o.LogEvery = d.LogEvery
	}
	return o
}

// validate checks the filled options.
func (o Options) validate() error {
	switch {
	case o.Model != GitSmall && o.Model != BlipSmall:
		return fmt.Errorf("pretrain: unknown model %q (want %s or %s)", o.Model, GitSmall, BlipSmall)
	case o.Out == "":
		return fmt.Errorf("pretrain: no output folder")
	case o.Steps < 1 || o.TowerSteps < 0 || o.TowerSteps > o.Steps:
		return fmt.Errorf("pretrain: steps %d and tower steps %d: want steps >= 1 and 0 <= tower steps <= steps", o.Steps, o.TowerSteps)
	case o.Batch < 2:
		return fmt.Errorf("pretrain: batch %d: contrastive losses need at least 2 pairs", o.Batch)
	case !(o.LR > 0) || math.IsInf(o.LR, 0) || !(o.LMLR > 0) || math.IsInf(o.LMLR, 0) || o.WeightDecay < 0 || o.Warmup < 0:
		return fmt.Errorf("pretrain: learning rates %v, %v, weight decay %v, warmup %d out of range", o.LR, o.LMLR, o.WeightDecay, o.Warmup)
	case o.MaxLength < 3 || o.MaxLength > maxTextPositions:
		return fmt.Errorf("pretrain: max length %d outside [3, %d]", o.MaxLength, maxTextPositions)
	case o.EmbedDim < 1 || o.LogEvery < 1 || o.SaveEvery < 0:
		return fmt.Errorf("pretrain: embed dim %d, log every %d, save every %d out of range", o.EmbedDim, o.LogEvery, o.SaveEvery)
	}
	return nil
}

// Run pretrains the model of o and writes its checkpoint to o.Out.
func Run(o Options) (*Result, error) {
	o = o.fill()
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Model == BlipSmall {
		return runBLIP(o)
	}
	cfg := GitSmallConfig()
	if o.Config != nil {
		cfg = *o.Config
	}
	if o.MaxLength > cfg.MaxPositionEmbeddings {
		return nil, fmt.Errorf("pretrain: max length %d exceeds the model's %d positions", o.MaxLength, cfg.MaxPositionEmbeddings)
	}
	start := time.Now()
	model, err := gitmodel.New(cfg, o.Seed)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	model.SetTraining(true)
	heads, err := newGITHeads(model, o.EmbedDim, shapeRegions(), synth.NumShapeTargets/len(shapeRegions()), o.Seed+7)
	if err != nil {
		return nil, err
	}
	g := &gitTrainer{model: model, heads: heads, rng: rand.New(rand.NewPCG(o.Seed, 0x17c)), attrs: !o.NoAttributes}
	stepper, err := newStepper(o, append(model.NamedParams(), heads.NamedParams()...))
	if err != nil {
		return nil, err
	}
	loader, sample, err := shapesData(o, cfg.Vision.ImageSize, data.CLIPProcessor(cfg.Vision.ImageSize))
	if err != nil {
		return nil, err
	}
	heads.initBiases(sample)
	res, err := trainLoop(o, start, loader, stepper, g.step, func() error { return SaveGIT(model, o.Out) })
	if err != nil {
		return nil, err
	}
	res.Duration = time.Since(start)
	card := modelCard(o, cfg, model.NamedParams(), res)
	if err := nn.WriteFileAtomic(filepath.Join(o.Out, "README.md"), []byte(card)); err != nil {
		return nil, fmt.Errorf("pretrain: model card: %w", err)
	}
	return res, nil
}

// newStepper returns the optimizer step of a run over params: AdamW with
// o.WeightDecay (none on biases, LayerNorms and the ITC temperature),
// gradient clipping at 1 and the staged learning-rate schedule.
func newStepper(o Options, named []nn.NamedParam) (*train.Stepper, error) {
	var params []optim.Param
	for _, p := range named {
		params = append(params, optim.Param{Name: p.Name, Var: p.Var})
	}
	opt, err := optim.NewAdamW(optim.TrainerGroups(params, o.WeightDecay, func(n string) bool {
		return optim.NoDecay(n) || n == "temp"
	}), optim.DefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	sched, err := stagedSchedule(o)
	if err != nil {
		return nil, err
	}
	stepper, err := train.NewStepper(opt, params, train.StepConfig{AccumulationSteps: 1, MaxGradNorm: 1, BaseLR: o.LR, Schedule: sched})
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	return stepper, nil
}

// shapesData returns a loader over the shapes set at size pixels
// (preprocessed by proc, captions tokenized with BERT's vocabulary) and
// the attribute targets of 512 examples from the far end of the set,
// which training never reaches, for the heads' initial biases.
func shapesData(o Options, size int, proc imageproc.Processor) (*data.Loader, [][]float32, error) {
	shapes, err := synth.NewShapes(synth.ShapesConfig{Seed: o.Seed, Size: size})
	if err != nil {
		return nil, nil, fmt.Errorf("pretrain: %w", err)
	}
	loader, err := data.NewLoader(shapes, data.LoaderOptions{
		BatchSize: o.Batch, Processor: proc,
		Tokenizer: tokenizer.BertBaseUncased(), MaxLength: o.MaxLength, Workers: 1, Prefetch: 2,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("pretrain: %w", err)
	}
	sample := make([][]float32, 0, 512)
	for i := range 512 {
		ex, err := shapes.Sample(shapes.Len() - 1 - i) // from the far end: not trained on
		if err != nil {
			return nil, nil, fmt.Errorf("pretrain: %w", err)
		}
		sample = append(sample, synth.ShapeTargets(ex.Shapes))
	}
	return loader, sample, nil
}

// trainLoop takes o.Steps optimizer steps on the batches of loader's
// first epoch: step computes a batch's losses (with the LM loss from step
// o.TowerSteps on), the stepper applies their sum's gradients. It logs
// every o.LogEvery steps, calls save every o.SaveEvery steps (before the
// last) and at the end, and returns the steps taken and the mean loss
// terms (Result.Duration is left to the caller).
func trainLoop(o Options, start time.Time, loader *data.Loader, stepper *train.Stepper, step func(*data.Batch, bool) (losses, error), save func() error) (*Result, error) {
	epoch := loader.Epoch(0)
	defer epoch.Close()

	res := &Result{}
	var acc meanTerms
	for s := range o.Steps {
		batch, err := epoch.Next()
		if err != nil {
			return nil, fmt.Errorf("pretrain: step %d: %w", s, err)
		}
		lm := s >= o.TowerSteps
		tp := autograd.NewTape()
		ls, err := step(batch, lm)
		if err != nil {
			return nil, fmt.Errorf("pretrain: step %d: %w", s, err)
		}
		info, err := stepper.Backward(tp, ls.total())
		if err != nil {
			return nil, fmt.Errorf("pretrain: step %d: %w", s, err)
		}
		if math.IsNaN(info.Loss) || math.IsInf(info.Loss, 0) {
			return nil, fmt.Errorf("pretrain: step %d: loss is %v", s, info.Loss)
		}
		acc.add(ls)
		res.Steps = s + 1
		lmStart := o.TowerSteps
		if lmStart == o.Steps {
			lmStart = 0
		}
		if s+1 == lmStart+min(o.LogEvery, o.Steps-lmStart) {
			res.First = acc.mean()
		}
		if (s+1)%o.LogEvery == 0 || s+1 == o.Steps {
			res.Last = acc.mean()
			if o.Log != nil {
				t := acc.mean()
				fmt.Fprintf(o.Log, "step %d/%d  itc %.4f  itm %.4f  attr %.4f  dec-attr %.4f  lm %.4f  lr %.2e  grad %.3f  %s\n",
					s+1, o.Steps, t.ITC, t.ITM, t.Attr, t.DecoderAttr, t.LM, info.LR, info.GradNorm, time.Since(start).Round(time.Second))
			}
			acc = meanTerms{}
		}
		if o.SaveEvery > 0 && (s+1)%o.SaveEvery == 0 && s+1 < o.Steps {
			if err := save(); err != nil {
				return nil, err
			}
		}
	}
	if err := save(); err != nil {
		return nil, err
	}
	return res, nil
}

// stagedSchedule is the learning-rate multiplier of BaseLR = o.LR: a
// warmup and cosine decay over the tower stage, then another over the LM
// stage scaled to o.LMLR.
func stagedSchedule(o Options) (optim.Schedule, error) {
	tower := int64(o.TowerSteps)
	lmSteps := int64(o.Steps) - tower
	s1, err := optim.CosineWarmup(min(int64(o.Warmup), tower), max(tower, 1), 0.5)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	s2, err := optim.CosineWarmup(min(int64(o.Warmup), lmSteps), max(lmSteps, 1), 0.5)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	ratio := o.LMLR / o.LR
	return func(step int64) float64 {
		if step < tower {
			return s1(step)
		}
		return ratio * s2(step-tower)
	}, nil
}

// meanTerms accumulates loss terms for a mean.
type meanTerms struct {
	itc, itm, attr, dattr, lm float64
	n, nITM, nAttr, nLM       int
}

func (m *meanTerms) add(l losses) {
	m.n++
	if l.itc != nil {
		m.itc += l.itc.Item()
	}
	if l.itm != nil {
		m.itm += l.itm.Item()
		m.nITM++
	}
	if l.attr != nil {
		m.attr += l.attr.Item()
		m.dattr += l.dattr.Item()
		m.nAttr++
	}
	if l.lm != nil {
		m.lm += l.lm.Item()
		m.nLM++
	}
}

func (m *meanTerms) mean() Terms {
	t := Terms{ITC: math.NaN(), ITM: math.NaN(), Attr: math.NaN(), DecoderAttr: math.NaN(), LM: math.NaN()}
	if m.nAttr > 0 {
		t.Attr = m.attr / float64(m.nAttr)
		t.DecoderAttr = m.dattr / float64(m.nAttr)
	}
	if m.n > 0 {
		t.ITC = m.itc / float64(m.n)
	}
	if m.nITM > 0 {
		t.ITM = m.itm / float64(m.nITM)
	}
	if m.nLM > 0 {
		t.LM = m.lm / float64(m.nLM)
	}
	return t
}
