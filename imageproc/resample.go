package imageproc

import (
	"fmt"
	"math"
	"sync"
)

// This file reproduces Pillow's 8-bit convolution resampler
// (src/libImaging/Resample.c; the fixtures come from Pillow 9.4) for the
// BICUBIC filter. Every step is written to give the same integers as
// the C code: the float64 expressions keep Pillow's order of operations, and
// explicit float64 conversions stop the Go compiler from fusing a multiply
// and an add into one FMA instruction (which would round differently).

// bicubicA is the "a" of Keys' cubic convolution kernel as Pillow uses it.
const bicubicA = -0.5

// bicubicSupport is the kernel's radius in source pixels at scale 1.
const bicubicSupport = 2.0

// maxCoeffs bounds the size of one pass's coefficient table (outputs times
// taps). Only an absurd downscaling factor (thousands to one, as for a
// 1 x 60,000,000 image squeezed to 384 rows) reaches it; Pillow would try to
// allocate gigabytes there, this package refuses with an error.
const maxCoeffs = 1 << 23

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
	k64   []int64 // k widened, for the two-lane kernels
}

// precomputeCoeffs mirrors Pillow's precompute_coeffs followed by
// normalize_coeffs_8bpc for resampling inSize pixels to outSize pixels over
// the whole input (Pillow's box from 0 to inSize). Only the count output
// positions from first on are computed (entry i is output first+i), so that
// a crop of a huge resize costs only what it keeps.
func precomputeCoeffs(inSize, outSize, first, count int) (coeffs, error) {
	// Pillow computes in1-in0 in float32; both are exact integers here.
	scale := float64(inSize) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := float64(bicubicSupport * filterscale)
	ksize := int(math.Ceil(support))*2 + 1
	if float64(ksize)*float64(count) > maxCoeffs {
		return coeffs{}, fmt.Errorf("resizing %d pixels to %d needs %d taps per output, too many", inSize, outSize, ksize)
	}
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
	c.k64 = make([]int64, len(c.k))
	for i, v := range c.k {
		c.k64[i] = int64(v)
	}
	return c, nil
}

// clip8 turns a fixed-point sum into an 8-bit value as Pillow's clip8 does
// (an arithmetic shift, then clamping to 0..255).
func clip8(v int32) uint8 {
	v >>= precisionBits
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// ResizeBicubic resizes src to w x h exactly as Pillow 9.4's
// Image.resize((w, h), Image.BICUBIC) does on an RGB image.
// It runs on the calling goroutine; ResizeBicubicWorkers spreads the work.
func ResizeBicubic(src *RGB8, w, h int) (*RGB8, error) {
	return resizeWindow(src, w, h, 0, 0, w, h, 0)
}

// ResizeBicubicWorkers is ResizeBicubic on up to workers goroutines (for
// example runtime.GOMAXPROCS(0)); the result does not depend on it.
func ResizeBicubicWorkers(src *RGB8, w, h, workers int) (*RGB8, error) {
	return resizeWindow(src, w, h, 0, 0, w, h, workers)
}

// resizeWindow computes the window [x0, x0+cw) x [y0, y0+ch) of the w x h
// Pillow-bicubic resize of src. Each output pixel depends only on the
// coefficients of its own row and column, so the window has exactly the
// values the full resize would have there; computing only the window saves
// the work a later crop would throw away. Pillow resamples every channel
// independently with the same integer arithmetic, so the planes are
// resampled one at a time, and a gray image's shared plane only once.
func resizeWindow(src *RGB8, w, h, x0, y0, cw, ch, workers int) (*RGB8, error) {
	workers = max(workers, 1)
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
		var err error
		if vc, err = precomputeCoeffs(src.H, h, y0, ch); err != nil {
			return nil, fmt.Errorf("resize %dx%d to %dx%d: %w", src.W, src.H, w, h, err)
		}
		rowFirst = vc.start[0]
		rowLast = vc.start[ch-1] + vc.n[ch-1]
	}
	var hc coeffs
	if needH {
		var err error
		if hc, err = precomputeCoeffs(src.W, w, x0, cw); err != nil {
			return nil, fmt.Errorf("resize %dx%d to %dx%d: %w", src.W, src.H, w, h, err)
		}
	}
	one := func(p []uint8) []uint8 {
		rows := rowLast - rowFirst
		var tmp []int64 // rows x (cw+1)/2 column pairs
		if needH {
			tmp = resampleHorizontal(p, src.W, rowFirst, rows, hc, workers)
		} else {
			tmp = packColumns(p, src.W, x0, rowFirst, cw, rows)
		}
		if needV {
			return resampleVertical(tmp, cw, rowFirst, vc, workers)
		}
		return unpackColumns(tmp, cw, rows)
	}
	if src.IsGray() {
		return newGray(cw, ch, one(src.R)), nil
	}
	return &RGB8{W: cw, H: ch, R: one(src.R), G: one(src.G), B: one(src.B)}, nil
}

// The two passes below are Pillow's loops with one speed-up that does not
// change a single bit: two 32-bit sums are carried in one int64 ("two
// lanes"). A lane pair holds L0 + L1<<32 for pixel values a (lane 0) and
// b (lane 1); multiplying by a coefficient k and adding gives exactly
// a*k + (b*k)<<32, so one multiply-add does the work of two. Each lane's
// true sum fits in an int32 (Pillow's own sums are C ints), so at the end
// int32(s) is lane 0 exactly and (s - lane0) >> 32 is lane 1 exactly, even
// when lane 0 is negative and borrowed from lane 1 along the way. Integer
// sums do not depend on the order of their terms, so taps may be added in
// any grouping.

// unpack2 splits a two-lane sum into its lanes.
func unpack2(s int64) (lo, hi int32) {
	lo = int32(s)
	return lo, int32((s - int64(lo)) >> 32)
}

// half2 is Pillow's rounding term 1<<(PRECISION_BITS-1) in both lanes.
const half2 = int64(1)<<(precisionBits-1) | int64(1)<<(precisionBits-1)<<32

// packColumns packs the w x rows window at (x0, y0) of the plane p (of
// width srcW) into column pairs: lane 0 even columns, lane 1 odd ones.
func packColumns(p []uint8, srcW, x0, y0, w, rows int) []int64 {
	hw := (w + 1) / 2
	out := make([]int64, rows*hw)
	for y := 0; y < rows; y++ {
		r := p[(y0+y)*srcW+x0 : (y0+y)*srcW+x0+w]
		d := out[y*hw : (y+1)*hw]
		for x, v := range r {
			d[x/2] |= int64(v) << (32 * uint(x%2))
		}
	}
	return out
}

// unpackColumns is the inverse of packColumns for a whole plane of width w.
func unpackColumns(pk []int64, w, rows int) []uint8 {
	hw := (w + 1) / 2
	out := make([]uint8, w*rows)
	for y := 0; y < rows; y++ {
		for x := 0; x < w; x++ {
			out[y*w+x] = uint8(pk[y*hw+x/2] >> (32 * uint(x%2)))
		}
	}
	return out
}

// resampleHorizontal runs Pillow's horizontal pass over rows
// [rowFirst, rowFirst+rows) of the plane p of width srcW; output column i
// uses coefficients i. The result is packed in column pairs for the
// vertical pass. Eight source rows at a time are packed in pairs (lane 0
// the even row, lane 1 the odd one) into a small buffer that stays in
// cache, and the four pairs are swept together so that each column's
// coefficients and bounds are fetched once for eight rows. Missing rows at
// the end are zeros whose results are dropped.
func resampleHorizontal(p []uint8, srcW, rowFirst, rows int, co coeffs, workers int) []int64 {
	const group = 4 // row pairs per sweep
	w := len(co.n)
	hw := (w + 1) / 2
	out := make([]int64, rows*hw)
	zero := make([]uint8, srcW)
	srcRow := func(y int) []uint8 {
		if y >= rows {
			return zero
		}
		return p[(rowFirst+y)*srcW : (rowFirst+y+1)*srcW]
	}
	sweeps := (rows + 2*group - 1) / (2 * group)
	parallelFor(sweeps, workers, func(first, last int) {
		buf := make([]int64, group*srcW)
		var res [2 * group][]uint8 // the eight output rows of one sweep
		for j := range res {
			res[j] = make([]uint8, w)
		}
		for y0 := first * 2 * group; y0 < last*2*group; y0 += 2 * group {
			for j := 0; j < group; j++ {
				r0, r1 := srcRow(y0+2*j), srcRow(y0+2*j+1)
				d := buf[j*srcW : (j+1)*srcW]
				r0, r1 = r0[:len(d)], r1[:len(d)]
				for x := range d {
					d[x] = int64(r0[x]) | int64(r1[x])<<32
				}
			}
			a, b := buf[:srcW], buf[srcW:2*srcW]
			c, d := buf[2*srcW:3*srcW], buf[3*srcW:4*srcW]
			res0, res1, res2, res3 := res[0][:w], res[1][:w], res[2][:w], res[3][:w]
			res4, res5, res6, res7 := res[4][:w], res[5][:w], res[6][:w], res[7][:w]
			for xx := 0; xx < w; xx++ {
				st := co.start[xx]
				k := co.k64[xx*co.ksize : xx*co.ksize+co.n[xx]]
				a0, b0, c0, d0 := a[st:st+len(k)], b[st:st+len(k)], c[st:st+len(k)], d[st:st+len(k)]
				sa, sb, sc, sd := half2, half2, half2, half2
				for i, kv := range k {
					sa += a0[i] * kv
					sb += b0[i] * kv
					sc += c0[i] * kv
					sd += d0[i] * kv
				}
				lo, hi := unpack2(sa)
				res0[xx], res1[xx] = clip8(lo), clip8(hi)
				lo, hi = unpack2(sb)
				res2[xx], res3[xx] = clip8(lo), clip8(hi)
				lo, hi = unpack2(sc)
				res4[xx], res5[xx] = clip8(lo), clip8(hi)
				lo, hi = unpack2(sd)
				res6[xx], res7[xx] = clip8(lo), clip8(hi)
			}
			for j := 0; j < 2*group && y0+j < rows; j++ {
				o := out[(y0+j)*hw : (y0+j+1)*hw]
				r := res[j]
				for x := 0; x+1 < len(r); x += 2 {
					o[x/2] = int64(r[x]) | int64(r[x+1])<<32
				}
				if len(r)%2 == 1 {
					o[hw-1] = int64(r[len(r)-1])
				}
			}
		}
	})
	return out
}

// resampleVertical runs Pillow's vertical pass over src, rows of w pixels
// packed in column pairs, whose first row is source row rowOffset; output
// row i uses coefficients i. Taps are added four at a time (a group short
// of four is padded with zero coefficients); the first group starts the
// sums from Pillow's rounding term and the last one writes output bytes.
func resampleVertical(src []int64, w, rowOffset int, co coeffs, workers int) []uint8 {
	h := len(co.n)
	hw := (w + 1) / 2
	out := make([]uint8, 2*hw*h)
	parallelFor(h, workers, func(firstRow, lastRow int) {
		acc := make([]int64, hw)
		row := func(j int) []int64 { return src[j*hw : (j+1)*hw][:len(acc)] }
		for yy := firstRow; yy < lastRow; yy++ {
			k := co.k64[yy*co.ksize : yy*co.ksize+co.n[yy]]
			first := co.start[yy] - rowOffset
			d := out[2*hw*yy : 2*hw*(yy+1)]
			d = d[:2*len(acc)]
			groups := (len(k) + 3) / 4
			for g := 0; g < groups; g++ {
				var kv [4]int64
				var rs [4][]int64
				for t := range kv {
					if j := 4*g + t; j < len(k) {
						kv[t], rs[t] = k[j], row(first+j)
					} else {
						kv[t], rs[t] = 0, row(first)
					}
				}
				k0, k1, k2, k3 := kv[0], kv[1], kv[2], kv[3]
				r0, r1, r2, r3 := rs[0], rs[1], rs[2], rs[3]
				switch firstGroup, lastGroup := g == 0, g == groups-1; {
				case firstGroup && lastGroup:
					for i := range acc {
						lo, hi := unpack2(half2 + r0[i]*k0 + r1[i]*k1 + r2[i]*k2 + r3[i]*k3)
						d[2*i], d[2*i+1] = clip8(lo), clip8(hi)
					}
				case firstGroup:
					for i := range acc {
						acc[i] = half2 + r0[i]*k0 + r1[i]*k1 + r2[i]*k2 + r3[i]*k3
					}
				case lastGroup:
					for i, s := range acc {
						lo, hi := unpack2(s + r0[i]*k0 + r1[i]*k1 + r2[i]*k2 + r3[i]*k3)
						d[2*i], d[2*i+1] = clip8(lo), clip8(hi)
					}
				default:
					for i := range acc {
						acc[i] += r0[i]*k0 + r1[i]*k1 + r2[i]*k2 + r3[i]*k3
					}
				}
			}
		}
	})
	if w%2 == 0 {
		return out
	}
	compact := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		copy(compact[y*w:(y+1)*w], out[y*2*hw:])
	}
	return compact
}

// parallelFor calls fn on contiguous ranges [lo, hi) that together cover
// [0, n), on up to workers goroutines at once, and waits for them. Each
// range writes its own part of the output, so the result does not depend
// on the number of workers.
func parallelFor(n, workers int, fn func(lo, hi int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		lo, hi := i*n/workers, (i+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
