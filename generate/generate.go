package generate

import (
	"errors"
	"fmt"
	"math"

	"radcap/tensor"
)

// Generate continues every prompt with the decoder, by greedy search
// (NumBeams 1) or beam search, and returns the sequences as transformers'
// generate does with do_sample=False.
//
// prompts holds one row of token ids per batch item (len(prompts) must be
// d.Batch()); nil means an empty prompt for every row. An empty row starts
// from opts.BOS. Rows of different lengths are left-padded with opts.Pad,
// and the padding is masked out (StepInput.Mask), as transformers expects
// for decoder-only models; the padding is part of the returned rows.
func Generate(d Decoder, prompts [][]int64, opts Options) (*Result, error) {
	if d == nil {
		return nil, errors.New("generate: nil decoder")
	}
	batch := d.Batch()
	if batch <= 0 {
		return nil, fmt.Errorf("generate: decoder has batch size %d", batch)
	}
	if prompts == nil {
		prompts = make([][]int64, batch)
	}
	if len(prompts) != batch {
		return nil, fmt.Errorf("generate: %d prompts for a decoder bound to %d batch items", len(prompts), batch)
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	p, err := padPrompts(prompts, opts.BOS, opts.Pad)
	if err != nil {
		return nil, err
	}
	maxLen := opts.maxLength(p.width)
	if maxLen <= p.width {
		return nil, fmt.Errorf("generate: max length %d leaves no room after the prompt width %d", maxLen, p.width)
	}
	if opts.NumBeams == 1 {
		return greedy(d, p, opts, maxLen)
	}
	return beamSearch(d, p, opts, maxLen)
}

// validate checks the option values themselves.
func (o Options) validate() error {
	switch {
	case o.NumBeams < 1:
		return fmt.Errorf("generate: NumBeams %d must be at least 1", o.NumBeams)
	case o.MaxNewTokens < 0:
		return fmt.Errorf("generate: MaxNewTokens %d is negative", o.MaxNewTokens)
	case o.MaxNewTokens == 0 && o.MaxLength <= 0:
		return errors.New("generate: neither MaxNewTokens nor MaxLength is set")
	case o.MinNewTokens < 0 || o.MinLength < 0:
		return fmt.Errorf("generate: negative MinNewTokens %d or MinLength %d", o.MinNewTokens, o.MinLength)
	case o.NoRepeatNGramSize < 0:
		return fmt.Errorf("generate: NoRepeatNGramSize %d is negative", o.NoRepeatNGramSize)
	case !(o.RepetitionPenalty > 0) || math.IsInf(o.RepetitionPenalty, 0):
		return fmt.Errorf("generate: RepetitionPenalty %v must be a positive number (1 is off)", o.RepetitionPenalty)
	case math.IsNaN(o.LengthPenalty) || math.IsInf(o.LengthPenalty, 0):
		return fmt.Errorf("generate: LengthPenalty %v is not a finite number", o.LengthPenalty)
	case o.EarlyStopping < EarlyStoppingFalse || o.EarlyStopping > EarlyStoppingNever:
		return fmt.Errorf("generate: unknown EarlyStopping %d", int(o.EarlyStopping))
	case o.Pad < 0:
		return fmt.Errorf("generate: Pad %d is negative", o.Pad)
	}
	for _, e := range o.EOS {
		if e < 0 {
			return fmt.Errorf("generate: EOS id %d is negative", e)
		}
	}
	return nil
}

// maxLength is the total length limit: prompt width + MaxNewTokens, or
// MaxLength when MaxNewTokens is unset (transformers'
// _prepare_generated_length).
func (o Options) maxLength(width int) int {
	if o.MaxNewTokens > 0 {
		return width + o.MaxNewTokens
	}
	return o.MaxLength
}

// isEOS reports whether tok is one of the stop tokens.
func (o Options) isEOS(tok int64) bool {
	for _, e := range o.EOS {
		if e == tok {
			return true
		}
	}
	return false
}

// padded is a batch of prompts, left-padded to one width.
type padded struct {
	width int
	ids   [][]int64 // [batch][width]
	mask  [][]int64 // [batch][width], 1 real, 0 padding
}

// padPrompts left-pads the prompts; an empty row becomes [bos].
func padPrompts(prompts [][]int64, bos, pad int64) (*padded, error) {
	rows := make([][]int64, len(prompts))
	width := 0
	for i, r := range prompts {
		if len(r) == 0 {
			if bos < 0 {
				return nil, fmt.Errorf("generate: prompt %d is empty and Options.BOS is unset", i)
			}
			r = []int64{bos}
		}
		for j, id := range r {
			if id < 0 {
				return nil, fmt.Errorf("generate: prompt %d token %d has negative id %d", i, j, id)
			}
		}
		rows[i] = r
		width = max(width, len(r))
	}
	p := &padded{width: width, ids: make([][]int64, len(rows)), mask: make([][]int64, len(rows))}
	for i, r := range rows {
		ids := make([]int64, width)
		mask := make([]int64, width)
		off := width - len(r)
		for j := range off {
			ids[j] = pad
		}
		copy(ids[off:], r)
		for j := off; j < width; j++ {
			mask[j] = 1
		}
		p.ids[i], p.mask[i] = ids, mask
	}
	return p, nil
}

// i64Tensor packs rows of equal length into an I64 tensor [rows, width].
func i64Tensor(rows [][]int64) *tensor.Tensor {
	w := 0
	if len(rows) > 0 {
		w = len(rows[0])
	}
	flat := make([]int64, 0, len(rows)*w)
	for _, r := range rows {
		flat = append(flat, r...)
	}
	return tensor.FromI64(flat, len(rows), w)
}

// lastColumn returns the last element of every row as an I64 [rows, 1].
func lastColumn(rows [][]int64) *tensor.Tensor {
	flat := make([]int64, len(rows))
	for i, r := range rows {
		flat[i] = r[len(r)-1]
	}
	return tensor.FromI64(flat, len(rows), 1)
}

// step runs one decoder step and returns the logits as float32 rows,
// checking their shape (rows x vocab, vocab fixed after the first step)
// and that no value is NaN.
//
// On the first call (past 0) it feeds every column of ids, afterwards only
// the last one.
func step(d Decoder, st State, ids, mask [][]int64, past, vocab, stepIdx int) ([][]float32, error) {
	in := StepInput{Past: past, Mask: i64Tensor(mask)}
	if past > 0 {
		in.IDs = lastColumn(ids)
	} else {
		in.IDs = i64Tensor(ids)
	}
	logits, err := d.Step(st, in)
	if err != nil {
		return nil, fmt.Errorf("generate: step %d: %w", stepIdx, err)
	}
	if logits == nil {
		return nil, fmt.Errorf("generate: step %d: decoder returned no logits", stepIdx)
	}
	sh := logits.Shape()
	if len(sh) != 2 || sh[0] != len(ids) || sh[1] < 1 || (vocab > 0 && sh[1] != vocab) {
		return nil, fmt.Errorf("generate: step %d: decoder returned logits of shape %v, want [%d, vocab]", stepIdx, sh, len(ids))
	}
	if !logits.OnHost() {
		// The search runs on the host: one explicit download of the
		// [rows, vocab] logits per generated token.
		if logits, err = logits.ToDevice("cpu"); err != nil {
			return nil, fmt.Errorf("generate: step %d: download the logits: %w", stepIdx, err)
		}
	}
	if dt := logits.DType(); dt == tensor.F16 || dt == tensor.BF16 {
		logits = logits.To(tensor.F32) // a half-precision model's logits
	}
	var flat []float32
	switch logits.DType() {
	case tensor.F32:
		flat = logits.Contiguous().F32()
	case tensor.F64:
		for _, v := range logits.Contiguous().F64() {
			flat = append(flat, float32(v))
		}
	default:
		return nil, fmt.Errorf("generate: step %d: decoder returned %v logits, want F32 or F64", stepIdx, logits.DType())
	}
	out := make([][]float32, sh[0])
	for i := range out {
		row := make([]float32, sh[1])
		copy(row, flat[i*sh[1]:(i+1)*sh[1]])
		for _, v := range row {
			if v != v {
				return nil, fmt.Errorf("generate: step %d: logits of row %d contain NaN", stepIdx, i)
			}
		}
		out[i] = row
	}
	return out, nil
}

// scoresTensor packs score rows into an F32 tensor [rows, vocab].
func scoresTensor(rows [][]float32) *tensor.Tensor {
	flat := make([]float32, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		flat = append(flat, r...)
	}
	return tensor.FromF32(flat, len(rows), len(rows[0]))
}
