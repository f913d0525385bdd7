package generate

// greedy is transformers' greedy search (_sample with do_sample=False): at
// each step every row takes the first index of the highest processed
// score; a row that has produced a stop token receives Pad from then on;
// the loop ends when every row has stopped or the length limit is reached.
func greedy(d Decoder, p *padded, opts Options, maxLen int) (*Result, error) {
	st, err := d.Start()
	if err != nil {
		return nil, err
	}
	batch := len(p.ids)
	seqs, mask := cloneRows(p.ids), cloneRows(p.mask)
	running := make([]bool, batch)
	for i := range running {
		running[i] = true
	}
	res := &Result{}
	vocab := 0
	for s := 0; ; s++ {
		past := 0
		if s > 0 {
			past = len(seqs[0]) - 1
		}
		scores, err := step(d, st, seqs, mask, past, vocab, s)
		if err != nil {
			return nil, err
		}
		vocab = len(scores[0])
		opts.processScores(seqs, scores, p.width)
		if opts.OutputScores {
			res.Scores = append(res.Scores, scoresTensor(scores))
		}
		anyRunning := false
		for i, row := range scores {
			tok := opts.Pad
			if running[i] {
				tok = int64(argmax(row))
				if opts.isEOS(tok) {
					running[i] = false
				}
			}
			seqs[i] = append(seqs[i], tok)
			mask[i] = append(mask[i], 1)
			anyRunning = anyRunning || running[i]
		}
		if !anyRunning || len(seqs[0]) >= maxLen {
			break
		}
	}
	res.Sequences = i64Tensor(seqs)
	return res, nil
}

// argmax returns the first index of the largest value (torch.argmax).
func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// cloneRows deep-copies a slice of rows.
func cloneRows(rows [][]int64) [][]int64 {
	out := make([][]int64, len(rows))
	for i, r := range rows {
		out[i] = append(make([]int64, 0, len(r)+16), r...)
	}
	return out
}
