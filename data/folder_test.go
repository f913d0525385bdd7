package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"radcap/imageproc"
)

// folderWith makes a folder with the given files (name -> content); a
// content of "<png>" is a small valid PNG.
func folderWith(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(path), 0o755)
		if text == "<png>" {
			m := imageproc.NewRGB8(5, 4)
			for i := range m.R {
				m.R[i], m.G[i], m.B[i] = uint8(i), uint8(2*i), uint8(3*i)
			}
			if err := writeTestPNG(path, m); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFolderCSV: RFC 4180 quoting (commas, doubled quotes, a newline in a
// caption), several rows per image, subfolders, extra columns.
func TestFolderCSV(t *testing.T) {
	dir := folderWith(t, map[string]string{
		"a.png": "<png>", "sub/b.png": "<png>",
		"captions.csv": "file,caption,source\r\n" +
			"a.png,\"Chest X-ray, PA view: \"\"large\"\" left pneumothorax.\",x\r\n" +
			"sub/b.png,\"Two\nlines.\",y\r\n" +
			"a.png,Second caption of a.,z\r\n",
	})
	d, err := LoadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 2 {
		t.Fatalf("len %d, want 2", d.Len())
	}
	a, _ := d.Item(0)
	b, _ := d.Item(1)
	if a.ID != "a.png" || !slices.Equal(a.Captions, []string{`Chest X-ray, PA view: "large" left pneumothorax.`, "Second caption of a."}) || a.Caption != a.Captions[0] {
		t.Errorf("a: %+v", a)
	}
	if b.ID != "sub/b.png" || b.Caption != "Two\nlines." || b.ImagePath != filepath.Join(dir, "sub", "b.png") {
		t.Errorf("b: %+v", b)
	}
	if img, err := LoadImage(b, 0); err != nil || img.W != 5 || img.H != 4 {
		t.Errorf("LoadImage(b): %v", err)
	}
}

// TestFolderJSONL: one caption or several per line, blank lines skipped.
func TestFolderJSONL(t *testing.T) {
	dir := folderWith(t, map[string]string{
		"a.png": "<png>", "b.png": "<png>",
		"captions.jsonl": `{"file": "a.png", "caption": "One."}` + "\n\n" +
			`{"file": "b.png", "captions": ["Two.", "Three."], "id": 7}` + "\n" +
			`{"file": "a.png", "caption": "Four.", "captions": ["Five."]}` + "\n",
	})
	d, err := LoadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := d.Item(0)
	b, _ := d.Item(1)
	if d.Len() != 2 || !slices.Equal(a.Captions, []string{"One.", "Four.", "Five."}) || !slices.Equal(b.Captions, []string{"Two.", "Three."}) {
		t.Errorf("got %d examples: %+v %+v", d.Len(), a, b)
	}
}

// TestFolderErrors: each bad input is an error naming the file and line.
func TestFolderErrors(t *testing.T) {
	cases := []struct {
		files map[string]string
		want  string
	}{
		{map[string]string{}, "no captions.csv or captions.jsonl"},
		{map[string]string{"captions.csv": "file,caption\n", "captions.jsonl": ""}, "both"},
		{map[string]string{"captions.csv": ""}, "captions.csv: empty file"},
		{map[string]string{"captions.csv": "image_path,text2\na.png,x\n"}, "captions.csv:1: header"},
		{map[string]string{"a.png": "<png>", "captions.csv": "file,caption\na.png,ok\nmissing.png,x\n"}, "captions.csv:3: image missing.png"},
		{map[string]string{"a.png": "<png>", "captions.csv": "file,caption\na.png,ok\na.png\n"}, "captions.csv:3: 1 fields"},
		{map[string]string{"a.png": "<png>", "captions.csv": "file,caption\na.png,\"open quote\n"}, "captions.csv:2"},
		{map[string]string{"a.png": "<png>", "captions.csv": "file,caption\na.png,   \n"}, "captions.csv:2: empty caption"},
		{map[string]string{"captions.csv": "file,caption\n../etc/passwd,x\n"}, "captions.csv:2: file \"../etc/passwd\" is outside"},
		{map[string]string{"captions.csv": "file,caption\n/etc/passwd,x\n"}, "outside the folder"},
		{map[string]string{"sub/x": "1", "captions.csv": "file,caption\nsub,x\n"}, "captions.csv:2: image sub is a folder"},
		{map[string]string{"a.png": "<png>", "captions.jsonl": "{\"file\":\"a.png\",\"caption\":\"x\"}\n{\"file\": \"a.png\", \"caption\": 3}\n"}, "captions.jsonl:2:"},
		{map[string]string{"a.png": "<png>", "captions.jsonl": "{\"file\":\"a.png\",\"caption\":\"x\"}\nnot json\n"}, "captions.jsonl:2:"},
		{map[string]string{"a.png": "<png>", "captions.jsonl": "{\"caption\":\"x\"}\n"}, "captions.jsonl:1: no \"file\""},
		{map[string]string{"a.png": "<png>", "captions.jsonl": "{\"file\":\"a.png\"}\n"}, "captions.jsonl:1: no \"caption\""},
		{map[string]string{"a.png": "<png>", "captions.jsonl": "{\"file\":\"a.png\",\"caption\":\"x\"} {}\n"}, "captions.jsonl:1: more than one"},
		{map[string]string{"captions.jsonl": "\n\n"}, "no captions"},
	}
	for _, c := range cases {
		dir := folderWith(t, c.files)
		_, err := LoadFolder(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to contain %q", c.files, err, c.want)
		}
	}
}

// FuzzCaptionsCSV: the CSV parser never panics and every example it
// returns has a caption.
func FuzzCaptionsCSV(f *testing.F) {
	f.Add([]byte("file,caption\na.png,\"x, y\"\n"))
	f.Add([]byte("file,caption\na.png,\"unterminated\n"))
	f.Add([]byte("\ufefffile,caption,extra\nb.png,x,1\nb.png,y,2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseCaptionsCSV(b, "", "captions.csv")
		if err == nil {
			checkFolder(t, d)
		}
	})
}

// FuzzCaptionsJSONL: the JSONL parser never panics.
func FuzzCaptionsJSONL(f *testing.F) {
	f.Add([]byte(`{"file":"a.png","caption":"x"}` + "\n"))
	f.Add([]byte(`{"file":"a.png","captions":["x","y"]}` + "\n{}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseCaptionsJSONL(b, "", "captions.jsonl")
		if err == nil {
			checkFolder(t, d)
		}
	})
}

// FuzzROCOCaptions: the captions.txt parser never panics and keeps ids
// unique.
func FuzzROCOCaptions(f *testing.F) {
	f.Add([]byte("ROCO_00001\t Chest X-ray.\nROCO_00002\t  Two spaces.\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		caps, err := parseROCOCaptions(strings.NewReader(string(b)), "captions.txt")
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range caps {
			if c.ID == "" || seen[c.ID] {
				t.Fatalf("bad id %q", c.ID)
			}
			seen[c.ID] = true
		}
	})
}

func checkFolder(t *testing.T, d *FolderDataset) {
	for i := 0; i < d.Len(); i++ {
		ex, err := d.Item(i)
		if err != nil || len(ex.Captions) == 0 || ex.Caption == "" {
			t.Fatalf("example %d: %+v %v", i, ex, err)
		}
	}
}
