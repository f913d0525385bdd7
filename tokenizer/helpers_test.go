package tokenizer

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"radcap/internal/hffixtures"
)

// hfFixtures returns the folder with the layout of ../shared/fixtures/hf:
// $RADCAP_HF_FIXTURES when set, else the copy in testdata/hf.
func hfFixtures() string { return hffixtures.Path() }

// hfCase is one line of tokenizer/cases.jsonl, computed by transformers.
type hfCase struct {
	ID                          string   `json:"id"`
	Text                        string   `json:"text"`
	Tokens                      []string `json:"tokens"`
	InputIDs                    []int64  `json:"input_ids"`
	Decoded                     string   `json:"decoded"`
	DecodedSkipSpecial          string   `json:"decoded_skip_special"`
	DecodedSkipSpecialNoCleanup string   `json:"decoded_skip_special_no_cleanup"`
	MaxLength                   *int     `json:"max_length"`
}

// readCases reads tokenizer/cases.jsonl of the fixture folder.
func readCases(t testing.TB) []hfCase {
	t.Helper()
	path := filepath.Join(hfFixtures(), "tokenizer", "cases.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open fixtures: %v", err)
	}
	defer f.Close()
	var cases []hfCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c hfCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s: no cases", path)
	}
	return cases
}

// rocoCaptionFiles are the ROCO caption files copied (gzipped) into testdata.
var rocoCaptionFiles = []string{
	"testdata/roco/validation_radiology_captions.txt.gz",
	"testdata/roco/test_radiology_captions.txt.gz",
}

// readROCOCaptions returns every caption of the ROCO caption files
// ("<ROCO_ID>\t <caption>" lines), with its id.
func readROCOCaptions(t testing.TB) (ids, captions []string) {
	t.Helper()
	for _, path := range rocoCaptionFiles {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		data, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			id, caption, ok := strings.Cut(line, "\t")
			if !ok {
				t.Fatalf("%s:%d: no tab", path, i+1)
			}
			ids = append(ids, id)
			captions = append(captions, caption)
		}
	}
	if len(captions) < 16000 {
		t.Fatalf("only %d ROCO captions read", len(captions))
	}
	return ids, captions
}
