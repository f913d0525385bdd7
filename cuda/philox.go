package cuda

import "math/bits"

// Philox4x32 is the Philox4x32-10 counter-based generator (Salmon et al.,
// SC 2011) that the dropout kernel uses, on the host: ten rounds on a
// 128-bit counter with a 64-bit key. It returns four 32-bit words.
func Philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	const m0, m1, w0, w1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
	c, k := ctr, key
	for r := 0; r < 10; r++ {
		if r > 0 {
			k[0] += w0
			k[1] += w1
		}
		hi0, lo0 := bits.Mul32(m0, c[0])
		hi1, lo1 := bits.Mul32(m1, c[2])
		c = [4]uint32{hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0}
	}
	return c
}

// PhiloxKeep says whether the dropout kernel keeps element i of a launch
// with drop probability p, seed and offset: word i mod 4 of Philox
// (counter (i/4, offset), key seed) gives u = (word >> 8)·2⁻²⁴, and the
// element is kept when u ≥ p.
func PhiloxKeep(seed, offset uint64, i int64, p float32) bool {
	g := uint64(i) >> 2
	w := Philox4x32([4]uint32{uint32(g), uint32(g >> 32), uint32(offset), uint32(offset >> 32)},
		[2]uint32{uint32(seed), uint32(seed >> 32)})
	u := float32(w[i&3]>>8) * (1.0 / 16777216)
	return u >= p
}
