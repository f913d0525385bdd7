package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"radcap/autograd"
	"radcap/data"
	"radcap/eval"
	"radcap/nn"
	"radcap/nn/optim"
)

// Splits are the three data splits of a run.
type Splits struct {
	Train, Validation, Test data.Dataset
}

// RunOptions are the parts of a run that are not settings.
type RunOptions struct {
	// Progress receives the progress bar or lines (nil: silent).
	Progress *Progress
	// Resume continues from the newest checkpoint in Config.OutDir.
	Resume bool
	// afterStep, in tests, runs after every optimizer step; an error
	// abandons the run on the spot, as a SIGKILL would.
	afterStep func(step int64) error
}

// ErrInterrupted is returned (wrapped) when the context is cancelled: the
// run saved a checkpoint and can be resumed.
var ErrInterrupted = errors.New("training interrupted")

// Result is what a finished run reports.
type Result struct {
	// Base and Tuned are the test evaluations of the base model and of the
	// fine-tuned best checkpoint.
	Base, Tuned *EvalResult
	// Best is the best validation evaluation.
	Best *EvalResult
	// Table has the rows "<model>" and "<model> fine-tuned" with the
	// reference run's columns and Finding F1.
	Table *eval.Table
	// Steps is the number of optimizer steps taken, Seconds the training
	// time (evaluations excluded).
	Steps   int64
	Seconds float64
	OutDir  string
}

// runner is the state of one Run call.
type runner struct {
	cfg     Config
	m       Model
	splits  Splits
	opts    RunOptions
	ctx     context.Context
	opt     *optim.AdamW
	stepper *Stepper
	st      *TrainerState
	pcg     *rand.PCG    // the dropout generator's source
	aux     *FindingHead // the auxiliary finding objective, or nil
	half    *halfMaster  // fp16 on a device, or nil
	start   time.Time
}

// Run fine-tunes m on splits.Train as cfg says: the base model is scored
// on the test split first; every epoch ends with a validation (loss and
// generated-caption metrics) and a checkpoint; the best validation's
// weights are kept in OutDir/best; at the end they are scored on the test
// split, and results.json, log.jsonl and report.html are written.
//
// Cancelling ctx stops after the current optimizer step (or evaluation
// batch), saves a checkpoint and returns an error wrapping ErrInterrupted;
// RunOptions.Resume continues such a run, or one killed outright, from its
// newest checkpoint, ending with the same parameters as an uninterrupted
// run on the same number of threads.
func Run(ctx context.Context, cfg Config, m Model, splits Splits, opts RunOptions) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if splits.Train == nil || splits.Validation == nil || splits.Test == nil {
		return nil, errors.New("train: need train, validation and test splits")
	}
	if splits.Train.Len() == 0 || splits.Validation.Len() == 0 || splits.Test.Len() == 0 {
		return nil, fmt.Errorf("train: empty split (train %d, validation %d, test %d examples)",
			splits.Train.Len(), splits.Validation.Len(), splits.Test.Len())
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("train: output folder: %w", err)
	}
	r := &runner{cfg: cfg, m: m, splits: splits, opts: opts, ctx: ctx, start: time.Now()}
	if err := r.setup(); err != nil {
		return nil, err
	}
	return r.train()
}

// setup builds the optimizer and either a fresh state or the newest
// checkpoint's.
func (r *runner) setup() error {
	named := r.m.NamedParams()
	if r.cfg.AuxFindings > 0 {
		if err := r.setupAux(); err != nil {
			return err
		}
		named = append(named, r.aux.NamedParams()...)
	}
	if err := ApplyPrecision(r.cfg, r.m, r.aux); err != nil {
		return err
	}
	// The parameters live on the device from here on; the optimizer makes
	// its moments beside them.
	if err := MoveParams(named, r.cfg.Device); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	params := make([]optim.Param, len(named))
	for i, p := range named {
		params[i] = optim.Param{Name: p.Name, Var: p.Var}
	}
	if r.cfg.Precision == "fp16" {
		// The optimizer steps float32 masters; the model runs in float16.
		var err error
		if r.half, err = newHalfMaster(named); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		params = r.half.optimParams()
	}
	mods := r.m.NoDecayModules()
	groups := optim.TrainerGroups(params, r.cfg.WeightDecay, func(n string) bool { return optim.NoDecay(n, mods...) })
	var err error
	if r.opt, err = optim.NewAdamW(groups, optim.DefaultOptions()); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	sched, err := optim.LinearWarmup(int64(r.cfg.WarmupSteps), r.totalSteps())
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	r.stepper, err = NewStepper(r.opt, params, StepConfig{
		AccumulationSteps: r.cfg.Accumulation, MaxGradNorm: r.cfg.MaxGradNorm, BaseLR: r.cfg.LR, Schedule: sched,
	})
	if err != nil {
		return err
	}
	r.stepper.half = r.half
	r.pcg = newDropoutRNG(r.m, r.cfg.Seed)
	dirs, _, err := checkpoints(r.cfg.OutDir)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if !r.opts.Resume {
		if len(dirs) > 0 {
			return fmt.Errorf("train: %s already holds checkpoints (%s); pass --resume to continue that run or choose another output folder",
				r.cfg.OutDir, filepath.Base(dirs[len(dirs)-1]))
		}
		r.st = &TrainerState{Evaluated: -1, BestStep: -1, Config: r.cfg}
		return writeLog(r.cfg.OutDir, nil)
	}
	if len(dirs) == 0 {
		return fmt.Errorf("train: --resume: no checkpoint in %s", r.cfg.OutDir)
	}
	dir := dirs[len(dirs)-1]
	if err := r.withMasters(func() error {
		var err error
		if r.st, err = loadCheckpointInto(dir, r.m, r.opt); err != nil {
			return err
		}
		if r.aux != nil {
			if err := r.aux.load(dir); err != nil {
				return fmt.Errorf("resume from %s: %w", dir, err)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if r.half != nil && r.st.LossScale != nil {
		if err := r.half.scaler.SetState(*r.st.LossScale); err != nil {
			return fmt.Errorf("resume from %s: %w", dir, err)
		}
	}
	// The checkpoint's weights were loaded on the host: upload them (the
	// optimizer's moments are uploaded beside their parameters).
	if err := MoveParams(named, r.cfg.Device); err != nil {
		return fmt.Errorf("resume from %s: %w", dir, err)
	}
	if err := r.pcg.UnmarshalBinary(r.st.DropoutRNG); err != nil {
		return fmt.Errorf("resume from %s: dropout generator state: %w", dir, err)
	}
	r.st.Config = r.cfg
	r.opts.Progress.Line("resumed from %s (step %d, epoch %d, batch %d)", dir, r.st.Step, r.st.Epoch, r.st.Batch)
	return writeLog(r.cfg.OutDir, r.st.History)
}

// stepsPerEpoch is the number of optimizer steps in an epoch: an epoch's
// last, incomplete accumulation cycle steps too.
func (r *runner) stepsPerEpoch() int64 {
	nb := (r.splits.Train.Len() + r.cfg.BatchSize - 1) / r.cfg.BatchSize
	return int64((nb + r.cfg.Accumulation - 1) / r.cfg.Accumulation)
}

// totalSteps is the length of the schedule and of the run.
func (r *runner) totalSteps() int64 {
	if r.cfg.MaxSteps > 0 {
		return int64(r.cfg.MaxSteps)
	}
	return int64(r.cfg.Epochs) * r.stepsPerEpoch()
}

// log records an entry in the history and log.jsonl.
func (r *runner) log(e LogEntry) error {
	e.Time = time.Since(r.start).Seconds()
	if e.Result != nil {
		slim := *e.Result
		slim.IDs, slim.Predictions, slim.References = nil, nil, nil
		e.Result = &slim
	}
	r.st.History = append(r.st.History, e)
	if err := appendLog(r.cfg.OutDir, e); err != nil {
		return fmt.Errorf("train: log: %w", err)
	}
	return nil
}

// train runs the epochs and the final evaluation.
func (r *runner) train() (*Result, error) {
	if r.st.Base == nil {
		base, err := r.evaluate(r.splits.Test, "test", "base model on test", false)
		if err != nil {
			return nil, r.interrupted(err, false)
		}
		r.st.Base = base
		if err := r.log(LogEntry{Kind: "test", Model: r.cfg.Model, Result: base, Loss: base.Loss}); err != nil {
			return nil, err
		}
	}
	loader, err := data.NewLoader(r.splits.Train, data.LoaderOptions{
		BatchSize: r.cfg.BatchSize, Shuffle: true, Seed: r.cfg.Seed, Processor: r.m.Processor(),
		Tokenizer: r.m.Tokenizer(), MaxLength: r.cfg.MaxLength, Workers: r.cfg.Workers,
	})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	total := r.totalSteps()
	r.opts.Progress.Line("training %s: %d examples, %d batches of %d per epoch, %d optimizer steps (accumulation %d), lr %g",
		r.cfg.Model, r.splits.Train.Len(), loader.NumBatches(), r.cfg.BatchSize, total, r.cfg.Accumulation, r.cfg.LR)
	for r.st.Epoch < r.cfg.Epochs && (r.st.Step < total || r.st.Evaluated < r.st.Epoch && r.st.Batch > 0) {
		if err := r.epoch(loader, total); err != nil {
			return nil, err
		}
	}
	return r.finish()
}

// epoch trains the rest of epoch r.st.Epoch, validates and checkpoints.
func (r *runner) epoch(loader *data.Loader, total int64) error {
	epoch, nb := r.st.Epoch, loader.NumBatches()
	r.m.SetTraining(!r.cfg.NoDropout)
	stream := newBatchStream(loader, epoch, r.st.Batch, r.cfg.Workers)
	defer stream.Close()
	var lossSum, auxSum float64
	var lossN, images int
	since := time.Now()
	for r.st.Batch < nb && r.st.Step < total {
		b, _, err := stream.Next()
		if err != nil {
			return fmt.Errorf("train: epoch %d: %w", epoch, err)
		}
		t0 := time.Now()
		tp := autograd.NewTape()
		loss, auxLoss, err := r.loss(b)
		if err != nil {
			return fmt.Errorf("train: epoch %d batch %d: %w", epoch, b.Index, err)
		}
		auxSum += auxLoss
		info, err := r.stepper.Backward(tp, loss)
		if err != nil {
			return err
		}
		r.st.Batch++
		if r.st.Batch == nb && !info.Stepped {
			loss := info.Loss
			if info, err = r.stepper.Flush(); err != nil {
				return err
			}
			info.Loss = loss
		}
		r.st.Seconds += time.Since(t0).Seconds()
		if math.IsNaN(info.Loss) || math.IsInf(info.Loss, 0) {
			return fmt.Errorf("train: epoch %d batch %d: loss is %v; lower the learning rate", epoch, b.Index, info.Loss)
		}
		lossSum += info.Loss
		lossN++
		images += b.Len()
		if !info.Stepped {
			continue
		}
		r.st.Step++
		ep := float64(epoch) + float64(r.st.Batch)/float64(nb)
		elapsed := time.Since(since).Seconds()
		ips := float64(images) / math.Max(elapsed, 1e-9)
		eta := time.Duration(r.st.Seconds / float64(r.st.Step) * float64(total-r.st.Step) * float64(time.Second))
		logged := r.cfg.LogEvery > 0 && (r.st.Step%int64(r.cfg.LogEvery) == 0 || r.st.Step == 1 || r.st.Step == total)
		r.opts.Progress.Step(r.st.Step, total, ep, lossSum/float64(lossN), info.LR, ips, eta, logged)
		if logged {
			if err := r.log(LogEntry{Kind: "train", Step: r.st.Step, Epoch: ep, Loss: lossSum / float64(lossN),
				LR: info.LR, GradNorm: info.GradNorm, ImagesPerSec: ips, AuxLoss: auxSum / float64(lossN)}); err != nil {
				return err
			}
			lossSum, auxSum, lossN, images, since = 0, 0, 0, 0, time.Now()
		}
		if r.cfg.SaveSteps > 0 && r.st.Step%int64(r.cfg.SaveSteps) == 0 && r.st.Batch < nb {
			if err := r.checkpoint(); err != nil {
				return err
			}
		}
		if r.opts.afterStep != nil {
			if err := r.opts.afterStep(r.st.Step); err != nil {
				return err
			}
		}
		if err := r.ctx.Err(); err != nil {
			return r.interrupted(err, true)
		}
	}
	stream.Close()
	// The epoch's training is done (or the run's last step reached):
	// validate, keep the best, checkpoint.
	val, err := r.evaluate(r.splits.Validation, "validation", fmt.Sprintf("validation after epoch %d", epoch+1), r.cfg.SkipMETEOR)
	if err != nil {
		return r.interrupted(err, true)
	}
	if err := r.log(LogEntry{Kind: "eval", Step: r.st.Step, Epoch: float64(epoch + 1), Loss: val.Loss, Result: val}); err != nil {
		return err
	}
	if err := r.keepBest(val); err != nil {
		return err
	}
	r.st.Evaluated = epoch
	r.st.Epoch, r.st.Batch = epoch+1, 0
	return r.checkpoint()
}

// evaluate scores the current weights on a split.
func (r *runner) evaluate(ds data.Dataset, split, what string, skipMETEOR bool) (*EvalResult, error) {
	res, err := Evaluate(r.ctx, r.m, ds, split, EvalOptions{
		BatchSize: r.cfg.EvalBatchSize, Loss: true, Captions: true, Generate: r.cfg.Generate,
		MaxLength: r.cfg.MaxLength, Limit: r.cfg.EvalLimit, Workers: r.cfg.Workers, SkipMETEOR: skipMETEOR,
		Progress: func(done, total int) { r.opts.Progress.Eval(what, done, total) },
	})
	if err != nil {
		return nil, err
	}
	r.opts.Progress.Line("%s: loss %.4f  ROUGE-L %.4f  BLEU %.4f  finding F1 %.4f  (%.1fs)",
		what, res.Loss, res.Scores.ROUGEL, res.Scores.BLEU, res.FindingF1, res.Seconds)
	return res, nil
}

// keepBest saves the weights to OutDir/best when val beats the best so far.
func (r *runner) keepBest(val *EvalResult) error {
	v, err := val.Metric(r.cfg.BestMetric)
	if err != nil {
		return err
	}
	// A caption metric that ties the best so far (0 early on, say) is
	// broken by the validation loss.
	better := r.st.BestStep < 0 || (r.cfg.BestMetric == "loss" && v < r.st.BestMetric) ||
		(r.cfg.BestMetric != "loss" && (v > r.st.BestMetric || v == r.st.BestMetric && val.Loss < r.st.BestLoss))
	if !better {
		return nil
	}
	if err := r.withMasters(func() error { return writeDirAtomic(filepath.Join(r.cfg.OutDir, bestDir), r.m.Save) }); err != nil {
		return fmt.Errorf("train: save best model: %w", err)
	}
	r.st.BestMetric, r.st.BestStep, r.st.BestLoss = v, r.st.Step, val.Loss
	r.opts.Progress.Line("new best %s %.4f at step %d, saved to %s", r.cfg.BestMetric, v, r.st.Step, filepath.Join(r.cfg.OutDir, bestDir))
	return nil
}

// checkpoint writes the state and prunes old checkpoints.
func (r *runner) checkpoint() error {
	st, err := r.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: dropout generator state: %w", err)
	}
	r.st.DropoutRNG = st
	if r.half != nil {
		ls := r.half.scaler.State()
		r.st.LossScale = &ls
	}
	var auxParams []nn.NamedParam
	if r.aux != nil {
		auxParams = r.aux.NamedParams()
	}
	if err := r.withMasters(func() error {
		// The auxiliary head's writer reads host memory: its parameters
		// are downloaded for it (the model's Save downloads its own).
		return saveOnHost(auxParams, func() error {
			_, err := saveCheckpoint(r.cfg.OutDir, r.m, r.opt, r.st, r.aux)
			return err
		})
	}); err != nil {
		return err
	}
	return pruneCheckpoints(r.cfg.OutDir, r.cfg.SaveTotalLimit)
}

// interrupted turns a cancelled context into ErrInterrupted, saving a
// checkpoint first when save is set; other errors pass through.
func (r *runner) interrupted(err error, save bool) error {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if !save || r.st.Step == 0 && r.st.Batch == 0 {
		return fmt.Errorf("%w before any training step; nothing to save", ErrInterrupted)
	}
	if err := r.checkpoint(); err != nil {
		return fmt.Errorf("%w, and the checkpoint failed: %v", ErrInterrupted, err)
	}
	return fmt.Errorf("%w at step %d: checkpoint saved in %s; continue with --resume", ErrInterrupted, r.st.Step, r.cfg.OutDir)
}

// setupAux creates the auxiliary finding head; the model must expose its
// image tokens and the training data must carry finding targets.
func (r *runner) setupAux() error {
	il, ok := r.m.(ImageLosser)
	if !ok {
		return fmt.Errorf("train: the auxiliary finding objective needs a model that exposes its image tokens (%s does not)", r.m.Arch())
	}
	ex, err := r.splits.Train.Item(0)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if len(ex.Targets) == 0 {
		return errors.New("train: the auxiliary finding objective needs data with known findings (the synthetic set); set its weight to 0")
	}
	r.aux, err = newFindingHead(il.ImageTokens(), il.ImageWidth(), il.TextWidth(), len(ex.Targets), r.cfg.AuxFindings, r.cfg.AuxPool, r.cfg.Seed+7)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	targets, err := trainTargets(r.splits.Train, r.cfg.Workers)
	if err != nil {
		return fmt.Errorf("train: class priors: %w", err)
	}
	if err := r.aux.SetPriors(targets); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// loss is a micro-batch's training loss: the caption loss, plus the
// auxiliary finding loss when it is on (returned also on its own).
func (r *runner) loss(b *data.Batch) (*autograd.Var, float64, error) {
	if r.aux == nil {
		loss, err := r.m.Loss(b)
		return loss, 0, err
	}
	il := r.m.(ImageLosser)
	if r.st.Step < int64(r.cfg.AuxOnlySteps) {
		img, err := il.Image(b)
		if err != nil {
			return nil, 0, err
		}
		aux, err := r.aux.Loss(img, b.Targets)
		if err != nil {
			return nil, 0, err
		}
		a, err := hostScalar(aux.Value)
		return aux, a, err
	}
	loss, img, err := il.LossAndImage(b)
	if err != nil {
		return nil, 0, err
	}
	aux, err := r.aux.Loss(img, b.Targets)
	if err != nil {
		return nil, 0, err
	}
	a, err := hostScalar(aux.Value)
	return autograd.Add(loss, aux), a, err
}

// withMasters runs f with the model holding its float32 master weights
// when it trains in fp16 (saving or loading them); otherwise it just runs
// f.
func (r *runner) withMasters(f func() error) error {
	if r.half == nil {
		return f()
	}
	return r.half.withMasters(f)
}
