package imageproc

import "errors"

// output runs the inverse DCT on every block, upsamples the components to
// full size and converts them to RGB as libjpeg-turbo does.
func (d *jpegDecoder) output() (*RGB8, error) {
	planes := make([][]uint8, len(d.comps))
	for ci, c := range d.comps {
		q := d.quant[c.tq]
		if q == nil {
			return nil, errors.New("missing quantisation table")
		}
		stride := 8 * c.bw
		p := make([]uint8, stride*8*c.bh)
		for by := 0; by < c.bh; by++ {
			for bx := 0; bx < c.bw; bx++ {
				idctISLOW(&c.coef[by*c.bw+bx], q, p[8*by*stride+8*bx:], stride)
			}
		}
		// Full resolution: the real samples (ceil(w*h/hmax) per row) are
		// upsampled by the integral factors hmax/h and vmax/v.
		hs, vs := d.hmax/c.h, d.vmax/c.v
		if hs == 1 && vs == 1 {
			out := make([]uint8, d.w*d.h)
			for y := 0; y < d.h; y++ {
				copy(out[y*d.w:(y+1)*d.w], p[y*stride:y*stride+d.w])
			}
			planes[ci] = out
		} else {
			dw := (d.w + hs - 1) / hs
			planes[ci] = upsampleLibjpeg(func(j int) []uint8 { return p[j*stride : j*stride+dw] }, hs, vs, d.w, d.h)
		}
		c.coef = nil
	}
	if len(planes) == 1 {
		return newGray(d.w, d.h, planes[0]), nil
	}
	if len(planes) == 4 {
		return d.cmykOutput(planes), nil
	}
	if d.isRGB() {
		return &RGB8{W: d.w, H: d.h, R: planes[0], G: planes[1], B: planes[2]}, nil
	}
	yp, cb, cr := planes[0], planes[1], planes[2]
	neutral := true
	for i := range cb {
		if cb[i] != 128 || cr[i] != 128 {
			neutral = false
			break
		}
	}
	if neutral {
		return newGray(d.w, d.h, yp), nil
	}
	out := NewRGB8(d.w, d.h)
	t := jpegTables()
	for i, yv := range yp {
		yy, u, v := int32(yv), cb[i], cr[i]
		out.R[i] = clampByte(yy + t.rCr[v])
		out.G[i] = clampByte(yy + (t.gCb[u]+t.gCr[v])>>t.shift)
		out.B[i] = clampByte(yy + t.bCb[u])
	}
	return out, nil
}

// isRGB applies libjpeg's rules (jdapimin.c) for the colour space of a
// three-component file: a JFIF marker means YCbCr; an Adobe marker with
// transform 0 means RGB (other transforms YCbCr); otherwise component ids
// 'R', 'G', 'B' mean RGB and anything else YCbCr.
func (d *jpegDecoder) isRGB() bool {
	switch {
	case d.jfif:
		return false
	case d.adobe:
		return d.adobeTransform == 0
	}
	c := d.comps
	return c[0].id == 'R' && c[1].id == 'G' && c[2].id == 'B'
}

// cmykOutput converts four decoded components to RGB as Pillow does. libjpeg
// returns CMYK (converting YCCK first: an Adobe marker with transform other
// than 0 means YCCK, no marker or transform 0 CMYK); Pillow reads it as
// "CMYK;I", i.e. inverted (Adobe's convention, assumed for every CMYK
// JPEG), and its cmyk2rgb then gives nk - round(c*nk/255) with nk = 255-k,
// which for the stored values c' = 255-c and k' = 255-k is exactly
// round(c'*k'/255).
func (d *jpegDecoder) cmykOutput(planes [][]uint8) *RGB8 {
	c, m, y, k := planes[0], planes[1], planes[2], planes[3]
	if d.adobe && d.adobeTransform != 0 { // YCCK -> CMYK (jdcolor.c ycck_cmyk_convert)
		t := jpegTables()
		for i := range c {
			yy, cb, cr := int32(c[i]), m[i], y[i]
			c[i] = clampByte(255 - (yy + t.rCr[cr]))
			m[i] = clampByte(255 - (yy + (t.gCb[cb]+t.gCr[cr])>>t.shift))
			y[i] = clampByte(255 - (yy + t.bCb[cb]))
		}
	}
	out := NewRGB8(d.w, d.h)
	mul := func(a, b uint8) uint8 { return uint8((int(a)*int(b) + 127) / 255) }
	for i := range c {
		out.R[i], out.G[i], out.B[i] = mul(c[i], k[i]), mul(m[i], k[i]), mul(y[i], k[i])
	}
	return out
}
