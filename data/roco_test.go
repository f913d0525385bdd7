package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"radcap/imageproc"
)

// rocoFromTestdata writes ROCO's verbatim validation and test
// captions.txt and licences.txt (gzipped in testdata) into a fresh ROCO
// layout without images.
func rocoFromTestdata(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, split := range []string{"validation", "test"} {
		dir := filepath.Join(root, "data", split, "radiology")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"captions.txt", "licences.txt"} {
			text := readGz(t, filepath.Join("testdata", "roco", "data", split, "radiology", name+".gz"))
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// TestROCOLicenceFilterCounts: filter + licence counts as the ROCO notes
// publish them (rules: validation 170 CC BY of 422, test 185 of 424;
// simple: 91 of 222 and 82 of 199), and with no images every selected row
// is counted missing, not an error.
func TestROCOLicenceFilterCounts(t *testing.T) {
	root := rocoFromTestdata(t)
	cases := []struct {
		split    string
		filter   Filter
		filtered int
		ccBy     int
	}{
		{"validation", FilterRules, 422, 170},
		{"test", FilterRules, 424, 185},
		{"validation", FilterSimple, 222, 91},
		{"test", FilterSimple, 199, 82},
	}
	for _, c := range cases {
		d, err := LoadROCO(root, ROCOOptions{Split: c.split, Filter: c.filter, Licences: []string{"cc-by"}})
		if err != nil {
			t.Fatal(err)
		}
		want := ROCOStats{Captions: map[string]int{"validation": 8180, "test": 8179}[c.split],
			Filtered: c.filtered, Licensed: c.ccBy, Missing: c.ccBy, Kept: 0}
		if d.Stats != want || d.Len() != 0 {
			t.Errorf("%s %s cc-by: stats %+v, len %d; want %+v", c.split, c.filter, d.Stats, d.Len(), want)
		}
	}
	// test simple licences from the README: 82 CC BY, 32 CC BY-NC, 44 CC BY-NC-SA, 21 CC BY-NC-ND, 1 CC BY-SA, 19 NO-CC CODE
	d, err := LoadROCO(root, ROCOOptions{Split: "test", Filter: FilterSimple, Licences: []string{"CC BY-NC", "cc_by_nc_sa", "NO-CC CODE"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Stats.Licensed != 32+44+19 {
		t.Errorf("test simple NC/NC-SA/NO-CC: %d rows, want %d", d.Stats.Licensed, 32+44+19)
	}
}

// TestROCOLoaderRealImages loads the 10 real CC BY chest X-rays of
// testdata/roco-cxr: captions joined to images, whitespace trimmed (one
// caption starts with two spaces), licence recorded, every image decodes.
func TestROCOLoaderRealImages(t *testing.T) {
	root := filepath.Join("testdata", "roco-cxr")
	d, err := LoadROCO(root, ROCOOptions{Split: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 10 || d.Stats.Missing != 0 || d.Stats.Captions != 10 {
		t.Fatalf("len %d, stats %+v; want 10 examples, none missing", d.Len(), d.Stats)
	}
	for i := 0; i < d.Len(); i++ {
		ex, _ := d.Item(i)
		if ex.Licence != "CC BY" || ex.Caption != strings.TrimSpace(ex.Caption) || ex.Caption == "" {
			t.Errorf("%s: licence %q caption %q", ex.ID, ex.Licence, ex.Caption)
		}
		if filepath.Base(ex.ImagePath) != ex.ID+".jpg" {
			t.Errorf("%s: image %s", ex.ID, ex.ImagePath)
		}
		img, err := LoadImage(ex, 0)
		if err != nil {
			t.Fatal(err)
		}
		if img.W < 300 || img.H < 250 {
			t.Errorf("%s: decoded %dx%d", ex.ID, img.W, img.H)
		}
		chw, err := CLIPProcessor(64).Preprocess(img)
		if err != nil || chw.C != 3 || chw.H != 64 || chw.W != 64 {
			t.Errorf("%s: preprocess 64: %v %v", ex.ID, chw.H, err)
		}
	}
	first, _ := d.Item(0)
	if first.ID != "ROCO_04304" || !strings.HasPrefix(first.Caption, "Postero-anterior view of Chest X-ray") {
		t.Errorf("first example %s %q", first.ID, first.Caption)
	}
	// the filters on real captions: all 10 pass rules, and
	// shared/data/roco/chest_xray/chest_xray_meta.tsv marks these 4 simple
	rules, _ := LoadROCO(root, ROCOOptions{Split: "test", Filter: FilterRules})
	simple, _ := LoadROCO(root, ROCOOptions{Split: "test", Filter: FilterSimple})
	var simpleIDs []string
	for i := 0; i < simple.Len(); i++ {
		ex, _ := simple.Item(i)
		simpleIDs = append(simpleIDs, ex.ID)
	}
	if rules.Len() != 10 || strings.Join(simpleIDs, " ") != "ROCO_04304 ROCO_16549 ROCO_47579 ROCO_73379" {
		t.Errorf("rules kept %d (want 10), simple kept %v", rules.Len(), simpleIDs)
	}
}

// TestROCOMissingImagesAndPNG: a missing image is counted, a .png image is
// accepted, a missing split folder is an error.
func TestROCOMissingImagesAndPNG(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data", "train", "radiology")
	os.MkdirAll(filepath.Join(dir, "images"), 0o755)
	os.WriteFile(filepath.Join(dir, "captions.txt"), []byte("ROCO_00001\t Chest X-ray one.\nROCO_00002\t Chest X-ray two.\nROCO_00003\t Chest X-ray three.\n"), 0o644)
	src, _ := os.ReadFile(filepath.Join("testdata", "roco-cxr", "data", "test", "radiology", "images", "ROCO_16549.jpg"))
	os.WriteFile(filepath.Join(dir, "images", "ROCO_00001.jpg"), src, 0o644)
	img, err := imageproc.Decode(src, "ROCO_16549.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTestPNG(filepath.Join(dir, "images", "ROCO_00003.png"), img); err != nil {
		t.Fatal(err)
	}
	d, err := LoadROCO(root, ROCOOptions{Split: "train"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 2 || d.Stats.Missing != 1 {
		t.Fatalf("len %d stats %+v; want 2 kept, 1 missing", d.Len(), d.Stats)
	}
	ex, _ := d.Item(1)
	if ex.ID != "ROCO_00003" || filepath.Ext(ex.ImagePath) != ".png" || ex.Licence != "" {
		t.Errorf("second example %+v", ex)
	}
	if _, err := LoadImage(ex, 0); err != nil {
		t.Error(err)
	}
	// a licence filter needs licences.txt
	if _, err := LoadROCO(root, ROCOOptions{Split: "train", Licences: []string{"cc-by"}}); err == nil || !strings.Contains(err.Error(), "licences.txt") {
		t.Errorf("licence filter without licences.txt: %v", err)
	}
	if _, err := LoadROCO(root, ROCOOptions{Split: "test"}); err == nil {
		t.Error("missing split folder: no error")
	}
	if _, err := LoadROCO(root, ROCOOptions{Split: "dev"}); err == nil {
		t.Error("unknown split: no error")
	}
}

// TestROCOBadFiles: malformed lines are errors naming the file and line.
func TestROCOBadFiles(t *testing.T) {
	cases := []struct{ text, want string }{
		{"ROCO_00001\t ok\nROCO_00002 no tab\n", "captions.txt:2: no tab"},
		{"ROCO_00001\t ok\n\t empty id\n", "captions.txt:2: empty id"},
		{"ROCO_00001\t ok\nROCO_00001\t again\n", "captions.txt:2: id ROCO_00001 repeats line 1"},
	}
	for _, c := range cases {
		_, err := parseROCOCaptions(strings.NewReader(c.text), "captions.txt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parse %q: %v, want %q", c.text, err, c.want)
		}
	}
	lic := []struct{ text, want string }{
		{"ID,PMC,LICENCE\n", "licences.txt:1: header"},
		{"ROCO_ID,PMC_ID,CC\nROCO_00001,x\n", "licences.txt:2: 2 fields"},
		{"ROCO_ID,PMC_ID,CC\nROCO_00001,\"x,CC BY\n", "licences.txt"},
		{"", "licences.txt: header"},
	}
	for _, c := range lic {
		_, err := parseROCOLicences(strings.NewReader(c.text), "licences.txt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parse licences %q: %v, want %q", c.text, err, c.want)
		}
	}
	if NormalizeLicence(" cc-by ") != "CC BY" || NormalizeLicence("CC BY-NC") == NormalizeLicence("cc-by") {
		t.Error("NormalizeLicence")
	}
}
