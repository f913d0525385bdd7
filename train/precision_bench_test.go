package train

import (
	"testing"

	"radcap/autograd"
	"radcap/data"
	"radcap/models"
	"radcap/nn/optim"
)

// BenchmarkTrainStepPrecision times one training step of the shipped
// git-small (forward, backward and AdamW on a batch of 8 synthetic 64-pixel
// chest X-rays, dropout off) in fp32 and in bf16. Compare the two
// sub-benchmarks of one run: on the CPU bf16 is expected to be slower, its
// roundings being extra passes over float32 data.
func BenchmarkTrainStepPrecision(b *testing.B) {
	dir, cleanup, err := models.ExtractTemp("git-small")
	if err != nil {
		b.Skipf("git-small is not shipped in this build: %v", err)
	}
	defer cleanup()
	splits, err := OpenData("synthetic", SynthOptions{Seed: 0, Size: 64, Train: 8, Validation: 1, Test: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, precision := range []string{"fp32", "bf16"} {
		b.Run(precision, func(b *testing.B) {
			m, err := LoadModel(dir)
			if err != nil {
				b.Fatal(err)
			}
			cfg := Reference()
			cfg.Precision = precision
			if err := ApplyPrecision(cfg, m); err != nil {
				b.Fatal(err)
			}
			loader, err := data.NewLoader(splits.Train, data.LoaderOptions{BatchSize: 8, Processor: m.Processor(), Tokenizer: m.Tokenizer(), MaxLength: 64, Workers: 1})
			if err != nil {
				b.Fatal(err)
			}
			batch, err := loader.Batch(0, 0)
			if err != nil {
				b.Fatal(err)
			}
			named := m.NamedParams()
			params := make([]optim.Param, len(named))
			for i, p := range named {
				params[i] = optim.Param{Name: p.Name, Var: p.Var}
			}
			opt, err := optim.NewAdamW(optim.TrainerGroups(params, 0.01, func(string) bool { return false }), optim.DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				tp := autograd.NewTape()
				loss, err := m.Loss(batch)
				if err != nil {
					b.Fatal(err)
				}
				if err := tp.Backward(loss); err != nil {
					b.Fatal(err)
				}
				if err := opt.Step(1e-5); err != nil {
					b.Fatal(err)
				}
				optim.ZeroGrad(params)
			}
		})
	}
}
