// Package generate is greedy and beam search for any autoregressive model
// that implements its small Decoder interface, with the model's key/value
// cache, reproducing transformers' GenerationMixin.generate (version 4.45)
// for do_sample=False: num_beams, length_penalty and early_stopping as its
// BeamSearchScorer does them, min/max (new) tokens, repetition_penalty and
// no_repeat_ngram_size as its logits processors do them, and batches of
// prompts of different lengths, left-padded.
//
// A model does not depend on this package's algorithms: it offers a Decoder
// bound to its inputs (e.g. a batch of images) whose Start computes what
// stays fixed (image features), whose Step runs the new tokens through the
// text decoder with the cache and returns the next-token logits, and whose
// Reorder selects, repeats or permutes the cache's rows (beam search).
package generate
