package generate

import "math"

// This file holds the logits processors of transformers that generate
// supports, applied in transformers' order: repetition penalty, no-repeat
// n-gram, minimum length, minimum new tokens. Each works on the scores of
// every row in place, given the row's tokens so far (left padding and
// prompt included, as transformers' input_ids).

// processScores applies every active processor to scores ([rows][vocab]),
// where seqs[i] is row i's tokens so far and width is the prompt width.
func (o Options) processScores(seqs [][]int64, scores [][]float32, width int) {
	if o.RepetitionPenalty != 1 {
		for i, row := range scores {
			repetitionPenalty(row, seqs[i], float32(o.RepetitionPenalty))
		}
	}
	if o.NoRepeatNGramSize > 0 {
		for i, row := range scores {
			for _, tok := range bannedNGramTokens(seqs[i], o.NoRepeatNGramSize) {
				if tok < int64(len(row)) {
					row[tok] = float32(math.Inf(-1))
				}
			}
		}
	}
	if len(o.EOS) == 0 || len(seqs) == 0 {
		return
	}
	// transformers rewrites min_length to prompt width + min_new_tokens
	// when min_new_tokens is set, so MinNewTokens replaces MinLength.
	minLen := o.MinLength
	if o.MinNewTokens > 0 {
		minLen = width + o.MinNewTokens
	}
	if len(seqs[0]) < minLen {
		for _, row := range scores {
			for _, e := range o.EOS {
				if e < int64(len(row)) {
					row[e] = float32(math.Inf(-1))
				}
			}
		}
	}
}

// repetitionPenalty is RepetitionPenaltyLogitsProcessor: the score of every
// distinct token already in seq is divided by the penalty if positive and
// multiplied by it otherwise (float32 arithmetic, as the reference).
func repetitionPenalty(row []float32, seq []int64, penalty float32) {
	seen := make(map[int64]bool, len(seq))
	for _, tok := range seq {
		if seen[tok] || tok >= int64(len(row)) {
			continue
		}
		seen[tok] = true
		if s := row[tok]; s < 0 {
			row[tok] = s * penalty
		} else {
			row[tok] = s / penalty
		}
	}
}

// bannedNGramTokens is NoRepeatNGramLogitsProcessor's rule: with n-gram
// size n, the tokens that followed an earlier occurrence of the last n-1
// tokens of seq may not come next (for n = 1: every token already in seq).
func bannedNGramTokens(seq []int64, n int) []int64 {
	cur := len(seq)
	if cur+1 < n {
		return nil
	}
	suffix := seq[cur-(n-1):]
	var banned []int64
	// Every complete n-gram seq[j:j+n] whose first n-1 tokens equal the
	// suffix bans its last token.
	for j := 0; j+n <= cur; j++ {
		match := true
		for k := range n - 1 {
			if seq[j+k] != suffix[k] {
				match = false
				break
			}
		}
		if match {
			banned = append(banned, seq[j+n-1])
		}
	}
	return banned
}
