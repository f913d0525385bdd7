package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"radcap/nn"
	"radcap/nn/optim"
)

// File names inside a checkpoint folder, beside the model folder's own
// (config.json, model.safetensors, tokenizer and processor files).
const (
	OptimizerFile    = "optimizer.safetensors"
	TrainerStateFile = "trainer_state.json"
	checkpointPrefix = "checkpoint-"
	bestDir          = "best"
)

// TrainerState is trainer_state.json: where the run stands, enough to
// continue it exactly.
type TrainerState struct {
	// Step is the number of optimizer steps taken.
	Step int64 `json:"global_step"`
	// Epoch and Batch are the next micro-batch to train: batch Batch of
	// epoch Epoch (Batch may equal the epoch's batch count when only its
	// evaluation is left).
	Epoch int `json:"epoch"`
	Batch int `json:"batch_in_epoch"`
	// Evaluated is the last epoch whose validation is done (-1: none).
	Evaluated int `json:"evaluated_epoch"`
	// DropoutRNG is the state of the dropout generator (PCG, binary).
	DropoutRNG []byte `json:"dropout_rng"`
	// BestMetric and BestStep describe the best validation so far
	// (BestStep -1: none yet).
	BestMetric float64 `json:"best_metric"`
	BestStep   int64   `json:"best_step"`
	// BestLoss is the validation loss of the best step (it breaks ties of
	// a caption metric).
	BestLoss float64 `json:"best_loss"`
	// LossScale is the fp16 loss scaler's state (nil in fp32).
	LossScale *optim.ScalerState `json:"loss_scaler,omitempty"`
	// Base is the base model's test evaluation, done before training.
	Base *EvalResult `json:"base_test,omitempty"`
	// History holds every logged step and evaluation (log.jsonl's lines).
	History []LogEntry `json:"log_history"`
	// Config is the run's configuration, for reference.
	Config Config `json:"config"`
	// Seconds is the training time so far.
	Seconds float64 `json:"train_seconds"`
}

// saveCheckpoint writes model, optimizer, state (and the auxiliary head,
// when there is one) to out/checkpoint-<step>
// atomically: everything goes to a temporary folder that is renamed into
// place, so a crash leaves either the whole checkpoint or none.
func saveCheckpoint(out string, m Model, opt *optim.AdamW, st *TrainerState, aux *FindingHead) (string, error) {
	final := filepath.Join(out, checkpointPrefix+strconv.FormatInt(st.Step, 10))
	err := writeDirAtomic(final, func(tmp string) error {
		if err := m.Save(tmp); err != nil {
			return err
		}
		if aux != nil {
			if err := aux.save(tmp); err != nil {
				return err
			}
		}
		if err := opt.SaveState(filepath.Join(tmp, OptimizerFile)); err != nil {
			return err
		}
		b, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			return err
		}
		return nn.WriteFileAtomic(filepath.Join(tmp, TrainerStateFile), append(b, '\n'))
	})
	if err != nil {
		return "", fmt.Errorf("save checkpoint %s: %w", final, err)
	}
	return final, nil
}

// writeDirAtomic fills a fresh temporary folder beside final with fill,
// then replaces final with it.
func writeDirAtomic(final string, fill func(tmp string) error) error {
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(final)+"-")
	if err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	old := ""
	if _, err := os.Stat(final); err == nil {
		old = final + ".old"
		os.RemoveAll(old)
		if err := os.Rename(final, old); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// checkpoints lists out's complete checkpoint folders, oldest step first.
func checkpoints(out string) ([]string, []int64, error) {
	ents, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	type ck struct {
		dir  string
		step int64
	}
	var cks []ck
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), checkpointPrefix) {
			continue
		}
		step, err := strconv.ParseInt(strings.TrimPrefix(e.Name(), checkpointPrefix), 10, 64)
		if err != nil {
			continue
		}
		dir := filepath.Join(out, e.Name())
		if _, err := os.Stat(filepath.Join(dir, TrainerStateFile)); err != nil {
			continue
		}
		cks = append(cks, ck{dir, step})
	}
	sort.Slice(cks, func(i, j int) bool { return cks[i].step < cks[j].step })
	dirs, steps := make([]string, len(cks)), make([]int64, len(cks))
	for i, c := range cks {
		dirs[i], steps[i] = c.dir, c.step
	}
	return dirs, steps, nil
}

// pruneCheckpoints removes all but the newest keep checkpoints.
func pruneCheckpoints(out string, keep int) error {
	dirs, _, err := checkpoints(out)
	if err != nil {
		return err
	}
	for i := 0; i < len(dirs)-keep; i++ {
		if err := os.RemoveAll(dirs[i]); err != nil {
			return fmt.Errorf("remove old checkpoint: %w", err)
		}
	}
	return nil
}

// readState reads a checkpoint's trainer_state.json.
func readState(dir string) (*TrainerState, error) {
	path := filepath.Join(dir, TrainerStateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st TrainerState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if st.Step < 0 || st.Epoch < 0 || st.Batch < 0 {
		return nil, fmt.Errorf("%s: negative step, epoch or batch", path)
	}
	return &st, nil
}

// loadCheckpointInto restores a checkpoint's weights and optimizer state
// into m and opt and returns its trainer state.
func loadCheckpointInto(dir string, m Model, opt *optim.AdamW) (*TrainerState, error) {
	st, err := readState(dir)
	if err != nil {
		return nil, fmt.Errorf("resume from %s: %w", dir, err)
	}
	if _, err := nn.LoadParams(dir, m.NamedParams(), nn.LoadOptions{}); err != nil {
		return nil, fmt.Errorf("resume from %s: %w", dir, err)
	}
	if err := opt.LoadState(filepath.Join(dir, OptimizerFile)); err != nil {
		return nil, fmt.Errorf("resume from %s: %w", dir, err)
	}
	return st, nil
}

// newDropoutRNG gives the model a dropout generator the run can save and
// restore, seeded from seed.
func newDropoutRNG(m Model, seed uint64) *rand.PCG {
	pcg := rand.NewPCG(seed, seed^0x5851f42d4c957f2d)
	m.Mode().RNG = rand.New(pcg)
	return pcg
}
