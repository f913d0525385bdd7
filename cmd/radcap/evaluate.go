package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"radcap/train"
)

type evaluateConfig struct {
	model, data, split, format, device string
	beams, maxNewTokens                int
	batchSize, limit                   int
	seed                               uint64
	synth                              train.SynthOptions
	noMETEOR                           bool
}

func evaluateFlags(c *evaluateConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.model, "model", gitSmall, "model `DIR`, git-small, blip-small, git-base or blip-base")
	fs.StringVar(&c.data, "data", "synthetic", "data `DIR` (ROCO checkout or train/validation/test caption folders) or synthetic")
	fs.StringVar(&c.split, "split", "test", "split to evaluate: train, validation or test")
	fs.IntVar(&c.beams, "beams", 1, "beam width (1: greedy)")
	fs.IntVar(&c.maxNewTokens, "max-new-tokens", 32, "maximum caption length in tokens")
	fs.IntVar(&c.batchSize, "batch-size", 16, "images per batch")
	fs.IntVar(&c.limit, "limit", 0, "evaluate only the first N images (0: all)")
	fs.Uint64Var(&c.seed, "seed", 42, "seed of the random weights of git-base and blip-base")
	fs.StringVar(&c.format, "format", "md", "output: md (table), csv or json")
	fs.BoolVar(&c.noMETEOR, "no-meteor", false, "leave METEOR out")
	fs.StringVar(&c.device, "device", "cpu", "cpu or cuda")
	s := train.SmallPresetSynth()
	c.synth = s
	fs.IntVar(&c.synth.Size, "synth-size", s.Size, "synthetic set: image size in pixels")
	fs.Uint64Var(&c.synth.Seed, "synth-seed", s.Seed, "synthetic set: seed")
	return fs
}

func evaluateUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: radcap evaluate --model MODEL --data DATA [flags]

Generates captions for one split (greedy, or beam search with --beams),
computes the caption loss, and prints the results table: ROUGE-1, ROUGE-2,
ROUGE-L, ROUGE-Lsum, BLEU, METEOR and finding F1.

Flags:
`)
	var c evaluateConfig
	fs := evaluateFlags(&c)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runEvaluate(args []string, stdout, stderr io.Writer) int {
	var c evaluateConfig
	fs := evaluateFlags(&c)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			evaluateUsage(stdout)
			return exitOK
		}
		return usageError(stderr, "evaluate", err.Error())
	}
	switch {
	case fs.NArg() > 0:
		return usageError(stderr, "evaluate", fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case c.split != "train" && c.split != "validation" && c.split != "test":
		return usageError(stderr, "evaluate", fmt.Sprintf("--split %q is not one of train, validation, test", c.split))
	case c.format != "md" && c.format != "csv" && c.format != "json":
		return usageError(stderr, "evaluate", fmt.Sprintf("--format %q is not one of md, csv, json", c.format))
	case c.beams < 1 || c.maxNewTokens < 1 || c.batchSize < 1 || c.limit < 0:
		return usageError(stderr, "evaluate", "--beams, --max-new-tokens and --batch-size must be at least 1, --limit at least 0")
	}
	release, err := openDevice(c.device, "fp32")
	if err != nil {
		fmt.Fprintf(stderr, "radcap evaluate: %v\n", err)
		return exitError
	}
	defer release()
	m, err := openModelOn(c.model, c.seed, c.device)
	if err != nil {
		fmt.Fprintf(stderr, "radcap evaluate: %v\n", err)
		return exitError
	}
	splits, err := train.OpenDataSplit(c.data, c.split, c.synth)
	if err != nil {
		fmt.Fprintf(stderr, "radcap evaluate: %v\n", err)
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	prog := &train.Progress{W: stderr, Terminal: train.IsTerminal(os.Stderr)}
	res, err := train.Evaluate(ctx, m, splits, c.split, train.EvalOptions{
		BatchSize: c.batchSize, Loss: true, Captions: true, Limit: c.limit, SkipMETEOR: c.noMETEOR,
		Generate: train.GenerateOptions{Beams: c.beams, MaxNewTokens: c.maxNewTokens}, MaxLength: 64,
		Progress: func(done, total int) { prog.Eval("evaluate", done, total) },
	})
	prog.Line("")
	if err != nil {
		fmt.Fprintf(stderr, "radcap evaluate: %v\n", err)
		return exitError
	}
	table := train.ResultsTable(modelLabel(c.model), res, nil)
	switch c.format {
	case "md":
		fmt.Fprintf(stdout, "%s split, %d images, loss %.4f:\n\n%s", c.split, res.Examples, res.Loss, table.Markdown())
		if res.Note != "" {
			fmt.Fprintf(stdout, "\nnote: %s\n", res.Note)
		}
	case "csv":
		if err := table.WriteCSV(stdout); err != nil {
			fmt.Fprintf(stderr, "radcap evaluate: %v\n", err)
			return exitError
		}
	case "json":
		b, _ := json.MarshalIndent(map[string]any{"table": table, "result": res}, "", "  ")
		fmt.Fprintln(stdout, string(b))
	}
	return exitOK
}
