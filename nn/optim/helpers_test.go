package optim

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"radcap/autograd"
	"radcap/internal/hffixtures"
	"radcap/tensor"
)

// fixture returns the path of a file of the Hugging Face fixture set: under
// $RADCAP_HF_FIXTURES when set, else the copy in testdata/hf.
func fixture(rel string) string { return hffixtures.Path(rel) }

// trajectory is the part of train/trajectory.json these tests read.
type trajectory struct {
	Optimizer struct {
		LR           float64   `json:"lr"`
		Betas        []float64 `json:"betas"`
		Eps          float64   `json:"eps"`
		WeightDecay  float64   `json:"weight_decay"`
		NoDecayNames []string  `json:"no_decay_names"`
	} `json:"optimizer"`
	Schedule struct {
		WarmupSteps int64 `json:"warmup_steps"`
		TotalSteps  int64 `json:"total_steps"`
	} `json:"schedule"`
	OptimizerSteps int       `json:"optimizer_steps"`
	LRUsedPerStep  []float64 `json:"lr_used_per_step"`
}

func loadTrajectory(t *testing.T) trajectory {
	t.Helper()
	path := fixture("train/trajectory.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tr trajectory
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(tr.LRUsedPerStep) == 0 || len(tr.Optimizer.NoDecayNames) == 0 {
		t.Fatalf("%s: no lr_used_per_step or no_decay_names", path)
	}
	return tr
}

// randParams makes float params of the given shapes with random values.
func randParams(rng *rand.Rand, dt tensor.DType, shapes ...[]int) []Param {
	ps := make([]Param, len(shapes))
	for i, s := range shapes {
		ps[i] = Param{Name: "p" + string(rune('a'+i)), Var: autograd.Param(tensor.RandN(rng, dt, s...))}
	}
	return ps
}

// setRandGrads gives every param a fresh random gradient scaled by scale.
func setRandGrads(rng *rand.Rand, ps []Param, scale float64) {
	for _, p := range ps {
		p.Var.Grad = tensor.MulScalar(tensor.RandN(rng, p.Var.Value.DType(), p.Var.Value.Shape()...), scale)
	}
}

// relErr is |got-want| / max(|want|, floor).
func relErr(got, want, floor float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), floor)
}
