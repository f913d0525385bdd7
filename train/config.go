package train

import (
	"errors"
	"fmt"
	"math"
)

// Config holds the settings of a fine-tuning run. Reference returns the
// reference run's values; the command line's built-in preset overrides a
// few of them for the small shipped models.
type Config struct {
	// Model names the model in the results table ("git-small"); the
	// fine-tuned row is Model + " fine-tuned".
	Model string `json:"model"`
	// Data names the data set (a folder or "synthetic").
	Data string `json:"data"`
	// OutDir receives checkpoints, best/, log.jsonl, results.json and
	// report.html.
	OutDir string `json:"output"`

	Epochs        int     `json:"epochs"`
	BatchSize     int     `json:"batch_size"`
	EvalBatchSize int     `json:"eval_batch_size"`
	Accumulation  int     `json:"gradient_accumulation_steps"`
	LR            float64 `json:"learning_rate"`
	WeightDecay   float64 `json:"weight_decay"`
	WarmupSteps   int     `json:"warmup_steps"`
	MaxGradNorm   float64 `json:"max_grad_norm"`
	// MaxSteps, when > 0, ends training after that many optimizer steps
	// (the schedule still spans them).
	MaxSteps int    `json:"max_steps"`
	Seed     uint64 `json:"seed"`
	// MaxLength truncates training captions to this many tokens.
	MaxLength int `json:"max_length"`

	// Precision is fp32, bf16 or fp16 (see ApplyPrecision and
	// CheckDevice); Device is cpu or cuda.
	Precision string `json:"precision"`
	Device    string `json:"device"`

	// Generate is how evaluation captions are generated.
	Generate GenerateOptions `json:"generate"`
	// EvalLimit evaluates only the first EvalLimit validation and test
	// examples (0: all).
	EvalLimit int `json:"eval_limit"`
	// BestMetric picks the best checkpoint on the validation split: loss
	// (lowest) or a caption metric (highest; see EvalResult.Metric).
	BestMetric string `json:"best_metric"`
	// SkipMETEOR leaves METEOR out of the per-epoch validation (the test
	// evaluations always compute it).
	SkipMETEOR bool `json:"skip_meteor_validation"`

	// LogEvery logs every LogEvery optimizer steps; SaveSteps also writes
	// a checkpoint every SaveSteps optimizer steps (0: only at the end of
	// each epoch); SaveTotalLimit keeps that many newest checkpoints.
	LogEvery       int `json:"log_every"`
	SaveSteps      int `json:"save_steps"`
	SaveTotalLimit int `json:"save_total_limit"`
	// AuxFindings, when > 0, adds the auxiliary finding objective
	// (FindingHead) with this weight; it needs data with known findings.
	AuxFindings float64 `json:"aux_findings_weight"`
	// AuxPool names the features the auxiliary head reads: PoolMean
	// ("mean", also when empty), PoolAvg ("avg"), PoolFlat ("flat"),
	// PoolFirst ("first"), or several joined by "+" ("flat+avg").
	AuxPool string `json:"aux_findings_pool"`
	// AuxOnlySteps, with AuxFindings > 0, trains the first AuxOnlySteps
	// optimizer steps on the auxiliary loss alone (no caption loss), so
	// that the model learns to see before it learns to write.
	AuxOnlySteps int `json:"aux_only_steps"`
	// NoDropout trains with dropout off (the model stays in evaluation
	// mode). A tiny decoder fine-tuned for minutes with dropout learns to
	// ignore the image: measured on git-small, 100 steps of an
	// image-level loss on the decoder's first caption position shrink the
	// across-image spread of its output from 0.10 to 0.002 with dropout
	// and grow it to 0.15 without.
	NoDropout bool `json:"no_dropout"`
	// Workers prepare batches (0: 2).
	Workers int `json:"workers"`
	// Samples is the number of test images shown in report.html.
	Samples int `json:"report_samples"`
}

// Reference returns the reference run's settings: AdamW at 5e-5 with
// weight decay 1e-8, 10 epochs, batches of 8 for training and 2 for
// evaluation, 2 accumulation steps, clipping at 1.0, no warm-up, greedy
// captions of at most 32 new tokens, fp32 on the CPU.
func Reference() Config {
	return Config{
		Epochs: 10, BatchSize: 8, EvalBatchSize: 2, Accumulation: 2,
		LR: 5e-5, WeightDecay: 1e-8, MaxGradNorm: 1.0, Seed: 42, MaxLength: 64,
		Precision: "fp32", Device: "cpu",
		Generate:   GenerateOptions{Beams: 1, MaxNewTokens: 32},
		BestMetric: "loss", LogEvery: 10, SaveTotalLimit: 2, Samples: 6, AuxPool: PoolMean,
	}
}

// Validate checks the settings; it does not touch the file system.
func (c Config) Validate() error {
	switch {
	case c.OutDir == "":
		return errors.New("train: no output folder")
	case c.Epochs < 1:
		return fmt.Errorf("train: epochs %d, want >= 1", c.Epochs)
	case c.BatchSize < 1 || c.EvalBatchSize < 1:
		return fmt.Errorf("train: batch sizes %d / %d, want >= 1", c.BatchSize, c.EvalBatchSize)
	case c.Accumulation < 1:
		return fmt.Errorf("train: gradient accumulation steps %d, want >= 1", c.Accumulation)
	case !(c.LR >= 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("train: learning rate %v, want finite >= 0", c.LR)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("train: weight decay %v, want finite >= 0", c.WeightDecay)
	case c.AuxOnlySteps < 0:
		return fmt.Errorf("train: auxiliary-only steps %d, want >= 0", c.AuxOnlySteps)
	case c.WarmupSteps < 0 || c.MaxSteps < 0 || c.EvalLimit < 0 || c.SaveSteps < 0 || c.LogEvery < 0 || c.Samples < 0:
		return errors.New("train: negative warm-up, max steps, eval limit, save steps, log interval or sample count")
	case !(c.MaxGradNorm >= 0) || math.IsInf(c.MaxGradNorm, 0):
		return fmt.Errorf("train: max grad norm %v, want finite >= 0 (0 turns clipping off)", c.MaxGradNorm)
	case c.MaxLength < 2:
		return fmt.Errorf("train: max caption length %d tokens, want >= 2", c.MaxLength)
	case c.Generate.MaxNewTokens < 1 || c.Generate.Beams < 1:
		return fmt.Errorf("train: generation needs max new tokens >= 1 and beams >= 1, got %d and %d", c.Generate.MaxNewTokens, c.Generate.Beams)
	case !(c.AuxFindings >= 0) || math.IsInf(c.AuxFindings, 0):
		return fmt.Errorf("train: auxiliary finding weight %v, want finite >= 0", c.AuxFindings)
	case c.SaveTotalLimit < 1:
		return fmt.Errorf("train: save total limit %d, want >= 1", c.SaveTotalLimit)
	}
	if _, err := (&EvalResult{}).Metric(c.BestMetric); err != nil {
		return fmt.Errorf("train: best metric: %w", err)
	}
	if _, err := parsePools(c.AuxPool); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if c.BestMetric == "meteor" && c.SkipMETEOR {
		return errors.New("train: best metric meteor needs METEOR in the validation (drop --skip-meteor-validation)")
	}
	return CheckDevice(c.Device, c.Precision)
}
