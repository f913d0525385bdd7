// Package meteor computes METEOR exactly as Hugging Face evaluate's "meteor"
// metric does with NLTK 3.10: nltk.word_tokenize (Punkt sentence splitting
// with NLTK's English parameters, then NLTK's Treebank-style word tokenizer),
// lowercasing, greedy exact / Porter-stem / WordNet-synonym alignment, and
// the score (1 - gamma*frag^beta) * P*R/(alpha*P + (1-alpha)*R), the best
// over the references of a prediction and the arithmetic mean over a corpus.
//
// The WordNet synonym table (derived from Princeton WordNet 3.0, see
// LICENSE-WORDNET) and NLTK's English Punkt parameters (from nltk_data, see
// internal/punkt/data/NOTICE) are embedded in the binary. Regenerate the
// WordNet table with `go generate ./eval/meteor/...` (it reads Debian's
// wordnet-base files from /usr/share/wordnet).
package meteor

import (
	"fmt"
	"math"
	"sort"

	"radcap/eval/meteor/internal/punkt"
	"radcap/eval/meteor/internal/wordnet"
)

// Options are METEOR's parameters. NoWordNet switches the synonym stage off
// (exact and stem matching only).
type Options struct {
	Alpha, Beta, Gamma float64
	NoWordNet          bool
}

// DefaultOptions returns the defaults of evaluate's meteor: alpha 0.9,
// beta 3, gamma 0.5, with WordNet synonyms.
func DefaultOptions() Options { return Options{Alpha: 0.9, Beta: 3, Gamma: 0.5} }

// Tokenize is nltk.word_tokenize(text) for English (NLTK >= 3.9): Punkt
// sentence splitting, then the NLTK word tokenizer on each sentence.
func Tokenize(text string) []string {
	params, err := punkt.English()
	if err != nil {
		// The parameters are embedded at build time; failing to parse them
		// is a broken build, not bad user input.
		panic(fmt.Sprintf("meteor: embedded punkt parameters: %v", err))
	}
	var toks []string
	for _, sent := range punkt.New(params).Sentences(text) {
		toks = append(toks, treebankTokenize(sent)...)
	}
	return toks
}

func embeddedWordNet() *wordnet.DB {
	db, err := wordnet.Embedded()
	if err != nil {
		panic(fmt.Sprintf("meteor: embedded wordnet table: %v", err))
	}
	return db
}

// Align returns the METEOR alignment of two token lists (already tokenized;
// they are lowercased here): matched [hypothesis index, reference index]
// pairs sorted by hypothesis index, found by the exact, stem and (unless
// noWordNet) WordNet stages in turn.
func Align(hyp, ref []string, noWordNet bool) [][2]int {
	type item struct {
		idx  int
		word string
	}
	h := make([]item, len(hyp))
	for i, w := range hyp {
		h[i] = item{i, punkt.Lower(w)}
	}
	r := make([]item, len(ref))
	for i, w := range ref {
		r[i] = item{i, punkt.Lower(w)}
	}
	var matches [][2]int
	// stage pairs each hypothesis item, from last to first, with the last
	// remaining reference item its acceptor accepts, removing both.
	stage := func(acceptor func(hypWord string) func(refWord string) bool) {
		for i := len(h) - 1; i >= 0; i-- {
			accept := acceptor(h[i].word)
			for j := len(r) - 1; j >= 0; j-- {
				if accept(r[j].word) {
					matches = append(matches, [2]int{h[i].idx, r[j].idx})
					h = append(h[:i], h[i+1:]...)
					r = append(r[:j], r[j+1:]...)
					break
				}
			}
		}
	}
	identical := func(hw string) func(string) bool {
		return func(rw string) bool { return rw == hw }
	}

	stage(identical) // exact words
	for i := range h {
		h[i].word = Stem(h[i].word)
	}
	for j := range r {
		r[j].word = Stem(r[j].word)
	}
	stage(identical) // Porter stems
	if !noWordNet {
		// WordNet synonyms of the remaining hypothesis stems.
		db := embeddedWordNet()
		stage(func(hw string) func(string) bool {
			set := db.SynonymSet(hw)
			return func(rw string) bool { return set[rw] }
		})
	}
	sort.SliceStable(matches, func(a, b int) bool { return matches[a][0] < matches[b][0] })
	return matches
}

// scoreTokens is NLTK's single_meteor_score on token lists.
func scoreTokens(hyp, ref []string, o Options) float64 {
	if len(hyp) == 0 || len(ref) == 0 {
		return 0
	}
	m := Align(hyp, ref, o.NoWordNet)
	if len(m) == 0 {
		return 0
	}
	count := float64(len(m))
	precision := count / float64(len(hyp))
	recall := count / float64(len(ref))
	denom := o.Alpha*precision + (1-o.Alpha)*recall
	if denom == 0 {
		return 0
	}
	fmean := precision * recall / denom
	chunks := 1
	for i := 0; i+1 < len(m); i++ {
		if !(m[i+1][0] == m[i][0]+1 && m[i+1][1] == m[i][1]+1) {
			chunks++
		}
	}
	frag := float64(chunks) / count
	penalty := o.Gamma * math.Pow(frag, o.Beta)
	return (1 - penalty) * fmean
}

// ScoreWith is METEOR of one prediction against its references with the
// given options: single_meteor_score for one reference, otherwise the
// maximum over the references (0 when there are none).
func ScoreWith(prediction string, references []string, o Options) float64 {
	hyp := Tokenize(prediction)
	best := 0.0
	for i, ref := range references {
		s := scoreTokens(hyp, Tokenize(ref), o)
		if i == 0 || s > best {
			best = s
		}
	}
	return best
}

// Score is METEOR of one prediction against its references with the default
// options (alpha 0.9, beta 3, gamma 0.5, WordNet synonyms).
func Score(prediction string, references []string) float64 {
	return ScoreWith(prediction, references, DefaultOptions())
}

// CorpusWith is the arithmetic mean of ScoreWith over the pairs, as
// evaluate's meteor reports it. It is an error when the counts differ; an
// empty corpus scores 0.
func CorpusWith(predictions []string, references [][]string, o Options) (float64, error) {
	if len(predictions) != len(references) {
		return 0, fmt.Errorf("meteor: %d predictions but %d reference lists", len(predictions), len(references))
	}
	if len(predictions) == 0 {
		return 0, nil
	}
	sum := 0.0
	for i, p := range predictions {
		sum += ScoreWith(p, references[i], o)
	}
	return sum / float64(len(predictions)), nil
}

// Corpus is CorpusWith with the default options.
func Corpus(predictions []string, references [][]string) (float64, error) {
	return CorpusWith(predictions, references, DefaultOptions())
}
