package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LogEntry is one line of log.jsonl: a logged training step ("train"), a
// validation ("eval") or a test evaluation ("test").
type LogEntry struct {
	Kind  string  `json:"kind"`
	Step  int64   `json:"step"`
	Epoch float64 `json:"epoch"`
	// Training steps: the mean micro-batch loss since the last log line,
	// the learning rate, the gradient norm before clipping, throughput.
	Loss         float64 `json:"loss"`
	LR           float64 `json:"learning_rate,omitempty"`
	GradNorm     float64 `json:"grad_norm,omitempty"`
	ImagesPerSec float64 `json:"images_per_second,omitempty"`
	// AuxLoss is the auxiliary finding loss (included in Loss), when on.
	AuxLoss float64 `json:"aux_loss,omitempty"`
	// Evaluations: the model row name and the results.
	Model  string      `json:"model,omitempty"`
	Result *EvalResult `json:"result,omitempty"`
	// Time is the wall-clock time since the run started, in seconds.
	Time float64 `json:"time"`
}

// MarshalJSON writes NaN losses as null (JSON has no NaN).
func (e LogEntry) MarshalJSON() ([]byte, error) {
	type plain LogEntry
	p := struct {
		plain
		Loss *float64 `json:"loss"`
	}{plain: plain(e)}
	if !math.IsNaN(e.Loss) && !math.IsInf(e.Loss, 0) {
		p.Loss = &e.Loss
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads a null loss as NaN.
func (e *LogEntry) UnmarshalJSON(b []byte) error {
	type plain LogEntry
	p := struct {
		*plain
		Loss *float64 `json:"loss"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	e.Loss = math.NaN()
	if p.Loss != nil {
		e.Loss = *p.Loss
	}
	return nil
}

// MarshalJSON writes a NaN loss as null.
func (r EvalResult) MarshalJSON() ([]byte, error) {
	type plain EvalResult
	p := struct {
		plain
		Loss *float64 `json:"loss"`
	}{plain: plain(r)}
	if !math.IsNaN(r.Loss) && !math.IsInf(r.Loss, 0) {
		p.Loss = &r.Loss
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads a null loss as NaN.
func (r *EvalResult) UnmarshalJSON(b []byte) error {
	type plain EvalResult
	p := struct {
		*plain
		Loss *float64 `json:"loss"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	r.Loss = math.NaN()
	if p.Loss != nil {
		r.Loss = *p.Loss
	}
	return nil
}

// writeLog rewrites out/log.jsonl from the history, atomically (after a
// resume the lines a killed run wrote past its checkpoint disappear).
func writeLog(out string, history []LogEntry) error {
	var b strings.Builder
	for _, e := range history {
		j, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return writeFileAtomic(filepath.Join(out, "log.jsonl"), []byte(b.String()))
}

// appendLog adds one line to out/log.jsonl.
func appendLog(out string, e LogEntry) error {
	j, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(out, "log.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(j, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Progress reports a run on a writer: a bar redrawn in place with \r when
// it is a terminal, plain lines otherwise.
type Progress struct {
	W        io.Writer
	Terminal bool
	last     time.Time
	barShown bool
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Line prints a message on its own line (ending the bar first).
func (p *Progress) Line(format string, args ...any) {
	if p == nil || p.W == nil {
		return
	}
	if p.barShown {
		fmt.Fprintln(p.W)
		p.barShown = false
	}
	fmt.Fprintf(p.W, format+"\n", args...)
}

// Step reports training progress: on a terminal a bar (at most 10 times
// a second), otherwise a plain line when logged is true.
func (p *Progress) Step(step, total int64, epoch float64, loss, lr, imgPerSec float64, eta time.Duration, logged bool) {
	if p == nil || p.W == nil {
		return
	}
	msg := fmt.Sprintf("step %d/%d  epoch %.2f  loss %.4f  lr %.3g  %.1f img/s  ETA %s",
		step, total, epoch, loss, lr, imgPerSec, eta.Round(time.Second))
	if !p.Terminal {
		if logged {
			fmt.Fprintln(p.W, msg)
		}
		return
	}
	if time.Since(p.last) < 100*time.Millisecond && step != total {
		return
	}
	p.last = time.Now()
	const width = 24
	done := 0
	if total > 0 {
		done = int(float64(width) * float64(step) / float64(total))
	}
	bar := strings.Repeat("=", done) + strings.Repeat(" ", width-done)
	fmt.Fprintf(p.W, "\r[%s] %s\x1b[K", bar, msg)
	p.barShown = true
}

// Eval reports evaluation progress on a terminal (nothing otherwise).
func (p *Progress) Eval(what string, done, total int) {
	if p == nil || p.W == nil || !p.Terminal {
		return
	}
	if time.Since(p.last) < 100*time.Millisecond && done != total {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.W, "\r%s: %d/%d images\x1b[K", what, done, total)
	p.barShown = true
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder renamed over it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
