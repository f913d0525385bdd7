package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"radcap/train"
)

// finetuneConfig holds the flags of `radcap finetune`.
type finetuneConfig struct {
	model, data, output string
	cfg                 train.Config
	synth               train.SynthOptions
	resume              bool
	progress            string
}

// finetuneFlags defines the flags on c, whose values are the defaults.
func finetuneFlags(c *finetuneConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("finetune", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	t := &c.cfg
	fs.StringVar(&c.model, "model", c.model, "base model: a Hugging Face model `DIR`, git-small or blip-small (shipped), git-base or blip-base (random weights)")
	fs.StringVar(&c.data, "data", c.data, "data: a ROCO checkout or a folder with train/, validation/, test/ caption files (`DIR`), or synthetic")
	fs.StringVar(&c.output, "output", c.output, "output `DIR` for checkpoints, best/, log.jsonl, results.json and report.html (empty: runs/<model>-<UTC time>)")
	fs.BoolVar(&c.resume, "resume", c.resume, "continue the run in --output from its newest checkpoint")
	fs.IntVar(&t.Epochs, "epochs", t.Epochs, "training epochs")
	fs.IntVar(&t.BatchSize, "batch-size", t.BatchSize, "training batch size")
	fs.IntVar(&t.EvalBatchSize, "eval-batch-size", t.EvalBatchSize, "evaluation batch size")
	fs.IntVar(&t.Accumulation, "grad-accum", t.Accumulation, "gradient accumulation steps")
	fs.Float64Var(&t.LR, "lr", t.LR, "peak learning rate (AdamW)")
	fs.Float64Var(&t.WeightDecay, "weight-decay", t.WeightDecay, "AdamW decoupled weight decay")
	fs.IntVar(&t.WarmupSteps, "warmup-steps", t.WarmupSteps, "linear warm-up steps (then linear decay to 0)")
	fs.Float64Var(&t.MaxGradNorm, "max-grad-norm", t.MaxGradNorm, "clip gradients to this global norm (0: no clipping)")
	fs.IntVar(&t.MaxSteps, "max-steps", t.MaxSteps, "stop after this many optimizer steps (0: run all epochs)")
	fs.Uint64Var(&t.Seed, "seed", t.Seed, "random seed (data order, dropout)")
	fs.IntVar(&t.MaxLength, "max-length", t.MaxLength, "truncate training captions to this many tokens")
	fs.StringVar(&t.Precision, "precision", t.Precision, "fp32, bf16 or fp16; bf16 is mixed precision as torch.autocast runs it (bfloat16 matrix products, float32 weights and optimizer), on the CPU a numerics mode slower than fp32; fp16 needs --device cuda")
	fs.StringVar(&t.Device, "device", t.Device, "cpu or cuda")
	fs.IntVar(&t.Generate.Beams, "beams", t.Generate.Beams, "beam width of evaluation captions (1: greedy)")
	fs.IntVar(&t.Generate.MaxNewTokens, "max-new-tokens", t.Generate.MaxNewTokens, "maximum caption length in tokens")
	fs.IntVar(&t.EvalLimit, "eval-limit", t.EvalLimit, "evaluate only the first N validation and test images (0: all)")
	fs.StringVar(&t.BestMetric, "best-metric", t.BestMetric, "validation metric that picks the best checkpoint: loss, rouge1, rouge2, rougeL, rougeLsum, bleu, meteor, finding_f1")
	fs.BoolVar(&t.SkipMETEOR, "skip-meteor-validation", t.SkipMETEOR, "leave METEOR out of the per-epoch validation (test always has it)")
	fs.IntVar(&t.LogEvery, "log-every", t.LogEvery, "log every N optimizer steps")
	fs.IntVar(&t.SaveSteps, "save-steps", t.SaveSteps, "also checkpoint every N optimizer steps (0: at the end of each epoch only)")
	fs.IntVar(&t.SaveTotalLimit, "save-total-limit", t.SaveTotalLimit, "keep this many newest checkpoints")
	fs.Float64Var(&t.AuxFindings, "aux-findings", t.AuxFindings, "weight of an auxiliary image-level finding loss (data with known findings only: synthetic); 0: off, as in the reference run")
	fs.StringVar(&t.AuxPool, "aux-pool", t.AuxPool, "features the auxiliary finding head reads: mean (image tokens averaged, standardised over the batch), avg (averaged, as they are), flat (image tokens concatenated, positions kept), first (the decoder output at the first caption position), or several joined by +")
	fs.IntVar(&t.AuxOnlySteps, "aux-only-steps", t.AuxOnlySteps, "train the first N optimizer steps on the auxiliary finding loss alone (no caption loss)")
	fs.BoolVar(&t.NoDropout, "no-dropout", t.NoDropout, "train with dropout off")
	fs.IntVar(&t.Workers, "workers", t.Workers, "goroutines preparing batches (0: 2)")
	fs.IntVar(&t.Samples, "report-samples", t.Samples, "test images shown in report.html")
	fs.IntVar(&c.synth.Size, "synth-size", c.synth.Size, "synthetic set: image size in pixels")
	fs.IntVar(&c.synth.Train, "synth-train", c.synth.Train, "synthetic set: training images (0: 1700)")
	fs.IntVar(&c.synth.Validation, "synth-validation", c.synth.Validation, "synthetic set: validation images (0: 200)")
	fs.IntVar(&c.synth.Test, "synth-test", c.synth.Test, "synthetic set: test images (0: 200)")
	fs.Uint64Var(&c.synth.Seed, "synth-seed", c.synth.Seed, "synthetic set: seed")
	fs.StringVar(&c.progress, "progress", c.progress, "progress display: auto (a bar on a terminal), bar, lines or none")
	return fs
}

// defaultFinetune returns the flag defaults: the reference run's settings
// with the built-in run's model, data and output.
func defaultFinetune() finetuneConfig {
	return finetuneConfig{model: "git-small", data: "synthetic", output: "", cfg: train.Reference(),
		synth: train.SmallPresetSynth(), progress: "auto"}
}

// presetFinetune returns the built-in preset for the shipped small models.
func presetFinetune() finetuneConfig {
	c := defaultFinetune()
	c.cfg = train.SmallPreset()
	return c
}

func finetuneUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: radcap finetune [flags]

Fine-tunes a captioning model (GIT or BLIP) and reports base vs fine-tuned
scores on the test split (ROUGE-1/2/L/Lsum, BLEU, METEOR, finding F1).

Without flags it runs the built-in example: the shipped small GIT
(git-small) fine-tuned on the built-in synthetic chest X-ray set, on the
CPU, in a few minutes. For the shipped small models (git-small,
blip-small) the built-in preset replaces the reference run's defaults
shown below; every preset value is printed at the start and any flag
given explicitly wins:

`)
	p, d := presetFinetune(), defaultFinetune()
	pf, df := finetuneFlags(&p), finetuneFlags(&d)
	df.VisitAll(func(f *flag.Flag) {
		if v := pf.Lookup(f.Name).Value.String(); v != f.Value.String() {
			fmt.Fprintf(w, "  --%-24s %s\n", f.Name, v)
		}
	})
	fmt.Fprint(w, `
Other models (a folder, git-base, blip-base) use the reference run's
settings: AdamW lr 5e-5, weight decay 1e-8, 10 epochs, batch 8, evaluation
batch 2, accumulation 2, clipping at 1.0.

The output folder receives checkpoint-<step>/ (model, optimizer state,
trainer_state.json), best/ (the best validation's model, a Hugging Face
folder), log.jsonl, results.json, predictions_test.jsonl and report.html.
Ctrl-C stops after the current step and saves a checkpoint; --resume
continues.

Flags (defaults are the reference run's):
`)
	fs := finetuneFlags(&d)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// usageError prints a command-line error and the hint to --help.
func usageError(stderr io.Writer, cmd, msg string) int {
	fmt.Fprintf(stderr, "radcap %s: %s\nRun 'radcap %s --help' for the flags.\n", cmd, msg, cmd)
	return exitUsage
}

// parseFinetune parses args, applying the preset for the shipped small
// models to every flag not given.
func parseFinetune(args []string) (finetuneConfig, error) {
	c := defaultFinetune()
	fs := finetuneFlags(&c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if !isShippedSmall(c.model) {
		return c, nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	p := presetFinetune()
	pf := finetuneFlags(&p)
	var err error
	pf.VisitAll(func(f *flag.Flag) {
		if !set[f.Name] && err == nil {
			err = fs.Set(f.Name, f.Value.String())
		}
	})
	return c, err
}

func runFinetune(args []string, stdout, stderr io.Writer) int {
	c, err := parseFinetune(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			finetuneUsage(stdout)
			return exitOK
		}
		return usageError(stderr, "finetune", err.Error())
	}
	if c.output == "" {
		if c.resume {
			return usageError(stderr, "finetune", "--resume needs --output, the folder of the run to continue")
		}
		c.output = filepath.Join("runs", modelLabel(c.model)+"-"+time.Now().UTC().Format("20060102-150405"))
	}
	c.cfg.Model, c.cfg.Data, c.cfg.OutDir = modelLabel(c.model), c.data, c.output
	if c.progress != "auto" && c.progress != "bar" && c.progress != "lines" && c.progress != "none" {
		return usageError(stderr, "finetune", fmt.Sprintf("--progress %q is not one of auto, bar, lines, none", c.progress))
	}
	release, err := openDevice(c.cfg.Device, c.cfg.Precision)
	if err != nil {
		fmt.Fprintf(stderr, "radcap finetune: %v\n", err)
		return exitError
	}
	defer release()
	if err := c.cfg.Validate(); err != nil {
		return usageError(stderr, "finetune", err.Error())
	}
	prog := &train.Progress{W: stderr, Terminal: c.progress == "bar" || c.progress == "auto" && train.IsTerminal(os.Stderr)}
	if c.progress == "none" {
		prog = nil
	}
	fmt.Fprintf(stderr, "radcap finetune: model %s, data %s, output %s\n", c.model, c.data, c.output)
	fmt.Fprintf(stderr, "settings: %s\n", settingsLine(c))
	start := time.Now()
	m, err := openModel(c.model, c.cfg.Seed)
	if err != nil {
		fmt.Fprintf(stderr, "radcap finetune: %v\n", err)
		return exitError
	}
	splits, err := train.OpenData(c.data, c.synth)
	if err != nil {
		fmt.Fprintf(stderr, "radcap finetune: %v\n", err)
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	finished := make(chan struct{})
	defer close(finished) // runs before stop
	go func() {
		select {
		case <-finished:
		case <-ctx.Done():
			select {
			case <-finished:
				return
			default:
			}
			stop() // a second Ctrl-C kills at once
			fmt.Fprintln(stderr, "\nradcap finetune: stopping after the current step (Ctrl-C again to kill)...")
		}
	}()
	res, err := train.Run(ctx, c.cfg, m, splits, train.RunOptions{Progress: prog, Resume: c.resume})
	if err != nil {
		fmt.Fprintf(stderr, "radcap finetune: %v\n", err)
		if errors.Is(err, train.ErrInterrupted) {
			return 130
		}
		return exitError
	}
	fmt.Fprintf(stdout, "%s test split (%d images), %d optimizer steps, %.0fs in all:\n\n%s\n",
		c.cfg.Model, res.Tuned.Examples, res.Steps, time.Since(start).Seconds(), res.Table.Markdown())
	if v := res.Tuned.Variety; v != nil {
		fmt.Fprintf(stdout, "caption variety of %s fine-tuned on test: %s\n\n", c.cfg.Model, v)
	}
	fmt.Fprintf(stdout, "results.json, report.html and the best model (best/) are in %s\n", c.output)
	return exitOK
}

// settingsLine prints every training setting in flag form.
func settingsLine(c finetuneConfig) string {
	fs := finetuneFlags(&c)
	var parts []string
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Name {
		case "model", "data", "output", "progress", "resume":
			return
		}
		if strings.HasPrefix(f.Name, "synth-") && c.data != "synthetic" {
			return
		}
		parts = append(parts, "--"+f.Name+"="+f.Value.String())
	})
	return strings.Join(parts, " ")
}
