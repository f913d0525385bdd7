package generate

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"

	"radcap/tensor"
)

// toyModel is a deterministic Decoder for the tests. Its next-token logits
// are a pure function of a row's real tokens (the positions whose mask is
// 1), so they do not depend on padding, batching or beam layout. It keeps
// every row's tokens and mask in its state as its "cache" and checks that
// generate drives it as the interface says: the whole prompt on the first
// Step, then exactly one new token per row with Past equal to the cached
// length, masks that extend the cached ones, and Reorder before each beam
// step.
type toyModel struct {
	batch  int
	vocab  int
	logits func(real []int64) []float32
	// counters
	starts, steps, reorders int
	fed                     int   // tokens fed through Step, all rows
	widths                  []int // n of each Step call
}

// toyState is the toy's cache: every row's ids and mask so far.
type toyState struct {
	ids, mask [][]int64
}

func (m *toyModel) Batch() int { return m.batch }

func (m *toyModel) Start() (State, error) {
	m.starts++
	return &toyState{ids: make([][]int64, m.batch), mask: make([][]int64, m.batch)}, nil
}

func (m *toyModel) Step(s State, in StepInput) (*tensor.Tensor, error) {
	st, ok := s.(*toyState)
	if !ok {
		return nil, fmt.Errorf("toy: state of type %T", s)
	}
	m.steps++
	ids, mask := in.IDs, in.Mask
	if ids.DType() != tensor.I64 || ids.Rank() != 2 || ids.Dim(0) != len(st.ids) {
		return nil, fmt.Errorf("toy: ids %v %v for %d cached rows", ids.DType(), ids.Shape(), len(st.ids))
	}
	rows, n := ids.Dim(0), ids.Dim(1)
	for r := range rows {
		if len(st.ids[r]) != in.Past {
			return nil, fmt.Errorf("toy: row %d has %d cached positions, Past says %d", r, len(st.ids[r]), in.Past)
		}
	}
	if in.Past > 0 && n != 1 {
		return nil, fmt.Errorf("toy: %d new tokens per row after the first step (cache not used)", n)
	}
	if mask.DType() != tensor.I64 || mask.Rank() != 2 || mask.Dim(0) != rows || mask.Dim(1) != in.Past+n {
		return nil, fmt.Errorf("toy: mask %v %v, want [%d, %d]", mask.DType(), mask.Shape(), rows, in.Past+n)
	}
	m.fed += rows * n
	m.widths = append(m.widths, n)
	idv, mv := ids.Contiguous().I64(), mask.Contiguous().I64()
	w := in.Past + n
	out := make([]float32, 0, rows*m.vocab)
	for r := range rows {
		for j := range in.Past {
			if mv[r*w+j] != st.mask[r][j] {
				return nil, fmt.Errorf("toy: row %d: mask of cached position %d changed", r, j)
			}
		}
		st.ids[r] = append(st.ids[r], idv[r*n:(r+1)*n]...)
		st.mask[r] = append(st.mask[r], mv[r*w+in.Past:(r+1)*w]...)
		var real []int64
		seenReal := false
		for j, id := range st.ids[r] {
			switch st.mask[r][j] {
			case 1:
				real = append(real, id)
				seenReal = true
			case 0:
				if seenReal {
					return nil, fmt.Errorf("toy: row %d: masked position %d after a real token", r, j)
				}
			default:
				return nil, fmt.Errorf("toy: row %d: mask value %d", r, st.mask[r][j])
			}
		}
		lg := m.logits(real)
		if len(lg) != m.vocab {
			return nil, fmt.Errorf("toy: logits function gave %d values", len(lg))
		}
		out = append(out, lg...)
	}
	return tensor.FromF32(out, rows, m.vocab), nil
}

func (m *toyModel) Reorder(s State, rows []int) (State, error) {
	st := s.(*toyState)
	m.reorders++
	next := &toyState{ids: make([][]int64, len(rows)), mask: make([][]int64, len(rows))}
	for i, r := range rows {
		if r < 0 || r >= len(st.ids) {
			return nil, fmt.Errorf("toy: reorder row %d of %d", r, len(st.ids))
		}
		next.ids[i] = append([]int64(nil), st.ids[r]...)
		next.mask[i] = append([]int64(nil), st.mask[r]...)
	}
	return next, nil
}

// probTable builds a logits function from a table of next-token
// probabilities keyed by the real prefix ("1 3 4"); logits are log p, so
// log_softmax gives back log p. Prefixes not in the table get fallback.
func probTable(vocab int, table map[string]map[int64]float64, fallback map[int64]float64) func([]int64) []float32 {
	return func(real []int64) []float32 {
		p, ok := table[key(real)]
		if !ok {
			p = fallback
		}
		out := make([]float32, vocab)
		for j := range out {
			out[j] = float32(math.Inf(-1))
			if q, ok := p[int64(j)]; ok {
				out[j] = float32(math.Log(q))
			}
		}
		return out
	}
}

// logitTable builds a logits function from raw logits keyed by the real
// prefix; missing entries are 0.
func logitTable(vocab int, table map[string][]float32, fallback []float32) func([]int64) []float32 {
	return func(real []int64) []float32 {
		l, ok := table[key(real)]
		if !ok {
			l = fallback
		}
		out := make([]float32, vocab)
		copy(out, l)
		return out
	}
}

// hashLogits is a pseudo-random logits function of the prefix: values in
// [-3, 3) from an FNV hash of the tokens, with the stop token raised by
// eosBoost per token so that rows end at different lengths.
func hashLogits(vocab int, eos int64, eosBoost float64, salt uint64) func([]int64) []float32 {
	return func(real []int64) []float32 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d:%s", salt, key(real))
		x := h.Sum64()
		out := make([]float32, vocab)
		for j := range out {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			out[j] = float32(float64(x>>11)/float64(1<<53)*6 - 3)
		}
		if eos >= 0 {
			out[eos] += float32(eosBoost * float64(len(real)))
		}
		return out
	}
}

// key spells a token sequence as "1 3 4".
func key(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, " ")
}

// rowsOf returns an I64 [rows, width] tensor's rows.
func rowsOf(t *tensor.Tensor) [][]int64 {
	flat := t.Contiguous().I64()
	w := t.Dim(1)
	out := make([][]int64, t.Dim(0))
	for i := range out {
		out[i] = flat[i*w : (i+1)*w]
	}
	return out
}
