package eval

// mt19937 is the 32-bit Mersenne Twister as numpy's legacy RandomState uses
// it: seeded with init_genrand(seed), drawn with genrand_int32. It exists so
// that [Bootstrap] can reproduce `np.random.seed(s); np.random.choice(...)`
// bit for bit.
type mt19937 struct {
	state [624]uint32
	pos   int
}

// newMT19937 seeds like numpy's `np.random.seed(seed)` for an integer seed.
func newMT19937(seed uint32) *mt19937 {
	m := &mt19937{pos: 624}
	m.state[0] = seed
	for i := 1; i < 624; i++ {
		prev := m.state[i-1]
		m.state[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	return m
}

// regenerate refills the whole state block (the "twist").
func (m *mt19937) regenerate() {
	const (
		n         = 624
		mid       = 397
		upperMask = 0x80000000
		lowerMask = 0x7fffffff
		matrixA   = 0x9908b0df
	)
	for i := range n {
		y := m.state[i]&upperMask | m.state[(i+1)%n]&lowerMask
		v := m.state[(i+mid)%n] ^ (y >> 1)
		if y&1 != 0 {
			v ^= matrixA
		}
		m.state[i] = v
	}
	m.pos = 0
}

// uint32 returns the next 32-bit output (genrand_int32 with tempering).
func (m *mt19937) uint32() uint32 {
	if m.pos >= 624 {
		m.regenerate()
	}
	y := m.state[m.pos]
	m.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// intn returns an integer in [0, n) as numpy's legacy
// `RandomState.randint(0, n)` does for n <= 2^32: masked rejection sampling,
// drawing 32-bit outputs until one masked to the smallest all-ones mask
// covering n-1 is at most n-1. n must be at least 1; n == 1 draws nothing.
func (m *mt19937) intn(n int) int {
	rng := uint32(n - 1)
	if rng == 0 {
		return 0
	}
	mask := rng
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	for {
		if v := m.uint32() & mask; v <= rng {
			return int(v)
		}
	}
}
