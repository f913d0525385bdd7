// Package wordnet answers the one WordNet question METEOR asks: which lemma
// names share a synset with a word, the way NLTK's
// wordnet.synsets(word) finds them (NLTK >= 3.9 morphy: exception list or
// one application of each suffix rule, per part of speech).
//
// The data is a compact table derived from Princeton WordNet 3.0 (see
// LICENSE-WORDNET in eval/meteor) and embedded in the binary; it is built by
// eval/meteor/internal/gen from Debian's wordnet-base files.
package wordnet

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed" // for the embedded table
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

//go:generate go run ../gen -wordnet /usr/share/wordnet -out wordnet.gz

//go:embed wordnet.gz
var embedded []byte

// POS lists the parts of speech in the order NLTK's synsets() visits them
// when no part of speech is given: noun, verb, adjective, adverb.
var POS = [4]string{"n", "v", "a", "r"}

// substitutions are NLTK's MORPHOLOGICAL_SUBSTITUTIONS (old suffix, new
// suffix) for each part of speech, indexed like POS.
var substitutions = [4][][2]string{
	{{"s", ""}, {"ses", "s"}, {"ves", "f"}, {"xes", "x"}, {"zes", "z"},
		{"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
	{{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"},
		{"ed", ""}, {"ing", "e"}, {"ing", ""}},
	{{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
	{},
}

// partOfSpeech holds the table of one part of speech.
type partOfSpeech struct {
	synsets    [][]string          // single-word lemma names of each synset
	index      map[string][]int32  // index lemma -> synset numbers
	exceptions map[string][]string // inflected form -> base forms
}

// DB is a loaded WordNet table. It is immutable after loading and safe for
// concurrent use.
type DB struct {
	pos [4]partOfSpeech
}

var loadEmbedded = sync.OnceValues(func() (*DB, error) {
	return Load(bytes.NewReader(embedded))
})

// Embedded returns the table embedded in the binary, loading it on first use.
func Embedded() (*DB, error) { return loadEmbedded() }

// Load reads a gzip-compressed table in the format written by
// eval/meteor/internal/gen.
func Load(r io.Reader) (*DB, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("wordnet table: %w", err)
	}
	defer zr.Close()
	db := &DB{}
	for i := range db.pos {
		db.pos[i].index = map[string][]int32{}
		db.pos[i].exceptions = map[string][]string{}
	}
	cur := -1
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.HasPrefix(text, "#pos ") {
			cur = posIndex(strings.TrimPrefix(text, "#pos "))
			if cur < 0 {
				return nil, fmt.Errorf("wordnet table line %d: unknown part of speech %q", line, text)
			}
			continue
		}
		if cur < 0 || len(text) < 2 || text[1] != ' ' {
			return nil, fmt.Errorf("wordnet table line %d: malformed record", line)
		}
		p := &db.pos[cur]
		f := strings.Fields(text[2:])
		switch text[0] {
		case 'S':
			p.synsets = append(p.synsets, f)
		case 'I':
			if len(f) < 2 {
				return nil, fmt.Errorf("wordnet table line %d: index entry without synsets", line)
			}
			ids := make([]int32, 0, len(f)-1)
			for _, s := range f[1:] {
				id, err := strconv.Atoi(s)
				if err != nil || id < 0 || id >= len(p.synsets) {
					return nil, fmt.Errorf("wordnet table line %d: bad synset number %q", line, s)
				}
				ids = append(ids, int32(id))
			}
			p.index[f[0]] = ids
		case 'E':
			if len(f) < 2 {
				return nil, fmt.Errorf("wordnet table line %d: exception without base form", line)
			}
			p.exceptions[f[0]] = append(p.exceptions[f[0]], f[1:]...)
		default:
			return nil, fmt.Errorf("wordnet table line %d: unknown record type %q", line, text[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wordnet table: %w", err)
	}
	return db, nil
}

func posIndex(tag string) int {
	for i, p := range POS {
		if p == tag {
			return i
		}
	}
	return -1
}

// Morphy returns the base forms NLTK (>= 3.9) looks up for word in the given
// part of speech ("n", "v", "a" or "r"): the word and its exception-list
// bases when the word is in the exception list, otherwise the word and the
// result of applying each suffix rule once; only forms that are lemmas of
// that part of speech are kept, first occurrence first.
func (db *DB) Morphy(word, pos string) []string {
	i := posIndex(pos)
	if i < 0 {
		return nil
	}
	p := &db.pos[i]
	forms := []string{word}
	if bases, ok := p.exceptions[word]; ok {
		forms = append(forms, bases...)
	} else {
		for _, s := range substitutions[i] {
			if strings.HasSuffix(word, s[0]) {
				forms = append(forms, word[:len(word)-len(s[0])]+s[1])
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range forms {
		if _, ok := p.index[f]; ok && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// SynonymSet returns the set METEOR's synonym stage compares against: the
// word itself plus every lemma name without "_" of every synset that
// wordnet.synsets(word) returns (all parts of speech). The word is lowercased
// for the lookup, as NLTK does; lemma names keep their case.
func (db *DB) SynonymSet(word string) map[string]bool {
	set := map[string]bool{word: true}
	lw := strings.ToLower(word)
	for i, pos := range POS {
		p := &db.pos[i]
		for _, form := range db.Morphy(lw, pos) {
			for _, id := range p.index[form] {
				for _, name := range p.synsets[id] {
					set[name] = true
				}
			}
		}
	}
	return set
}
