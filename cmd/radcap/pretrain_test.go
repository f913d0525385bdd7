package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"radcap/blip"
)

// TestPretrainCommandRuns runs `radcap pretrain` for a few steps of
// git-small (two of the tower stage, one with the LM loss) and checks the
// progress lines and the written model folder.
func TestPretrainCommandRuns(t *testing.T) {
	out := filepath.Join(t.TempDir(), "git-small")
	var stdout, stderr bytes.Buffer
	code := run([]string{"pretrain", "--out", out, "--steps", "3", "--tower-steps", "2", "--batch", "4", "--warmup", "1", "--log-every", "1"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if n := strings.Count(stdout.String(), "step "); n != 3 {
		t.Errorf("%d progress lines, want 3:\n%s", n, stdout.String())
	}
	if !strings.Contains(stdout.String(), "pretrained git-small in 3 steps") {
		t.Errorf("no summary line:\n%s", stdout.String())
	}
	for _, f := range []string{"config.json", "model.safetensors", "vocab.txt", "preprocessor_config.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestPretrainCommandBLIP runs `radcap pretrain --model blip-small` for a
// few steps (two of the tower stage, one with the LM loss, on a batch of
// 4) and checks the progress lines, the summary and the written folder,
// which loads as a BLIP captioning model.
func TestPretrainCommandBLIP(t *testing.T) {
	out := filepath.Join(t.TempDir(), "blip-small")
	var stdout, stderr bytes.Buffer
	code := run([]string{"pretrain", "--model", "blip-small", "--out", out, "--steps", "3", "--tower-steps", "2", "--batch", "4", "--warmup", "1", "--log-every", "1"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if n := strings.Count(stdout.String(), "step "); n != 3 {
		t.Errorf("%d progress lines, want 3:\n%s", n, stdout.String())
	}
	if !strings.Contains(stdout.String(), "pretrained blip-small in 3 steps") {
		t.Errorf("no summary line:\n%s", stdout.String())
	}
	card, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BlipForConditionalGeneration", "3 steps (2 tower + 1 LM) of 4 pairs", "pretrain --model blip-small"} {
		if !strings.Contains(string(card), want) {
			t.Errorf("model card lacks %q:\n%s", want, card)
		}
	}
	if _, _, err := blip.LoadCaptionModel(out, blip.LoadOptions{}); err != nil {
		t.Errorf("the written folder does not load as BLIP: %v", err)
	}
}

// TestPretrainCommandErrors checks usage errors.
func TestPretrainCommandErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"pretrain"}, exitUsage, "--out is required"},
		{[]string{"pretrain", "--out", "x", "extra"}, exitUsage, "unexpected arguments"},
		{[]string{"pretrain", "--bogus"}, exitUsage, "bogus"},
		{[]string{"pretrain", "--out", "x", "--model", "git-huge"}, exitError, "unknown model"},
		{[]string{"pretrain", "--out", "x", "--model", "blip-small", "--steps", "2", "--tower-steps", "3"}, exitError, "tower steps"},
		{[]string{"pretrain", "--out", "x", "--steps", "2", "--tower-steps", "3"}, exitError, "tower steps"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.want)
		}
	}
}
