package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeDict writes a tiny WordNet dict folder: a license header line, two
// noun synsets addressed by byte offset, and empty verb/adj/adv files.
func writeDict(t *testing.T, dir string, corruptOffset bool) {
	t.Helper()
	header := "  1 This software and database is being provided to you, the LICENSEE\n"
	line1 := "" // filled once its offset is known
	off1 := len(header)
	line1 = fmt.Sprintf("%08d 05 n 03 chest 0 thorax 0 pectus(a) 0 000 | the part of the body\n", off1)
	off2 := off1 + len(line1)
	line2 := fmt.Sprintf("%08d 06 n 02 chest 1 chest_of_drawers 0 000 | furniture\n", off2)
	data := header + line1 + line2
	ref1 := off1
	if corruptOffset {
		ref1++
	}
	index := fmt.Sprintf("  1 license\nchest n 2 1 @ 2 1 %08d %08d\nthorax n 1 0 1 0 %08d\n", ref1, off2, off1)
	files := map[string]string{
		"data.noun": data, "index.noun": index, "noun.exc": "chests chest\n",
	}
	for _, p := range []string{"verb", "adj", "adv"} {
		files["data."+p] = header
		files["index."+p] = "  1 license\n"
		files[p+".exc"] = ""
	}
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readTable(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGenerateSmallDict(t *testing.T) {
	dir := t.TempDir()
	writeDict(t, dir, false)
	out := filepath.Join(dir, "table.gz")
	if err := run(dir, out); err != nil {
		t.Fatal(err)
	}
	want := "#pos n\nS chest thorax pectus\nS chest\nI chest 0 1\nI thorax 0\nE chests chest\n#pos v\n#pos a\n#pos r\n"
	if got := readTable(t, out); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestGenerateBadOffset(t *testing.T) {
	dir := t.TempDir()
	writeDict(t, dir, true)
	err := run(dir, filepath.Join(dir, "table.gz"))
	if err == nil || !strings.Contains(err.Error(), "data.noun") {
		t.Fatalf("err = %v, want an error naming data.noun", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "table.gz")); statErr == nil {
		t.Error("a table was written despite the error")
	}
}

func TestGenerateMissingDir(t *testing.T) {
	if err := run(filepath.Join(t.TempDir(), "nope"), filepath.Join(t.TempDir(), "x.gz")); err == nil {
		t.Fatal("no error for a missing folder")
	}
}

// TestEmbeddedTableIsReproducible regenerates the committed table from
// Debian's wordnet-base files when they are installed and compares the
// content. Without them there is nothing to compare against.
func TestEmbeddedTableIsReproducible(t *testing.T) {
	const dict = "/usr/share/wordnet"
	if _, err := os.Stat(filepath.Join(dict, "index.noun")); err != nil {
		t.Skipf("WordNet dict not installed at %s (apt-get install wordnet-base): %v", dict, err)
	}
	out := filepath.Join(t.TempDir(), "wordnet.gz")
	if err := run(dict, out); err != nil {
		t.Fatal(err)
	}
	got := readTable(t, out)
	want := readTable(t, filepath.Join("..", "wordnet", "wordnet.gz"))
	if !bytes.Equal([]byte(got), []byte(want)) {
		t.Errorf("regenerated table differs from the committed one (%d vs %d bytes)", len(got), len(want))
	}
}
