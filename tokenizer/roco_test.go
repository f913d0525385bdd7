package tokenizer

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The examples TSV was made with a Python port of BertTokenizer (see the
// README of ../shared/data/tokenizers); its tokens and ids must agree.
func TestWordPieceExamples(t *testing.T) {
	data, err := os.ReadFile("testdata/bert-base-uncased-wordpiece-examples.tsv")
	if err != nil {
		t.Fatal(err)
	}
	tok := BertBaseUncased()
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if lines[0] != "text\ttokens\tinput_ids" {
		t.Fatalf("unexpected header %q", lines[0])
	}
	for i, line := range lines[1:] {
		fs := strings.Split(line, "\t")
		if len(fs) != 3 {
			t.Fatalf("line %d: %d fields", i+2, len(fs))
		}
		var want []int64
		for _, f := range strings.Fields(fs[2]) {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatalf("line %d: %v", i+2, err)
			}
			want = append(want, v)
		}
		if got := tok.Tokenize(fs[0]); strings.Join(got, " ") != fs[1] {
			t.Errorf("line %d: Tokenize(%q)\n got  %q\n want %q", i+2, fs[0], strings.Join(got, " "), fs[1])
		}
		enc, err := tok.Encode(fs[0], EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(enc.IDs, want) {
			t.Errorf("line %d: ids of %q\n got  %v\n want %v", i+2, fs[0], enc.IDs, want)
		}
	}
	if len(lines) < 11 {
		t.Errorf("only %d examples", len(lines)-1)
	}
}

// Every ROCO caption (validation and test radiology splits) must tokenize
// without trouble, with ids in range, and decode back to its normalized
// words: the words of PreTokenize joined by spaces, less those that
// WordPiece turned into [UNK] (which skip_special_tokens drops).
func TestROCOCaptionsRoundTrip(t *testing.T) {
	ids, captions := readROCOCaptions(t)
	tok := BertBaseUncased()
	var unkWords, checked, bad int
	for i, caption := range captions {
		enc, err := tok.Encode(caption, EncodeOptions{})
		if err != nil {
			t.Fatalf("%s: %v", ids[i], err)
		}
		if len(enc.IDs) < 2 || enc.IDs[0] != int64(tok.CLSID()) || enc.IDs[len(enc.IDs)-1] != int64(tok.SEPID()) {
			t.Fatalf("%s: not framed by [CLS] … [SEP]: %v", ids[i], enc.IDs)
		}
		for _, id := range enc.IDs {
			if id < 0 || id >= int64(tok.VocabSize()) {
				t.Fatalf("%s: id %d out of range", ids[i], id)
			}
		}
		var kept []string
		for _, w := range tok.PreTokenize(caption) {
			pieces := tok.Tokenize(w)
			if len(pieces) == 1 && pieces[0] == "[UNK]" {
				unkWords++
				continue
			}
			kept = append(kept, w)
		}
		want := strings.Join(kept, " ")
		got := tok.DecodeWithoutCleanup(enc.IDs, true)
		checked++
		if got != want {
			bad++
			if bad <= 5 {
				t.Errorf("%s: round trip of %q\n got  %q\n want %q", ids[i], caption, got, want)
			}
			continue
		}
		if got := tok.Decode(enc.IDs, true); got != cleanUpTokenization(want) {
			t.Errorf("%s: decode with clean-up gives %q, want %q", ids[i], got, cleanUpTokenization(want))
		}
	}
	t.Logf("%d captions round-tripped, %d words became [UNK]", checked, unkWords)
	if bad > 0 {
		t.Errorf("%d of %d captions do not round-trip", bad, checked)
	}
}
