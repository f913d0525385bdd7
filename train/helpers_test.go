package train

import (
	"sort"
	"strings"
	"testing"

	"radcap/data"
	"radcap/gitmodel"
	"radcap/tokenizer"
)

// tinyTokenizer builds a WordPiece vocabulary from the words of captions
// (plus BERT's special tokens and single letters, so nothing is unknown).
func tinyTokenizer(t *testing.T, captions []string) *tokenizer.Tokenizer {
	t.Helper()
	vocab := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	seen := map[string]bool{}
	for _, v := range vocab {
		seen[v] = true
	}
	base := tokenizer.BertBaseUncased()
	var words []string
	for _, c := range captions {
		for _, w := range base.PreTokenize(c) {
			w = strings.ToLower(w)
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		for _, w := range []string{string(c), "##" + string(c)} {
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	sort.Strings(words)
	tok, err := tokenizer.New(append(vocab, words...), tokenizer.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tinyGIT returns a small random GIT (image size 32, one layer each side)
// with a tokenizer made from the captions of ds.
func tinyGIT(t *testing.T, seed uint64, ds ...data.Dataset) *GIT {
	t.Helper()
	var caps []string
	for _, d := range ds {
		for i := range d.Len() {
			ex, err := d.Item(i)
			if err != nil {
				t.Fatal(err)
			}
			caps = append(caps, ex.Captions...)
		}
	}
	tok := tinyTokenizer(t, caps)
	c := gitmodel.DefaultConfig()
	c.VocabSize = tok.VocabSize()
	c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize = 32, 1, 2, 64
	c.MaxPositionEmbeddings = 96
	c.BosTokenID, c.EosTokenID, c.PadTokenID = tok.CLSID(), tok.SEPID(), tok.PadID()
	v := &c.Vision
	v.HiddenSize, v.NumHiddenLayers, v.NumAttentionHeads, v.IntermediateSize = 32, 1, 2, 64
	v.ImageSize, v.PatchSize = 32, 16
	m, err := gitmodel.New(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGIT(m, tok, clipProcessor(32))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// synthSplits is a small synthetic set.
func synthSplits(t *testing.T, train, val, test int) Splits {
	t.Helper()
	s, err := OpenData("synthetic", SynthOptions{Seed: 7, Size: 32, Train: train, Validation: val, Test: test})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tinyConfig is a run of a few steps.
func tinyConfig(out string) Config {
	c := Reference()
	c.Model, c.Data, c.OutDir = "tiny-git", "synthetic", out
	c.Epochs, c.BatchSize, c.EvalBatchSize, c.Accumulation = 2, 4, 8, 2
	c.LR = 1e-3
	c.Generate.MaxNewTokens = 12
	c.LogEvery = 1
	c.Samples = 3
	c.SkipMETEOR = true
	c.Workers = 1
	return c
}
