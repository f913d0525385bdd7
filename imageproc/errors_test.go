package imageproc

import (
	"encoding/binary"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCorruptAndTruncatedFilesAreErrors(t *testing.T) {
	files, err := filepath.Glob(formatFile("*"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("testdata", "images", "ROCO_12474.jpg"))
	dir := t.TempDir()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(f)
		cases := map[string][]byte{
			"truncated-half": data[:len(data)/2],
			"header-only":    data[:min(len(data), 20)],
		}
		// Overwrite the middle with garbage, keeping the header intact.
		garbled := append([]byte{}, data...)
		for i := len(garbled) / 3; i < len(garbled)*2/3; i++ {
			garbled[i] = byte(i*7919) ^ 0x5a
		}
		cases["garbled"] = garbled
		for kind, b := range cases {
			path := filepath.Join(dir, kind+"-"+base)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := DecodeFile(path)
			if kind == "garbled" && err == nil {
				// Some formats carry no checksum and garbage may still be
				// valid data; the requirement is only "no panic".
				continue
			}
			if err == nil {
				t.Errorf("%s: decoded without error", path)
				continue
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if _, perr := GIT().PreprocessFile(path); perr == nil || !strings.Contains(perr.Error(), path) {
				t.Errorf("PreprocessFile(%s): error %v does not name the file", path, perr)
			}
		}
	}
}

func TestDecodeUnknownEmptyMissing(t *testing.T) {
	if _, err := Decode([]byte("hello, not an image"), "notes.txt"); !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("text: got %v", err)
	}
	if _, err := Decode(nil, "empty.png"); err == nil || !strings.Contains(err.Error(), "empty.png") {
		t.Errorf("empty: got %v", err)
	}
	if _, err := DecodeFile(filepath.Join(t.TempDir(), "missing.jpg")); err == nil || !strings.Contains(err.Error(), "missing.jpg") {
		t.Errorf("missing file: got %v", err)
	}
}

func TestDecodeRefusesHugeImages(t *testing.T) {
	// A PNG header that claims 100000 x 100000 pixels (and no data).
	ihdr := binary.BigEndian.AppendUint32(nil, 100000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 100000)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	data := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	data = append(data, pngChunk("IEND", nil)...)
	_, err := Decode(data, "huge.png")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "huge.png") {
		t.Errorf("got %v, want ErrTooLarge naming huge.png", err)
	}
	// The limit is configurable.
	small := encodePNG(t, image.NewGray(image.Rect(0, 0, 10, 10)))
	if _, err := DecodeLimit(small, "small.png", 99); !errors.Is(err, ErrTooLarge) {
		t.Errorf("10x10 with limit 99: got %v, want ErrTooLarge", err)
	}
	if _, err := DecodeLimit(small, "small.png", 100); err != nil {
		t.Errorf("10x10 with limit 100: %v", err)
	}
}
