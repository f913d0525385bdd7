package imageproc

import "image"

// ycbcrTables holds per-sample lookup tables of one YCbCr-to-RGB formula:
// r = clamp(y + rCr[cr]), g = clamp(y + (gCb[cb]+gCr[cr])>>shift),
// b = clamp(y + bCb[cb]).
type ycbcrTables struct {
	rCr, gCb, gCr, bCb [256]int32
	shift              uint
}

// jpegTables builds libjpeg's jdcolor.c tables (16-bit fixed point, full
// range, each term rounded to nearest as libjpeg rounds it).
func jpegTables() *ycbcrTables {
	const scaleBits = 16
	const half = 1 << (scaleBits - 1)
	fix := func(x float64) int32 { return int32(x*(1<<scaleBits) + 0.5) }
	t := &ycbcrTables{}
	for i := 0; i < 256; i++ {
		x := int32(i - 128)
		// libjpeg rounds R and B terms to integers on their own...
		t.rCr[i] = (fix(1.40200)*x + half) >> scaleBits
		t.bCb[i] = (fix(1.77200)*x + half) >> scaleBits
		// ...and rounds the two G terms once, after adding them.
		t.gCb[i] = -fix(0.34414)*x + half
		t.gCr[i] = -fix(0.71414) * x
	}
	t.shift = scaleBits
	return t
}

// convertYCbCr converts m to RGB. Chroma is taken from the nearest sample
// (Go's image.YCbCr layout); libjpeg and libwebp interpolate subsampled
// chroma instead ("fancy upsampling"), which is one of the documented
// sources of small differences from Pillow. A JPEG whose chroma is 128
// everywhere converts to R = G = B = Y in libjpeg's arithmetic and is
// returned as a gray image.
func convertYCbCr(m *image.YCbCr, rng ycbcrRange) *RGB8 {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	if rng == ycbcrJPEG && neutralChroma(m) {
		p := make([]uint8, w*h)
		for y := 0; y < h; y++ {
			o := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(p[y*w:(y+1)*w], m.Y[o:o+w])
		}
		return newGray(w, h, p)
	}
	out := NewRGB8(w, h)
	if rng == ycbcrWebP {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				i := y*w + x
				out.R[i], out.G[i], out.B[i] = webpYUVToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			}
		}
		return out
	}
	t := jpegTables()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
			ci := m.COffset(b.Min.X+x, b.Min.Y+y)
			yy, cb, cr := int32(m.Y[yi]), m.Cb[ci], m.Cr[ci]
			i := y*w + x
			out.R[i] = clampByte(yy + t.rCr[cr])
			out.G[i] = clampByte(yy + (t.gCb[cb]+t.gCr[cr])>>t.shift)
			out.B[i] = clampByte(yy + t.bCb[cb])
		}
	}
	return out
}

// neutralChroma reports whether every chroma sample inside m's bounds is 128.
func neutralChroma(m *image.YCbCr) bool {
	b := m.Rect
	c0 := m.COffset(b.Min.X, b.Min.Y)
	c1 := m.COffset(b.Max.X-1, b.Max.Y-1) + 1
	if c0 < 0 || c1 > len(m.Cb) || c1 > len(m.Cr) || c0 >= c1 {
		return false
	}
	for _, v := range m.Cb[c0:c1] {
		if v != 128 {
			return false
		}
	}
	for _, v := range m.Cr[c0:c1] {
		if v != 128 {
			return false
		}
	}
	return true
}

// clampByte limits v to 0..255 (libjpeg's range_limit table).
func clampByte(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// webpYUVToRGB is libwebp's VP8YuvToRgb (src/dsp/yuv.h): limited-range
// BT.601 with 14-bit intermediate precision.
func webpYUVToRGB(y, u, v uint8) (r, g, b uint8) {
	multHi := func(v, coeff int32) int32 { return (v * coeff) >> 8 }
	clip := func(v int32) uint8 {
		const mask = (256 << 6) - 1
		if v&^mask == 0 {
			return uint8(v >> 6)
		}
		if v < 0 {
			return 0
		}
		return 255
	}
	Y, U, V := int32(y), int32(u), int32(v)
	r = clip(multHi(Y, 19077) + multHi(V, 26149) - 14234)
	g = clip(multHi(Y, 19077) - multHi(U, 6419) - multHi(V, 13320) + 8708)
	b = clip(multHi(Y, 19077) + multHi(U, 33050) - 17685)
	return r, g, b
}
