// Package punkt is NLTK's PunktSentenceTokenizer (NLTK 3.10) with its
// pre-trained English parameters: the sentence splitter that
// nltk.word_tokenize runs before its word tokenizer.
//
// The English parameters in data/ (abbreviation types, collocations,
// frequent sentence starters and orthographic contexts, in nltk_data's
// punkt_tab text layout) come from nltk_data's English Punkt model; see
// data/NOTICE for their provenance and licences.
package punkt

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Orthographic context flags, as NLTK defines them: where (beginning,
// middle, unknown position of a sentence) a word type was seen with an
// upper- or lower-case first letter.
const (
	orthoBegUC = 1 << 1
	orthoMidUC = 1 << 2
	orthoUnkUC = 1 << 3
	orthoBegLC = 1 << 4
	orthoMidLC = 1 << 5
	orthoUnkLC = 1 << 6
	orthoUC    = orthoBegUC | orthoMidUC | orthoUnkUC
	orthoLC    = orthoBegLC | orthoMidLC | orthoUnkLC
)

// Params are the parameters of a trained Punkt model.
type Params struct {
	AbbrevTypes  map[string]bool
	Collocations map[[2]string]bool
	SentStarters map[string]bool
	OrthoContext map[string]int
}

//go:embed data/*.txt data/*.tab
var dataFS embed.FS

var loadEnglish = sync.OnceValues(func() (*Params, error) {
	open := func(name string) (io.ReadCloser, error) { return dataFS.Open("data/" + name) }
	return LoadParams(open)
})

// English returns NLTK's English Punkt parameters, loaded once from the
// embedded punkt_tab files.
func English() (*Params, error) { return loadEnglish() }

// LoadParams reads the four punkt_tab files (abbrev_types.txt,
// collocations.tab, sent_starters.txt, ortho_context.tab) through open.
func LoadParams(open func(name string) (io.ReadCloser, error)) (*Params, error) {
	p := &Params{
		AbbrevTypes:  map[string]bool{},
		Collocations: map[[2]string]bool{},
		SentStarters: map[string]bool{},
		OrthoContext: map[string]int{},
	}
	read := func(name string, fn func(line string) error) error {
		f, err := open(name)
		if err != nil {
			return fmt.Errorf("punkt parameters: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
			line := strings.TrimRight(sc.Text(), "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			if err := fn(line); err != nil {
				return fmt.Errorf("punkt parameters %s line %d: %w", name, n, err)
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("punkt parameters %s: %w", name, err)
		}
		return nil
	}
	if err := read("abbrev_types.txt", func(l string) error {
		p.AbbrevTypes[strings.TrimSpace(l)] = true
		return nil
	}); err != nil {
		return nil, err
	}
	if err := read("sent_starters.txt", func(l string) error {
		p.SentStarters[strings.TrimSpace(l)] = true
		return nil
	}); err != nil {
		return nil, err
	}
	if err := read("collocations.tab", func(l string) error {
		f := strings.Split(l, "\t")
		if len(f) != 2 {
			return fmt.Errorf("want 2 tab-separated fields, got %d", len(f))
		}
		p.Collocations[[2]string{f[0], f[1]}] = true
		return nil
	}); err != nil {
		return nil, err
	}
	if err := read("ortho_context.tab", func(l string) error {
		f := strings.Split(l, "\t")
		if len(f) != 2 {
			return fmt.Errorf("want 2 tab-separated fields, got %d", len(f))
		}
		v, err := strconv.Atoi(f[1])
		if err != nil || v < 0 || v > 127 {
			return fmt.Errorf("bad flags %q", f[1])
		}
		p.OrthoContext[f[0]] = v
		return nil
	}); err != nil {
		return nil, err
	}
	return p, nil
}
