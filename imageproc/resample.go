package imageproc

import (
	"fmt"
	"math"
)

// This file reproduces Pillow's 8-bit convolution resampler
// (src/libImaging/Resample.c, unchanged in this respect from Pillow 4 to 11)
// for the BICUBIC filter. Every step is written to give the same integers as
// the C code: the float64 expressions keep Pillow's order of operations, and
// explicit float64 conversions stop the Go compiler from fusing a multiply
// and an add into one FMA instruction (which would round differently).

// bicubicA is the "a" of Keys' cubic convolution kernel as Pillow uses it.
const bicubicA = -0.5

// bicubicSupport is the kernel's radius in source pixels at scale 1.
const bicubicSupport = 2.0

// precisionBits is the number of fraction bits of the fixed-point
// coefficients: 32 bits minus 8 for the pixel value minus 2 for the overflow
// that negative lobes and sums above 1 can cause.
const precisionBits = 32 - 8 - 2

// bicubic is Pillow's bicubic_filter.
func bicubic(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		// ((a+2)*x - (a+3)) * x * x + 1
		t := float64((bicubicA+2.0)*x) - (bicubicA + 3.0)
		t = float64(float64(t*x) * x)
		return t + 1
	}
	if x < 2 {
		// (((x-5)*x + 8)*x - 4) * a
		t := float64(float64(x-5)*x) + 8
		t = float64(t*x) - 4
		return t * bicubicA
	}
	return 0
}

// coeffs holds, for every output position, the first input index used
// (start[i]), how many inputs are used (n[i]) and their fixed-point weights
// k[i*ksize : i*ksize+n[i]].
type coeffs struct {
	ksize int
	start []int
	n     []int
	k     []int32
}

// precomputeCoeffs mirrors Pillow's precompute_coeffs followed by
// normalize_coeffs_8bpc for resampling inSize pixels to outSize pixels over
// the whole input (Pillow's box from 0 to inSize). Only the count output
// positions from first on are computed (entry i is output first+i), so that
// a crop of a huge resize costs only what it keeps.
func precomputeCoeffs(inSize, outSize, first, count int) coeffs {
	// Pillow computes in1-in0 in float32; both are exact integers here.
	scale := float64(inSize) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := float64(bicubicSupport * filterscale)
	ksize := int(math.Ceil(support))*2 + 1
	c := coeffs{
		ksize: ksize,
		start: make([]int, count),
		n:     make([]int, count),
		k:     make([]int32, count*ksize),
	}
	w := make([]float64, ksize)
	ss := 1.0 / filterscale
	for i := 0; i < count; i++ {
		xx := first + i
		center := float64(float64(xx)+0.5) * scale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		if xmax > ksize { // cannot happen; guards the slice below
			xmax = ksize
		}
		ww := 0.0
		for x := 0; x < xmax; x++ {
			v := bicubic(float64(float64(x+xmin)-center+0.5) * ss)
			w[x] = v
			ww += v
		}
		k := c.k[i*ksize : i*ksize+ksize]
		for x := 0; x < xmax; x++ {
			v := w[x]
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				k[x] = int32(-0.5 + float64(v*(1<<precisionBits)))
			} else {
				k[x] = int32(0.5 + float64(v*(1<<precisionBits)))
			}
		}
		c.start[i] = xmin
		c.n[i] = xmax
	}
	return c
}

// clip8 turns a fixed-point sum into an 8-bit value as Pillow's clip8 does.
func clip8(v int32) uint8 {
	v >>= precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ResizeBicubic resizes src to w x h exactly as Pillow 9.4's
// Image.resize((w, h), Image.BICUBIC) does on an RGB image.
func ResizeBicubic(src *RGB8, w, h int) (*RGB8, error) {
	return resizeWindow(src, w, h, 0, 0, w, h)
}

// resizeWindow computes the window [x0, x0+cw) x [y0, y0+ch) of the w x h
// Pillow-bicubic resize of src. Each output pixel depends only on the
// coefficients of its own row and column, so the window has exactly the
// values the full resize would have there; computing only the window saves
// the work a later crop would throw away.
func resizeWindow(src *RGB8, w, h, x0, y0, cw, ch int) (*RGB8, error) {
	planes, err := resizePlanes(src, w, h, x0, y0, cw, ch)
	if err != nil {
		return nil, err
	}
	out := NewRGB8(cw, ch)
	for c, p := range planes {
		for i, v := range p.pix {
			out.Pix[3*i+c] = v
		}
	}
	return out, nil
}

// plane is one 8-bit channel of an image, row-major.
type plane struct {
	w, h int
	pix  []uint8
}

// resizePlanes is resizeWindow returning the three channels as separate
// planes. Pillow resamples every channel independently with the same
// integer arithmetic, so working per channel gives the same bytes; when all
// three channels of src are equal (a grayscale picture) only one is
// resampled and the three returned planes are the same one.
func resizePlanes(src *RGB8, w, h, x0, y0, cw, ch int) ([3]*plane, error) {
	var none [3]*plane
	if err := src.validate(); err != nil {
		return none, fmt.Errorf("resize: %w", err)
	}
	if w <= 0 || h <= 0 {
		return none, fmt.Errorf("resize %dx%d to %dx%d: target must be positive", src.W, src.H, w, h)
	}
	if x0 < 0 || y0 < 0 || cw <= 0 || ch <= 0 || x0+cw > w || y0+ch > h {
		return none, fmt.Errorf("resize: window %d,%d %dx%d outside %dx%d", x0, y0, cw, ch, w, h)
	}
	needH := w != src.W
	needV := h != src.H

	// Rows of the source the vertical pass reads (Pillow's ybox_first and
	// ybox_last), restricted to the output rows of the window.
	var vc coeffs
	rowFirst, rowLast := y0, y0+ch
	if needV {
		vc = precomputeCoeffs(src.H, h, y0, ch)
		rowFirst = vc.start[0]
		rowLast = vc.start[ch-1] + vc.n[ch-1]
	}
	var hc coeffs
	if needH {
		hc = precomputeCoeffs(src.W, w, x0, cw)
	}
	channels := 3
	if isGray(src) {
		channels = 1
	}
	var out [3]*plane
	for c := 0; c < channels; c++ {
		var tmp *plane
		if needH {
			tmp = resampleHorizontal(src, c, rowFirst, rowLast-rowFirst, hc)
		} else {
			tmp = channelWindow(src, c, x0, rowFirst, cw, rowLast-rowFirst)
		}
		if needV {
			tmp = resampleVertical(tmp, rowFirst, vc)
		}
		out[c] = tmp
	}
	if channels == 1 {
		out[1], out[2] = out[0], out[0]
	}
	return out, nil
}

// isGray reports whether every pixel of m has equal red, green and blue.
func isGray(m *RGB8) bool {
	p := m.Pix
	for i := 0; i+2 < len(p); i += 3 {
		if p[i] != p[i+1] || p[i] != p[i+2] {
			return false
		}
	}
	return true
}

// channelWindow copies channel c of the w x h window at (x0, y0) of m.
func channelWindow(m *RGB8, c, x0, y0, w, h int) *plane {
	out := &plane{w: w, h: h, pix: make([]uint8, w*h)}
	for y := 0; y < h; y++ {
		row := m.Pix[3*((y0+y)*m.W+x0)+c:]
		d := out.pix[y*w : (y+1)*w]
		for x := range d {
			d[x] = row[3*x]
		}
	}
	return out
}

// resampleHorizontal runs Pillow's horizontal pass over channel c of rows
// [rowFirst, rowFirst+rows) of src; output column i uses coefficients i.
func resampleHorizontal(src *RGB8, c, rowFirst, rows int, co coeffs) *plane {
	const half = int32(1) << (precisionBits - 1)
	w := len(co.n)
	out := &plane{w: w, h: rows, pix: make([]uint8, w*rows)}
	stride := 3 * src.W
	for y := 0; y < rows; y++ {
		srow := src.Pix[(rowFirst+y)*stride+c : (rowFirst+y+1)*stride]
		drow := out.pix[y*w : (y+1)*w]
		for xx := range drow {
			n := co.n[xx]
			k := co.k[xx*co.ksize : xx*co.ksize+n]
			seg := srow[3*co.start[xx]:]
			s := half
			for i, kv := range k {
				s += int32(seg[3*i]) * kv
			}
			drow[xx] = clip8(s)
		}
	}
	return out
}

// resampleVertical runs Pillow's vertical pass over src, whose first row is
// source row rowOffset; output row i uses coefficients i. Integer sums do
// not depend on the order of their terms, so taps are added two at a time.
func resampleVertical(src *plane, rowOffset int, co coeffs) *plane {
	const half = int32(1) << (precisionBits - 1)
	w := src.w
	out := &plane{w: w, h: len(co.n), pix: make([]uint8, w*len(co.n))}
	acc := make([]int32, w)
	for yy := range out.h {
		k := co.k[yy*co.ksize : yy*co.ksize+co.n[yy]]
		first := co.start[yy] - rowOffset
		for i := range acc {
			acc[i] = half
		}
		j := 0
		for ; j+1 < len(k); j += 2 {
			k0, k1 := k[j], k[j+1]
			r0 := src.pix[(first+j)*w : (first+j+1)*w]
			r1 := src.pix[(first+j+1)*w : (first+j+2)*w]
			r0, r1 = r0[:len(acc)], r1[:len(acc)]
			for i := range acc {
				acc[i] += int32(r0[i])*k0 + int32(r1[i])*k1
			}
		}
		if j < len(k) {
			k0 := k[j]
			r0 := src.pix[(first+j)*w : (first+j+1)*w]
			r0 = r0[:len(acc)]
			for i := range acc {
				acc[i] += int32(r0[i]) * k0
			}
		}
		drow := out.pix[yy*w : (yy+1)*w]
		for i, v := range acc {
			drow[i] = clip8(v)
		}
	}
	return out
}
