package main

import (
	"strings"
	"testing"

	"radcap/cuda"
	"radcap/internal/emu"
)

// Without a GPU (or without cgo), --device cuda makes finetune, evaluate
// and caption fail with status 1 and one line on stderr (cuda.Open's
// error), never a panic, and print nothing on stdout.
func TestDeviceCUDAWithoutGPU(t *testing.T) {
	if d, err := cuda.Open(cuda.Options{}); err == nil {
		d.Close()
		t.Skip("a GPU is present: this test checks the message on machines without one")
	}
	for _, args := range [][]string{
		{"finetune", "--device", "cuda", "--output", t.TempDir()},
		{"finetune", "--device", "cuda", "--precision", "fp16", "--output", t.TempDir()},
		{"evaluate", "--device", "cuda"},
		{"caption", "--device", "cuda", "x.png"},
	} {
		code, stdout, stderr := runCLI(args...)
		prefix := "radcap " + args[0] + ": --device cuda: cuda: "
		if code != exitError {
			t.Errorf("%v: exit status %d, want %d", args, code, exitError)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") || !strings.HasPrefix(stderr, prefix) {
			t.Errorf("%v: stderr %q, want one line starting %q", args, stderr, prefix)
		}
		if stdout != "" {
			t.Errorf("%v: stdout %q, want nothing", args, stdout)
		}
	}
}

// The command line takes cpu and cuda only: another device name is an
// error even when a backend of that name is registered (the emulator is
// for tests).
func TestDeviceNamesOnTheCommandLine(t *testing.T) {
	if _, err := emu.Register(false); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"finetune", "--device", emu.Name, "--output", t.TempDir()},
		{"evaluate", "--device", "tpu"},
		{"caption", "--device", emu.Name, "x.png"},
	} {
		code, _, stderr := runCLI(args...)
		if code != exitError || !strings.Contains(stderr, "unknown device") || !strings.Contains(stderr, "want cpu or cuda") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and unknown device", args, code, stderr, exitError)
		}
	}
}
