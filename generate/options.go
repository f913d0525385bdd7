package generate

import (
	"fmt"

	"radcap/tensor"
)

// EarlyStopping is transformers' early_stopping for beam search.
type EarlyStopping int

const (
	// EarlyStoppingFalse (transformers' default, early_stopping=False)
	// stops a batch item once it has NumBeams finished hypotheses and the
	// best running candidate, divided by the current length to the power
	// LengthPenalty, cannot beat the worst of them.
	EarlyStoppingFalse EarlyStopping = iota
	// EarlyStoppingTrue (early_stopping=True) stops a batch item as soon
	// as it has NumBeams finished hypotheses.
	EarlyStoppingTrue
	// EarlyStoppingNever (early_stopping="never") stops only when no
	// candidate can beat the worst hypothesis even at the maximum length
	// (for LengthPenalty > 0).
	EarlyStoppingNever
)

// String returns the transformers spelling: "False", "True" or "never".
func (e EarlyStopping) String() string {
	switch e {
	case EarlyStoppingFalse:
		return "False"
	case EarlyStoppingTrue:
		return "True"
	case EarlyStoppingNever:
		return "never"
	}
	return fmt.Sprintf("EarlyStopping(%d)", int(e))
}

// Options are the generation settings, named after transformers'
// GenerationConfig. Use DefaultOptions and change what you need: the zero
// value of LengthPenalty and RepetitionPenalty is not transformers' default.
type Options struct {
	// BOS is the token a row starts from when its prompt is empty
	// (transformers' bos_token_id for decoder-only models; BLIP's caller
	// passes [bos] itself). Negative: no BOS, empty prompts are an error.
	BOS int64
	// EOS lists the stop tokens (eos_token_id; BLIP stops on its sep id).
	// The first one is written after a finished beam hypothesis. Empty: no
	// stop token, every row runs to the length limit.
	EOS []int64
	// Pad is written after a row has stopped and as left padding of
	// shorter prompts (pad_token_id).
	Pad int64

	// MaxNewTokens is the number of tokens to add at most (max_new_tokens).
	// If zero, MaxLength applies instead.
	MaxNewTokens int
	// MaxLength bounds the total length, prompt width included
	// (max_length, default 20); used only when MaxNewTokens is zero.
	MaxLength int
	// MinNewTokens forbids the stop tokens until this many tokens were
	// added (min_new_tokens); when set, MinLength is ignored (transformers
	// replaces min_length by prompt width + min_new_tokens).
	MinNewTokens int
	// MinLength forbids the stop tokens while the total length, prompt
	// width included, is below it (min_length).
	MinLength int

	// NumBeams is the beam width; 1 is greedy search (num_beams).
	NumBeams int
	// LengthPenalty: a finished hypothesis scores
	// sum_logprobs / generated_len^LengthPenalty (length_penalty, default 1).
	LengthPenalty float64
	// EarlyStopping decides when a batch item's beam search is done.
	EarlyStopping EarlyStopping

	// RepetitionPenalty divides positive and multiplies negative scores of
	// every token already in the row, prompt (and padding) included
	// (repetition_penalty; 1 = off).
	RepetitionPenalty float64
	// NoRepeatNGramSize forbids any n-gram of this size from occurring
	// twice in a row (no_repeat_ngram_size; 0 = off).
	NoRepeatNGramSize int

	// OutputScores keeps the processed next-token scores of every step in
	// Result.Scores (output_scores).
	OutputScores bool
}

// DefaultOptions returns transformers' GenerationConfig defaults: greedy,
// MaxLength 20, LengthPenalty 1, RepetitionPenalty 1, no stop token, BOS
// and Pad 0.
func DefaultOptions() Options {
	return Options{
		MaxLength:         20,
		NumBeams:          1,
		LengthPenalty:     1,
		RepetitionPenalty: 1,
	}
}

// Result is what Generate returns, named after transformers' outputs.
type Result struct {
	// Sequences holds the generated rows, I64 [batch, width]: the
	// left-padded prompt, the new tokens, then Pad after the stop token.
	Sequences *tensor.Tensor
	// SequencesScores (beam search only, else nil) holds each returned
	// hypothesis's score, F32 [batch]: its sum of log-probabilities over
	// the new tokens (stop token included) divided by their number to the
	// power LengthPenalty.
	SequencesScores *tensor.Tensor
	// Scores (only with OutputScores) holds one F32 tensor per step: the
	// processed scores of the next token, [batch, vocab] for greedy search
	// (the logits after the logits processors) and [batch*beams, vocab]
	// for beam search (log-softmax after the processors, without the
	// beams' running sums), as transformers' output_scores.
	Scores []*tensor.Tensor
}
