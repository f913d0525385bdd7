package imageproc

import (
	"fmt"
	"image"
	"image/color"
)

// This file converts what Go's decoders (all formats but JPEG, see jpeg.go)
// return into RGB8 with the results Pillow's Image.convert("RGB") gives for
// the mode Pillow would have opened the same file in
// (src/libImaging/Convert.c):
//
//   - L (8-bit gray, also 1/2/4-bit gray scaled to 0..255): replicated.
//   - I (16-bit gray PNG or TIFF): clipped to 0..255, not shifted, so every
//     value of 255 or more becomes white (Pillow's i2rgb).
//   - RGB/RGBA/LA, also 16-bit: alpha dropped without compositing; 16-bit
//     samples keep their high byte (Pillow's ";16B" unpackers).
//   - RGBa (premultiplied, e.g. TIFF with associated alpha): un-premultiplied
//     with Pillow's integer formula.
//   - P (palette): looked up; a transparent entry keeps its stored colour.
//   - CMYK: Pillow's cmyk2rgb, r = nk - nk*c/255 (rounded) with nk = 255-k.
//   - YCbCr from lossy WebP: libwebp's fancy upsampling and limited-range
//     BT.601 conversion (ycbcr.go); from Go's JPEG decoder (only reached
//     for JPEG variants jpeg.go does not handle): libjpeg's conversion.

// ycbcrRange says which YCbCr-to-RGB formula a decoded *image.YCbCr needs.
type ycbcrRange int

const (
	ycbcrJPEG ycbcrRange = iota // full range, libjpeg's tables
	ycbcrWebP                   // limited range, libwebp's VP8YUVToRGB
)

// convertOptions carries what the file format says about how Pillow would
// interpret a decoded Go image.
type convertOptions struct {
	// gray16 marks a 16-bit grayscale source (Pillow mode I), whose values
	// are clipped rather than shifted even where Go's decoder widened them
	// into an NRGBA64 because of a tRNS chunk.
	gray16 bool
	ycc    ycbcrRange
}

// toRGB converts a decoded image to RGB8.
func toRGB(img image.Image, opt convertOptions) (*RGB8, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("empty image %dx%d", w, h)
	}
	switch m := img.(type) {
	case *image.Gray:
		p := make([]uint8, w*h)
		for y := 0; y < h; y++ {
			o := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(p[y*w:(y+1)*w], m.Pix[o:o+w])
		}
		return newGray(w, h, p), nil
	case *image.Gray16:
		p := make([]uint8, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p[y*w+x] = clipGray16(m.Gray16At(b.Min.X+x, b.Min.Y+y).Y)
			}
		}
		return newGray(w, h, p), nil
	case *image.NRGBA64:
		if opt.gray16 {
			p := make([]uint8, w*h)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					p[y*w+x] = clipGray16(m.NRGBA64At(b.Min.X+x, b.Min.Y+y).R)
				}
			}
			return newGray(w, h, p), nil
		}
	case *image.Paletted:
		return convertPaletted(m), nil
	case *image.YCbCr:
		return convertYCbCr(m, opt.ycc), nil
	case *image.NYCbCrA:
		return convertYCbCr(&m.YCbCr, opt.ycc), nil
	}
	out := NewRGB8(w, h)
	put := func(x, y int, r, g, bl uint8) {
		i := y*w + x
		out.R[i], out.G[i], out.B[i] = r, g, bl
	}
	switch m := img.(type) {
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				put(x, y, unpremul8(p[0], p[3]), unpremul8(p[1], p[3]), unpremul8(p[2], p[3]))
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				put(x, y, p[0], p[1], p[2])
			}
		}
	case *image.RGBA64:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := m.RGBA64At(b.Min.X+x, b.Min.Y+y)
				put(x, y, unpremul16(c.R, c.A), unpremul16(c.G, c.A), unpremul16(c.B, c.A))
			}
		}
	case *image.NRGBA64:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := m.NRGBA64At(b.Min.X+x, b.Min.Y+y)
				put(x, y, uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				r, g, bl := cmykToRGB(p[0], p[1], p[2], p[3])
				put(x, y, r, g, bl)
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				put(x, y, uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
			}
		}
	}
	return out, nil
}

// convertPaletted looks up a palette image; a palette of grays gives a
// gray image.
func convertPaletted(m *image.Paletted) *RGB8 {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	var lut [256][3]uint8
	gray := true
	for i, c := range m.Palette {
		if i < len(lut) {
			lut[i] = paletteRGB(c)
			gray = gray && lut[i][0] == lut[i][1] && lut[i][1] == lut[i][2]
		}
	}
	var out *RGB8
	if gray {
		out = newGray(w, h, make([]uint8, w*h))
	} else {
		out = NewRGB8(w, h)
	}
	for y := 0; y < h; y++ {
		row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := 0; x < w; x++ {
			c := lut[row[x]]
			i := y*w + x
			out.R[i], out.G[i], out.B[i] = c[0], c[1], c[2]
		}
	}
	return out
}

// clipGray16 is Pillow's I -> RGB conversion of one sample.
func clipGray16(v uint16) uint8 {
	if v >= 255 {
		return 255
	}
	return uint8(v)
}

// unpremul8 undoes premultiplied alpha as Pillow's rgba2rgb_ (RGBa -> RGB)
// does; opaque and fully transparent pixels keep their stored values.
func unpremul8(c, a uint8) uint8 {
	if a == 255 || a == 0 {
		return c
	}
	v := 255 * int(c) / int(a)
	if v > 255 {
		v = 255
	}
	return uint8(v)
}

// unpremul16 is unpremul8 for 16-bit samples, returning the high byte.
func unpremul16(c, a uint16) uint8 {
	if a == 0xffff || a == 0 {
		return uint8(c >> 8)
	}
	v := 0xffff * int(c) / int(a)
	if v > 0xffff {
		v = 0xffff
	}
	return uint8(v >> 8)
}

// paletteRGB returns the RGB of a palette entry with its alpha ignored.
func paletteRGB(c color.Color) [3]uint8 {
	switch c := c.(type) {
	case color.NRGBA:
		return [3]uint8{c.R, c.G, c.B}
	case color.RGBA:
		return [3]uint8{unpremul8(c.R, c.A), unpremul8(c.G, c.A), unpremul8(c.B, c.A)}
	case color.NRGBA64:
		return [3]uint8{uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8)}
	case color.RGBA64:
		return [3]uint8{unpremul16(c.R, c.A), unpremul16(c.G, c.A), unpremul16(c.B, c.A)}
	case color.Gray:
		return [3]uint8{c.Y, c.Y, c.Y}
	}
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return [3]uint8{uint8(n.R >> 8), uint8(n.G >> 8), uint8(n.B >> 8)}
}

// cmykToRGB is Pillow's cmyk2rgb for one pixel.
func cmykToRGB(c, m, y, k uint8) (r, g, b uint8) {
	nk := 255 - int(k)
	f := func(v uint8) uint8 {
		t := int(v)*nk + 128
		t = ((t >> 8) + t) >> 8 // MULDIV255
		return uint8(max(0, min(255, nk-t)))
	}
	return f(c), f(m), f(y)
}
