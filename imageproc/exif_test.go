package imageproc

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// exifTIFF builds a minimal EXIF TIFF structure with one IFD0 entry:
// orientation o as a SHORT, in the given byte order.
func exifTIFF(bo byteOrder, o uint16) []byte {
	b := []byte("II")
	if bo == binary.BigEndian {
		b = []byte("MM")
	}
	b = bo.AppendUint16(b, 42)
	b = bo.AppendUint32(b, 8)
	b = bo.AppendUint16(b, 2)              // two entries
	b = bo.AppendUint16(b, 0x010F)         // Make (ASCII), to be skipped
	b = bo.AppendUint16(b, 2)              // ASCII
	b = bo.AppendUint32(b, 4)              // count
	b = append(b, 'G', 'o', 0, 0)          // value fits inline
	b = bo.AppendUint16(b, orientationTag) // Orientation
	b = bo.AppendUint16(b, 3)              // SHORT
	b = bo.AppendUint32(b, 1)
	b = bo.AppendUint16(b, o)
	b = bo.AppendUint16(b, 0)
	return bo.AppendUint32(b, 0) // no next IFD
}

// The 3x2 image
//
//	a b c
//	d e f
//
// and how each EXIF orientation must come out (written out by hand from the
// EXIF specification and Pillow's exif_transpose table).
var orientationCases = []struct {
	o    int
	w, h int
	want string
}{
	{1, 3, 2, "abcdef"},
	{2, 3, 2, "cbafed"}, // mirrored left-right
	{3, 3, 2, "fedcba"}, // rotated 180
	{4, 3, 2, "defabc"}, // mirrored top-bottom
	{5, 2, 3, "adbecf"}, // transposed
	{6, 2, 3, "daebfc"}, // rotated 90 clockwise
	{7, 2, 3, "fcebda"}, // transversed
	{8, 2, 3, "cfbead"}, // rotated 90 counter-clockwise
	{9, 3, 2, "abcdef"}, // invalid: unchanged, as in Pillow
}

// letterImage returns the 3x2 gray image "abcdef" (pixel value = letter).
func letterImage() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, "abcdef")
	return g
}

func letters(t *testing.T, m *RGB8) string {
	t.Helper()
	var s []byte
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			r, g, b := m.At(x, y)
			if r != g || g != b {
				t.Fatalf("pixel (%d,%d) not gray", x, y)
			}
			s = append(s, r)
		}
	}
	return string(s)
}

func TestOrientationPNG(t *testing.T) {
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, c := range orientationCases {
			// eXIf with and without the "Exif\0\0" prefix some writers add.
			for _, prefix := range []string{"", "Exif\x00\x00"} {
				exif := append([]byte(prefix), exifTIFF(bo, uint16(c.o))...)
				data := encodePNG(t, letterImage(), pngChunk("eXIf", exif))
				m, err := Decode(data, "oriented.png")
				if err != nil {
					t.Fatal(err)
				}
				if m.W != c.w || m.H != c.h || letters(t, m) != c.want {
					t.Errorf("%v orientation %d: got %dx%d %q, want %dx%d %q", bo, c.o, m.W, m.H, letters(t, m), c.w, c.h, c.want)
				}
			}
		}
	}
}

func TestOrientationJPEG(t *testing.T) {
	// A larger JPEG so that rotations are distinguishable after lossy coding.
	src := image.NewRGBA(image.Rect(0, 0, 40, 24))
	for y := 0; y < 24; y++ {
		for x := 0; x < 40; x++ {
			src.Set(x, y, color.RGBA{uint8(6 * x), uint8(10 * y), uint8(3 * (x + y)), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	upright, err := Decode(plain, "plain.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range orientationCases {
		exif := append([]byte("Exif\x00\x00"), exifTIFF(binary.BigEndian, uint16(c.o))...)
		seg := []byte{0xFF, 0xE1}
		seg = binary.BigEndian.AppendUint16(seg, uint16(len(exif)+2))
		seg = append(seg, exif...)
		data := append(append(append([]byte{}, plain[:2]...), seg...), plain[2:]...)
		m, err := Decode(data, "oriented.jpg")
		if err != nil {
			t.Fatal(err)
		}
		want := Orient(upright, c.o)
		if m.W != want.W || m.H != want.H || !bytes.Equal(interleaved(m), interleaved(want)) {
			t.Errorf("orientation %d: JPEG with APP1 does not decode to the oriented plain JPEG", c.o)
		}
		if (c.o >= 5 && c.o <= 8) != (m.W == 24) {
			t.Errorf("orientation %d: size %dx%d", c.o, m.W, m.H)
		}
	}
}

func TestOrientationParsers(t *testing.T) {
	ii := exifTIFF(binary.LittleEndian, 6)
	// TIFF file: the file itself is the structure.
	if got := exifOrientation("tiff", ii); got != 6 {
		t.Errorf("tiff: %d, want 6", got)
	}
	// WebP: RIFF with a VP8X chunk, then an EXIF chunk (odd size padded).
	riff := []byte("RIFF\x00\x00\x00\x00WEBPVP8X")
	riff = binary.LittleEndian.AppendUint32(riff, 3)
	riff = append(riff, 0, 0, 0, 0) // 3 bytes + pad
	riff = append(riff, "EXIF"...)
	riff = binary.LittleEndian.AppendUint32(riff, uint32(len(ii)))
	riff = append(riff, ii...)
	if got := exifOrientation("webp", riff); got != 6 {
		t.Errorf("webp: %d, want 6", got)
	}
	// A LONG instead of a SHORT is accepted too.
	long := exifTIFF(binary.BigEndian, 0)
	binary.BigEndian.PutUint16(long[8+2+12+2:], 4)
	binary.BigEndian.PutUint32(long[8+2+12+8:], 3)
	if got := tiffOrientation(long); got != 3 {
		t.Errorf("LONG orientation: %d, want 3", got)
	}
	// Malformed structures mean "no orientation".
	for name, b := range map[string][]byte{
		"empty":       nil,
		"bad order":   append([]byte("XX"), ii[2:]...),
		"bad magic":   append([]byte("II\x2b\x00"), ii[4:]...),
		"ifd past":    append(append([]byte{}, ii[:4]...), 0xff, 0xff, 0, 0),
		"cut entries": ii[:20],
	} {
		if got := tiffOrientation(b); got != 1 {
			t.Errorf("%s: %d, want 1", name, got)
		}
	}
}
