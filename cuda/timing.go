//go:build cgo

package cuda

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"radcap/tensor"
)

// randomBuffer returns a buffer of n elements of dt, uniform in [−1, 1).
func (d *Device) randomBuffer(dt tensor.DType, n int, seed uint64) (*Buffer, error) {
	rng := rand.New(rand.NewPCG(seed, 1))
	raw := make([]byte, n*dt.Size())
	for i := 0; i < n; i++ {
		v := float32(2*rng.Float64() - 1)
		switch dt {
		case tensor.F16:
			binary.LittleEndian.PutUint16(raw[2*i:], tensor.F32ToF16(v))
		case tensor.BF16:
			binary.LittleEndian.PutUint16(raw[2*i:], tensor.F32ToBF16(v))
		case tensor.F32:
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		default:
			return nil, fmt.Errorf("cuda: random buffer of %v", dt)
		}
	}
	b, err := d.Alloc(len(raw))
	if err != nil {
		return nil, err
	}
	if err := d.Upload(b, 0, raw); err != nil {
		b.Free()
		return nil, err
	}
	return b, nil
}

// timeRuns runs f once to warm up, then reps times, and returns the mean
// wall-clock time per run with the device synchronised at both ends.
func (d *Device) timeRuns(reps int, f func() error) (time.Duration, error) {
	if reps < 1 {
		reps = 1
	}
	if err := f(); err != nil {
		return 0, err
	}
	if err := d.Sync(); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 0; i < reps; i++ {
		if err := f(); err != nil {
			return 0, err
		}
	}
	if err := d.Sync(); err != nil {
		return 0, err
	}
	return time.Since(start) / time.Duration(reps), nil
}

// TimeMatMul returns the mean time of a [m, k]·[k, n] product in dt
// (output dt, random inputs) by radcap's kernel, or by cuBLASLt when lt.
func (d *Device) TimeMatMul(dt tensor.DType, m, n, k int, lt bool, reps int) (time.Duration, error) {
	a := MatMulArgs{In: dt, Out: dt, M: m, N: n, K: k, Alpha: 1}
	var err error
	if a.A, err = d.randomBuffer(dt, m*k, 1); err != nil {
		return 0, err
	}
	defer a.A.Free()
	if a.B, err = d.randomBuffer(dt, k*n, 2); err != nil {
		return 0, err
	}
	defer a.B.Free()
	if a.C, err = d.Alloc(m * n * dt.Size()); err != nil {
		return 0, err
	}
	defer a.C.Free()
	run := d.MatMul
	if lt {
		run = d.MatMulLt
	}
	return d.timeRuns(reps, func() error { return run(a) })
}

// TimeAttention returns the mean time of the fused attention forward and
// backward for Q [b, h, tq, dh] and K, V [b, h, tk, dh] in dt.
func (d *Device) TimeAttention(dt tensor.DType, b, h, tq, tk, dh int, mask MaskKind, prefix, reps int) (time.Duration, error) {
	nq, nk := b*h*tq*dh, b*h*tk*dh
	a := AttentionArgs{DType: dt, B: b, H: h, Tq: tq, Tk: tk, D: dh, Mask: mask, Prefix: prefix}
	g := AttentionGradArgs{}
	var bufs []*Buffer
	defer func() {
		for _, x := range bufs {
			x.Free()
		}
	}()
	alloc := func(dst **Buffer, n int, dt tensor.DType, random bool, seed uint64) error {
		var x *Buffer
		var err error
		if random {
			x, err = d.randomBuffer(dt, n, seed)
		} else {
			x, err = d.Alloc(n * dt.Size())
		}
		if err != nil {
			return err
		}
		bufs = append(bufs, x)
		*dst = x
		return nil
	}
	for _, s := range []struct {
		dst    **Buffer
		n      int
		dt     tensor.DType
		random bool
	}{{&a.Q, nq, dt, true}, {&a.K, nk, dt, true}, {&a.V, nk, dt, true}, {&a.O, nq, dt, false}, {&a.LSE, b * h * tq, tensor.F32, false},
		{&g.GO, nq, dt, true}, {&g.DQ, nq, dt, false}, {&g.DK, nk, dt, false}, {&g.DV, nk, dt, false}} {
		if err := alloc(s.dst, s.n, s.dt, s.random, uint64(len(bufs))); err != nil {
			return 0, err
		}
	}
	g.AttentionArgs = a
	return d.timeRuns(reps, func() error {
		if err := d.Attention(a); err != nil {
			return err
		}
		return d.AttentionGrad(g)
	})
}
