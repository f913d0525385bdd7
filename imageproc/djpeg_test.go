package imageproc

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"testing"
)

// TestSharedChestXraysMatchDjpeg decodes every JPEG of the shared ROCO
// folders with this package and with libjpeg-turbo's djpeg and requires
// identical pixels. It runs where both ../../shared/data and djpeg
// (package libjpeg-turbo-progs) are present; testdata/libjpeg covers the
// same ground in every run.
func TestSharedChestXraysMatchDjpeg(t *testing.T) {
	djpeg, err := exec.LookPath("djpeg")
	if err != nil {
		t.Skip("djpeg not installed; TestJPEGDecodeMatchesLibjpeg covers libjpeg parity with stored references")
	}
	paths := sharedImages(t)
	if len(paths) == 0 {
		t.Skip("../../shared/data not present")
	}
	checked := 0
	for _, p := range paths {
		if sniffFile(t, p) != "jpeg" {
			continue
		}
		out, err := exec.Command(djpeg, "-pnm", p).Output()
		if err != nil {
			t.Errorf("djpeg %s: %v", p, err)
			continue
		}
		want, err := parsePNM(out)
		if err != nil {
			t.Fatalf("djpeg output for %s: %v", p, err)
		}
		got := mustDecode(t, p)
		if got.W != want.W || got.H != want.H || !bytes.Equal(interleaved(got), interleaved(want)) {
			t.Errorf("%s: decoded pixels differ from djpeg", p)
		}
		checked++
	}
	t.Logf("%d JPEGs identical to djpeg", checked)
}

// parsePNM reads a binary PGM (P5) or PPM (P6) image with maxval 255.
func parsePNM(b []byte) (*RGB8, error) {
	r := bufio.NewReader(bytes.NewReader(b))
	var magic string
	var w, h, maxval int
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxval); err != nil {
		return nil, err
	}
	if _, err := r.ReadByte(); err != nil || maxval != 255 || w <= 0 || h <= 0 {
		return nil, fmt.Errorf("bad PNM header %s %d %d %d", magic, w, h, maxval)
	}
	switch magic {
	case "P5":
		p := make([]uint8, w*h)
		if _, err := io.ReadFull(r, p); err != nil {
			return nil, err
		}
		return newGray(w, h, p), nil
	case "P6":
		p := make([]uint8, 3*w*h)
		if _, err := io.ReadFull(r, p); err != nil {
			return nil, err
		}
		return fromInterleaved(w, h, p), nil
	}
	return nil, fmt.Errorf("not a binary PGM/PPM: %q", magic)
}
