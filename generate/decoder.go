package generate

import "radcap/tensor"

// State is a decoder's per-batch generation state: its key/value cache and
// whatever it computed once for the batch (GIT's image tokens, BLIP's
// cross-attention keys and values of the image). Its concrete type belongs to
// the model; generate only hands it back to the Decoder that made it.
type State any

// Decoder is an autoregressive model as greedy and beam search see it. A
// model offers one bound to a batch of inputs (for a captioning model, the
// images), e.g. gitmodel's m.Decoder(pixelValues); generate never imports a
// model package.
//
// The calls generate makes, in order:
//
//	st, _ := d.Start()                   // one row per batch item
//	st, _ = d.Reorder(st, []int{0,0,0,1,1,1}) // beam search only: batch -> batch*beams
//	logits, _ := d.Step(st, in)          // in.IDs: the whole (left-padded) prompt
//	for ... {
//	    st, _ = d.Reorder(st, parents)   // beam search only: the chosen beams' rows
//	    logits, _ = d.Step(st, in)       // in.IDs: one new token per row
//	}
//
// Decoders run without gradients: make the parameters' RequiresGrad false
// or run inside autograd.Tape.NoGrad (see autograd's package doc).
type Decoder interface {
	// Batch returns the number of batch items the decoder is bound to.
	Batch() int
	// Start returns a fresh state with one row per batch item and an empty
	// cache. Work that depends only on the batch inputs (image features,
	// cross-attention keys/values) is done here, once.
	Start() (State, error)
	// Step feeds the new tokens of every row and returns the logits of the
	// next token, a float32 (or float64) tensor [rows, vocab] taken at the
	// last position, and appends the new tokens' keys and values to the
	// cache in st (which Step may update in place).
	Step(st State, in StepInput) (*tensor.Tensor, error)
	// Reorder returns a state whose row i is row rows[i] of st (rows may
	// repeat, skip and permute rows: expanding a batch to batch*beams, or
	// keeping the beams that beam search selected). The caller no longer
	// uses st afterwards, so Reorder may reuse its storage.
	Reorder(st State, rows []int) (State, error)
}

// StepInput is what one Step call receives.
type StepInput struct {
	// IDs holds the new tokens, I64 [rows, n]: the whole left-padded
	// prompt on the first call (n = prompt width), one token per row
	// afterwards (n = 1).
	IDs *tensor.Tensor
	// Mask is the attention mask over every position so far, the cached
	// ones and the new ones, I64 [rows, Past+n]: 1 for a real token, 0 for
	// left padding. transformers builds the same mask (and keeps appending
	// ones to it) and passes it as attention_mask.
	Mask *tensor.Tensor
	// Past is the number of positions already in the cache (0 on the
	// first call). transformers gives the new tokens the positions
	// Past..Past+n-1 regardless of padding for GIT and BLIP.
	Past int
}
