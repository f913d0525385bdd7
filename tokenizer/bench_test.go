package tokenizer

import (
	"strings"
	"testing"
)

// BenchmarkTokenizeROCO encodes every ROCO caption of testdata (validation
// and test radiology splits, 16,359 captions, 2.5 MB) with [CLS]/[SEP];
// MB/s is megabytes of caption text per second on one goroutine (run with
// -cpu 1 for one core).
func BenchmarkTokenizeROCO(b *testing.B) {
	_, captions := readROCOCaptions(b)
	tok := BertBaseUncased()
	total := 0
	for _, c := range captions {
		total += len(c)
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for range b.N {
		for _, c := range captions {
			if _, err := tok.Encode(c, EncodeOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkTokenizeROCOReference is the floor to compare
// BenchmarkTokenizeROCO with: the same text lower-cased and split on
// whitespace by the standard library, with one map look-up per word.
func BenchmarkTokenizeROCOReference(b *testing.B) {
	_, captions := readROCOCaptions(b)
	tok := BertBaseUncased()
	total := 0
	for _, c := range captions {
		total += len(c)
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	n := 0
	for range b.N {
		for _, c := range captions {
			for _, w := range strings.Fields(strings.ToLower(c)) {
				if _, ok := tok.vocab[w]; ok {
					n++
				}
			}
		}
	}
	if n == 0 {
		b.Fatal("no word found")
	}
}
