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
// the whole input (Pillow's box from 0 to inSize).
func precomputeCoeffs(inSize, outSize int) coeffs {
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
		start: make([]int, outSize),
		n:     make([]int, outSize),
		k:     make([]int32, outSize*ksize),
	}
	w := make([]float64, ksize)
	ss := 1.0 / filterscale
	for xx := 0; xx < outSize; xx++ {
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
		k := c.k[xx*ksize : xx*ksize+ksize]
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
		c.start[xx] = xmin
		c.n[xx] = xmax
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
	if err := src.validate(); err != nil {
		return nil, fmt.Errorf("resize: %w", err)
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("resize %dx%d to %dx%d: target must be positive", src.W, src.H, w, h)
	}
	if x0 < 0 || y0 < 0 || cw <= 0 || ch <= 0 || x0+cw > w || y0+ch > h {
		return nil, fmt.Errorf("resize: window %d,%d %dx%d outside %dx%d", x0, y0, cw, ch, w, h)
	}
	needH := w != src.W
	needV := h != src.H

	// Rows of the source the vertical pass reads (Pillow's ybox_first and
	// ybox_last), restricted to the output rows of the window.
	var vc coeffs
	rowFirst, rowLast := y0, y0+ch
	if needV {
		vc = precomputeCoeffs(src.H, h)
		rowFirst = vc.start[y0]
		rowLast = vc.start[y0+ch-1] + vc.n[y0+ch-1]
	}

	// Horizontal pass over the needed rows only.
	tmp := &RGB8{W: cw, H: rowLast - rowFirst}
	if needH {
		hc := precomputeCoeffs(src.W, w)
		tmp.Pix = make([]uint8, 3*tmp.W*tmp.H)
		resampleHorizontal(tmp, src, rowFirst, hc, x0)
	} else {
		tmp.Pix = make([]uint8, 3*tmp.W*tmp.H)
		for y := 0; y < tmp.H; y++ {
			s := src.Pix[3*((rowFirst+y)*src.W+x0):]
			copy(tmp.Pix[3*y*cw:3*(y+1)*cw], s[:3*cw])
		}
	}
	if !needV {
		return tmp, nil
	}
	out := NewRGB8(cw, ch)
	resampleVertical(out, tmp, rowFirst, vc, y0)
	return out, nil
}

// resampleHorizontal fills dst (dst.H rows starting at source row rowOffset,
// output columns starting at colOffset) with Pillow's horizontal pass.
func resampleHorizontal(dst, src *RGB8, rowOffset int, c coeffs, colOffset int) {
	const half = int32(1) << (precisionBits - 1)
	for y := 0; y < dst.H; y++ {
		srow := src.Pix[3*(rowOffset+y)*src.W : 3*(rowOffset+y+1)*src.W]
		drow := dst.Pix[3*y*dst.W : 3*(y+1)*dst.W]
		for xx := 0; xx < dst.W; xx++ {
			ox := xx + colOffset
			n := c.n[ox]
			k := c.k[ox*c.ksize : ox*c.ksize+n]
			seg := srow[3*c.start[ox] : 3*(c.start[ox]+n)]
			s0, s1, s2 := half, half, half
			for i, kv := range k {
				p := seg[3*i : 3*i+3 : 3*i+3]
				s0 += int32(p[0]) * kv
				s1 += int32(p[1]) * kv
				s2 += int32(p[2]) * kv
			}
			d := drow[3*xx : 3*xx+3 : 3*xx+3]
			d[0], d[1], d[2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
}

// resampleVertical fills dst (output rows starting at rowOut) with Pillow's
// vertical pass over src, whose first row is source row rowOffset.
func resampleVertical(dst, src *RGB8, rowOffset int, c coeffs, rowOut int) {
	const half = int32(1) << (precisionBits - 1)
	stride := 3 * src.W
	acc := make([]int32, stride)
	for yy := 0; yy < dst.H; yy++ {
		oy := yy + rowOut
		n := c.n[oy]
		k := c.k[oy*c.ksize : oy*c.ksize+n]
		first := c.start[oy] - rowOffset
		for i := range acc {
			acc[i] = half
		}
		for j, kv := range k {
			row := src.Pix[(first+j)*stride : (first+j+1)*stride]
			row = row[:len(acc)]
			for i, p := range row {
				acc[i] += int32(p) * kv
			}
		}
		drow := dst.Pix[yy*stride : (yy+1)*stride]
		for i, v := range acc {
			drow[i] = clip8(v)
		}
	}
}
