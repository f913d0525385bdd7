package blip

import (
	"testing"

	"radcap/generate"
	"radcap/tensor"
)

// A plain greedy loop over the cached Decoder reproduces the reference's
// per-step logits and ids (the image states are the reference's).
func TestDecoderGreedySteps(t *testing.T) {
	m := loadCaption(t)
	cfg := m.Config
	in := openFixture(t, "blip", "inputs.safetensors")
	ex := openFixture(t, "blip", "expected.safetensors")
	dec, err := m.Decoder(in.get("pixel_values"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := dec.Start()
	if err != nil {
		t.Fatal(err)
	}
	want := ex.get("generate_greedy")
	scores := ex.get("generate_greedy_scores")
	rows := dec.Batch()
	bos, sep, pad := int64(cfg.TextConfig.BosTokenID), int64(cfg.TextConfig.SepTokenID), int64(cfg.TextConfig.PadTokenID)
	seqs := make([][]int64, rows)
	done := make([]bool, rows)
	next := make([]int64, rows)
	for r := range seqs {
		seqs[r] = []int64{bos}
		next[r] = bos
	}
	for s := 0; s < scores.Dim(0); s++ {
		mask := tensor.Full(tensor.I64, 1, rows, s+1)
		logits, err := dec.Step(st, generate.StepInput{IDs: tensor.FromI64(append([]int64(nil), next...), rows, 1), Mask: mask, Past: s})
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, "generate_greedy_scores step", logits, scores.Select(0, s), 5e-5)
		lv := logits.F32()
		v := logits.Dim(1)
		for r := 0; r < rows; r++ {
			best := 0
			for j := 1; j < v; j++ {
				if lv[r*v+j] > lv[r*v+best] {
					best = j
				}
			}
			tok := int64(best)
			if done[r] {
				tok = pad
			}
			done[r] = done[r] || tok == sep
			next[r] = tok
			seqs[r] = append(seqs[r], tok)
		}
	}
	for r := 0; r < rows; r++ {
		for j := 0; j < want.Dim(1); j++ {
			if got := seqs[r][j]; got != int64(want.At(r, j)) {
				t.Fatalf("row %d: ids %v, want %v", r, seqs[r], want.Select(0, r).I64())
			}
		}
	}
}

// Reorder gathers rows of both caches: swapping the rows swaps the logits.
func TestDecoderReorder(t *testing.T) {
	m := loadCaption(t)
	cfg := m.Config
	in := openFixture(t, "blip", "inputs.safetensors")
	dec, err := m.Decoder(in.get("pixel_values"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := dec.Start()
	if err != nil {
		t.Fatal(err)
	}
	bos := int64(cfg.TextConfig.BosTokenID)
	first, err := dec.Step(st, generate.StepInput{IDs: tensor.FromI64([]int64{bos, bos}, 2, 1), Mask: tensor.Full(tensor.I64, 1, 2, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = first
	st2, err := dec.Reorder(st, []int{1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	a, err := dec.Step(st, generate.StepInput{IDs: tensor.FromI64([]int64{5, 7}, 2, 1), Mask: tensor.Full(tensor.I64, 1, 2, 2), Past: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := dec.Step(st2, generate.StepInput{IDs: tensor.FromI64([]int64{7, 5, 5}, 3, 1), Mask: tensor.Full(tensor.I64, 1, 3, 2), Past: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "reordered row 0", b.Select(0, 0), a.Select(0, 1), 1e-6)
	checkClose(t, "reordered row 1", b.Select(0, 1), a.Select(0, 0), 1e-6)
	checkClose(t, "reordered row 2", b.Select(0, 2), a.Select(0, 0), 1e-6)
	if _, err := dec.Reorder(st, []int{2}); err == nil {
		t.Error("reorder to a missing row: no error")
	}
	if _, err := dec.Step(st, generate.StepInput{IDs: tensor.FromI64([]int64{5, 7}, 2, 1), Mask: tensor.Full(tensor.I64, 1, 2, 2), Past: 5}); err == nil {
		t.Error("wrong Past: no error")
	}
	if _, err := dec.Step(st, generate.StepInput{IDs: tensor.FromI64([]int64{500, 7}, 2, 1), Mask: tensor.Full(tensor.I64, 1, 2, 3), Past: 2}); err == nil {
		t.Error("id outside the vocabulary: no error")
	}
}
