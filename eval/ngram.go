package eval

import (
	"strconv"
	"strings"
)

// ngramKey identifies an n-gram: its order and its tokens, each written with
// a length prefix, so that different token lists never share a key whatever
// bytes the tokens hold.
type ngramKey struct {
	order int
	text  string
}

// ngramCounts counts the n-grams of orders 1..maxOrder in tokens.
func ngramCounts(tokens []string, maxOrder int) map[ngramKey]int {
	counts := make(map[ngramKey]int)
	for n := 1; n <= maxOrder; n++ {
		for i := 0; i+n <= len(tokens); i++ {
			counts[ngramKey{n, joinTokens(tokens[i : i+n])}]++
		}
	}
	return counts
}

// joinTokens writes tokens as "len:token" pieces back to back.
func joinTokens(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString(strconv.Itoa(len(t)))
		b.WriteByte(':')
		b.WriteString(t)
	}
	return b.String()
}

// maxRefCounts merges the n-gram counts of several references by taking,
// for each n-gram, the largest count in any one reference.
func maxRefCounts(refs [][]string, maxOrder int) map[ngramKey]int {
	merged := make(map[ngramKey]int)
	for _, ref := range refs {
		for k, c := range ngramCounts(ref, maxOrder) {
			if c > merged[k] {
				merged[k] = c
			}
		}
	}
	return merged
}
