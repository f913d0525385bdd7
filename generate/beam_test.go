package generate

import (
	"math"
	"reflect"
	"testing"
)

// lnf is log in float32, as the running scores are kept.
func lnf(p float64) float32 { return float32(math.Log(p)) }

// checkScore compares a sequence score with a hand-computed one.
func checkScore(t *testing.T, what string, res *Result, want []float64) {
	t.Helper()
	got := res.SequencesScores.F32()
	if len(got) != len(want) {
		t.Fatalf("%s: %d sequence scores, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("%s: sequence score %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// lengthPenaltyTable, walked through with 2 beams (probabilities):
//
//	step 1 from "1": A .5, B .4, stop .1 -> beams 1A (ln .5), 1B (ln .4)
//	step 2: 1A -> stop .2, A .4, B .4; 1B -> stop .9, A .05, B .05
//	        ranked: 1B+stop (ln .36), 1A+A, 1A+B (ln .2 each), 1A+stop ...
//	        -> hypothesis "1 B" (2 new tokens with the stop token);
//	           beams 1AA, 1AB (ln .2 each)
//	step 3: both continue with the stop token only (p = 1)
//	        -> hypotheses "1 A A", "1 A B" (3 new tokens each), equal scores
//
// With length penalty 1: "1 B" scores ln(.36)/2 = -0.511, "1 A A" ln(.2)/3
// = -0.536 (kept, the second of two), "1 A B" equals the worst and is not
// kept; is_done: best candidate ln(.2)/3 is not better than the worst
// kept, so the search ends; "1 B" wins.
// With length penalty 2: "1 B" ln(.36)/4 = -0.255, "1 A A" and "1 A B"
// ln(.2)/9 = -0.179 each: "1 A B" evicts "1 B", and of the two equal
// hypotheses the one added last wins.
func lengthPenaltyTable() func([]int64) []float32 {
	return probTable(nTok, map[string]map[int64]float64{
		"1":   {tA: .5, tB: .4, tEOS: .1},
		"1 3": {tEOS: .2, tA: .4, tB: .4},
		"1 4": {tEOS: .9, tA: .05, tB: .05},
	}, map[int64]float64{tEOS: 1})
}

func TestBeamLengthPenalty(t *testing.T) {
	o := toyOptions()
	o.NumBeams = 2
	m := &toyModel{batch: 1, vocab: nTok, logits: lengthPenaltyTable()}
	res := mustGenerate(t, m, nil, o)
	checkRows(t, "length penalty 1", res, [][]int64{{tBOS, tB, tEOS}})
	checkScore(t, "length penalty 1", res, []float64{float64(lnf(.4)+lnf(.9)) / 2})
	// 3 steps: Reorder expands the batch once and selects beams twice.
	if !reflect.DeepEqual(m.widths, []int{1, 1, 1}) || m.reorders != 3 || m.fed != 2*3 {
		t.Fatalf("cache use: widths %v, reorders %d, fed %d; want [1 1 1], 3, 6", m.widths, m.reorders, m.fed)
	}

	// The scores of step 1 are the log-probabilities of "1" for both beams.
	o.OutputScores = true
	m = &toyModel{batch: 1, vocab: nTok, logits: lengthPenaltyTable()}
	res = mustGenerate(t, m, nil, o)
	if len(res.Scores) != 3 || !reflect.DeepEqual(res.Scores[0].Shape(), []int{2, nTok}) {
		t.Fatalf("beam scores: %d steps, first %v", len(res.Scores), res.Scores[0])
	}
	if got := res.Scores[0].F32(); math.Abs(float64(got[tA])-math.Log(.5)) > 1e-6 || math.Abs(float64(got[nTok+tB])-math.Log(.4)) > 1e-6 {
		t.Fatalf("beam step 1 scores %v", got)
	}

	o.LengthPenalty = 2
	m = &toyModel{batch: 1, vocab: nTok, logits: lengthPenaltyTable()}
	res = mustGenerate(t, m, nil, o)
	checkRows(t, "length penalty 2", res, [][]int64{{tBOS, tA, tB, tEOS}})
	checkScore(t, "length penalty 2", res, []float64{float64(lnf(.5)+lnf(.4)) / 9})
}

// earlyStoppingTable, walked through with 2 beams:
//
//	step 1: "1" -> A .6, B .4                       beams 1A, 1B
//	step 2: 1A -> stop .5, A .5; 1B -> stop .5, B .5
//	        ranked: 1A+stop, 1A+A (ln .3), 1B+stop, 1B+B (ln .2)
//	        -> hypothesis "1 A" (ln .3 / 2 = -0.602); 1B+stop ranks third,
//	           beyond num_beams, and is skipped; beams 1AA, 1BB
//	step 3: 1AA -> stop .5, A .5; 1BB -> stop .9, B .1
//	        ranked: 1BB+stop (ln .18), 1AA+stop, 1AA+A (ln .15), 1BB+B
//	        -> hypothesis "1 B B" (ln .18 / 3 = -0.571); "1 A A"
//	           (ln .15 / 3 = -0.632) is worse than both kept and dropped.
//	        early_stopping=True: two hypotheses, done -> "1 B B".
//	        False: best candidate ln(.18)/3 beats the worst kept (-0.602),
//	        not done; beams 1AAA, 1BBB
//	step 4: 1AAA -> stop .9, A .1; 1BBB -> stop .5, B .5
//	        -> hypothesis "1 A A A" (ln .135 / 4 = -0.5006) evicts "1 A".
//	step 5 (if allowed): everything ends with p = 1 and scores worse than
//	        the worst kept (-0.571), and is_done holds -> "1 A A A".
func earlyStoppingTable() func([]int64) []float32 {
	return probTable(nTok, map[string]map[int64]float64{
		"1":       {tA: .6, tB: .4},
		"1 3":     {tEOS: .5, tA: .5},
		"1 4":     {tEOS: .5, tB: .5},
		"1 3 3":   {tEOS: .5, tA: .5},
		"1 4 4":   {tEOS: .9, tB: .1},
		"1 3 3 3": {tEOS: .9, tA: .1},
		"1 4 4 4": {tEOS: .5, tB: .5},
	}, map[int64]float64{tEOS: 1})
}

func TestBeamEarlyStopping(t *testing.T) {
	sumAAA := float64(lnf(.6)+lnf(.5)+lnf(.5)+lnf(.9)) / 4
	cases := []struct {
		name   string
		early  EarlyStopping
		maxNew int
		want   []int64
		score  float64
		steps  int
	}{
		{"True", EarlyStoppingTrue, 10, []int64{tBOS, tB, tB, tEOS}, float64(lnf(.4)+lnf(.5)+lnf(.9)) / 3, 3},
		{"False, stops by itself", EarlyStoppingFalse, 10, []int64{tBOS, tA, tA, tA, tEOS}, sumAAA, 5},
		{"False, length limit", EarlyStoppingFalse, 4, []int64{tBOS, tA, tA, tA, tEOS}, sumAAA, 4},
		// never: the bound uses the maximum length (best/10), so step 5
		// (best ln(.6*.5*.5*.1)/10 = -0.42 beats -0.571) goes on; its
		// running beams are the impossible (-inf) candidates, and at step 6
		// the best candidate is -inf: done.
		{"never", EarlyStoppingNever, 10, []int64{tBOS, tA, tA, tA, tEOS}, sumAAA, 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := toyOptions()
			o.NumBeams, o.EarlyStopping, o.MaxNewTokens = 2, c.early, c.maxNew
			m := &toyModel{batch: 1, vocab: nTok, logits: earlyStoppingTable()}
			res := mustGenerate(t, m, nil, o)
			checkRows(t, c.name, res, [][]int64{c.want})
			checkScore(t, c.name, res, []float64{c.score})
			if m.steps != c.steps {
				t.Fatalf("%d decoder steps, want %d", m.steps, c.steps)
			}
		})
	}
}

func TestBeamDiffersFromGreedy(t *testing.T) {
	// Greedy on earlyStoppingTable: 1 -> A (.6) -> stop (ties with A at .5,
	// first index wins).
	m := &toyModel{batch: 1, vocab: nTok, logits: earlyStoppingTable()}
	checkRows(t, "greedy", mustGenerate(t, m, nil, toyOptions()), [][]int64{{tBOS, tA, tEOS}})
}

func TestBeamHypothesesAddAndIsDone(t *testing.T) {
	h := &beamHyps{numBeams: 2, lengthPenalty: 1, maxLen: 11, worst: 1e9}
	h.add([]int64{1}, -3, 3) // -1
	if h.worst != -1 || len(h.beams) != 1 {
		t.Fatalf("after one: worst %v, %d beams", h.worst, len(h.beams))
	}
	h.add([]int64{2}, -4, 2) // -2
	h.add([]int64{3}, -8, 4) // -2: not better than the worst, dropped
	if h.worst != -2 || len(h.beams) != 2 {
		t.Fatalf("after three: worst %v, %d beams", h.worst, len(h.beams))
	}
	h.add([]int64{4}, -3, 2) // -1.5 evicts -2; the worst becomes -1.5
	if h.worst != -1.5 || len(h.beams) != 2 || h.best().tokens[0] != 1 {
		t.Fatalf("after eviction: worst %v, beams %v", h.worst, h.beams)
	}
	h.add([]int64{5}, -2, 2) // -1 ties the best; evicts -1.5; worst -1
	if h.worst != -1 || h.best().tokens[0] != 5 {
		t.Fatalf("after tie: worst %v, best %v", h.worst, h.best())
	}
	// is_done with worst -1, prompt width 1:
	// False: best sum -3 at length 4 -> -3/3 = -1 <= -1: done; -2.9 -> not.
	// never (length penalty > 0): uses max length 11 -> -3/10 = -0.3: not done;
	// -10 -> -1: done. True: done as soon as two are kept.
	for _, c := range []struct {
		early EarlyStopping
		sum   float64
		want  bool
	}{
		{EarlyStoppingFalse, -3, true}, {EarlyStoppingFalse, -2.9, false},
		{EarlyStoppingNever, -3, false}, {EarlyStoppingNever, -10, true},
		{EarlyStoppingTrue, 0, true},
	} {
		h.early = c.early
		if got := h.isDone(c.sum, 4, 1); got != c.want {
			t.Errorf("isDone(%v, sum %v) = %v, want %v", c.early, c.sum, got, c.want)
		}
	}
	// never with a negative length penalty uses the current length: -3/3^-1 = -9.
	h.early, h.lengthPenalty = EarlyStoppingNever, -1
	if !h.isDone(-3, 4, 1) {
		t.Errorf("never, length penalty -1: not done")
	}
	one := &beamHyps{numBeams: 2, lengthPenalty: 1, worst: 1e9}
	one.add([]int64{1}, -1, 1)
	if one.isDone(-100, 4, 1) {
		t.Errorf("done with fewer hypotheses than beams")
	}
}

func TestTopCandidatesOrder(t *testing.T) {
	logp := [][]float32{{-1, -2, -1}, {-0.5, -1, -3}}
	got := topCandidates(logp, []float32{0, -0.5}, 4)
	// beam 0: -1, -2, -1; beam 1: -1, -1.5, -3. Ties keep flat order.
	want := []candidate{{-1, 0, 0}, {-1, 0, 2}, {-1, 1, 0}, {-1.5, 1, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("top candidates %v, want %v", got, want)
	}
}
