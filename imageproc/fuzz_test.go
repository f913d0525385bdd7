package imageproc

import (
	"encoding/binary"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecodePreprocess feeds arbitrary bytes through decoding and both
// processors. Nothing may panic; an error must name the input; a success
// must produce a full [3,H,W] image of finite, in-range values. Decoding is
// limited to 1 Mpixel to keep each input cheap.
func FuzzDecodePreprocess(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "formats", "*"))
	jpegs, _ := filepath.Glob(filepath.Join("testdata", "libjpeg", "*.jpg"))
	seeds = append(seeds, jpegs...)
	seeds = append(seeds, filepath.Join("testdata", "processors", "img0_rgb_61x47.png"),
		filepath.Join("testdata", "processors", "img3_rgba_45x80.png"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// Small seeds only: the fuzzer mutates and minimises large inputs
		// slowly.
		if len(data) <= 16<<10 {
			f.Add(data)
		}
	}
	// Synthetic seeds reaching the EXIF and 16-bit gray paths.
	g := image.NewGray16(image.Rect(0, 0, 5, 3))
	for i := range g.Pix {
		g.Pix[i] = byte(i * 37)
	}
	f.Add(encodePNG(f, g, pngChunk("tRNS", []byte{0, 9}),
		pngChunk("eXIf", exifTIFF(binary.BigEndian, 6))))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00"))

	const name = "fuzz-input"
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeLimit(data, name, 1<<20)
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		if err := img.validate(); err != nil {
			t.Fatalf("decoded a malformed image: %v", err)
		}
		for _, c := range []struct {
			p    Processor
			size int
		}{{GIT(), 224}, {BLIP(), 384}} {
			out, err := c.p.Preprocess(img)
			if err != nil {
				t.Fatalf("%dx%d: %v", img.W, img.H, err)
			}
			if out.C != 3 || out.H != c.size || out.W != c.size || len(out.Data) != 3*c.size*c.size {
				t.Fatalf("%dx%d: output %dx%dx%d with %d values", img.W, img.H, out.C, out.H, out.W, len(out.Data))
			}
			for _, v := range out.Data {
				if !(v > -2 && v < 3) {
					t.Fatalf("%dx%d: value %v out of range", img.W, img.H, v)
				}
			}
		}
	})
}

// FuzzDecode exercises decoding alone (cheaper per input than
// FuzzDecodePreprocess, so it explores the decoders, the JPEG one above
// all, more deeply): nothing may panic, errors name the input, and a
// decoded image is well formed.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "libjpeg", "*.jpg"))
	more, _ := filepath.Glob(filepath.Join("testdata", "formats", "*"))
	for _, p := range append(seeds, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) <= 16<<10 {
			f.Add(data)
		}
	}
	const name = "fuzz-input"
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeLimit(data, name, 1<<18)
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		if err := img.validate(); err != nil {
			t.Fatalf("decoded a malformed image: %v", err)
		}
	})
}
