package imageproc

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

func formatFile(name string) string { return filepath.Join("testdata", "formats", name) }

func mustDecode(t *testing.T, path string) *RGB8 {
	t.Helper()
	m, err := DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diffStats returns the mean and maximum absolute difference of two images
// of the same size.
func diffStats(t *testing.T, a, b *RGB8) (mean float64, maxd int) {
	t.Helper()
	if a.W != b.W || a.H != b.H {
		t.Fatalf("sizes differ: %dx%d vs %dx%d", a.W, a.H, b.W, b.H)
	}
	sum := 0
	ap, bp := interleaved(a), interleaved(b)
	for i := range ap {
		d := int(ap[i]) - int(bp[i])
		if d < 0 {
			d = -d
		}
		sum += d
		maxd = max(maxd, d)
	}
	return float64(sum) / float64(len(ap)), maxd
}

// Lossless formats must give exactly the pixels of the PNG they were made
// from (the pairs come from the Go and x/image test suites).
func TestDecodeLosslessFormatsExact(t *testing.T) {
	for _, c := range [][2]string{
		{"video-001.tiff", "video-001.png"},
		{"bmp_8bpp.bmp", "bmp_8bpp.png"},
		{"blue-purple-pink.lossless.webp", "blue-purple-pink.png"},
	} {
		got, want := mustDecode(t, formatFile(c[0])), mustDecode(t, formatFile(c[1]))
		if mean, maxd := diffStats(t, got, want); maxd != 0 {
			t.Errorf("%s vs %s: mean |diff| %.3f, max %d; want identical", c[0], c[1], mean, maxd)
		}
	}
}

// A progressive JPEG decodes to exactly the pixels of the baseline JPEG with
// the same quantised coefficients.
func TestDecodeProgressiveEqualsBaseline(t *testing.T) {
	for _, c := range [][2]string{
		{"video-001.q50.420.progressive.jpeg", "video-001.q50.420.jpeg"},
		{"video-005.gray.q50.progressive.jpeg", "video-005.gray.q50.jpeg"},
	} {
		got, want := mustDecode(t, formatFile(c[0])), mustDecode(t, formatFile(c[1]))
		if mean, maxd := diffStats(t, got, want); maxd != 0 {
			t.Errorf("%s vs %s: mean |diff| %.3f, max %d; want identical", c[0], c[1], mean, maxd)
		}
	}
}

// Lossy and paletted encodings of a picture stay close to the original. The
// bounds are loose enough for compression error and tight enough to catch an
// inverted CMYK, a swapped channel or WebP's limited range read as full range
// (mean errors of 10 or more; measured values are logged).
func TestDecodeLossyFormatsClose(t *testing.T) {
	for _, c := range []struct {
		file, ref string
		maxMean   float64
	}{
		{"video-001.progressive.jpeg", "video-001.png", 1},
		{"video-001.q50.420.jpeg", "video-001.png", 8},
		// The CMYK file is a separate colour rendition; its reference is the
		// Go test suite's decode of it.
		{"video-001.cmyk.jpeg", "video-001.cmyk.png", 0.5},
		{"video-001.gif", "video-001.png", 4.5},
		{"video-005.gray.q50.jpeg", "video-005.gray.png", 6},
		{"blue-purple-pink.lossy.webp", "blue-purple-pink.png", 5.5},
	} {
		got, want := mustDecode(t, formatFile(c.file)), mustDecode(t, formatFile(c.ref))
		mean, maxd := diffStats(t, got, want)
		t.Logf("%s vs %s: mean |diff| %.3f, max %d", c.file, c.ref, mean, maxd)
		if mean > c.maxMean {
			t.Errorf("%s vs %s: mean |diff| %.3f > %.1f", c.file, c.ref, mean, c.maxMean)
		}
	}
}

// The lossy WebP must be read as limited-range YCbCr (libwebp) rather than
// full range (Go's image.YCbCr): the limited-range reading must be the closer
// one to the original.
func TestDecodeWebPLimitedRange(t *testing.T) {
	data, err := os.ReadFile(formatFile("blue-purple-pink.lossy.webp"))
	if err != nil {
		t.Fatal(err)
	}
	got := mustDecode(t, formatFile("blue-purple-pink.lossy.webp"))
	want := mustDecode(t, formatFile("blue-purple-pink.png"))
	img, err := codecFor("webp").decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	full := NewRGB8(got.W, got.H)
	for y := 0; y < got.H; y++ {
		for x := 0; x < got.W; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			i := y*got.W + x
			full.R[i], full.G[i], full.B[i] = uint8(r>>8), uint8(g>>8), uint8(b>>8)
		}
	}
	limited, _ := diffStats(t, got, want)
	fullMean, _ := diffStats(t, full, want)
	t.Logf("mean |diff| to the original: limited range %.3f, full range %.3f", limited, fullMean)
	if limited >= fullMean {
		t.Errorf("limited-range decode (%.3f) is not closer to the original than full range (%.3f)", limited, fullMean)
	}
}

// encodePNG encodes img and inserts extra chunks right after IHDR.
func encodePNG(t testing.TB, img image.Image, extra ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	const ihdrEnd = 8 + 8 + 13 + 4
	out := append([]byte{}, b[:ihdrEnd]...)
	for _, c := range extra {
		out = append(out, c...)
	}
	return append(out, b[ihdrEnd:]...)
}

// pngChunk builds a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

func TestDecodeGray16Clips(t *testing.T) {
	// Pillow opens 16-bit gray PNG as mode I; convert("RGB") clips at 255.
	vals := []uint16{0, 1, 200, 254, 255, 256, 1000, 0x7fff, 0xffff}
	src := image.NewGray16(image.Rect(0, 0, len(vals), 1))
	for i, v := range vals {
		src.SetGray16(i, 0, color.Gray16{Y: v})
	}
	want := []uint8{0, 1, 200, 254, 255, 255, 255, 255, 255}
	check := func(name string, data []byte) {
		m, err := Decode(data, name)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			r, g, b := m.At(i, 0)
			if r != w || g != w || b != w {
				t.Errorf("%s: value %d -> (%d,%d,%d), want %d", name, vals[i], r, g, b, w)
			}
		}
	}
	check("gray16.png", encodePNG(t, src))
	// With a tRNS chunk Go's decoder widens the image to NRGBA64; the
	// clipping must still apply.
	check("gray16-trns.png", encodePNG(t, src, pngChunk("tRNS", []byte{0, 200})))
	var tb bytes.Buffer
	if err := tiff.Encode(&tb, src, nil); err != nil {
		t.Fatal(err)
	}
	check("gray16.tiff", tb.Bytes())
}

func TestDecodeGray16TIFFFile(t *testing.T) {
	data, err := os.ReadFile(formatFile("video-001-gray-16bit.tiff"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	g16, ok := raw.(*image.Gray16)
	if !ok {
		t.Fatalf("x/image/tiff returned %T, want *image.Gray16", raw)
	}
	m := mustDecode(t, formatFile("video-001-gray-16bit.tiff"))
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			v := g16.Gray16At(x, y).Y
			w := uint8(255)
			if v < 255 {
				w = uint8(v)
			}
			if r, _, _ := m.At(x, y); r != w {
				t.Fatalf("(%d,%d): 16-bit %d -> %d, want %d", x, y, v, r, w)
			}
		}
	}
}

func TestDecode16BitColourHighByte(t *testing.T) {
	// Pillow unpacks 16-bit RGB(A) PNG samples to their high byte.
	opaque := image.NewRGBA64(image.Rect(0, 0, 2, 1))
	opaque.SetRGBA64(0, 0, color.RGBA64{0x12ff, 0x3400, 0xfe80, 0xffff})
	opaque.SetRGBA64(1, 0, color.RGBA64{0x00ff, 0xffff, 0x8001, 0xffff})
	alpha := image.NewNRGBA64(image.Rect(0, 0, 2, 1))
	alpha.SetNRGBA64(0, 0, color.NRGBA64{0x12ff, 0x3400, 0xfe80, 0x1000})
	alpha.SetNRGBA64(1, 0, color.NRGBA64{0x00ff, 0xffff, 0x8001, 0})
	want := [][3]uint8{{0x12, 0x34, 0xfe}, {0x00, 0xff, 0x80}}
	for name, img := range map[string]image.Image{"rgb16.png": opaque, "rgba16.png": alpha} {
		m, err := Decode(encodePNG(t, img), name)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			if r, g, b := m.At(i, 0); [3]uint8{r, g, b} != w {
				t.Errorf("%s pixel %d: got %v, want %v", name, i, [3]uint8{r, g, b}, w)
			}
		}
	}
}

func TestDecodeAlphaDroppedAndPalette(t *testing.T) {
	// RGBA: alpha is dropped, not composited over any background.
	n := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	n.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 10})
	n.SetNRGBA(1, 0, color.NRGBA{1, 2, 3, 0})
	n.SetNRGBA(2, 0, color.NRGBA{7, 8, 9, 255})
	// P with a tRNS chunk: the stored palette colour is used.
	p := image.NewPaletted(image.Rect(0, 0, 3, 1), color.Palette{
		color.NRGBA{10, 20, 30, 0}, color.NRGBA{40, 50, 60, 128}, color.NRGBA{70, 80, 90, 255},
	})
	p.Pix = []uint8{2, 0, 1}
	// L: replicated.
	g := image.NewGray(image.Rect(0, 0, 3, 1))
	g.Pix = []uint8{0, 77, 255}
	for _, c := range []struct {
		name string
		img  image.Image
		want [][3]uint8
	}{
		{"rgba.png", n, [][3]uint8{{200, 100, 50}, {1, 2, 3}, {7, 8, 9}}},
		{"palette.png", p, [][3]uint8{{70, 80, 90}, {10, 20, 30}, {40, 50, 60}}},
		{"gray.png", g, [][3]uint8{{0, 0, 0}, {77, 77, 77}, {255, 255, 255}}},
	} {
		m, err := Decode(encodePNG(t, c.img), c.name)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range c.want {
			if r, gg, b := m.At(i, 0); [3]uint8{r, gg, b} != w {
				t.Errorf("%s pixel %d: got %v, want %v", c.name, i, [3]uint8{r, gg, b}, w)
			}
		}
	}
}

func TestCMYKToRGBFormula(t *testing.T) {
	// Pillow's cmyk2rgb: nk = 255-k; channel = nk - round(v*nk/255) via
	// MULDIV255. Checked against the exact rational formula it rounds.
	for _, k := range []int{0, 1, 100, 128, 254, 255} {
		for v := 0; v < 256; v++ {
			r, _, _ := cmykToRGB(uint8(v), 0, 0, uint8(k))
			nk := 255 - k
			want := nk - int(math.Floor(float64(v*nk)/255+0.5))
			if int(r) != want {
				t.Fatalf("c=%d k=%d: got %d, want %d", v, k, r, want)
			}
		}
	}
}

// Real chest X-rays copied into testdata decode and preprocess.
func TestRealJPEGsInTestdata(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "images", "*.jpg"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no JPEGs in testdata/images (%v)", err)
	}
	checkPreprocessAll(t, paths)
}

// Every image of the shared ROCO chest X-ray folders decodes and
// preprocesses (runs where ../shared/data exists).
func TestSharedChestXrays(t *testing.T) {
	paths := sharedImages(t)
	if len(paths) == 0 {
		t.Skip("../../shared/data/{roco-cxr,cxr-samples} not present; testdata/images covers real JPEGs")
	}
	t.Logf("%d images", len(paths))
	checkPreprocessAll(t, paths)
}

// sharedImages lists the image files under ../../shared/data/roco-cxr and
// ../../shared/data/cxr-samples (none where the folders are absent).
func sharedImages(t *testing.T) []string {
	t.Helper()
	var paths []string
	for _, dir := range []string{"../../shared/data/roco-cxr", "../../shared/data/cxr-samples"} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp":
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// sniffFile returns the format of the file at path.
func sniffFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sniff(data)
}

func checkPreprocessAll(t *testing.T, paths []string) {
	t.Helper()
	for _, path := range paths {
		img, err := DecodeFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, c := range []struct {
			p    Processor
			size int
		}{{GIT(), 224}, {BLIP(), 384}} {
			out, err := c.p.Preprocess(img)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			if out.C != 3 || out.H != c.size || out.W != c.size || len(out.Data) != 3*c.size*c.size {
				t.Errorf("%s: got %dx%dx%d with %d values", path, out.C, out.H, out.W, len(out.Data))
				continue
			}
			for i, v := range out.Data {
				ch := i / (c.size * c.size)
				lo := (0 - c.p.Mean[ch]) / c.p.Std[ch]
				hi := (1 - c.p.Mean[ch]) / c.p.Std[ch]
				if !(float64(v) >= lo-1e-6 && float64(v) <= hi+1e-6) {
					t.Errorf("%s: value %d is %v, outside [%v, %v]", path, i, v, lo, hi)
					break
				}
			}
		}
	}
}
