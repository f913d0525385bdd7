// Command gen builds the compact WordNet synonym table that radcap's METEOR
// embeds (eval/meteor/internal/wordnet/wordnet.gz).
//
// It reads a Princeton WordNet 3.0 "dict" folder (Debian's wordnet-base
// installs one at /usr/share/wordnet): index.<pos> to map each lemma to its
// synset byte offsets, data.<pos> to read the lemma names of every synset at
// those offsets, and <pos>.exc for the morphological exception lists. Only
// what METEOR's synonym stage needs is kept: for every (part of speech,
// lemma) the synsets it belongs to, and for every synset its single-word
// lemma names (names with "_" never match a token, so they are dropped).
//
// Output format (gzip-compressed UTF-8 text, one record per line):
//
//	#pos n|v|a|r          starts the block of one part of speech
//	S name name ...       one synset (numbered 0, 1, ... within the block)
//	I lemma id id ...     an index.<pos> lemma and the numbers of its synsets
//	E form base base ...  an exception-list entry
//
// Usage: go run ./internal/gen -wordnet /usr/share/wordnet -out internal/wordnet/wordnet.gz
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"radcap/internal/atomicfile"
)

// posFiles names the WordNet file suffix of each part of speech, in the
// order NLTK's synsets() visits them.
var posFiles = []struct{ tag, name string }{
	{"n", "noun"}, {"v", "verb"}, {"a", "adj"}, {"r", "adv"},
}

func main() {
	dir := flag.String("wordnet", "/usr/share/wordnet", "WordNet 3.0 dict folder")
	out := flag.String("out", "wordnet.gz", "output file")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	var text bytes.Buffer
	for _, p := range posFiles {
		if err := writePOS(&text, dir, p.tag, p.name); err != nil {
			return err
		}
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(text.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return writeAtomic(out, gz.Bytes())
}

// writePOS appends the block of one part of speech.
func writePOS(w *bytes.Buffer, dir, tag, name string) error {
	dataPath := filepath.Join(dir, "data."+name)
	data, err := os.ReadFile(dataPath)
	if err != nil {
		return fmt.Errorf("read %s: %w", dataPath, err)
	}
	indexPath := filepath.Join(dir, "index."+name)
	index, err := os.ReadFile(indexPath)
	if err != nil {
		return fmt.Errorf("read %s: %w", indexPath, err)
	}
	excPath := filepath.Join(dir, name+".exc")
	exc, err := os.ReadFile(excPath)
	if err != nil {
		return fmt.Errorf("read %s: %w", excPath, err)
	}

	type entry struct {
		lemma   string
		offsets []int
	}
	var entries []entry
	for n, line := range strings.Split(string(index), "\n") {
		if line == "" || strings.HasPrefix(line, "  ") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return fmt.Errorf("%s line %d: too few fields", indexPath, n+1)
		}
		nSyn, err1 := strconv.Atoi(f[2])
		nPtr, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || nSyn < 0 || nPtr < 0 {
			return fmt.Errorf("%s line %d: bad counts", indexPath, n+1)
		}
		start := 4 + nPtr + 2
		if len(f) != start+nSyn {
			return fmt.Errorf("%s line %d: expected %d offsets", indexPath, n+1, nSyn)
		}
		e := entry{lemma: f[0]}
		for _, s := range f[start:] {
			off, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("%s line %d: bad offset %q", indexPath, n+1, s)
			}
			e.offsets = append(e.offsets, off)
		}
		entries = append(entries, e)
	}

	// Number the synsets that have at least one single-word lemma name, in
	// order of first use, and write them.
	fmt.Fprintf(w, "#pos %s\n", tag)
	ids := map[int]int{}
	var synLines []string
	for _, e := range entries {
		for _, off := range e.offsets {
			if _, ok := ids[off]; ok {
				continue
			}
			names, err := synsetNames(data, off)
			if err != nil {
				return fmt.Errorf("%s offset %d (lemma %q): %w", dataPath, off, e.lemma, err)
			}
			if len(names) == 0 {
				ids[off] = -1
				continue
			}
			ids[off] = len(synLines)
			synLines = append(synLines, "S "+strings.Join(names, " "))
		}
	}
	for _, l := range synLines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	for _, e := range entries {
		var refs []string
		for _, off := range e.offsets {
			if id := ids[off]; id >= 0 {
				refs = append(refs, strconv.Itoa(id))
			}
		}
		if len(refs) == 0 {
			continue
		}
		fmt.Fprintf(w, "I %s %s\n", e.lemma, strings.Join(refs, " "))
	}
	lines := strings.Split(string(exc), "\n")
	sort.Strings(lines)
	for n, line := range lines {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return fmt.Errorf("%s line %d: no base form", excPath, n+1)
		}
		fmt.Fprintf(w, "E %s\n", strings.Join(f, " "))
	}
	return nil
}

// synsetNames reads the synset line at byte offset off of a data file and
// returns its lemma names without "_" (syntactic markers such as "(a)"
// removed), in file order, without duplicates.
func synsetNames(data []byte, off int) ([]string, error) {
	if off < 0 || off >= len(data) || (off > 0 && data[off-1] != '\n') {
		return nil, errors.New("offset is not the start of a line")
	}
	end := bytes.IndexByte(data[off:], '\n')
	if end < 0 {
		end = len(data) - off
	}
	f := strings.Fields(string(data[off : off+end]))
	if len(f) < 4 || f[0] != fmt.Sprintf("%08d", off) {
		return nil, errors.New("line does not start with its own offset")
	}
	nWords, err := strconv.ParseInt(f[3], 16, 32)
	if err != nil || len(f) < 4+2*int(nWords) {
		return nil, errors.New("bad word count")
	}
	var names []string
	seen := map[string]bool{}
	for i := 0; i < int(nWords); i++ {
		name := f[4+2*i]
		if j := strings.IndexByte(name, '('); j > 0 && strings.HasSuffix(name, ")") {
			name = name[:j]
		}
		if strings.Contains(name, "_") || seen[name] {
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	return names, nil
}

// writeAtomic writes b to path through a temporary file in the same folder.
func writeAtomic(path string, b []byte) error { return atomicfile.WriteFile(path, b) }
