package imageproc

import (
	"bytes"
	"strings"
	"testing"
)

// interleaved returns m's pixels as packed RGB bytes.
func interleaved(m *RGB8) []uint8 {
	out := make([]uint8, 3*m.W*m.H)
	for i := 0; i < m.W*m.H; i++ {
		out[3*i], out[3*i+1], out[3*i+2] = m.R[i], m.G[i], m.B[i]
	}
	return out
}

// fromInterleaved builds an RGB8 with separate planes from packed RGB.
func fromInterleaved(w, h int, pix []uint8) *RGB8 {
	m := NewRGB8(w, h)
	for i := 0; i < w*h; i++ {
		m.R[i], m.G[i], m.B[i] = pix[3*i], pix[3*i+1], pix[3*i+2]
	}
	return m
}

// filled returns a w x h RGB8 whose packed byte i is f(i).
func filled(w, h int, f func(i int) byte) *RGB8 {
	pix := make([]uint8, 3*w*h)
	for i := range pix {
		pix[i] = f(i)
	}
	return fromInterleaved(w, h, pix)
}

// letterRGB returns a w x h RGB8 whose pixels hold the bytes of s (gray,
// with separate planes).
func letterRGB(w, h int, s string) *RGB8 {
	return filled(w, h, func(i int) byte { return s[i/3] })
}

func grayString(m *RGB8) string {
	b := make([]byte, m.W*m.H)
	for i := range b {
		if m.R[i] != m.G[i] || m.R[i] != m.B[i] {
			return "not gray"
		}
		b[i] = m.R[i]
	}
	return string(b)
}

func TestCenterCropLikeTransformers(t *testing.T) {
	src := letterRGB(3, 2, "abcdef")
	for _, c := range []struct {
		w, h int
		want string
	}{
		{3, 2, "abcdef"},
		{2, 1, "ab"}, // top = (2-1)//2 = 0, left = (3-2)//2 = 0
		{1, 2, "be"}, // left = 1
		{5, 4, "\x00\x00\x00\x00\x00\x00abc\x00\x00def\x00\x00\x00\x00\x00\x00"},
		{4, 3, "\x00\x00\x00\x00\x00abc\x00def"}, // pads ceil(1/2) = 1 on top/left
	} {
		got, err := CenterCrop(src, c.w, c.h)
		if err != nil {
			t.Fatal(err)
		}
		if got.W != c.w || got.H != c.h || grayString(got) != c.want {
			t.Errorf("crop %dx%d: got %dx%d %q, want %q", c.w, c.h, got.W, got.H, grayString(got), c.want)
		}
	}
}

func TestShortestEdgeTargets(t *testing.T) {
	// int(224 * long / short), worked out by hand.
	for _, c := range []struct{ w, h, ww, wh int }{
		{300, 200, 336, 224},
		{61, 47, 290, 224}, // 290.72...
		{45, 80, 224, 398}, // 398.22...
		{512, 512, 224, 224},
		{600, 550, 244, 224}, // 244.36...
		{1, 3000, 224, 672000},
	} {
		w, h := GIT().resizeTarget(c.w, c.h)
		if w != c.ww || h != c.wh {
			t.Errorf("%dx%d -> %dx%d, want %dx%d", c.w, c.h, w, h, c.ww, c.wh)
		}
	}
}

func TestResizeWindowEqualsCropOfFullResize(t *testing.T) {
	src := filled(37, 23, func(i int) byte { return byte(i*131 + i/7) })
	full, err := ResizeBicubic(src, 50, 16)
	if err != nil {
		t.Fatal(err)
	}
	win, err := resizeWindow(src, 50, 16, 7, 3, 20, 9, 1)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 9; y++ {
		for x := 0; x < 20; x++ {
			r1, g1, b1 := win.At(x, y)
			r2, g2, b2 := full.At(x+7, y+3)
			if r1 != r2 || g1 != g2 || b1 != b2 {
				t.Fatalf("(%d,%d): window %v, full %v", x, y, []uint8{r1, g1, b1}, []uint8{r2, g2, b2})
			}
		}
	}
}

func TestResizeIndependentOfWorkers(t *testing.T) {
	src := filled(173, 91, func(i int) byte { return byte(i*37 + i/11) })
	gray := newGray(173, 91, append([]uint8{}, src.R...))
	for _, img := range []*RGB8{src, gray} {
		for _, size := range [][2]int{{384, 384}, {61, 17}, {173, 40}, {20, 91}} {
			want, err := ResizeBicubicWorkers(img, size[0], size[1], 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, workers := range []int{2, 3, 7, 64} {
				got, err := ResizeBicubicWorkers(img, size[0], size[1], workers)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(interleaved(got), interleaved(want)) {
					t.Errorf("%dx%d with %d workers differs from 1 worker", size[0], size[1], workers)
				}
			}
		}
	}
}

func TestResizeIdentityAndConstant(t *testing.T) {
	src := filled(9, 7, func(i int) byte { return byte(i * 29) })
	same, err := ResizeBicubic(src, 9, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(interleaved(same), interleaved(src)) {
		t.Error("resize to the same size changed pixels")
	}
	flat := filled(13, 11, func(int) byte { return 200 })
	for _, s := range [][2]int{{1, 1}, {5, 30}, {40, 3}, {384, 384}} {
		out, err := ResizeBicubic(flat, s[0], s[1])
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range interleaved(out) {
			if v != 200 {
				t.Fatalf("%dx%d: byte %d is %d, want 200", s[0], s[1], i, v)
			}
		}
	}
}

func TestThinImageThroughGIT(t *testing.T) {
	// 1 x 3000 resizes to 224 x 672000 before the crop; only the crop is
	// computed, so this is cheap.
	src := filled(1, 3000, func(i int) byte { return byte(i) })
	out, err := GIT().Preprocess(src)
	if err != nil {
		t.Fatal(err)
	}
	if out.C != 3 || out.H != 224 || out.W != 224 {
		t.Fatalf("got %dx%dx%d", out.C, out.H, out.W)
	}
}

func TestResizeAndPreprocessErrors(t *testing.T) {
	good := NewRGB8(4, 4)
	if _, err := ResizeBicubic(good, 0, 5); err == nil {
		t.Error("resize to width 0: no error")
	}
	bad := &RGB8{W: 4, H: 4, R: make([]uint8, 16), G: make([]uint8, 5), B: make([]uint8, 16)}
	if _, err := ResizeBicubic(bad, 2, 2); err == nil {
		t.Error("resize of an image with a short buffer: no error")
	}
	if _, err := BLIP().Preprocess(&RGB8{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("preprocess empty image: %v", err)
	}
	p := GIT()
	p.CropWidth = -1
	if _, err := p.Preprocess(good); err == nil {
		t.Error("negative crop: no error")
	}
	if _, err := CenterCrop(good, 0, 3); err == nil {
		t.Error("crop to width 0: no error")
	}
	// An absurd downscaling factor is refused instead of allocating
	// gigabytes of coefficients.
	if _, err := BLIP().Preprocess(newGray(1, 1<<22, make([]uint8, 1<<22))); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("1 x 2^22 image to 384x384: %v", err)
	}
}

func TestRescaleNormaliseArithmetic(t *testing.T) {
	// transformers: float32(u8 * (1/255)) computed in float64, then
	// (x - mean) / std in float32; the table must hold exactly that.
	img := NewRGB8(256, 1)
	for v := 0; v < 256; v++ {
		img.R[v], img.G[v], img.B[v] = byte(v), byte(255-v), byte(v/2)
	}
	p := BLIP()
	got := p.toCHW(img)
	for c := 0; c < 3; c++ {
		for x := 0; x < 256; x++ {
			u := img.Planes()[c][x]
			scaled := float32(float64(u) * (1.0 / 255))
			mean, std := float32(clipMean[c]), float32(clipStd[c])
			diff := scaled - mean
			want := diff / std
			if g := got.Data[c*256+x]; g != want {
				t.Fatalf("c=%d u8=%d: got %v, want %v", c, u, g, want)
			}
		}
	}
}

func TestFromConfigVariants(t *testing.T) {
	cases := []struct {
		json    string
		want    func() Processor
		wantErr string
	}{
		{`{"image_processor_type":"CLIPImageProcessor"}`, GIT, ""},
		{`{"image_processor_type":"BlipImageProcessor","size":384}`, BLIP, ""},
		{`{"image_processor_type":"CLIPImageProcessor","size":224,"crop_size":224}`, GIT, ""},
		{`{"image_processor_type":"CLIPImageProcessor","do_center_crop":false}`, func() Processor {
			p := GIT()
			p.CropWidth, p.CropHeight = 0, 0
			return p
		}, ""},
		{`{"image_processor_type":"BlipImageProcessor","resample":2}`, nil, "resample 2"},
		{`{"image_processor_type":"ViTImageProcessor"}`, nil, "not supported"},
		{`{"image_processor_type":"CLIPImageProcessor","image_mean":[1,2]}`, nil, "image_mean"},
		{`{"image_processor_type":"CLIPImageProcessor","size":{"longest_edge":3}}`, nil, "longest_edge"},
		{`{"image_processor_type":`, nil, "unexpected end"},
	}
	for _, c := range cases {
		got, err := parseConfig([]byte(c.json))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want one mentioning %q", c.json, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.json, err)
			continue
		}
		if got != c.want() {
			t.Errorf("%s: got %+v, want %+v", c.json, got, c.want())
		}
	}
}
