package train

import (
	"fmt"
	"path/filepath"

	"radcap/data/synth"
	"radcap/eval"
	"radcap/nn"
)

// finish scores the best weights on the test split and writes the
// reports.
func (r *runner) finish() (*Result, error) {
	best := filepath.Join(r.cfg.OutDir, bestDir)
	if _, err := nn.LoadParams(best, r.m.NamedParams(), nn.LoadOptions{}); err != nil {
		return nil, fmt.Errorf("train: load best model: %w", err)
	}
	if err := MoveModel(r.m, r.cfg.Device); err != nil {
		return nil, err
	}
	tuned, err := r.evaluate(r.splits.Test, "test", "fine-tuned (best) model on test", false)
	if err != nil {
		return nil, r.interrupted(err, false)
	}
	if r.cfg.Data == "synthetic" {
		for _, e := range []*EvalResult{r.st.Base, tuned} {
			if e != nil && e.Predictions != nil {
				v := synth.Variety(e.Predictions)
				e.Variety = &v
			}
		}
	}
	name := r.cfg.Model + " fine-tuned"
	if err := r.log(LogEntry{Kind: "test", Step: r.st.Step, Epoch: float64(r.st.Epoch), Model: name, Result: tuned, Loss: tuned.Loss}); err != nil {
		return nil, err
	}
	res := &Result{Base: r.st.Base, Tuned: tuned, Steps: r.st.Step, Seconds: r.st.Seconds, OutDir: r.cfg.OutDir}
	res.Best = bestValidation(r.st.History, r.st.BestStep)
	res.Table = ResultsTable(r.cfg.Model, r.st.Base, tuned)
	if err := writeResults(r.cfg, res, r.st.History); err != nil {
		return nil, err
	}
	if err := writeReport(r.cfg, res, r.st.History, r.splits.Test, r.m.Processor()); err != nil {
		return nil, err
	}
	return res, nil
}

// bestValidation finds the validation logged at step.
func bestValidation(h []LogEntry, step int64) *EvalResult {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Kind == "eval" && h[i].Step == step {
			return h[i].Result
		}
	}
	return nil
}

// ResultsTable is the table of a run: the reference run's columns and
// Finding F1, one row per model.
func ResultsTable(model string, base, tuned *EvalResult) *eval.Table {
	t := eval.NewTable("Finding F1")
	if base != nil {
		t.AddScores(model, base.Scores, base.FindingF1)
	}
	if tuned != nil {
		t.AddScores(model+" fine-tuned", tuned.Scores, tuned.FindingF1)
	}
	return t
}
