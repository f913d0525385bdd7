package data

import (
	"bufio"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readGz returns the text of a gzip file in testdata.
func readGz(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var b strings.Builder
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// tsvIDs returns the id column of a chest_xray/*.tsv file (header skipped).
func tsvIDs(t *testing.T, path string) map[string]bool {
	ids := map[string]bool{}
	for i, line := range strings.Split(strings.TrimRight(readGz(t, path), "\n"), "\n") {
		if i == 0 {
			if line != "id\tcaption" {
				t.Fatalf("%s: header %q", path, line)
			}
			continue
		}
		id, _, _ := strings.Cut(line, "\t")
		ids[id] = true
	}
	return ids
}

// TestFiltersMatchPublishedLists: the ids each filter selects from ROCO's
// verbatim validation and test captions.txt equal the published lists
// (shared/data/roco/chest_xray/*.tsv: 222/199 simple, 422/424 rules).
func TestFiltersMatchPublishedLists(t *testing.T) {
	wantCount := map[string]int{"validation simple": 222, "test simple": 199, "validation rules": 422, "test rules": 424}
	for _, split := range []string{"validation", "test"} {
		text := readGz(t, filepath.Join("testdata", "roco", "data", split, "radiology", "captions.txt.gz"))
		caps, err := parseROCOCaptions(strings.NewReader(text), split+"/captions.txt")
		if err != nil {
			t.Fatal(err)
		}
		if len(caps) < 8000 {
			t.Fatalf("%s: %d captions", split, len(caps))
		}
		for _, f := range []Filter{FilterSimple, FilterRules} {
			want := tsvIDs(t, filepath.Join("testdata", "roco", "chest_xray", split+"_chest_xray_"+f.String()+".tsv.gz"))
			if n := wantCount[split+" "+f.String()]; len(want) != n {
				t.Fatalf("%s %s list has %d ids, README says %d", split, f, len(want), n)
			}
			got := 0
			for _, c := range caps {
				keep := f.Keep(c.Caption)
				if keep {
					got++
				}
				if keep != want[c.ID] {
					t.Errorf("%s %s: %s kept=%v, list says %v: %q", split, f, c.ID, keep, want[c.ID], c.Caption)
				}
			}
			if got != len(want) {
				t.Errorf("%s %s: %d selected, want %d", split, f, got, len(want))
			}
		}
	}
}

// TestRulesFilterParts checks the pieces of the rules filter on
// hand-written captions.
func TestRulesFilterParts(t *testing.T) {
	cases := []struct {
		caption string
		want    bool
	}{
		{"Chest X-ray showing a left pneumothorax.", true},
		{"Chest x ray: normal.", true},
		{"Chest x\u2014ray: normal.", false}, // U+2014 is not in the hyphen set
		{"Chest x\u2010ray: normal.", true},
		{"Chest xrays on admission.", true},
		{"CXR showing surgical emphysema.", false}, // CXR is no anatomy word
		{"Thoracic radiograph of a dog.", true},
		{"Thoracic spine radiograph.", false},
		{"Chest radiograph and CT scan of the chest.", false},
		{"Chest X-ray: pleural effusion; ultrasound confirmed it.", false},
		{"Chest roentgenogram.", true},
		{"Röntgen thorax.", true},
		{"Plain film of the chest.", true},
		{"Lung window of MR images.", false},
		{"Abdominal radiograph.", false},
	}
	for _, c := range cases {
		if got := IsChestXrayRules(c.caption); got != c.want {
			t.Errorf("IsChestXrayRules(%q) = %v, want %v", c.caption, got, c.want)
		}
	}
	if !IsChestXraySimple("Initial CHEST X-RAY.") || IsChestXraySimple("Chest radiograph.") {
		t.Error("IsChestXraySimple wrong")
	}
	for _, s := range []string{"none", "simple", "rules"} {
		f, err := ParseFilter(s)
		if err != nil || f.String() != s {
			t.Errorf("ParseFilter(%q) = %v, %v", s, f, err)
		}
	}
	if _, err := ParseFilter("chest"); err == nil {
		t.Error("ParseFilter(chest): no error")
	}
}
