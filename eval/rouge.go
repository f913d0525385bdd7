package eval

import (
	"fmt"
	"strings"
)

// ROUGE type names, as `rouge_score` and `evaluate` spell them.
const (
	Rouge1    = "rouge1"
	Rouge2    = "rouge2"
	RougeL    = "rougeL"
	RougeLsum = "rougeLsum"
)

// RougeTypes lists the ROUGE types in `evaluate`'s default order.
var RougeTypes = [4]string{Rouge1, Rouge2, RougeL, RougeLsum}

// PRF is one precision / recall / F-measure triple.
type PRF struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	FMeasure  float64 `json:"fmeasure"`
}

// RougePair holds the ROUGE scores of one prediction, indexed like
// [RougeTypes]: ROUGE-1, ROUGE-2, ROUGE-L, ROUGE-Lsum.
type RougePair [4]PRF

// RougeResult is the corpus-level ROUGE: the mean over pairs of each
// per-pair F-measure, plus the per-pair scores.
type RougeResult struct {
	Rouge1    float64     `json:"rouge1"`
	Rouge2    float64     `json:"rouge2"`
	RougeL    float64     `json:"rougeL"`
	RougeLsum float64     `json:"rougeLsum"`
	PerPair   []RougePair `json:"-"`
}

// TokenizeRouge splits text as `rouge_score`'s default tokenizer does
// without stemming: lowercase, every run of characters other than a-z and
// 0-9 becomes a separator (so non-ASCII letters disappear), split.
// Lowercasing is Unicode-aware as Python's str.lower is: the two non-ASCII
// letters whose lowercase is ASCII (U+0130 and the Kelvin sign U+212A)
// become 'i' and 'k'.
func TokenizeRouge(text string) []string {
	lower := strings.ToLower(text)
	return strings.FieldsFunc(lower, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// fmeasure is rouge_score's harmonic mean (0 when P+R is 0).
func fmeasure(p, r float64) float64 {
	if p+r > 0 {
		return 2 * p * r / (p + r)
	}
	return 0
}

// scoreNgrams is rouge_score's ROUGE-N for one target/prediction pair.
func scoreNgrams(target, prediction []string, n int) PRF {
	tc := ngramsOfOrder(target, n)
	pc := ngramsOfOrder(prediction, n)
	overlap, tTotal, pTotal := 0, 0, 0
	for k, c := range tc {
		overlap += min(c, pc[k])
		tTotal += c
	}
	for _, c := range pc {
		pTotal += c
	}
	p := float64(overlap) / float64(max(pTotal, 1))
	r := float64(overlap) / float64(max(tTotal, 1))
	return PRF{p, r, fmeasure(p, r)}
}

// ngramsOfOrder counts the n-grams of exactly order n.
func ngramsOfOrder(tokens []string, n int) map[string]int {
	counts := make(map[string]int)
	for i := 0; i+n <= len(tokens); i++ {
		counts[joinTokens(tokens[i:i+n])]++
	}
	return counts
}

// lcsTable is the dynamic-programming table of the longest common
// subsequence of ref (rows) and can (columns), with a zero first row and
// column.
func lcsTable(ref, can []string) [][]int {
	t := make([][]int, len(ref)+1)
	for i := range t {
		t[i] = make([]int, len(can)+1)
	}
	for i := 1; i <= len(ref); i++ {
		for j := 1; j <= len(can); j++ {
			if ref[i-1] == can[j-1] {
				t[i][j] = t[i-1][j-1] + 1
			} else {
				t[i][j] = max(t[i-1][j], t[i][j-1])
			}
		}
	}
	return t
}

// scoreLCS is rouge_score's ROUGE-L for one pair.
func scoreLCS(target, prediction []string) PRF {
	if len(target) == 0 || len(prediction) == 0 {
		return PRF{}
	}
	lcs := lcsTable(target, prediction)[len(target)][len(prediction)]
	p := float64(lcs) / float64(len(prediction))
	r := float64(lcs) / float64(len(target))
	return PRF{p, r, fmeasure(p, r)}
}

// lcsIndices reads one LCS out of the table as positions in ref, walking
// back from the end exactly as rouge_score's _backtrack_norec: a diagonal
// step on equal tokens, else along can when t[i][j-1] > t[i-1][j], else
// along ref.
func lcsIndices(ref, can []string) []int {
	t := lcsTable(ref, can)
	i, j := len(ref), len(can)
	var rev []int
	for i > 0 && j > 0 {
		switch {
		case ref[i-1] == can[j-1]:
			rev = append(rev, i-1)
			i--
			j--
		case t[i][j-1] > t[i-1][j]:
			j--
		default:
			i--
		}
	}
	for a, b := 0, len(rev)-1; a < b; a, b = a+1, b-1 {
		rev[a], rev[b] = rev[b], rev[a]
	}
	return rev
}

// unionLCS returns the tokens of ref at the sorted union of the LCS
// positions of ref against every candidate line.
func unionLCS(ref []string, candidates [][]string) []string {
	seen := make([]bool, len(ref))
	for _, c := range candidates {
		for _, i := range lcsIndices(ref, c) {
			seen[i] = true
		}
	}
	var out []string
	for i, s := range seen {
		if s {
			out = append(out, ref[i])
		}
	}
	return out
}

// summaryLines splits text on "\n", drops empty lines and tokenizes each.
func summaryLines(text string) [][]string {
	var lines [][]string
	for _, l := range strings.Split(text, "\n") {
		if l != "" {
			lines = append(lines, TokenizeRouge(l))
		}
	}
	return lines
}

// scoreSummaryLCS is rouge_score's ROUGE-Lsum (_summary_level_lcs) for one
// pair of texts with one sentence per line.
func scoreSummaryLCS(target, prediction string) PRF {
	ref, can := summaryLines(target), summaryLines(prediction)
	if len(ref) == 0 || len(can) == 0 {
		return PRF{}
	}
	refCounts, canCounts := make(map[string]int), make(map[string]int)
	m, n := 0, 0
	for _, s := range ref {
		m += len(s)
		for _, t := range s {
			refCounts[t]++
		}
	}
	for _, s := range can {
		n += len(s)
		for _, t := range s {
			canCounts[t]++
		}
	}
	if m == 0 || n == 0 {
		return PRF{}
	}
	hits := 0
	for _, r := range ref {
		for _, t := range unionLCS(r, can) {
			if canCounts[t] > 0 && refCounts[t] > 0 {
				hits++
				canCounts[t]--
				refCounts[t]--
			}
		}
	}
	p := float64(hits) / float64(n)
	r := float64(hits) / float64(m)
	return PRF{p, r, fmeasure(p, r)}
}

// RougeScore scores one prediction against one reference (rouge_score's
// RougeScorer.score with the four default types, no stemming).
func RougeScore(prediction, reference string) RougePair {
	tt, pt := TokenizeRouge(reference), TokenizeRouge(prediction)
	return RougePair{
		scoreNgrams(tt, pt, 1),
		scoreNgrams(tt, pt, 2),
		scoreLCS(tt, pt),
		scoreSummaryLCS(reference, prediction),
	}
}

// RougeScoreMulti scores one prediction against several references: for
// each type separately, the reference with the highest F-measure (the first
// on ties) supplies P, R and F, as rouge_score's score_multi does.
func RougeScoreMulti(prediction string, references []string) (RougePair, error) {
	if len(references) == 0 {
		return RougePair{}, fmt.Errorf("rouge: no references")
	}
	var best RougePair
	for i, ref := range references {
		s := RougeScore(prediction, ref)
		for k := range best {
			if i == 0 || s[k].FMeasure > best[k].FMeasure {
				best[k] = s[k]
			}
		}
	}
	return best, nil
}

// ROUGE computes ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum for a corpus: the
// per-pair F-measures (best reference per type) and their arithmetic means,
// which is what `evaluate`'s "rouge" returns with use_aggregator=False,
// averaged. See [Bootstrap] for `evaluate`'s default bootstrap output.
func ROUGE(predictions []string, references [][]string) (RougeResult, error) {
	if err := checkCorpus(predictions, references); err != nil {
		return RougeResult{}, fmt.Errorf("rouge: %w", err)
	}
	res := RougeResult{PerPair: make([]RougePair, len(predictions))}
	var sums [4]float64
	for i, pred := range predictions {
		s, err := RougeScoreMulti(pred, references[i])
		if err != nil {
			return RougeResult{}, fmt.Errorf("rouge: prediction %d: %w", i+1, err)
		}
		res.PerPair[i] = s
		for k := range sums {
			sums[k] += s[k].FMeasure
		}
	}
	n := float64(len(predictions))
	res.Rouge1, res.Rouge2, res.RougeL, res.RougeLsum = sums[0]/n, sums[1]/n, sums[2]/n, sums[3]/n
	return res, nil
}
