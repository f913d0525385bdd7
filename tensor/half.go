package tensor

import "math"

// F32ToF16 converts a float32 to the bit pattern of the nearest IEEE-754
// binary16 value, rounding ties to even. Values too large for binary16
// (magnitude at or above 65520) become ±Inf, values too small become ±0 or a
// binary16 subnormal, and the sign of zero is kept. A NaN stays a NaN with the
// same sign: the top 10 payload bits are kept and the quiet bit is set, as the
// x86 F16C and ARM conversion instructions do.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00 | uint16(man>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // binary16 biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// The result is a binary16 subnormal (or zero): its bits are the value
		// in units of 2^-24. The float32 value is m * 2^(exp-150), so the
		// result is m >> (126-exp), rounded to nearest even.
		if exp == 0 {
			return sign // float32 subnormals are far below 2^-25
		}
		m := man | 0x800000
		shift := uint(126 - exp)
		if shift > 24 {
			return sign // below half the smallest subnormal
		}
		r := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | man>>13
	rem := man & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // a mantissa carry moves into the exponent; 0x7c00 is Inf
	}
	return sign | uint16(r)
}

// F16ToF32 converts binary16 bits to the float32 of exactly the same value.
// Subnormals become normal float32 values; ±Inf stay ±Inf; a NaN keeps its
// sign and payload (shifted into the top of the float32 payload).
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp == 0:
		if man == 0 {
			return math.Float32frombits(sign)
		}
		// Normalise the subnormal: shift until the implicit bit appears.
		e := uint32(127 - 15 + 1)
		for man&0x400 == 0 {
			man <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// F32ToBF16 converts a float32 to the bit pattern of the nearest bfloat16,
// rounding ties to even; magnitudes that round past the largest finite
// bfloat16 become ±Inf. A NaN keeps its sign and the top 7 payload bits and
// gets its quiet bit set.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x0040
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// BF16ToF32 converts bfloat16 bits to the float32 of exactly the same value
// (the bits become the top half of the float32).
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }
