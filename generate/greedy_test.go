package generate

import (
	"math"
	"reflect"
	"testing"
)

// Token ids of the hand-worked toy vocabulary.
const (
	tPad = 0
	tBOS = 1
	tEOS = 2
	tA   = 3
	tB   = 4
	nTok = 5
)

func toyOptions() Options {
	o := DefaultOptions()
	o.BOS, o.EOS, o.Pad = tBOS, []int64{tEOS}, tPad
	o.MaxNewTokens = 10
	return o
}

func mustGenerate(t *testing.T, m *toyModel, prompts [][]int64, o Options) *Result {
	t.Helper()
	res, err := Generate(m, prompts, o)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return res
}

func checkRows(t *testing.T, what string, got *Result, want [][]int64) {
	t.Helper()
	if g := rowsOf(got.Sequences); !reflect.DeepEqual(g, want) {
		t.Fatalf("%s: sequences %v, want %v", what, g, want)
	}
}

// greedyTable: after 1 the best is A, after 1 A it is B, after 1 A B it is
// the stop token; after 1 B it is the stop token at once.
func greedyTable() func([]int64) []float32 {
	return logitTable(nTok, map[string][]float32{
		"1":     {0, 0, 0, 2, 1},
		"1 3":   {0, 0, 1, 0, 3},
		"1 3 4": {0, 0, 5, 1, 0},
		"1 4":   {0, 0, 4, 0, 1},
	}, []float32{0, 0, 1, 0.5, 0})
}

func TestGreedyPaddedBatchAndCache(t *testing.T) {
	m := &toyModel{batch: 2, vocab: nTok, logits: greedyTable()}
	o := toyOptions()
	o.OutputScores = true
	res := mustGenerate(t, m, [][]int64{{tBOS}, {tBOS, tB}}, o)
	// Row 0 is left-padded to width 2 and continues 1 -> A -> B -> stop;
	// row 1 stops after one token and receives pad afterwards; generation
	// ends when row 0 stops (3 steps).
	checkRows(t, "greedy", res, [][]int64{{tPad, tBOS, tA, tB, tEOS}, {tBOS, tB, tEOS, tPad, tPad}})
	if !reflect.DeepEqual(m.widths, []int{2, 1, 1}) || m.fed != 2*2+2+2 || m.starts != 1 || m.reorders != 0 {
		t.Fatalf("cache use: step widths %v, fed %d, starts %d, reorders %d; want [2 1 1], 8, 1, 0", m.widths, m.fed, m.starts, m.reorders)
	}
	if res.SequencesScores != nil {
		t.Fatalf("greedy search returned sequence scores")
	}
	if len(res.Scores) != 3 {
		t.Fatalf("%d score steps, want 3", len(res.Scores))
	}
	// Step 2's scores: row 0 saw "1 3", row 1 (finished) saw "1 4 2",
	// which is not in the table (fallback).
	got := res.Scores[1].F32()
	want := []float32{0, 0, 1, 0, 3, 0, 0, 1, 0.5, 0}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("step 2 scores %v, want %v", got, want)
	}
}

func TestGreedyLengthLimits(t *testing.T) {
	prompts := [][]int64{{tBOS}, {tBOS, tB}}
	cases := []struct {
		name string
		set  func(*Options)
		want [][]int64
	}{
		{"max new tokens 2", func(o *Options) { o.MaxNewTokens = 2 },
			[][]int64{{tPad, tBOS, tA, tB}, {tBOS, tB, tEOS, tPad}}},
		{"max length 3 (prompt width included)", func(o *Options) { o.MaxNewTokens, o.MaxLength = 0, 3 },
			[][]int64{{tPad, tBOS, tA}, {tBOS, tB, tEOS}}},
		// Row 1 ("1 4") would stop at once: with 2 required new tokens it
		// takes B (best after the stop token), then A from the fallback
		// (0.5, the stop token's 1 being forbidden), then stops. Row 0 is
		// unaffected (its stop token comes third).
		{"min new tokens 2", func(o *Options) { o.MinNewTokens = 2 },
			[][]int64{{tPad, tBOS, tA, tB, tEOS}, {tBOS, tB, tB, tA, tEOS}}},
		// min_length counts the prompt width (2): the stop token is barred
		// while the length is below 4, i.e. for the first 2 new tokens.
		{"min length 4", func(o *Options) { o.MinLength = 4 },
			[][]int64{{tPad, tBOS, tA, tB, tEOS}, {tBOS, tB, tB, tA, tEOS}}},
		{"min new tokens 1 replaces min length 4", func(o *Options) { o.MinNewTokens, o.MinLength = 1, 4 },
			[][]int64{{tPad, tBOS, tA, tB, tEOS}, {tBOS, tB, tB, tEOS, tPad}}},
		{"min length 3", func(o *Options) { o.MinLength = 3 },
			[][]int64{{tPad, tBOS, tA, tB, tEOS}, {tBOS, tB, tB, tEOS, tPad}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &toyModel{batch: 2, vocab: nTok, logits: greedyTable()}
			o := toyOptions()
			c.set(&o)
			checkRows(t, c.name, mustGenerate(t, m, prompts, o), c.want)
		})
	}
}

func TestGreedyEmptyPromptsStartFromBOS(t *testing.T) {
	m := &toyModel{batch: 2, vocab: nTok, logits: greedyTable()}
	res := mustGenerate(t, m, nil, toyOptions())
	checkRows(t, "nil prompts", res, [][]int64{{tBOS, tA, tB, tEOS}, {tBOS, tA, tB, tEOS}})
	m = &toyModel{batch: 2, vocab: nTok, logits: greedyTable()}
	res = mustGenerate(t, m, [][]int64{{}, {tBOS, tB}}, toyOptions())
	checkRows(t, "one empty prompt", res, [][]int64{{tPad, tBOS, tA, tB, tEOS}, {tBOS, tB, tEOS, tPad, tPad}})
}

func TestGreedyTieTakesFirstIndex(t *testing.T) {
	f := logitTable(nTok, map[string][]float32{"1": {0, 0, 0, 2, 2}}, []float32{0, 0, 9, 0, 0})
	m := &toyModel{batch: 1, vocab: nTok, logits: f}
	checkRows(t, "tie", mustGenerate(t, m, nil, toyOptions()), [][]int64{{tBOS, tA, tEOS}})
}

func TestRepetitionPenalty(t *testing.T) {
	// Row 0 "1 3": bos (1.2) and A (-0.1) were seen; with penalty 2 bos
	// drops to 0.6 and A to -0.2, so B (0.7) wins; then "1 3 4" stops.
	// Row 1 is "3" left-padded with pad 0: the pad id counts as seen (as in
	// transformers, which penalises every id of input_ids), so its 0.8
	// drops to 0.4, A's 0.6 to 0.3, and the stop token (0.5) wins.
	f := logitTable(nTok, map[string][]float32{
		"1 3":   {-4, 1.2, 0.5, -0.1, 0.7},
		"1 3 4": {0, 0, 3, 0, 0},
		"3":     {0.8, -1, 0.5, 0.6, 0},
	}, []float32{0, 0, 1, 0, 0})
	prompts := [][]int64{{tBOS, tA}, {tA}}

	m := &toyModel{batch: 2, vocab: nTok, logits: f}
	o := toyOptions()
	o.MaxNewTokens = 3
	checkRows(t, "no penalty", mustGenerate(t, m, prompts, o), [][]int64{{tBOS, tA, tBOS, tEOS}, {tPad, tA, tPad, tEOS}})

	m = &toyModel{batch: 2, vocab: nTok, logits: f}
	o.RepetitionPenalty = 2
	o.OutputScores = true
	res := mustGenerate(t, m, prompts, o)
	checkRows(t, "penalty 2", res, [][]int64{{tBOS, tA, tB, tEOS}, {tPad, tA, tEOS, tPad}})
	got := res.Scores[0].F32()
	want := []float32{-4, float32(1.2) / 2, 0.5, float32(-0.1) * 2, 0.7, float32(0.8) / 2, -1, 0.5, float32(0.6) / 2, 0}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("penalised scores %v, want %v", got, want)
	}
}

// alternating: after 1 comes A; after A comes B, after B comes A, each
// with the stop token second best.
func alternating(real []int64) []float32 {
	switch real[len(real)-1] {
	case tBOS:
		return []float32{0, 0, 0, 2, 1}
	case tA:
		return []float32{0, 0, 0.5, 0, 2}
	default:
		return []float32{0, 0, 0.5, 2, 0}
	}
}

func TestNoRepeatNGram(t *testing.T) {
	inf := float32(math.Inf(-1))
	cases := []struct {
		n      int
		want   []int64
		scores [][]float32 // processed scores of each step
	}{
		{0, []int64{tBOS, tA, tB, tA, tB, tA, tB}, nil},
		// 1: every token seen is banned: 1 -> A -> B -> only the stop
		// token and pad remain (stop 0.5 > pad 0).
		{1, []int64{tBOS, tA, tB, tEOS}, [][]float32{
			{0, inf, 0, 2, 1}, {0, inf, 0.5, inf, 2}, {0, inf, 0.5, inf, inf}}},
		// 2: after 1 A B A the bigram (A, B) was seen, so B is banned.
		{2, []int64{tBOS, tA, tB, tA, tEOS}, [][]float32{
			{0, 0, 0, 2, 1}, {0, 0, 0.5, 0, 2}, {0, 0, 0.5, 2, 0}, {0, 0, 0.5, 0, inf}}},
		// 3: after 1 A B A B the trigram (A, B, A) was seen, so A is banned.
		{3, []int64{tBOS, tA, tB, tA, tB, tEOS}, [][]float32{
			{0, 0, 0, 2, 1}, {0, 0, 0.5, 0, 2}, {0, 0, 0.5, 2, 0}, {0, 0, 0.5, 0, 2}, {0, 0, 0.5, inf, 0}}},
	}
	for _, c := range cases {
		m := &toyModel{batch: 1, vocab: nTok, logits: alternating}
		o := toyOptions()
		o.MaxNewTokens = 6
		o.NoRepeatNGramSize = c.n
		o.OutputScores = true
		res := mustGenerate(t, m, nil, o)
		checkRows(t, "no-repeat n-gram", res, [][]int64{c.want})
		for s, want := range c.scores {
			if got := res.Scores[s].F32(); !reflect.DeepEqual(got, want) {
				t.Errorf("n=%d step %d: scores %v, want %v", c.n, s, got, want)
			}
		}
	}
}

func TestBannedNGramTokens(t *testing.T) {
	seq := []int64{5, 6, 7, 5, 6, 8, 5, 6}
	cases := []struct {
		n    int
		want []int64
	}{
		{1, []int64{5, 6, 7, 5, 6, 8, 5, 6}}, // every token seen
		{2, []int64{7, 8}},                   // what followed 6
		{3, []int64{7, 8}},                   // what followed (5, 6)
		{4, nil},                             // (8, 5, 6) never seen before
		{9, nil},                             // n-gram longer than the sequence + 1
	}
	for _, c := range cases {
		if got := bannedNGramTokens(seq, c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("n=%d: banned %v, want %v", c.n, got, c.want)
		}
	}
	// n = len+1: the last n-1 tokens are the whole sequence; no complete
	// n-gram yet, nothing banned (transformers checks cur_len+1 < n).
	if got := bannedNGramTokens([]int64{1, 2}, 3); got != nil {
		t.Errorf("short sequence: banned %v", got)
	}
}
