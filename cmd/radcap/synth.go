package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"radcap/data/synth"
)

type synthConfig struct {
	out     string
	cfg     synth.Config
	workers int
}

func synthFlags(c *synthConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.out, "out", "", "output `DIR` (required); the set is written in the ROCO layout")
	fs.Uint64Var(&c.cfg.Seed, "seed", 0, "seed: the same seed gives the same images and captions")
	fs.IntVar(&c.cfg.Size, "size", synth.DefaultSize, "image width and height in pixels")
	fs.IntVar(&c.cfg.Train, "train", synth.DefaultTrain, "training images")
	fs.IntVar(&c.cfg.Validation, "validation", synth.DefaultValidation, "validation images")
	fs.IntVar(&c.cfg.Test, "test", synth.DefaultTest, "test images")
	fs.IntVar(&c.workers, "workers", 0, "goroutines rendering images (0: all CPUs)")
	return fs
}

func synthUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: radcap synth --out DIR [flags]

Writes the built-in synthetic chest X-ray set (grayscale PNG radiographs
with pneumothorax, effusion, consolidation, mass/nodule, cardiomegaly,
pneumomediastinum or no finding, and ROCO-style captions) in the ROCO
layout: DIR/data/{train,validation,test}/radiology/{captions.txt,
licences.txt, findings.txt, images/}. radcap finetune --data DIR reads it.

Flags:
`)
	var c synthConfig
	fs := synthFlags(&c)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runSynth(args []string, stdout, stderr io.Writer) int {
	var c synthConfig
	fs := synthFlags(&c)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			synthUsage(stdout)
			return exitOK
		}
		return usageError(stderr, "synth", err.Error())
	}
	switch {
	case fs.NArg() > 0:
		return usageError(stderr, "synth", fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case c.out == "":
		return usageError(stderr, "synth", "--out is required")
	case c.cfg.Train < 0 || c.cfg.Validation < 0 || c.cfg.Test < 0 || c.workers < 0:
		return usageError(stderr, "synth", "split sizes and --workers must not be negative")
	case c.cfg.Train+c.cfg.Validation+c.cfg.Test == 0:
		return usageError(stderr, "synth", "all splits are empty")
	}
	if err := synth.WriteROCO(c.out, c.cfg, c.workers); err != nil {
		fmt.Fprintf(stderr, "radcap synth: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "wrote %d train, %d validation and %d test images (%dx%d) to %s\n",
		c.cfg.Train, c.cfg.Validation, c.cfg.Test, c.cfg.Size, c.cfg.Size, c.out)
	return exitOK
}
