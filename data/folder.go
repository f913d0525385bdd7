package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// FolderDataset is a plain folder of images described by captions.csv or
// captions.jsonl. Several captions of one image make one example with
// several Captions.
type FolderDataset struct {
	examples []Example
}

// Len returns the number of images.
func (d *FolderDataset) Len() int { return len(d.examples) }

// Item returns example i.
func (d *FolderDataset) Item(i int) (Example, error) { return Slice(d.examples).Item(i) }

// LoadFolder reads dir/captions.csv or dir/captions.jsonl (exactly one of
// them must exist).
//
// captions.csv has the header "file,caption" (RFC 4180 quoting; other
// columns are ignored) and one row per caption. captions.jsonl has one
// JSON object per line: {"file": "a.png", "caption": "..."} or
// {"file": "a.png", "captions": ["...", "..."]}. Files are paths relative
// to dir and may not leave it. Rows naming the same file add captions to
// one example, in order of appearance; examples keep the order of their
// first row. A missing image, an empty caption or a malformed row is an
// error naming the file and line.
func LoadFolder(dir string) (*FolderDataset, error) {
	csvPath, jsonPath := filepath.Join(dir, "captions.csv"), filepath.Join(dir, "captions.jsonl")
	_, errCSV := os.Stat(csvPath)
	_, errJSON := os.Stat(jsonPath)
	switch {
	case errCSV == nil && errJSON == nil:
		return nil, fmt.Errorf("folder %s: both captions.csv and captions.jsonl exist; keep one", dir)
	case errCSV == nil:
		data, err := os.ReadFile(csvPath)
		if err != nil {
			return nil, fmt.Errorf("folder %s: %w", dir, err)
		}
		return parseCaptionsCSV(data, dir, csvPath)
	case errJSON == nil:
		data, err := os.ReadFile(jsonPath)
		if err != nil {
			return nil, fmt.Errorf("folder %s: %w", dir, err)
		}
		return parseCaptionsJSONL(data, dir, jsonPath)
	}
	return nil, fmt.Errorf("folder %s: no captions.csv or captions.jsonl", dir)
}

// folderBuilder collects captions per file.
type folderBuilder struct {
	dir, name string
	index     map[string]int
	examples  []Example
	checkFile bool
}

// add records caption for file, read at line of b.name.
func (b *folderBuilder) add(file, caption string, line int) error {
	caption = strings.TrimSpace(caption)
	if caption == "" {
		return fmt.Errorf("%s:%d: empty caption", b.name, line)
	}
	clean := filepath.Clean(filepath.FromSlash(strings.TrimSpace(file)))
	if file == "" || clean == "." {
		return fmt.Errorf("%s:%d: empty file name", b.name, line)
	}
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%s:%d: file %q is outside the folder", b.name, line, file)
	}
	if i, ok := b.index[clean]; ok {
		b.examples[i].Captions = append(b.examples[i].Captions, caption)
		return nil
	}
	path := filepath.Join(b.dir, clean)
	if b.checkFile {
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("%s:%d: image %s: %w", b.name, line, file, err)
		}
		if st.IsDir() {
			return fmt.Errorf("%s:%d: image %s is a folder", b.name, line, file)
		}
	}
	b.index[clean] = len(b.examples)
	b.examples = append(b.examples, Example{
		ID: filepath.ToSlash(clean), Caption: caption, Captions: []string{caption}, ImagePath: path,
	})
	return nil
}

func (b *folderBuilder) done() (*FolderDataset, error) {
	if len(b.examples) == 0 {
		return nil, fmt.Errorf("%s: no captions", b.name)
	}
	return &FolderDataset{examples: b.examples}, nil
}

// parseCaptionsCSV parses captions.csv; dir is the image folder and name
// the file name used in errors.
func parseCaptionsCSV(data []byte, dir, name string) (*FolderDataset, error) {
	b := &folderBuilder{dir: dir, name: name, index: map[string]int{}, checkFile: dir != ""}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%s: empty file, want header file,caption", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	fileCol, capCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "file", "file_name", "image":
			fileCol = i
		case "caption", "text":
			capCol = i
		}
	}
	if fileCol < 0 || capCol < 0 {
		return nil, fmt.Errorf("%s:1: header %q, want file,caption", name, strings.Join(header, ","))
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %v", name, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) <= max(fileCol, capCol) {
			return nil, fmt.Errorf("%s:%d: %d fields, want at least %d", name, line, len(rec), max(fileCol, capCol)+1)
		}
		if err := b.add(rec[fileCol], rec[capCol], line); err != nil {
			return nil, err
		}
	}
	return b.done()
}

// jsonlRow is one line of captions.jsonl.
type jsonlRow struct {
	File     *string  `json:"file"`
	Caption  *string  `json:"caption"`
	Captions []string `json:"captions"`
}

// parseCaptionsJSONL parses captions.jsonl; dir is the image folder and
// name the file name used in errors.
func parseCaptionsJSONL(data []byte, dir, name string) (*FolderDataset, error) {
	b := &folderBuilder{dir: dir, name: name, index: map[string]int{}, checkFile: dir != ""}
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var row jsonlRow
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&row); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s:%d: more than one JSON value on the line", name, n)
		}
		if row.File == nil {
			return nil, fmt.Errorf("%s:%d: no \"file\"", name, n)
		}
		caps := row.Captions
		if row.Caption != nil {
			caps = append([]string{*row.Caption}, caps...)
		}
		if len(caps) == 0 {
			return nil, fmt.Errorf("%s:%d: no \"caption\" or \"captions\"", name, n)
		}
		for _, c := range caps {
			if err := b.add(*row.File, c, n); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b.done()
}
