package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"radcap/data"
	"radcap/gitmodel"
	"radcap/tokenizer"
	"radcap/train"
)

// tinyModelDir writes a small random GIT (bert-base-uncased vocabulary,
// 32-pixel images, one layer each side) as a Hugging Face folder.
func tinyModelDir(t *testing.T) string {
	t.Helper()
	tok := tokenizer.BertBaseUncased()
	c := gitmodel.DefaultConfig()
	c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize = 16, 1, 2, 32
	c.MaxPositionEmbeddings = 96
	v := &c.Vision
	v.HiddenSize, v.NumHiddenLayers, v.NumAttentionHeads, v.IntermediateSize = 16, 1, 2, 32
	v.ImageSize, v.PatchSize = 32, 16
	m, err := gitmodel.New(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	g, err := train.NewGIT(m, tok, data.CLIPProcessor(32))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tiny-git")
	if err := g.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFinetuneEndToEnd runs finetune on a tiny model and a small synthetic
// set, then evaluate, caption, inspect and compare on its output.
func TestFinetuneEndToEnd(t *testing.T) {
	model := tinyModelDir(t)
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI("finetune", "--model", model, "--output", out, "--epochs", "1",
		"--batch-size", "4", "--grad-accum", "1", "--eval-batch-size", "8", "--lr", "1e-3",
		"--synth-train", "8", "--synth-validation", "4", "--synth-test", "4", "--synth-size", "32",
		"--max-new-tokens", "6", "--progress", "lines", "--log-every", "1")
	if code != exitOK {
		t.Fatalf("finetune exit %d\nstderr: %s", code, stderr)
	}
	for _, want := range []string{"| tiny-git |", "| tiny-git fine-tuned |", "Finding F1", "ROUGE-Lsum"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("finetune output lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{"settings: ", "--lr=0.001", "step 1/2", "validation after epoch 1"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("finetune progress lacks %q:\n%s", want, stderr)
		}
	}
	best := filepath.Join(out, "best")
	code, stdout, stderr = runCLI("evaluate", "--model", best, "--data", "synthetic", "--synth-size", "32",
		"--split", "test", "--limit", "4", "--max-new-tokens", "6", "--no-meteor")
	if code != exitOK || !strings.Contains(stdout, "| best |") {
		t.Errorf("evaluate exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	img := filepath.Join("..", "..", "train", "testdata", "roco-cxr", "data", "test", "radiology", "images", "ROCO_78315.jpg")
	code, stdout, stderr = runCLI("caption", "--model", best, "--max-new-tokens", "5", "--beams", "2", img)
	if code != exitOK || !strings.HasPrefix(stdout, img+"\t") {
		t.Errorf("caption exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI("inspect", best)
	if code != exitOK || !strings.Contains(stdout, "git.embeddings.word_embeddings.weight") || !strings.Contains(stdout, "[30522, 16]") ||
		!strings.Contains(stdout, "488352") {
		t.Errorf("inspect exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI("compare", out, filepath.Join(out, "results.json"))
	if code != exitOK || strings.Count(stdout, "tiny-git fine-tuned") != 2 || !strings.Contains(stdout, "(run)") {
		t.Errorf("compare exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	// Resume of a finished run redoes only the final evaluation.
	code, _, stderr = runCLI("finetune", "--model", model, "--output", out, "--epochs", "1", "--batch-size", "4",
		"--grad-accum", "1", "--synth-train", "8", "--synth-validation", "4", "--synth-test", "4", "--synth-size", "32",
		"--max-new-tokens", "6", "--progress", "none", "--resume")
	if code != exitOK {
		t.Errorf("resume of a finished run: exit %d: %s", code, stderr)
	}
}

// TestFinetuneErrors: bad input gives a clear error and a non-zero exit,
// never a panic.
func TestFinetuneErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	empty := t.TempDir()
	cases := []struct {
		args []string
		code int
		has  string
	}{
		{[]string{"finetune", "--model", missing}, exitError, "no config.json"},
		{[]string{"finetune", "--model", empty}, exitError, "no config.json"},
		{[]string{"finetune", "--model", "git-base", "--precision", "fp16"}, exitError, "--precision fp16 needs CUDA"},
		{[]string{"finetune", "--model", "git-base", "--precision", "bf16", "--device", "cuda"}, exitError, "--device cuda"},
		{[]string{"finetune", "--model", "git-base", "--precision", "fp8"}, exitError, "unknown precision"},
		{[]string{"finetune", "--model", "git-base", "--device", "tpu"}, exitError, "unknown device"},
		{[]string{"finetune", "--model", "git-base", "--data", missing}, exitError, "no such folder"},
		{[]string{"finetune", "--epochs", "0"}, exitUsage, "epochs 0"},
		{[]string{"finetune", "--best-metric", "cider"}, exitUsage, "unknown metric"},
		{[]string{"finetune", "--frobnicate"}, exitUsage, "flag provided but not defined"},
		{[]string{"finetune", "extra"}, exitUsage, "unexpected argument"},
		{[]string{"evaluate", "--split", "dev"}, exitUsage, "--split"},
		{[]string{"evaluate", "--model", missing}, exitError, "no config.json"},
		{[]string{"caption", "--model", missing, "x.png"}, exitError, "no config.json"},
		{[]string{"caption"}, exitUsage, "no image"},
		{[]string{"inspect", missing}, exitError, "nope"},
		{[]string{"compare", missing}, exitError, "nope"},
		{[]string{"synth"}, exitUsage, "--out is required"},
	}
	for _, tc := range cases {
		code, _, stderr := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.has) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.has)
		}
	}
}

// TestHelpListsEveryFlag: --help of each new command lists every flag with
// its default.
func TestHelpListsEveryFlag(t *testing.T) {
	var fc finetuneConfig = defaultFinetune()
	var ec evaluateConfig
	var cc captionConfig
	var sc synthConfig
	var format string
	sets := map[string]*flag.FlagSet{
		"finetune": finetuneFlags(&fc), "evaluate": evaluateFlags(&ec), "caption": captionFlags(&cc),
		"synth": synthFlags(&sc), "compare": compareFlags(&format),
	}
	for cmd, fs := range sets {
		code, stdout, _ := runCLI(cmd, "--help")
		if code != exitOK {
			t.Errorf("%s --help: exit %d", cmd, code)
		}
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(stdout, "-"+f.Name+" ") && !strings.Contains(stdout, "-"+f.Name+"\n") {
				t.Errorf("%s --help lacks flag -%s", cmd, f.Name)
			}
			// PrintDefaults omits zero defaults; others must appear.
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && !strings.Contains(stdout, f.DefValue) {
				t.Errorf("%s --help lacks the default %q of -%s", cmd, f.DefValue, f.Name)
			}
		})
	}
	// The preset for the shipped small models is listed and applied to
	// flags not given; explicit flags win; other models keep the reference.
	_, stdout, _ := runCLI("finetune", "--help")
	if lr := fmt.Sprint(train.SmallPreset().LR); !regexp.MustCompile(`--lr +` + regexp.QuoteMeta(lr) + "\n").MatchString(stdout) {
		t.Errorf("finetune --help lacks the preset:\n%s", stdout)
	}
	c, err := parseFinetune(nil)
	if err != nil || c.cfg.LR != train.SmallPreset().LR || c.cfg.Epochs != train.SmallPreset().Epochs {
		t.Errorf("no flags: lr %v epochs %d (%v), want the preset", c.cfg.LR, c.cfg.Epochs, err)
	}
	c, _ = parseFinetune([]string{"--lr", "0.01"})
	if c.cfg.LR != 0.01 || c.cfg.BatchSize != train.SmallPreset().BatchSize {
		t.Errorf("--lr 0.01: lr %v batch %d", c.cfg.LR, c.cfg.BatchSize)
	}
	c, _ = parseFinetune([]string{"--model", "git-base"})
	ref := train.Reference()
	if c.cfg.LR != 5e-5 || c.cfg.WeightDecay != 1e-8 || c.cfg.Epochs != 10 || c.cfg.BatchSize != 8 ||
		c.cfg.EvalBatchSize != 2 || c.cfg.Accumulation != 2 || c.cfg.MaxGradNorm != 1 || c.cfg != ref {
		t.Errorf("--model git-base: %+v, want the reference run's settings", c.cfg)
	}
}

func TestSynthCommand(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI("synth", "--out", dir, "--train", "2", "--validation", "1", "--test", "1", "--size", "32")
	if code != exitOK {
		t.Fatalf("synth: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote 2 train") {
		t.Errorf("synth output %q", stdout)
	}
	for _, sp := range []string{"train", "validation", "test"} {
		if _, err := os.Stat(filepath.Join(dir, "data", sp, "radiology", "captions.txt")); err != nil {
			t.Error(err)
		}
	}
	// The written set trains like the in-memory one: it opens as a data folder.
	splits, err := train.OpenData(dir, train.SynthOptions{})
	if err != nil || splits.Train.Len() != 2 || splits.Test.Len() != 1 {
		t.Errorf("open written set: %v", err)
	}
}
