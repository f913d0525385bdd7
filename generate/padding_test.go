package generate

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"radcap/tensor"
)

// TestBatchEqualsRowsAlone checks batch generation with left padding: each
// row of a batch of prompts of different lengths, generated together, is
// that prompt generated alone, preceded by the left padding and followed
// by pad ids up to the batch's width (greedy and beam search; the toy
// model attends only to mask-1 positions, and no processor that reads
// the padding is active).
func TestBatchEqualsRowsAlone(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	const vocab = 8
	for c := range 40 {
		o := DefaultOptions()
		o.BOS, o.Pad, o.EOS = 1, 0, []int64{2}
		o.MaxNewTokens = 2 + rng.IntN(6)
		o.NumBeams = 1 + rng.IntN(3)
		o.LengthPenalty = []float64{1, 2, 0.5}[rng.IntN(3)]
		o.EarlyStopping = EarlyStopping(rng.IntN(3))
		prompts := randomPrompts(rng, 2+rng.IntN(3), 5, vocab)
		f := hashLogits(vocab, 2, 0.4, uint64(100+c))
		m := &toyModel{batch: len(prompts), vocab: vocab, logits: f}
		res, err := Generate(m, prompts, o)
		if err != nil {
			t.Fatalf("case %d: %v", c, err)
		}
		rows := rowsOf(res.Sequences)
		width := 0
		for _, p := range prompts {
			width = max(width, len(p))
		}
		for i, p := range prompts {
			alone, err := Generate(&toyModel{batch: 1, vocab: vocab, logits: f}, [][]int64{p}, o)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]int64, width-len(p))
			want = append(want, rowsOf(alone.Sequences)[0]...)
			for len(want) < len(rows[i]) {
				want = append(want, o.Pad)
			}
			if !reflect.DeepEqual(rows[i], want) {
				t.Fatalf("case %d (%+v), prompts %v: batch row %d = %v, alone (padded) %v", c, o, prompts, i, rows[i], want)
			}
			if o.NumBeams > 1 && res.SequencesScores.F32()[i] != alone.SequencesScores.F32()[0] {
				t.Fatalf("case %d: row %d score %v, alone %v", c, i, res.SequencesScores.F32()[i], alone.SequencesScores.F32()[0])
			}
		}
	}
}

// TestMaskOfPaddedBatch checks the exact mask and ids of the first steps.
func TestMaskOfPaddedBatch(t *testing.T) {
	var ins []StepInput
	m := &recordingDecoder{toyModel: toyModel{batch: 2, vocab: nTok, logits: alternating}, ins: &ins}
	o := toyOptions()
	o.MaxNewTokens = 2
	if _, err := Generate(m, [][]int64{{tA}, {tBOS, tA, tB}}, o); err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 {
		t.Fatalf("%d steps, want 2", len(ins))
	}
	first, second := ins[0], ins[1]
	if got := first.IDs.I64(); !reflect.DeepEqual(got, []int64{0, 0, 3, 1, 3, 4}) || first.Past != 0 {
		t.Fatalf("first step ids %v past %d", got, first.Past)
	}
	if got := first.Mask.I64(); !reflect.DeepEqual(got, []int64{0, 0, 1, 1, 1, 1}) {
		t.Fatalf("first step mask %v", got)
	}
	if sh := second.IDs.Shape(); !reflect.DeepEqual(sh, []int{2, 1}) || second.Past != 3 {
		t.Fatalf("second step ids shape %v past %d", sh, second.Past)
	}
	if got := second.Mask.I64(); !reflect.DeepEqual(got, []int64{0, 0, 1, 1, 1, 1, 1, 1}) {
		t.Fatalf("second step mask %v", got)
	}
}

// recordingDecoder is the toy model that also records every StepInput.
type recordingDecoder struct {
	toyModel
	ins *[]StepInput
}

func (r *recordingDecoder) Step(s State, in StepInput) (*tensor.Tensor, error) {
	*r.ins = append(*r.ins, in)
	return r.toyModel.Step(s, in)
}

// badDecoder returns what its fields say.
type badDecoder struct {
	batch             int
	logits            *tensor.Tensor
	stepErr, startErr error
}

func (b *badDecoder) Batch() int                                    { return b.batch }
func (b *badDecoder) Start() (State, error)                         { return nil, b.startErr }
func (b *badDecoder) Reorder(State, []int) (State, error)           { return nil, nil }
func (b *badDecoder) Step(State, StepInput) (*tensor.Tensor, error) { return b.logits, b.stepErr }

func TestErrors(t *testing.T) {
	good := tensor.Zeros(tensor.F32, 1, 5)
	nan := tensor.FromF32([]float32{0, float32(nanValue()), 0}, 1, 3)
	o := toyOptions()
	cases := []struct {
		name    string
		d       Decoder
		prompts [][]int64
		set     func(*Options)
		want    string
	}{
		{"nil decoder", nil, nil, nil, "nil decoder"},
		{"prompt count", &badDecoder{batch: 2, logits: good}, [][]int64{{1}}, nil, "1 prompts for a decoder bound to 2"},
		{"negative id", &badDecoder{batch: 1, logits: good}, [][]int64{{1, -3}}, nil, "negative id -3"},
		{"empty prompt without BOS", &badDecoder{batch: 1, logits: good}, [][]int64{{}}, func(o *Options) { o.BOS = -1 }, "prompt 0 is empty"},
		{"no length", &badDecoder{batch: 1, logits: good}, nil, func(o *Options) { o.MaxNewTokens, o.MaxLength = 0, 0 }, "neither MaxNewTokens nor MaxLength"},
		{"max length too small", &badDecoder{batch: 1, logits: good}, [][]int64{{1, 2, 3}}, func(o *Options) { o.MaxNewTokens, o.MaxLength = 0, 3 }, "no room after the prompt width 3"},
		{"zero beams", &badDecoder{batch: 1, logits: good}, nil, func(o *Options) { o.NumBeams = 0 }, "NumBeams 0"},
		{"repetition penalty 0", &badDecoder{batch: 1, logits: good}, nil, func(o *Options) { o.RepetitionPenalty = 0 }, "RepetitionPenalty 0"},
		{"step error", &badDecoder{batch: 1, stepErr: errors.New("boom")}, nil, nil, "step 0: boom"},
		{"start error", &badDecoder{batch: 1, startErr: errors.New("no images")}, nil, nil, "no images"},
		{"no logits", &badDecoder{batch: 1}, nil, nil, "no logits"},
		{"logits rows", &badDecoder{batch: 1, logits: tensor.Zeros(tensor.F32, 2, 5)}, nil, nil, "shape [2 5], want [1, vocab]"},
		{"logits dtype", &badDecoder{batch: 1, logits: tensor.Zeros(tensor.I64, 1, 5)}, nil, nil, "int64 logits"},
		{"NaN logits", &badDecoder{batch: 1, logits: nan}, nil, nil, "NaN"},
		{"vocab too small for beams", &badDecoder{batch: 1, logits: tensor.Zeros(tensor.F32, 2, 1)}, nil, func(o *Options) { o.NumBeams = 2 }, "offer fewer"},
	}
	for _, c := range cases {
		oc := o
		if c.set != nil {
			c.set(&oc)
		}
		_, err := Generate(c.d, c.prompts, oc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func nanValue() float64 { var z float64; return z / z }
