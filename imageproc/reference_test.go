package imageproc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// matchReferences decodes, for every reference PNG in dir, the file of the
// same stem with extension ext (in dir, else in testdata/images) and
// requires exactly the reference's pixels.
func matchReferences(t *testing.T, dir, ext string, atLeast int) {
	t.Helper()
	refs, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil || len(refs) < atLeast {
		t.Fatalf("want at least %d reference PNGs in %s, found %d (%v)", atLeast, dir, len(refs), err)
	}
	for _, ref := range refs {
		stem := strings.TrimSuffix(filepath.Base(ref), ".png")
		src := filepath.Join(dir, stem+ext)
		if _, err := os.Stat(src); err != nil {
			src = filepath.Join("testdata", "images", stem+ext)
		}
		got, want := mustDecode(t, src), mustDecode(t, ref)
		gp, wp := interleaved(got), interleaved(want)
		if len(gp) != len(wp) {
			t.Fatalf("%s: %dx%d, reference %dx%d", src, got.W, got.H, want.W, want.H)
		}
		differ, maxd := 0, 0
		for i := range gp {
			d := max(int(gp[i])-int(wp[i]), int(wp[i])-int(gp[i]))
			if d > 0 {
				differ++
			}
			maxd = max(maxd, d)
		}
		if differ > 0 {
			t.Errorf("%s: %d of %d bytes differ from the reference (max %d)", src, differ, len(gp), maxd)
		}
	}
}

// JPEG decoding must equal libjpeg-turbo's, which Pillow uses: the
// reference PNGs in testdata/libjpeg are `djpeg -pnm` output (libjpeg-turbo
// 2.1.5, default settings: accurate integer IDCT, fancy upsampling) of the
// JPEGs beside them or in testdata/images (baseline, progressive, restart
// intervals, gray, RGB, CMYK, and 4:4:4, 4:4:0, 4:2:2, 4:2:0, 4:1:1
// YCbCr). For CMYK, djpeg's PPM output is round(c*k/255) of libjpeg's raw
// CMYK, which is exactly what Pillow's "CMYK;I" reading and cmyk2rgb give.
func TestJPEGDecodeMatchesLibjpeg(t *testing.T) {
	matchReferences(t, filepath.Join("testdata", "libjpeg"), ".jpg", 12)
}

// Lossy WebP must equal libwebp's default RGB output (fancy upsampling),
// which Pillow uses: the references in testdata/libwebp are `dwebp -ppm`
// output (libwebp 1.2.4) of the files beside them (even and odd sizes, one
// with an alpha channel, which is dropped).
func TestWebPDecodeMatchesLibwebp(t *testing.T) {
	matchReferences(t, filepath.Join("testdata", "libwebp"), ".webp", 3)
}
