package main

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"radcap/blip"
	"radcap/cuda"
	"radcap/internal/emu"
	"radcap/tensor"
	"radcap/tokenizer"
)

// Without a GPU (or without cgo), `radcap bench --device cuda` fails with
// status 1 and one line on stderr, and prints no table.
func TestBenchCUDAWithoutGPU(t *testing.T) {
	if d, err := cuda.Open(cuda.Options{}); err == nil {
		d.Close()
		t.Skip("a GPU is present: this test checks the message on machines without one")
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "--device", "cuda"}, &stdout, &stderr)
	if code != exitError {
		t.Errorf("exit status %d, want %d", code, exitError)
	}
	msg := stderr.String()
	if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") || !strings.HasPrefix(msg, "radcap bench: --device cuda: cuda: ") {
		t.Errorf("stderr %q, want one line starting %q", msg, "radcap bench: --device cuda: cuda: ")
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
}

// A quick CPU run measures every row against the SGEMM reference.
func TestBenchCPUQuick(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "--device", "cpu", "--quick", "--reps", "1"}, &stdout, &stderr)
	out := stdout.String()
	if code != exitOK {
		t.Fatalf("exit status %d; stderr %q; stdout:\n%s", code, stderr.String(), out)
	}
	for _, want := range []string{"reference: radcap SGEMM 256³", "matmul 4096³", "matmul git lm head", "attention fwd+bwd git decoder",
		"attention fwd+bwd blip cross", "git-base (tiny config) train step (batch 8, 40 tokens)", "git-base (tiny config) train step peak Go heap",
		"blip-base (tiny config) train step", "git-base (tiny config) greedy caption", "blip-base (tiny config) greedy caption"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table has no row %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "failed") || strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
		t.Errorf("a row failed or is not finite:\n%s", out)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--device", "tpu"}, {"--what", "matmul,speed"}, {"--models", "git-large"}, {"--batch", "0"}, {"--seq", "1"}, {"extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"bench"}, args...), &stdout, &stderr); code != exitUsage {
			t.Errorf("bench %v: exit status %d, want %d (stderr %q)", args, code, exitUsage, stderr.String())
		}
	}
}

// blipFLOPs on a tiny config agrees with its products listed by hand
// (2·m·k·n each): image 2 px, patch 1 (4 patches, 5 tokens), widths 2,
// MLP 3, one layer each, vocabulary 5, a caption of 3 tokens, 2 new ones.
func TestBlipFLOPsByHand(t *testing.T) {
	c := blip.BaseConfig()
	v, tc := &c.VisionConfig, &c.TextConfig
	v.ImageSize, v.PatchSize, v.HiddenSize, v.IntermediateSize, v.NumHiddenLayers = 2, 1, 2, 3, 1
	tc.HiddenSize, tc.EncoderHiddenSize, tc.IntermediateSize, tc.NumHiddenLayers, tc.VocabSize = 2, 2, 3, 1, 5
	const (
		patch   = 2 * 4 * 3 * 2                                                       // [4, 3]·[3, 2]
		vision  = 4*(2*5*2*2) + 2*(2*5*2*5) + 2*(2*5*2*3)                             // q k v o, scores and values, fc1 fc2
		crossKV = 2 * (2 * 5 * 2 * 2)                                                 // keys and values of the 5 image tokens
		dec3    = 4*(2*3*2*2) + 2*(2*3*3*2) + 2*(2*3*2*2) + 2*(2*3*5*2) + 2*(2*3*2*3) // self, self attention, cross q o, cross attention, MLP
		head3   = 2*3*2*2 + 2*3*2*5                                                   // transform, vocabulary
		dec1k1  = 4*(2*1*2*2) + 2*(2*1*1*2) + 2*(2*1*2*2) + 2*(2*1*5*2) + 2*(2*1*2*3)
		dec1k2  = 4*(2*1*2*2) + 2*(2*1*2*2) + 2*(2*1*2*2) + 2*(2*1*5*2) + 2*(2*1*2*3)
		head1   = 2*1*2*2 + 2*1*2*5
		step    = 3*(patch+vision+crossKV+dec3+head3) - patch
		greedy  = patch + vision + crossKV + dec1k1 + head1 + dec1k2 + head1
	)
	gotStep, gotGreedy := blipFLOPs(c, 3, 2)
	if gotStep != step || gotGreedy != greedy {
		t.Fatalf("blipFLOPs = %v, %v; by hand %v, %v", gotStep, gotGreedy, float64(step), float64(greedy))
	}
}

// The CUDA rows' training step (train.Run, as radcap finetune runs it) on
// the emulated device, with the one-layer --quick configs: fp16 trains a
// float16 model on the device, fp32 a float32 one; both log a finite,
// positive images/s over the timed second half, and mark is called after
// the warm-up step and after the last one.
func TestFinetuneStepsOnDevice(t *testing.T) {
	if _, err := emu.Register(false); err != nil {
		t.Fatal(err)
	}
	const batch, seq, steps = 2, 8, 2
	for _, name := range []string{"git-base", "blip-base"} {
		for _, prec := range []string{"fp16", "fp32"} {
			t.Run(name+"/"+prec, func(t *testing.T) {
				m, err := benchTrainModel(name, true)
				if err != nil {
					t.Fatal(err)
				}
				var marks []string
				mark := func(step int64, last bool) error {
					marks = append(marks, fmt.Sprint(step, last))
					return nil
				}
				res, err := finetuneSteps(m, emu.Name, prec, batch, seq, steps, mark)
				if err != nil {
					t.Fatal(err)
				}
				if want := []string{"2 false", "4 true"}; !slices.Equal(marks, want) {
					t.Errorf("mark calls %q, want %q", marks, want)
				}
				if !(res.imagesPerSec > 0) || math.IsInf(res.imagesPerSec, 0) {
					t.Errorf("images/s %v, want finite and positive", res.imagesPerSec)
				}
				dt := tensor.F32
				if prec == "fp16" {
					dt = tensor.F16
				}
				if want := fmt.Sprintf("%d %v on %s", len(m.NamedParams()), dt, emu.Name); res.params != want {
					t.Errorf("parameters at the last step: %q, want %q", res.params, want)
				}
				// Positive: the last step was not skipped for an fp16 overflow,
				// so the timed half includes optimizer steps.
				if !(res.gradNorm > 0) || math.IsInf(res.gradNorm, 0) {
					t.Errorf("last grad norm %v, want finite and positive", res.gradNorm)
				}
				t.Logf("%s %s: %.3g images/s, last grad norm %.3g, parameters %s", name, prec, res.imagesPerSec, res.gradNorm, res.params)
			})
		}
	}
}

// Every benchmark caption is longer than seq tokens, so the loader's
// truncation to MaxLength = seq makes every caption exactly seq tokens.
func TestBenchDataCaptionLength(t *testing.T) {
	tok := tokenizer.BertBaseUncased()
	for _, seq := range []int{8, 40} {
		d := benchData{n: 5, size: 4, words: seq}
		for i := range d.n {
			ex, err := d.Item(i)
			if err != nil {
				t.Fatal(err)
			}
			full, err := tok.Encode(ex.Caption, tokenizer.EncodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cut, err := tok.Encode(ex.Caption, tokenizer.EncodeOptions{Truncate: true, MaxLength: seq})
			if err != nil {
				t.Fatal(err)
			}
			if len(full.IDs) <= seq || len(cut.IDs) != seq {
				t.Errorf("seq %d, example %d: %d tokens, %d after truncation; want more than %d, then %d", seq, i, len(full.IDs), len(cut.IDs), seq, seq)
			}
			if ex.Image == nil || ex.Image.W != d.size {
				t.Errorf("seq %d, example %d: image %v, want %d pixels wide", seq, i, ex.Image, d.size)
			}
		}
		if _, err := d.Item(d.n); err == nil {
			t.Errorf("Item(%d) of %d examples: no error", d.n, d.n)
		}
	}
}
