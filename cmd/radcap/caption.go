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

// openDevice prepares --device for a run on it: nothing for "cpu"; for
// "cuda" it opens the GPU (cuda.Open, whose error says what is missing:
// the driver, a GPU, cgo) and registers its backend with package tensor,
// so that the model's parameters can move there. Only cpu and cuda are
// accepted on the command line. It then checks that precision can run on
// the device (train.CheckDevice). The returned function releases the GPU.
func openDevice(device, precision string) (release func(), err error) {
	release = func() {}
	switch device {
	case "cpu":
	case "cuda":
		d, err := cuda.Open(cuda.Options{})
		if err != nil {
			return nil, fmt.Errorf("--device cuda: %w", err)
		}
		if _, err := cuda.Register(d); err != nil {
			d.Close()
			return nil, fmt.Errorf("--device cuda: %w", err)
		}
		release = func() { d.Close() }
	default:
		return nil, fmt.Errorf("unknown device %q (want cpu or cuda)", device)
	}
	if err := train.CheckDevice(device, precision); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// openModelOn opens --model and moves its parameters to device.
func openModelOn(spec string, seed uint64, device string) (train.Model, error) {
	m, err := openModel(spec, seed)
	if err != nil {
		return nil, err
	}
	if err := train.MoveModel(m, device); err != nil {
		return nil, err
	}
	return m, nil
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
	device       string
}

func captionFlags(c *captionConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("caption", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.model, "model", gitSmall, "model `DIR`, git-small, blip-small, git-base or blip-base")
	fs.IntVar(&c.beams, "beams", 1, "beam width (1: greedy)")
	fs.IntVar(&c.maxNewTokens, "max-new-tokens", 32, "maximum caption length in tokens")
	fs.Uint64Var(&c.seed, "seed", 42, "seed of the random weights of git-base and blip-base")
	fs.StringVar(&c.device, "device", "cpu", "cpu or cuda")
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
	release, err := openDevice(c.device, "fp32")
	if err != nil {
		fmt.Fprintf(stderr, "radcap caption: %v\n", err)
		return exitError
	}
	defer release()
	m, err := openModelOn(c.model, c.seed, c.device)
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
