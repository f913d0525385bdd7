package generate

import "testing"

// FuzzGenerate drives Generate with arbitrary settings and prompts
// (token ids, stop and pad ids possibly outside the vocabulary) on a
// toy model: it must return a result or an error, never panic, and a
// result must have one row per prompt.
func FuzzGenerate(f *testing.F) {
	f.Add(uint8(1), uint8(5), int8(2), int8(0), uint8(0), uint8(0), 1.0, 1.0, uint8(0), []byte{1, 3, 4, 0, 1})
	f.Add(uint8(3), uint8(4), int8(9), int8(7), uint8(2), uint8(1), 0.5, 1.3, uint8(2), []byte{1, 0, 2})
	f.Fuzz(func(t *testing.T, beams, maxNew uint8, eos, pad int8, ngram, minNew uint8, lp, rep float64, early uint8, raw []byte) {
		if len(raw) > 12 || beams > 6 || maxNew > 12 {
			return
		}
		var prompts [][]int64
		row := []int64{}
		for _, b := range raw {
			if b == 255 {
				prompts = append(prompts, row)
				row = []int64{}
				continue
			}
			row = append(row, int64(b%10))
		}
		prompts = append(prompts, row)
		o := DefaultOptions()
		o.BOS, o.Pad, o.EOS = 1, int64(pad), []int64{int64(eos)}
		o.NumBeams, o.MaxNewTokens = int(beams), int(maxNew)
		o.NoRepeatNGramSize, o.MinNewTokens = int(ngram%5), int(minNew%5)
		o.LengthPenalty, o.RepetitionPenalty, o.EarlyStopping = lp, rep, EarlyStopping(early%4)
		m := &toyModel{batch: len(prompts), vocab: 6, logits: hashLogits(6, -1, 0, uint64(len(raw)))}
		res, err := Generate(m, prompts, o)
		if err == nil && res.Sequences.Dim(0) != len(prompts) {
			t.Fatalf("%d rows for %d prompts", res.Sequences.Dim(0), len(prompts))
		}
	})
}
