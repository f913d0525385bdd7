package generate

import (
	"fmt"
	"math"
	"sort"

	"radcap/tensor"
)

// beamSearch is transformers' beam search (_beam_search with
// BeamSearchScorer, num_beam_groups 1, one returned sequence per batch
// item). The steps, as the reference runs them:
//
//  1. Every batch item's prompt is repeated NumBeams times; the running
//     score of the first beam is 0 and of the others -1e9, so the first
//     step does not pick the same token NumBeams times.
//  2. Each step adds the processed log-softmax of the next-token logits to
//     each beam's running score (float32) and takes, per batch item, the
//     best max(2, 1+len(EOS))*NumBeams of the NumBeams*vocab candidates in
//     descending order.
//  3. Walking through them: a stop token ranked among the first NumBeams
//     becomes a finished hypothesis (without the stop token), scored
//     sum / generated_len^LengthPenalty with generated_len counting the
//     new tokens and the stop token; a stop token ranked lower is skipped;
//     any other candidate becomes a running beam, until NumBeams are chosen.
//  4. A batch item is done per EarlyStopping (beamHyps.isDone); done items
//     keep running on Pad tokens. The search ends when all items are done
//     or the length limit is reached; then the running beams of unfinished
//     items are offered as hypotheses too, and the best hypothesis of each
//     item is returned, followed by the first stop token if there is room.
func beamSearch(d Decoder, p *padded, opts Options, maxLen int) (*Result, error) {
	nb := opts.NumBeams
	batch := len(p.ids)
	rows := batch * nb
	expand := make([]int, rows)
	for r := range expand {
		expand[r] = r / nb
	}
	st, err := d.Start()
	if err != nil {
		return nil, err
	}
	if st, err = d.Reorder(st, expand); err != nil {
		return nil, fmt.Errorf("generate: expand the batch to %d beams: %w", nb, err)
	}
	seqs, mask := gatherRows(p.ids, expand, -1), gatherRows(p.mask, expand, -1)

	beamScores := make([]float32, rows)
	for r := range beamScores {
		if r%nb != 0 {
			beamScores[r] = -1e9
		}
	}
	hyps := make([]*beamHyps, batch)
	for b := range hyps {
		hyps[b] = &beamHyps{numBeams: nb, lengthPenalty: opts.LengthPenalty, early: opts.EarlyStopping, maxLen: maxLen, worst: 1e9}
	}
	done := make([]bool, batch)
	keep := max(2, 1+len(opts.EOS)) * nb
	res := &Result{}
	vocab := 0
	for s := 0; ; s++ {
		past := 0
		if s > 0 {
			past = len(seqs[0]) - 1
		}
		logits, err := step(d, st, seqs, mask, past, vocab, s)
		if err != nil {
			return nil, err
		}
		vocab = len(logits[0])
		if keep > nb*vocab {
			return nil, fmt.Errorf("generate: beam search keeps %d candidates but %d beams x vocab %d offer fewer", keep, nb, vocab)
		}
		logp := make([][]float32, rows)
		for r, row := range logits {
			logp[r] = logSoftmax(row)
		}
		opts.processScores(seqs, logp, p.width)
		if opts.OutputScores {
			res.Scores = append(res.Scores, scoresTensor(logp))
		}

		curLen := len(seqs[0]) + 1 // length once this step's token is added
		nextScores := make([]float32, rows)
		nextTokens := make([]int64, rows)
		parents := make([]int, rows)
		for b := range batch {
			if done[b] {
				for k := range nb {
					nextTokens[b*nb+k] = opts.Pad
					parents[b*nb+k] = b * nb
				}
				continue
			}
			cands := topCandidates(logp[b*nb:(b+1)*nb], beamScores[b*nb:(b+1)*nb], keep)
			chosen := 0
			for rank, c := range cands {
				parent := b*nb + c.beam
				if opts.isEOS(c.token) {
					if rank >= nb {
						continue
					}
					hyp := append([]int64(nil), seqs[parent]...)
					hyps[b].add(hyp, float64(c.score), curLen-p.width)
				} else {
					r := b*nb + chosen
					nextScores[r], nextTokens[r], parents[r] = c.score, c.token, parent
					chosen++
				}
				if chosen == nb {
					break
				}
			}
			if chosen < nb {
				return nil, fmt.Errorf("generate: batch item %d: only %d of %d beams could continue without a stop token", b, chosen, nb)
			}
			done[b] = hyps[b].isDone(float64(cands[0].score), curLen, p.width)
		}

		next := gatherRows(seqs, parents, 1)
		for r := range next {
			next[r] = append(next[r], nextTokens[r])
		}
		seqs, beamScores = next, nextScores
		mask = gatherRows(mask, parents, 1)
		for r := range mask {
			mask[r] = append(mask[r], 1)
		}
		if allTrue(done) || len(seqs[0]) >= maxLen {
			break
		}
		if st, err = d.Reorder(st, parents); err != nil {
			return nil, fmt.Errorf("generate: step %d: reorder the beams: %w", s, err)
		}
	}
	out := finalizeBeams(hyps, done, seqs, beamScores, p.width, maxLen, opts)
	out.Scores = res.Scores
	return out, nil
}

// finalizeBeams offers the running beams of unfinished batch items as
// hypotheses and builds the result from each item's best hypothesis
// (BeamSearchScorer.finalize).
func finalizeBeams(hyps []*beamHyps, done []bool, seqs [][]int64, beamScores []float32, width, maxLen int, opts Options) *Result {
	nb := len(seqs) / len(hyps)
	for b, h := range hyps {
		if done[b] {
			continue
		}
		for k := range nb {
			r := b*nb + k
			h.add(seqs[r], float64(beamScores[r]), len(seqs[r])-width)
		}
	}
	best := make([]hypothesis, len(hyps))
	longest := 0
	for b, h := range hyps {
		best[b] = h.best()
		longest = max(longest, len(best[b].tokens))
	}
	outWidth := min(longest+1, maxLen)
	flat := make([]int64, 0, len(hyps)*outWidth)
	scores := make([]float32, len(hyps))
	for b, h := range best {
		row := append([]int64(nil), h.tokens...)
		if len(row) < outWidth && len(opts.EOS) > 0 {
			row = append(row, opts.EOS[0])
		}
		for len(row) < outWidth {
			row = append(row, opts.Pad)
		}
		flat = append(flat, row...)
		scores[b] = float32(h.score)
	}
	return &Result{
		Sequences:       tensor.FromI64(flat, len(hyps), outWidth),
		SequencesScores: tensor.FromF32(scores, len(hyps)),
	}
}

// candidate is one (beam, token) continuation with its running score.
type candidate struct {
	score float32
	beam  int
	token int64
}

// topCandidates returns the k best continuations of a batch item's beams,
// best first; equal scores keep the order of the flattened beam*vocab
// index (torch.topk leaves the order of ties unspecified).
func topCandidates(logp [][]float32, beamScores []float32, k int) []candidate {
	top := make([]candidate, 0, k+1)
	for beam, row := range logp {
		bs := beamScores[beam]
		for tok, lp := range row {
			s := lp + bs
			if len(top) == k && !(s > top[k-1].score) {
				continue
			}
			// insert after every entry that is not worse
			i := sort.Search(len(top), func(i int) bool { return top[i].score < s })
			top = append(top, candidate{})
			copy(top[i+1:], top[i:])
			top[i] = candidate{score: s, beam: beam, token: int64(tok)}
			if len(top) > k {
				top = top[:k]
			}
		}
	}
	return top
}

// logSoftmax returns log_softmax of a float32 row, computed in float64 and
// rounded to float32.
func logSoftmax(row []float32) []float32 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	sum := 0.0
	for _, v := range row {
		sum += math.Exp(float64(v) - m)
	}
	lse := m + math.Log(sum)
	out := make([]float32, len(row))
	for j, v := range row {
		out[j] = float32(float64(v) - lse)
	}
	return out
}

// gatherRows returns copies of rows[idx[i]], each with room for extra more
// elements (extra < 0: none).
func gatherRows(rows [][]int64, idx []int, extra int) [][]int64 {
	out := make([][]int64, len(idx))
	for i, j := range idx {
		out[i] = append(make([]int64, 0, len(rows[j])+max(extra, 0)), rows[j]...)
	}
	return out
}

// allTrue reports whether every element is true.
func allTrue(xs []bool) bool {
	for _, x := range xs {
		if !x {
			return false
		}
	}
	return true
}
