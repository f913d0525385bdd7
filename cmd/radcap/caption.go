package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"radcap/cuda"
	"radcap/imageproc"
	"radcap/models"
	"radcap/tensor"
	"radcap/train"
)

// Model names the command line accepts besides a folder.
const (
	gitSmall  = "git-small"
	blipSmall = "blip-small"
)

// isShippedSmall reports whether name is one of the small bases radcap
// ships.
func isShippedSmall(name string) bool { return name == gitSmall || name == blipSmall }

// modelLabel is the name of a model in tables: the built-in name, or the
// folder's base name.
func modelLabel(spec string) string {
	switch spec {
	case gitSmall, blipSmall, "git-base", "blip-base":
		return spec
	}
	return filepath.Base(filepath.Clean(spec))
}

// openModel opens --model: a shipped small base, a base size with random
// weights (seeded), or a Hugging Face folder.
func openModel(spec string, seed uint64) (train.Model, error) {
	switch spec {
	case "git-base", "blip-base":
		return train.NewBaseModel(spec, seed)
	case gitSmall, blipSmall:
		return openShipped(spec)
	}
	return train.LoadModel(spec)
}

// checkDevice reports whether the device and precision can run: for
// --device cuda it first looks for a GPU, so the error says what is
// missing.
func checkDevice(device, precision string) error {
	if device == "cuda" {
		d, err := cuda.Open(cuda.Options{})
		if err != nil {
			return fmt.Errorf("--device cuda: %w", err)
		}
		d.Close()
	}
	return train.CheckDevice(device, precision)
}

func captionUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: radcap caption --model MODEL [flags] IMAGE...

Captions images with a model (greedy search by default, beam search with
--beams). MODEL is a Hugging Face model folder, git-small or blip-small
(the shipped small bases), or git-base or blip-base (random weights).
Prints one line per image: the file name, a tab, the caption.

Flags:
`)
	var c captionConfig
	fs := captionFlags(&c)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

type captionConfig struct {
	model        string
	beams        int
	maxNewTokens int
	seed         uint64
}

func captionFlags(c *captionConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("caption", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.model, "model", gitSmall, "model `DIR`, git-small, blip-small, git-base or blip-base")
	fs.IntVar(&c.beams, "beams", 1, "beam width (1: greedy)")
	fs.IntVar(&c.maxNewTokens, "max-new-tokens", 32, "maximum caption length in tokens")
	fs.Uint64Var(&c.seed, "seed", 42, "seed of the random weights of git-base and blip-base")
	return fs
}

func runCaption(args []string, stdout, stderr io.Writer) int {
	var c captionConfig
	fs := captionFlags(&c)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			captionUsage(stdout)
			return exitOK
		}
		return usageError(stderr, "caption", err.Error())
	}
	if fs.NArg() == 0 {
		return usageError(stderr, "caption", "no image given")
	}
	if c.beams < 1 || c.maxNewTokens < 1 {
		return usageError(stderr, "caption", "--beams and --max-new-tokens must be at least 1")
	}
	m, err := openModel(c.model, c.seed)
	if err != nil {
		fmt.Fprintf(stderr, "radcap caption: %v\n", err)
		return exitError
	}
	proc := m.Processor()
	opts := train.GenerateOptions{Beams: c.beams, MaxNewTokens: c.maxNewTokens}
	status := exitOK
	for _, path := range fs.Args() {
		caption, err := captionFile(m, proc, path, opts)
		if err != nil {
			fmt.Fprintf(stderr, "radcap caption: %v\n", err)
			status = exitError
			continue
		}
		fmt.Fprintf(stdout, "%s\t%s\n", path, caption)
	}
	return status
}

// captionFile preprocesses and captions one image file.
func captionFile(m train.Model, proc imageproc.Processor, path string, opts train.GenerateOptions) (string, error) {
	chw, err := proc.PreprocessFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	m.SetTraining(false)
	pix := tensor.FromF32(chw.Data, 1, chw.C, chw.H, chw.W)
	caps, err := m.Generate(pix, opts)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return caps[0], nil
}

// openShipped loads a shipped small base from the folders embedded in the
// binary (radcap/models), through a temporary copy on disk.
func openShipped(name string) (train.Model, error) {
	if !slices.Contains(models.Names(), name) {
		return nil, fmt.Errorf("%s is not shipped in this build (shipped: %v); use --model DIR (a Hugging Face folder) or git-base / blip-base", name, models.Names())
	}
	dir, cleanup, err := models.ExtractTemp(name)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	m, err := train.LoadModel(dir)
	if err != nil {
		return nil, fmt.Errorf("shipped model %s: %w", name, err)
	}
	return m, nil
}
