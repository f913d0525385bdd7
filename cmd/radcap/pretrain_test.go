package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{[]string{"pretrain", "--out", "x", "--steps", "2", "--tower-steps", "3"}, exitError, "tower steps"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.want)
		}
	}
}
