package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"radcap/blip"
	"radcap/cuda"
	"radcap/data"
	"radcap/gitmodel"
	"radcap/imageproc"
	"radcap/tokenizer"
	"radcap/train"
)

// The training-step rows on a device: the job radcap finetune runs
// (train.Run, fp16 or fp32), timed over its steady-state steps.

// finetuneRow times the training step of `radcap finetune --device cuda
// --precision prec` on name (random weights): batch images, captions of
// seq tokens, dropout off, AdamW with clipping, 2·reps optimizer steps of
// which the second half is timed. It adds an images/s row and a row of
// the peak GPU memory in use over the timed steps.
func (b *bencher) finetuneRow(name, label, prec string) error {
	m, err := benchTrainModel(name, b.cfg.quick)
	if err != nil {
		return err
	}
	var peak uint64
	mark := func(step int64, last bool) error {
		if err := b.dev.Sync(); err != nil {
			return err
		}
		if last {
			peak = b.dev.AllocStats().PeakInUseBytes
		} else if r, ok := any(b.dev).(interface{ ResetPeakStats() }); ok {
			// The cgo build has it; the stub without cgo (which never
			// opens a device) does not.
			r.ResetPeakStats()
		}
		return nil
	}
	runtime.GC()
	res, err := finetuneSteps(m, cuda.BackendName, prec, b.cfg.batch, b.cfg.seq, b.cfg.reps, mark)
	if err != nil {
		return err
	}
	rate := trainFLOPs(m, b.cfg.batch, b.cfg.seq) * res.imagesPerSec / float64(b.cfg.batch) / 1e9
	b.rows = append(b.rows, benchRow{name: fmt.Sprintf("%s train step %s (batch %d, %d tokens)", label, prec, b.cfg.batch, b.cfg.seq),
		value: res.imagesPerSec, unit: "images/s", ratio: rate / b.ref,
		note: fmt.Sprintf("radcap finetune's step, steps %d-%d of %d; parameters %s; last grad norm %.3g (0: overflow, skipped); ratio = model GFLOP/s / reference",
			b.cfg.reps+1, 2*b.cfg.reps, 2*b.cfg.reps, res.params, res.gradNorm)})
	b.rows = append(b.rows, benchRow{name: fmt.Sprintf("%s train step %s peak GPU memory in use", label, prec),
		value: float64(peak) / (1 << 30), unit: "GiB", ratio: math.NaN(), note: "allocator's peak over the timed steps (garbage not yet collected counts)"})
	return nil
}

// trainFLOPs is the matrix-product FLOPs of one training step of m.
func trainFLOPs(m train.Model, batch, seq int) float64 {
	switch t := m.(type) {
	case *train.GIT:
		return t.M.Config.TrainStepFLOPs(batch, seq)
	case *train.BLIP:
		step, _ := blipFLOPs(t.M.Config, seq, 1)
		return float64(batch) * step
	}
	return math.NaN()
}

// benchTrainModel returns name ("git-base" or "blip-base") with random
// weights as radcap finetune trains it (tokenizer and image processor
// included); with quick, a one-layer config of width 32 on 32-pixel
// images with the real vocabulary.
func benchTrainModel(name string, quick bool) (train.Model, error) {
	if !quick {
		return train.NewBaseModel(name, 1)
	}
	tok := tokenizer.BertBaseUncased()
	if name == "git-base" {
		cfg := gitmodel.BaseConfig()
		cfg.HiddenSize, cfg.IntermediateSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads = 32, 64, 1, 2
		quickVision(&cfg.Vision)
		m, err := gitmodel.New(cfg, 1)
		if err != nil {
			return nil, err
		}
		proc := imageproc.GIT()
		proc.ShortestEdge, proc.CropWidth, proc.CropHeight = cfg.Vision.ImageSize, cfg.Vision.ImageSize, cfg.Vision.ImageSize
		return train.NewGIT(m, tok, proc)
	}
	cfg := blip.BaseConfig()
	quickBLIP(&cfg)
	m, err := blip.NewCaptionModel(cfg, 1)
	if err != nil {
		return nil, err
	}
	if err := tok.AddBLIPTokens(cfg.TextConfig.BosTokenID); err != nil {
		return nil, err
	}
	proc := imageproc.BLIP()
	proc.Width, proc.Height = cfg.VisionConfig.ImageSize, cfg.VisionConfig.ImageSize
	return train.NewBLIP(m, tok, proc)
}

// benchWords are the words of the benchmark's captions (one word piece
// each in the BERT vocabulary).
var benchWords = strings.Fields("the heart size is normal and lungs are clear there no effusion or left right lower lobe with small")

// benchData is an in-memory data set of n random gray images of size
// pixels, each with a caption of words words, made on demand.
type benchData struct {
	n, size, words int
}

// Len returns the number of examples.
func (d benchData) Len() int { return d.n }

// Item returns example i (the same every time).
func (d benchData) Item(i int) (data.Example, error) {
	if i < 0 || i >= d.n {
		return data.Example{}, fmt.Errorf("bench data: example %d of %d", i, d.n)
	}
	rng := rand.New(rand.NewPCG(11, uint64(i)))
	// Gray, as X-rays are: one plane shared by R, G and B.
	px := make([]uint8, d.size*d.size)
	for j := range px {
		px[j] = uint8(rng.IntN(256))
	}
	img := &imageproc.RGB8{W: d.size, H: d.size, R: px, G: px, B: px}
	w := make([]string, d.words)
	for k := range w {
		w[k] = benchWords[rng.IntN(len(benchWords))]
	}
	c := strings.Join(w, " ")
	return data.Example{ID: fmt.Sprintf("bench-%d", i), Caption: c, Captions: []string{c}, Image: img}, nil
}

// finetuneResult is what a timed training run saw.
type finetuneResult struct {
	imagesPerSec float64 // over the second half of the steps, as the run logged it
	gradNorm     float64 // of the last step (0: skipped after an fp16 overflow)
	params       string  // the parameters' dtypes and devices at the last step
}

// lineWriter calls f with every line written to it (train.Progress writes
// one line per call when it is not a terminal).
type lineWriter func(line string)

// Write passes p to the function.
func (w lineWriter) Write(p []byte) (int, error) {
	w(strings.TrimSpace(string(p)))
	return len(p), nil
}

// finetuneSteps runs train.Run — the loop of radcap finetune — on m on
// device in precision for 2·steps optimizer steps of batch in-memory
// images with captions truncated to seq tokens (accumulation 1, dropout
// off, the reference's AdamW and clipping; the evaluations before
// training see one image), and returns the images/s the run logged over
// steps steps+1..2·steps. mark is called, between optimizer steps, after
// step `steps` (last false) and after the last one (last true). The run
// is stopped by cancelling it after its last step, which saves a
// checkpoint into a temporary folder that is removed.
func finetuneSteps(m train.Model, device, precision string, batch, seq, steps int, mark func(step int64, last bool) error) (*finetuneResult, error) {
	dir, err := os.MkdirTemp("", "radcap-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cfg := train.Reference()
	cfg.Model, cfg.Data, cfg.OutDir = "bench "+m.Arch(), "in-memory benchmark images", dir
	cfg.Epochs, cfg.BatchSize, cfg.EvalBatchSize, cfg.Accumulation = 1, batch, 1, 1
	cfg.MaxSteps, cfg.MaxLength, cfg.Precision, cfg.Device = 2*steps, seq, precision, device
	cfg.Generate.MaxNewTokens, cfg.EvalLimit, cfg.SkipMETEOR = 2, 1, true
	cfg.LogEvery, cfg.SaveTotalLimit, cfg.Samples, cfg.NoDropout, cfg.Workers = steps, 1, 0, true, 4
	// Each word is at least one token: every caption is cut to seq.
	trainSet, one := benchData{n: 2 * steps * batch, size: 64, words: seq}, benchData{n: 1, size: 64, words: seq}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := &finetuneResult{}
	var markErr error
	progress := lineWriter(func(line string) {
		var k, total int64
		if _, err := fmt.Sscanf(line, "step %d/%d", &k, &total); err != nil || markErr != nil {
			return
		}
		last := k == int64(2*steps)
		if k != int64(steps) && !last {
			return
		}
		if markErr = mark(k, last); markErr != nil {
			cancel()
			return
		}
		if !last {
			return
		}
		kinds := map[string]int{}
		for _, p := range m.NamedParams() {
			kinds[fmt.Sprintf("%v on %s", p.Var.Value.DType(), p.Var.Value.Device())]++
		}
		var parts []string
		for k, n := range kinds {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
		slices.Sort(parts)
		res.params = strings.Join(parts, ", ")
		cancel()
	})
	_, err = train.Run(ctx, cfg, m, train.Splits{Train: trainSet, Validation: one, Test: one}, train.RunOptions{Progress: &train.Progress{W: progress}})
	if markErr != nil {
		return nil, markErr
	}
	if err != nil && !errors.Is(err, train.ErrInterrupted) {
		return nil, err
	}
	log, err := os.ReadFile(filepath.Join(dir, "log.jsonl"))
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(log), "\n") {
		var e train.LogEntry
		if line == "" || json.Unmarshal([]byte(line), &e) != nil || e.Kind != "train" || e.Step != int64(2*steps) {
			continue
		}
		res.imagesPerSec, res.gradNorm = e.ImagesPerSec, e.GradNorm
		return res, nil
	}
	return nil, fmt.Errorf("the run logged no training step %d (log.jsonl of %s)", 2*steps, dir)
}
