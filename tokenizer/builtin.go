package tokenizer

import (
	_ "embed" // the built-in vocabulary
	"fmt"
)

// bertBaseUncasedVocab is vocab/bert-base-uncased-vocab.txt (see
// vocab/README.md for its source and licence).
//
//go:embed vocab/bert-base-uncased-vocab.txt
var bertBaseUncasedVocab []byte

// BertBaseUncased returns a new tokenizer with the built-in bert-base-uncased
// vocabulary (30,522 tokens), configured as microsoft/git-base and
// Salesforce/blip-image-captioning-base configure it: lower-casing and
// accent stripping, [CLS]/[SEP]/[PAD]/[UNK]/[MASK], model_max_length 512.
// Each call builds a fresh tokenizer (a few milliseconds), so that adding
// BLIP's tokens to one does not change another.
func BertBaseUncased() *Tokenizer {
	vocab, err := parseVocab(bertBaseUncasedVocab)
	if err != nil {
		panic(fmt.Sprintf("tokenizer: built-in vocabulary: %v", err)) // the embedded file is tested
	}
	cfg := NewConfig()
	cfg.ModelMaxLength = 512
	t, err := New(vocab, cfg)
	if err != nil {
		panic(fmt.Sprintf("tokenizer: built-in vocabulary: %v", err))
	}
	return t
}
