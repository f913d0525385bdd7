package generate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
)

// refGenerate is a second, deliberately plain implementation of
// transformers' greedy and beam search used to cross-check Generate: no
// cache and no Decoder (it recomputes every row's logits from its whole
// sequence with f), sorting every candidate of a batch item instead of
// keeping a running top-k, and following the reference's control flow
// line by line (input_ids, beam_scores, BeamSearchScorer.process,
// finalize).
func refGenerate(f func([]int64) []float32, prompts [][]int64, o Options) (ids [][]int64, seqScores []float64) {
	width := 0
	for _, p := range prompts {
		width = max(width, len(p))
	}
	var inputIDs [][]int64
	var padCount []int // left padding of each row of inputIDs
	for _, p := range prompts {
		row := make([]int64, 0, width)
		for len(row)+len(p) < width {
			row = append(row, o.Pad)
		}
		inputIDs = append(inputIDs, append(row, p...))
		padCount = append(padCount, width-len(p))
	}
	maxLength := o.MaxLength
	if o.MaxNewTokens > 0 {
		maxLength = width + o.MaxNewTokens
	}
	isEOS := func(t int64) bool {
		for _, e := range o.EOS {
			if e == t {
				return true
			}
		}
		return false
	}
	logitsOf := func(r int) []float32 { return f(inputIDs[r][padCount[r]:]) }
	process := func(r int, scores []float32) {
		seq := inputIDs[r]
		if o.RepetitionPenalty != 1 {
			orig := append([]float32(nil), scores...)
			for _, tok := range seq {
				if orig[tok] < 0 {
					scores[tok] = orig[tok] * float32(o.RepetitionPenalty)
				} else {
					scores[tok] = orig[tok] / float32(o.RepetitionPenalty)
				}
			}
		}
		if n := o.NoRepeatNGramSize; n > 0 && len(seq)+1 >= n {
			follow := map[string][]int64{}
			for j := 0; j+n <= len(seq); j++ {
				k := fmt.Sprint(seq[j : j+n-1])
				follow[k] = append(follow[k], seq[j+n-1])
			}
			for _, tok := range follow[fmt.Sprint(seq[len(seq)-(n-1):])] {
				scores[tok] = float32(math.Inf(-1))
			}
		}
		minLength := o.MinLength // _prepare_generated_length
		if o.MinNewTokens > 0 {
			minLength = o.MinNewTokens + width
		}
		if len(seq) < minLength || len(seq)-width < o.MinNewTokens {
			for _, e := range o.EOS {
				scores[e] = float32(math.Inf(-1))
			}
		}
	}

	if o.NumBeams == 1 {
		unfinished := make([]bool, len(inputIDs))
		for i := range unfinished {
			unfinished[i] = true
		}
		for {
			next := make([]int64, len(inputIDs))
			for r := range inputIDs {
				scores := logitsOf(r)
				process(r, scores)
				best := 0
				for j := range scores {
					if scores[j] > scores[best] {
						best = j
					}
				}
				next[r] = int64(best)
				if !unfinished[r] {
					next[r] = o.Pad
				}
			}
			any := false
			for r := range inputIDs {
				inputIDs[r] = append(inputIDs[r], next[r])
				if isEOS(next[r]) {
					unfinished[r] = false
				}
				any = any || unfinished[r]
			}
			if !any || len(inputIDs[0]) >= maxLength {
				return inputIDs, nil
			}
		}
	}

	nb := o.NumBeams
	batch := len(inputIDs)
	var expanded [][]int64
	var expandedPad []int
	for b := range batch {
		for range nb {
			expanded = append(expanded, append([]int64(nil), inputIDs[b]...))
			expandedPad = append(expandedPad, padCount[b])
		}
	}
	inputIDs, padCount = expanded, expandedPad
	beamScores := make([]float32, batch*nb)
	for r := range beamScores {
		if r%nb != 0 {
			beamScores[r] = -1e9
		}
	}
	type hyp struct {
		score float64
		ids   []int64
	}
	hyps := make([][]hyp, batch)
	worst := make([]float64, batch)
	done := make([]bool, batch)
	for b := range worst {
		worst[b] = 1e9
	}
	add := func(b int, ids []int64, sum float64, genLen int) {
		score := sum / math.Pow(float64(genLen), o.LengthPenalty)
		if len(hyps[b]) < nb || score > worst[b] {
			hyps[b] = append(hyps[b], hyp{score, ids})
			if len(hyps[b]) > nb {
				type si struct {
					s float64
					i int
				}
				var sorted []si
				for i, h := range hyps[b] {
					sorted = append(sorted, si{h.score, i})
				}
				sort.Slice(sorted, func(x, y int) bool {
					if sorted[x].s != sorted[y].s {
						return sorted[x].s < sorted[y].s
					}
					return sorted[x].i < sorted[y].i
				})
				del := sorted[0].i
				hyps[b] = append(hyps[b][:del:del], hyps[b][del+1:]...)
				worst[b] = sorted[1].s
			} else {
				worst[b] = math.Min(score, worst[b])
			}
		}
	}
	isDone := func(b int, best float64, curLen int) bool {
		if len(hyps[b]) < nb {
			return false
		}
		switch {
		case o.EarlyStopping == EarlyStoppingTrue:
			return true
		case o.EarlyStopping == EarlyStoppingFalse || o.LengthPenalty <= 0:
			return worst[b] >= best/math.Pow(float64(curLen-width), o.LengthPenalty)
		default:
			return worst[b] >= best/math.Pow(float64(maxLength-width), o.LengthPenalty)
		}
	}
	nKeep := max(2, 1+len(o.EOS)) * nb
	for {
		type cand struct {
			score float32
			flat  int
		}
		var vocab int
		allCands := make([][]cand, batch)
		for r := range inputIDs {
			lg := logitsOf(r)
			vocab = len(lg)
			m := math.Inf(-1)
			for _, v := range lg {
				m = math.Max(m, float64(v))
			}
			s := 0.0
			for _, v := range lg {
				s += math.Exp(float64(v) - m)
			}
			lp := make([]float32, len(lg))
			for j, v := range lg {
				lp[j] = float32(float64(v) - m - math.Log(s))
			}
			process(r, lp)
			for j, v := range lp {
				allCands[r/nb] = append(allCands[r/nb], cand{v + beamScores[r], (r%nb)*len(lg) + j})
			}
		}
		curLen := len(inputIDs[0]) + 1
		nextScores := make([]float32, batch*nb)
		nextTokens := make([]int64, batch*nb)
		nextIdx := make([]int, batch*nb)
		for b := range batch {
			if done[b] {
				for k := range nb {
					nextTokens[b*nb+k] = o.Pad
					nextIdx[b*nb+k] = b * nb
				}
				continue
			}
			c := allCands[b]
			sort.SliceStable(c, func(x, y int) bool { return c[x].score > c[y].score })
			c = c[:nKeep]
			beamIdx := 0
			for rank, cd := range c {
				tok, parent := int64(cd.flat%vocab), b*nb+cd.flat/vocab
				if isEOS(tok) {
					if rank >= nb {
						continue
					}
					add(b, append([]int64(nil), inputIDs[parent]...), float64(cd.score), curLen-width)
				} else {
					nextScores[b*nb+beamIdx], nextTokens[b*nb+beamIdx], nextIdx[b*nb+beamIdx] = cd.score, tok, parent
					beamIdx++
				}
				if beamIdx == nb {
					break
				}
			}
			done[b] = done[b] || isDone(b, float64(c[0].score), curLen)
		}
		var newIDs [][]int64
		var newPad []int
		for r := range inputIDs {
			newIDs = append(newIDs, append(append([]int64(nil), inputIDs[nextIdx[r]]...), nextTokens[r]))
			newPad = append(newPad, padCount[nextIdx[r]])
		}
		inputIDs, padCount, beamScores = newIDs, newPad, nextScores
		allDone := true
		for _, d := range done {
			allDone = allDone && d
		}
		if allDone || len(inputIDs[0]) >= maxLength {
			break
		}
	}
	for b := range batch {
		if done[b] {
			continue
		}
		for k := range nb {
			r := b*nb + k
			add(b, inputIDs[r], float64(beamScores[r]), len(inputIDs[r])-width)
		}
	}
	var best []hyp
	longest := 0
	for b := range batch {
		sorted := append([]hyp(nil), hyps[b]...)
		sort.SliceStable(sorted, func(x, y int) bool { return sorted[x].score < sorted[y].score })
		best = append(best, sorted[len(sorted)-1])
		longest = max(longest, len(sorted[len(sorted)-1].ids))
	}
	outLen := min(longest+1, maxLength)
	for _, h := range best {
		row := make([]int64, outLen)
		for j := range row {
			row[j] = o.Pad
		}
		copy(row, h.ids)
		if len(h.ids) < outLen {
			row[len(h.ids)] = o.EOS[0]
		}
		ids = append(ids, row)
		seqScores = append(seqScores, float64(float32(h.score)))
	}
	return ids, seqScores
}

// randomPrompts draws batch prompts of lengths 1..maxLen over tokens
// 1..vocab-1.
func randomPrompts(rng *rand.Rand, batch, maxLen, vocab int) [][]int64 {
	out := make([][]int64, batch)
	for i := range out {
		n := 1 + rng.IntN(maxLen)
		for range n {
			out[i] = append(out[i], int64(1+rng.IntN(vocab-1)))
		}
	}
	return out
}

// TestMatchesReferenceRandom runs Generate (with the toy's cache, beams
// reordered through Reorder, left padding through the mask) and
// refGenerate on pseudo-random models, prompts and options, and requires
// identical ids and sequence scores.
func TestMatchesReferenceRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const vocab = 9
	cases := 300
	if testing.Short() {
		cases = 60
	}
	differ := 0
	for c := range cases {
		o := DefaultOptions()
		o.BOS, o.Pad, o.EOS = 1, 0, []int64{2}
		if rng.IntN(4) == 0 {
			o.EOS = []int64{2, 5}
		}
		o.MaxNewTokens = 1 + rng.IntN(8)
		o.NumBeams = []int{1, 1, 2, 3, 4}[rng.IntN(5)]
		o.LengthPenalty = []float64{1, 1, 2, 0.5, 0, -1}[rng.IntN(6)]
		o.EarlyStopping = EarlyStopping(rng.IntN(3))
		if rng.IntN(3) == 0 {
			o.RepetitionPenalty = []float64{1.3, 0.7, 2}[rng.IntN(3)]
		}
		if rng.IntN(3) == 0 {
			o.NoRepeatNGramSize = 1 + rng.IntN(3)
		}
		if rng.IntN(3) == 0 {
			o.MinNewTokens = rng.IntN(4)
		}
		if rng.IntN(4) == 0 {
			o.MinLength = rng.IntN(6)
		}
		batch := 1 + rng.IntN(3)
		prompts := randomPrompts(rng, batch, 4, vocab)
		f := hashLogits(vocab, 2, []float64{0, 0.3, 1}[rng.IntN(3)], uint64(c))
		m := &toyModel{batch: batch, vocab: vocab, logits: f}
		res, err := Generate(m, prompts, o)
		if err != nil {
			t.Fatalf("case %d (%+v): %v", c, o, err)
		}
		wantIDs, wantScores := refGenerate(f, prompts, o)
		if got := rowsOf(res.Sequences); !reflect.DeepEqual(got, wantIDs) {
			t.Fatalf("case %d (%+v, prompts %v): ids %v, reference %v", c, o, prompts, got, wantIDs)
		}
		if o.NumBeams > 1 {
			got := res.SequencesScores.F32()
			for i := range wantScores {
				if float64(got[i]) != wantScores[i] {
					t.Fatalf("case %d: sequence score %d = %v, reference %v", c, i, got[i], wantScores[i])
				}
			}
			// every step after the first fed one token per row
			for _, w := range m.widths[1:] {
				if w != 1 {
					t.Fatalf("case %d: step widths %v", c, m.widths)
				}
			}
			// a beam result that greedy would not give shows the beams matter
			og := o
			og.NumBeams = 1
			g, _ := refGenerate(f, prompts, og)
			if !reflect.DeepEqual(g, wantIDs) {
				differ++
			}
		}
	}
	if differ == 0 {
		t.Fatalf("no random case where beam search differed from greedy search: the cases test too little")
	}
	t.Logf("%d cases; beam search differed from greedy in %d", cases, differ)
}
