package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"radcap/train/pretrain"
)

// pretrainUsage is the help of `radcap pretrain`.
func pretrainUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: radcap pretrain [flags]

Pretrains a small base model from random weights on radcap's built-in
synthetic shapes set (circles, squares, triangles and blobs with position,
size and brightness, generated fresh at every step) with BLIP's losses:
image-text contrastive (ITC), image-text matching with hard negatives (ITM)
and the captioning loss (LM), plus direct image-level attribute losses
(each position's shape, size and brightness, read from the image tokens of
that region and from the decoder's first text position). A first stage
without the LM loss teaches the vision tower to see. It writes a Hugging
Face model folder (config.json, model.safetensors in float16, tokenizer and
image processor files, a README.md model card) that transformers loads.

The shipped models/git-small and models/blip-small were made with the
defaults:

  radcap pretrain --model git-small --out models/git-small
  radcap pretrain --model blip-small --out models/blip-small

blip-small (BLIP's captioner, trained beside BLIP's retrieval text encoder
on one vision tower) has defaults of its own where they differ from
git-small's below; a flag given on the command line always wins.

Flags (defaults of git-small):
`)
	fs := pretrainFlags(new(pretrain.Options), pretrain.DefaultOptions())
	fs.SetOutput(w)
	fs.PrintDefaults()
	blipFlags := pretrainFlags(new(pretrain.Options), pretrain.DefaultBLIPOptions())
	var differ []string
	fs.VisitAll(func(f *flag.Flag) {
		if v := blipFlags.Lookup(f.Name).Value.String(); f.Name != "model" && v != f.Value.String() {
			differ = append(differ, fmt.Sprintf("--%s %s", f.Name, v))
		}
	})
	fmt.Fprintf(w, "\nDefaults of blip-small where they differ: %s\n", strings.Join(differ, " "))
}

// pretrainFlags binds the flags of `radcap pretrain` to o, which it first
// sets to defaults.
func pretrainFlags(o *pretrain.Options, defaults pretrain.Options) *flag.FlagSet {
	*o = defaults
	fs := flag.NewFlagSet("pretrain", flag.ContinueOnError)
	fs.StringVar(&o.Model, "model", o.Model, "model to pretrain: git-small or blip-small")
	fs.StringVar(&o.Out, "out", "", "output folder of the checkpoint (required)")
	fs.IntVar(&o.Steps, "steps", o.Steps, "optimizer steps in all")
	fs.IntVar(&o.TowerSteps, "tower-steps", o.TowerSteps, "first steps with ITC and ITM only (no LM loss)")
	fs.IntVar(&o.Batch, "batch", o.Batch, "image-caption pairs per step")
	fs.Float64Var(&o.LR, "lr", o.LR, "peak learning rate of the tower stage (linear warmup, then cosine decay to 0)")
	fs.Float64Var(&o.LMLR, "lm-lr", o.LMLR, "peak learning rate of the LM stage (warmup and cosine again)")
	fs.IntVar(&o.Warmup, "warmup", o.Warmup, "warmup steps")
	fs.Float64Var(&o.WeightDecay, "weight-decay", o.WeightDecay, "AdamW weight decay (not on biases and LayerNorms)")
	fs.IntVar(&o.MaxLength, "max-length", o.MaxLength, "maximum caption length in tokens, [CLS] and [SEP] included")
	fs.IntVar(&o.LogEvery, "log-every", o.LogEvery, "steps between progress lines")
	fs.IntVar(&o.SaveEvery, "save-every", 0, "also write the checkpoint every this many steps (0: only at the end)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the initial weights and the data")
	return fs
}

// runPretrain is `radcap pretrain`.
func runPretrain(args []string, stdout, stderr io.Writer) int {
	var o pretrain.Options
	fs := pretrainFlags(&o, pretrain.DefaultOptions())
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "radcap pretrain: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	if o.Out == "" {
		fmt.Fprintln(stderr, "radcap pretrain: --out is required")
		return exitUsage
	}
	if o.Model != pretrain.GitSmall {
		// The flags left out take the model's own defaults.
		d, err := pretrain.ModelOptions(o.Model)
		if err != nil {
			fmt.Fprintf(stderr, "radcap pretrain: %v\n", err)
			return exitError
		}
		var mo pretrain.Options
		given := pretrainFlags(&mo, d)
		var setErr error
		fs.Visit(func(f *flag.Flag) {
			if err := given.Set(f.Name, f.Value.String()); err != nil && setErr == nil {
				setErr = err
			}
		})
		if setErr != nil {
			fmt.Fprintf(stderr, "radcap pretrain: %v\n", setErr)
			return exitError
		}
		o = mo
	}
	o.Log = stdout
	res, err := pretrain.Run(o)
	if err != nil {
		fmt.Fprintf(stderr, "radcap pretrain: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "pretrained %s in %d steps (%s): first LM-stage losses itc %.4f itm %.4f lm %.4f, last itc %.4f itm %.4f lm %.4f; written to %s\n",
		o.Model, res.Steps, res.Duration.Round(1e9), res.First.ITC, res.First.ITM, res.First.LM, res.Last.ITC, res.Last.ITM, res.Last.LM, o.Out)
	return exitOK
}
