package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ROCOOptions choose what LoadROCO reads.
type ROCOOptions struct {
	// Split is "train", "validation" or "test".
	Split string
	// Class is "radiology" (the default when empty) or "non-radiology".
	Class string
	// Filter selects captions (FilterNone, FilterSimple, FilterRules).
	Filter Filter
	// Licences, when not empty, keeps only rows whose licences.txt CC code
	// is one of these (compared by NormalizeLicence, so "cc-by" selects
	// "CC BY" and nothing else).
	Licences []string
}

// ROCOStats counts what LoadROCO kept and dropped.
type ROCOStats struct {
	Captions int // caption lines read
	Filtered int // of those, passing the caption filter
	Licensed int // of those, passing the licence filter
	Missing  int // of those, without an image file
	Kept     int // examples in the dataset
}

// ROCODataset is a ROCO split: the captions whose image exists.
type ROCODataset struct {
	examples []Example
	// Stats says how many rows each step kept.
	Stats ROCOStats
}

// Len returns the number of examples.
func (d *ROCODataset) Len() int { return len(d.examples) }

// Item returns example i.
func (d *ROCODataset) Item(i int) (Example, error) { return Slice(d.examples).Item(i) }

// imageExts are the extensions tried for an id's image, in order: ROCO's
// own .jpg first, then .png (the synthetic set) and .jpeg.
var imageExts = []string{".jpg", ".png", ".jpeg"}

// ROCOClassDir returns the folder of a split and class under root. root is
// the dataset root, the folder that holds data/ (a ROCO checkout); a root
// that is itself the data/ folder is accepted too.
func ROCOClassDir(root, split, class string) (string, error) {
	if class == "" {
		class = "radiology"
	}
	switch split {
	case "train", "validation", "test":
	default:
		return "", fmt.Errorf("roco %s: unknown split %q (want train, validation or test)", root, split)
	}
	for _, dir := range []string{filepath.Join(root, "data", split, class), filepath.Join(root, split, class)} {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir, nil
		}
	}
	return "", fmt.Errorf("roco %s: no folder data/%s/%s", root, split, class)
}

// LoadROCO reads one split of a ROCO checkout: captions.txt, licences.txt
// (needed only with a licence filter; used for Example.Licence when
// present) and images/<id>.jpg (or .png). Captions whose image is missing
// are counted in Stats.Missing, not an error. A malformed line is an error
// naming the file and line.
func LoadROCO(root string, opts ROCOOptions) (*ROCODataset, error) {
	dir, err := ROCOClassDir(root, opts.Split, opts.Class)
	if err != nil {
		return nil, err
	}
	caps, err := ReadROCOCaptions(filepath.Join(dir, "captions.txt"))
	if err != nil {
		return nil, err
	}
	licPath := filepath.Join(dir, "licences.txt")
	lic, err := ReadROCOLicences(licPath)
	if err != nil {
		if len(opts.Licences) > 0 || !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		lic = nil
	}
	want := map[string]bool{}
	for _, l := range opts.Licences {
		want[NormalizeLicence(l)] = true
	}
	imgDir := filepath.Join(dir, "images")
	present, err := listImages(imgDir)
	if err != nil {
		return nil, err
	}
	d := &ROCODataset{}
	for _, c := range caps {
		d.Stats.Captions++
		if !opts.Filter.Keep(c.Caption) {
			continue
		}
		d.Stats.Filtered++
		l, ok := lic[c.ID]
		if len(want) > 0 {
			if !ok {
				return nil, fmt.Errorf("roco %s: id %s (captions.txt line %d) has no row", licPath, c.ID, c.Line)
			}
			if !want[NormalizeLicence(l)] {
				continue
			}
		}
		d.Stats.Licensed++
		file, ok := present[c.ID]
		if !ok {
			d.Stats.Missing++
			continue
		}
		d.examples = append(d.examples, Example{
			ID: c.ID, Caption: c.Caption, Captions: []string{c.Caption},
			ImagePath: filepath.Join(imgDir, file), Licence: l,
		})
	}
	d.Stats.Kept = len(d.examples)
	return d, nil
}

// listImages maps ids to the image file names in dir (id.jpg, id.png or
// id.jpeg, first found in that order). A missing folder has no images.
func listImages(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("roco images %s: %w", dir, err)
	}
	out := map[string]string{}
	rank := map[string]int{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		for r, want := range imageExts {
			if ext != want {
				continue
			}
			id := strings.TrimSuffix(name, filepath.Ext(name))
			if old, ok := rank[id]; !ok || r < old {
				out[id], rank[id] = name, r
			}
		}
	}
	return out, nil
}

// ROCOCaption is one line of captions.txt.
type ROCOCaption struct {
	ID      string
	Caption string // with the surrounding white space removed
	Line    int    // 1-based line number
}

// ReadROCOCaptions reads a ROCO captions.txt: lines "<id>\t <caption>".
// Empty lines are skipped; a line without a tab, with an empty id or a
// repeated id is an error naming the file and line.
func ReadROCOCaptions(path string) ([]ROCOCaption, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("roco captions: %w", err)
	}
	defer f.Close()
	return parseROCOCaptions(f, path)
}

// parseROCOCaptions parses captions.txt from r; name is used in errors.
func parseROCOCaptions(r io.Reader, name string) ([]ROCOCaption, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var out []ROCOCaption
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		id, text, ok := strings.Cut(line, "\t")
		id = strings.TrimSpace(id)
		if !ok {
			return nil, fmt.Errorf("%s:%d: no tab between id and caption", name, n)
		}
		if id == "" {
			return nil, fmt.Errorf("%s:%d: empty id", name, n)
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s:%d: id %s repeats line %d", name, n, id, prev)
		}
		seen[id] = n
		out = append(out, ROCOCaption{ID: id, Caption: strings.TrimSpace(text), Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// ReadROCOLicences reads a ROCO licences.txt (CSV with header
// ROCO_ID,PMC_ID,CC) into a map from id to CC code.
func ReadROCOLicences(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("roco licences: %w", err)
	}
	defer f.Close()
	return parseROCOLicences(f, path)
}

// parseROCOLicences parses licences.txt from r; name is used in errors.
func parseROCOLicences(r io.Reader, name string) (map[string]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	idCol, ok1 := col["ROCO_ID"]
	ccCol, ok2 := col["CC"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s:1: header %q lacks ROCO_ID or CC", name, strings.Join(header, ","))
	}
	out := map[string]string{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) <= max(idCol, ccCol) {
			return nil, fmt.Errorf("%s:%d: %d fields, want at least %d", name, line, len(rec), max(idCol, ccCol)+1)
		}
		id := strings.TrimSpace(rec[idCol])
		if id == "" {
			return nil, fmt.Errorf("%s:%d: empty ROCO_ID", name, line)
		}
		out[id] = strings.TrimSpace(rec[ccCol])
	}
	return out, nil
}

// NormalizeLicence puts a licence code in a canonical form for comparison:
// upper case, with '-', '_' and runs of spaces turned into one space, so
// "cc-by", "CC BY" and "cc_by" are equal and differ from "CC BY-NC".
func NormalizeLicence(s string) string {
	s = strings.ToUpper(s)
	s = strings.NewReplacer("-", " ", "_", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}
