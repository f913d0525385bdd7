package generate

import (
	"math"
	"sort"
)

// hypothesis is a finished (or, at the end, still running) beam: its
// tokens (prompt included, stop token excluded) and its length-penalised
// score.
type hypothesis struct {
	score  float64
	tokens []int64
}

// beamHyps is transformers' BeamHypotheses: the best numBeams hypotheses
// of one batch item, scored in float64 as Python does.
type beamHyps struct {
	numBeams      int
	lengthPenalty float64
	early         EarlyStopping
	maxLen        int
	beams         []hypothesis
	worst         float64 // starts at 1e9
}

// add offers a hypothesis whose summed log-probability is sumLogprobs over
// genLen generated tokens; it is kept if there is room or it beats the
// worst kept one, which it then evicts (the earliest added among equals).
func (h *beamHyps) add(tokens []int64, sumLogprobs float64, genLen int) {
	score := sumLogprobs / math.Pow(float64(genLen), h.lengthPenalty)
	if len(h.beams) >= h.numBeams && !(score > h.worst) {
		return
	}
	h.beams = append(h.beams, hypothesis{score: score, tokens: tokens})
	if len(h.beams) <= h.numBeams {
		h.worst = math.Min(score, h.worst)
		return
	}
	order := make([]int, len(h.beams))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return h.beams[order[a]].score < h.beams[order[b]].score })
	h.worst = h.beams[order[1]].score
	drop := order[0]
	h.beams = append(h.beams[:drop], h.beams[drop+1:]...)
}

// isDone reports whether no running beam can improve this batch item:
// bestSum is the best running candidate's summed log-probability this
// step, curLen the total length once its token is added and width the
// prompt width.
func (h *beamHyps) isDone(bestSum float64, curLen, width int) bool {
	if len(h.beams) < h.numBeams {
		return false
	}
	var highest float64
	switch {
	case h.early == EarlyStoppingTrue:
		return true
	case h.early == EarlyStoppingNever && h.lengthPenalty > 0:
		highest = bestSum / math.Pow(float64(h.maxLen-width), h.lengthPenalty)
	default:
		highest = bestSum / math.Pow(float64(curLen-width), h.lengthPenalty)
	}
	return h.worst >= highest
}

// best returns the highest-scoring hypothesis, the last added among equals
// (Python's stable sort by score, then pop()).
func (h *beamHyps) best() hypothesis {
	b := h.beams[0]
	for _, x := range h.beams[1:] {
		if x.score >= b.score {
			b = x
		}
	}
	return b
}
