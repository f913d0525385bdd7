package imageproc

// This file is the inverse DCT libjpeg-turbo uses by default (JDCT_ISLOW,
// jidctint.c: the Loeffler-Ligtenberg-Moschytz algorithm in 13-bit fixed
// point with 2 extra bits kept between the passes), written from its
// description so that decoded samples equal Pillow's bit for bit.

const (
	idctConstBits = 13
	idctPass1Bits = 2
)

// Fixed-point constants: round(x * 2^13).
const (
	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// descale is libjpeg's DESCALE: x / 2^n rounded, as a right shift.
func descale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

// idctRangeLimit maps a descaled IDCT output (before the +128 level shift)
// to a sample the way libjpeg's range_limit table indexed with
// "& RANGE_MASK" does: values in [-384, 383] are shifted by 128 and
// clamped to 0..255; values further out wrap around (only corrupt data gets
// there, and libjpeg's table gives exactly this).
func idctRangeLimit(x int64) uint8 {
	i := int(x) & 1023
	switch {
	case i < 128:
		return uint8(i + 128)
	case i < 384:
		return 255
	case i < 896:
		return 0
	}
	return uint8(i - 896)
}

// idctISLOW transforms one block of quantised coefficients (natural order)
// with its quantisation table into 8x8 samples written to dst with the
// given stride.
func idctISLOW(coef *[64]int16, q *[64]int32, dst []uint8, stride int) {
	var ws [64]int64
	// Pass 1: columns from the input into the work array, scaled up by
	// 2^PASS1_BITS.
	for c := 0; c < 8; c++ {
		in := func(r int) int64 { return int64(coef[8*r+c]) * int64(q[8*r+c]) }
		if coef[8+c] == 0 && coef[16+c] == 0 && coef[24+c] == 0 && coef[32+c] == 0 &&
			coef[40+c] == 0 && coef[48+c] == 0 && coef[56+c] == 0 {
			dc := in(0) << idctPass1Bits
			for r := 0; r < 8; r++ {
				ws[8*r+c] = dc
			}
			continue
		}
		o := idct1D(in(0), in(1), in(2), in(3), in(4), in(5), in(6), in(7))
		for r := 0; r < 8; r++ {
			ws[8*r+c] = descale(o[r], idctConstBits-idctPass1Bits)
		}
	}
	// Pass 2: rows from the work array, descaled by the pass-1 factor and
	// the 8 of the 2-D transform, level-shifted and range-limited.
	for r := 0; r < 8; r++ {
		w := ws[8*r : 8*r+8]
		d := dst[r*stride : r*stride+8]
		o := idct1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
		for c := 0; c < 8; c++ {
			d[c] = idctRangeLimit(descale(o[c], idctConstBits+idctPass1Bits+3))
		}
	}
}

// idct1D is the 8-point transform shared by both passes, returning the
// outputs scaled by 2^CONST_BITS (not yet descaled).
func idct1D(x0, x1, x2, x3, x4, x5, x6, x7 int64) [8]int64 {
	// Even part.
	z1 := (x2 + x6) * fix0_541196100
	tmp2 := z1 - x6*fix1_847759065
	tmp3 := z1 + x2*fix0_765366865
	tmp0 := (x0 + x4) << idctConstBits
	tmp1 := (x0 - x4) << idctConstBits
	tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
	tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
	// Odd part.
	t0, t1, t2, t3 := x7, x5, x3, x1
	z1 = t0 + t3
	z2 := t1 + t2
	z3 := t0 + t2
	z4 := t1 + t3
	z5 := (z3 + z4) * fix1_175875602
	t0 *= fix0_298631336
	t1 *= fix2_053119869
	t2 *= fix3_072711026
	t3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 *= -fix1_961570560
	z4 *= -fix0_390180644
	z3 += z5
	z4 += z5
	t0 += z1 + z3
	t1 += z2 + z4
	t2 += z2 + z3
	t3 += z1 + z4
	return [8]int64{
		tmp10 + t3, tmp11 + t2, tmp12 + t1, tmp13 + t0,
		tmp13 - t0, tmp12 - t1, tmp11 - t2, tmp10 - t3,
	}
}
