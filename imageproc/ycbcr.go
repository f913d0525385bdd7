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

// convertYCbCr converts m to RGB. For JPEG, subsampled chroma is first
// brought to full resolution as libjpeg-turbo does by default ("fancy
// upsampling", a triangle filter, for 4:2:2, 4:2:0 and 4:4:0; replication
// for the rarer ratios) and converted with libjpeg's tables. For lossy WebP
// (always 4:2:0) chroma is interpolated and converted as libwebp's default
// RGB output does. A JPEG whose chroma is 128 everywhere converts to
// R = G = B = Y in libjpeg's arithmetic and is returned as a gray image.
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
		if m.SubsampleRatio == image.YCbCrSubsampleRatio420 {
			webpFancy(out, m)
			return out
		}
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
	cb, cr := jpegChroma(m, m.Cb), jpegChroma(m, m.Cr)
	t := jpegTables()
	for y := 0; y < h; y++ {
		yrow := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):]
		yrow = yrow[:w]
		o := y * w
		rr, gg, bb := out.R[o:o+w], out.G[o:o+w], out.B[o:o+w]
		cbr, crr := cb[o:o+w], cr[o:o+w]
		for x, yv := range yrow {
			yy, u, v := int32(yv), cbr[x], crr[x]
			rr[x] = clampByte(yy + t.rCr[v])
			gg[x] = clampByte(yy + (t.gCb[u]+t.gCr[v])>>t.shift)
			bb[x] = clampByte(yy + t.bCb[u])
		}
	}
	return out
}

// jpegChroma returns the chroma plane c of m (m.Cb or m.Cr) at full
// resolution, w x h, upsampled as libjpeg-turbo's jdsample.c does with its
// default do_fancy_upsampling: only the first ceil(w/hs) x ceil(h/vs)
// samples are real (the decoder's MCU padding is ignored) and edges are
// replicated.
func jpegChroma(m *image.YCbCr, c []uint8) []uint8 {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	hs, vs := 1, 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	dw := (w + hs - 1) / hs
	// The real samples, row by row.
	in := func(j int) []uint8 {
		o := m.COffset(b.Min.X, b.Min.Y+j*vs)
		return c[o : o+dw]
	}
	return upsampleLibjpeg(in, hs, vs, w, h)
}

// upsampleLibjpeg brings a component subsampled by hs x vs to w x h as
// libjpeg-turbo's jdsample.c does by default: in(j) is row j of the
// ceil(w/hs) x ceil(h/vs) real samples. 2x1, 1x2 and 2x2 use the "fancy"
// triangle filters (with edges replicated and libjpeg's alternating
// rounding biases); other factors, and 2x1/2x2 with at most two samples
// per row, replicate.
func upsampleLibjpeg(in func(j int) []uint8, hs, vs, w, h int) []uint8 {
	dw, dh := (w+hs-1)/hs, (h+vs-1)/vs
	out := make([]uint8, w*h)
	if hs == 1 && vs == 1 {
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], in(y))
		}
		return out
	}
	fancyH := hs == 2 && dw > 2
	fancyV := vs == 2 && (hs == 1 || dw > 2)
	if (hs != 1 && !fancyH) || (vs != 1 && !fancyV) || hs > 2 || vs > 2 {
		// Replication (libjpeg's h2v1_upsample, h2v2_upsample and
		// int_upsample).
		for y := 0; y < h; y++ {
			r := in(y / vs)
			for x := 0; x < w; x++ {
				out[y*w+x] = r[x/hs]
			}
		}
		return out
	}
	row := make([]int32, 2*dw) // one output row before truncation to w
	for y := 0; y < h; y++ {
		j := y / vs
		near := in(j)
		// colsum: the vertically filtered samples, in sixteenths when
		// vertical filtering happens (3*near + far), else in quarters
		// (the sample itself, times 4 below).
		if vs == 2 {
			fj := j - 1 // row above for even output rows
			if y%2 == 1 {
				fj = j + 1 // row below for odd ones
			}
			fj = max(0, min(dh-1, fj))
			far := in(fj)
			if hs == 1 { // h1v2: (3*near + far + bias) >> 2
				bias := int32(1)
				if y%2 == 1 {
					bias = 2
				}
				for x := 0; x < w; x++ {
					out[y*w+x] = uint8((3*int32(near[x]) + int32(far[x]) + bias) >> 2)
				}
				continue
			}
			// h2v2.
			cs := func(i int) int32 { return 3*int32(near[i]) + int32(far[i]) }
			this, next := cs(0), cs(1)
			row[0] = (this*4 + 8) >> 4
			row[1] = (this*3 + next + 7) >> 4
			last := this
			this = next
			for i := 1; i < dw-1; i++ {
				next = cs(i + 1)
				row[2*i] = (this*3 + last + 8) >> 4
				row[2*i+1] = (this*3 + next + 7) >> 4
				last, this = this, next
			}
			row[2*dw-2] = (this*3 + last + 8) >> 4
			row[2*dw-1] = (this*4 + 7) >> 4
		} else { // h2v1
			v := func(i int) int32 { return int32(near[i]) }
			row[0] = v(0)
			row[1] = (v(0)*3 + v(1) + 2) >> 2
			for i := 1; i < dw-1; i++ {
				row[2*i] = (v(i)*3 + v(i-1) + 1) >> 2
				row[2*i+1] = (v(i)*3 + v(i+1) + 2) >> 2
			}
			row[2*dw-2] = (v(dw-1)*3 + v(dw-2) + 1) >> 2
			row[2*dw-1] = v(dw - 1)
		}
		for x := 0; x < w; x++ {
			out[y*w+x] = uint8(row[x])
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

// webpFancy converts a 4:2:0 VP8 image to RGB with libwebp's "fancy"
// upsampler (src/dsp/upsampling.c, UpsampleRgbLinePair, as driven by
// io_dec.c's EmitFancyRGB): output rows come in pairs 2k-1, 2k that share
// chroma rows k-1 ("top") and k ("cur"); row 0, and the last row of an
// even-height image, use a single chroma row for both. Each chroma sample
// is a 9:3:3:1 blend of the four nearest samples, computed in libwebp's
// order of integer operations.
func webpFancy(out *RGB8, m *image.YCbCr) {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	crow := func(c []uint8, j int) []uint8 {
		o := m.COffset(b.Min.X, b.Min.Y+2*j)
		return c[o : o+cw]
	}
	u := make([]int32, w) // upsampled chroma of one output row
	v := make([]int32, w)
	line := func(dst []int32, top, cur []uint8, bottom bool) {
		tl, l := int32(top[0]), int32(cur[0])
		if bottom {
			dst[0] = (3*l + tl + 2) >> 2
		} else {
			dst[0] = (3*tl + l + 2) >> 2
		}
		last := (w - 1) >> 1
		for x := 1; x <= last; x++ {
			t, c := int32(top[x]), int32(cur[x])
			avg := tl + t + l + c + 8
			diag12 := (avg + 2*(t+l)) >> 3
			diag03 := (avg + 2*(tl+c)) >> 3
			if bottom {
				dst[2*x-1] = (diag03 + l) >> 1
				dst[2*x] = (diag12 + c) >> 1
			} else {
				dst[2*x-1] = (diag12 + tl) >> 1
				dst[2*x] = (diag03 + t) >> 1
			}
			tl, l = t, c
		}
		if w%2 == 0 {
			if bottom {
				dst[w-1] = (3*l + tl + 2) >> 2
			} else {
				dst[w-1] = (3*tl + l + 2) >> 2
			}
		}
	}
	for y := 0; y < h; y++ {
		var top, cur int
		bottom := false
		switch {
		case y == 0:
			top, cur = 0, 0
		case y%2 == 1: // upper row of pair (y+1)/2
			top, cur = (y-1)/2, min((y+1)/2, ch-1)
		default: // lower row of pair y/2
			top, cur, bottom = y/2-1, y/2, true
		}
		line(u, crow(m.Cb, top), crow(m.Cb, cur), bottom)
		line(v, crow(m.Cr, top), crow(m.Cr, cur), bottom)
		yrow := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):]
		for x := 0; x < w; x++ {
			i := y*w + x
			out.R[i], out.G[i], out.B[i] = webpYUVToRGB(yrow[x], uint8(u[x]), uint8(v[x]))
		}
	}
}
