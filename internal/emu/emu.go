// Package emu is an emulated device for tests: a tensor.Backend that keeps
// its memory on the host behind opaque handles and computes every op with
// radcap's own CPU code on private host views of that memory.
//
// It exists so that the device paths of packages tensor and autograd can be
// tested on a machine without a GPU. Because its handles are opaque to
// package tensor, a tensor on "emu" behaves like one on a real device: its
// host accessors (F32, Item, ...) panic, mixing it with host tensors
// panics, and the only way across is ToDevice. Its results equal the CPU's
// (the same kernels run), so a model moved to "emu" must reproduce the
// CPU's loss and gradients; any difference is a bug in a device path.
//
// New returns the emulator with every fused kernel of package autograd
// ("emu"); NewPlain returns one with the tensor.Backend methods only
// ("emu-nofused"), which makes autograd compose its fused ops from tensor
// ops. Fresh allocations are poisoned (NaN for floats, a marker value for
// integers) so that a result element no op wrote shows up in a comparison.
package emu

import (
	"fmt"
	"math"
	"sync/atomic"

	"radcap/tensor"
)

// Names under which New and NewPlain register.
const (
	Name      = "emu"
	PlainName = "emu-nofused"
)

// Stats counts a backend's traffic since it was made.
type Stats struct {
	Allocs, Frees       int64 // handles made and released
	Uploads, Downloads  int64 // host-device copies through Upload and Download
	LiveBytes, MaxBytes int64 // bytes held by live handles, and the most ever held
}

// Backend is the emulated device without fused kernels. Its methods are
// safe for concurrent use (Free runs from GC cleanups).
type Backend struct {
	name                              string
	allocs, frees, uploads, downloads atomic.Int64
	liveBytes, maxBytes               atomic.Int64
}

// buf is an emu handle: host memory no code outside this package can see.
type buf struct {
	host  *tensor.Tensor // 1-D, contiguous, n elements
	bytes int64
	freed atomic.Bool
}

// NewPlain returns an emulator named "emu-nofused" that implements
// tensor.Backend only. Register it with tensor.RegisterBackend (or use
// Register).
func NewPlain() *Backend { return &Backend{name: PlainName} }

// NewNamed returns an emulator without fused kernels registered under
// name, for tests that wrap it to add an optional interface (the wrapper
// must then be what is registered and what owns new tensors).
func NewNamed(name string) *Backend { return &Backend{name: name} }

// Name returns the device name.
func (b *Backend) Name() string { return b.name }

// Stats returns the backend's counters.
func (b *Backend) Stats() Stats {
	return Stats{Allocs: b.allocs.Load(), Frees: b.frees.Load(), Uploads: b.uploads.Load(),
		Downloads: b.downloads.Load(), LiveBytes: b.liveBytes.Load(), MaxBytes: b.maxBytes.Load()}
}

// Alloc returns n poisoned elements of dt.
func (b *Backend) Alloc(dt tensor.DType, n int) (tensor.Handle, error) {
	if dt.Size() == 0 || n < 0 {
		return nil, fmt.Errorf("emu: cannot allocate %d elements of %v", n, dt)
	}
	poison := 123.0
	switch {
	case dt.IsFloat():
		poison = math.NaN()
	case dt == tensor.Bool:
		poison = 1
	}
	h := &buf{host: tensor.Full(dt, poison, n), bytes: int64(n * dt.Size())}
	b.allocs.Add(1)
	live := b.liveBytes.Add(h.bytes)
	for {
		m := b.maxBytes.Load()
		if live <= m || b.maxBytes.CompareAndSwap(m, live) {
			break
		}
	}
	return h, nil
}

// Free releases a handle; freeing one twice panics (a tensor bug).
func (b *Backend) Free(h tensor.Handle) {
	bf := h.(*buf)
	if bf.freed.Swap(true) {
		panic("emu: handle freed twice")
	}
	b.frees.Add(1)
	b.liveBytes.Add(-bf.bytes)
}

// get returns the live buffer behind h.
func get(h tensor.Handle) *buf {
	bf, ok := h.(*buf)
	if !ok {
		panic(fmt.Sprintf("emu: %T is not an emu handle", h))
	}
	if bf.freed.Load() {
		panic("emu: use of a freed handle")
	}
	return bf
}

// view returns the host view of a device tensor: its shape, strides and
// offset over the handle's private host storage. Writes go through.
func view(t *tensor.Tensor) *tensor.Tensor {
	if t.Backend() == nil {
		panic(fmt.Sprintf("emu: a host tensor %v%v reached the device", t.DType(), t.Shape()))
	}
	return tensor.AsStrided(get(t.Handle()).host, t.Shape(), t.Strides(), t.Offset())
}

// Upload copies a host storage slice into h.
func (b *Backend) Upload(dst tensor.Handle, src any) error {
	bf := get(dst)
	if err := copySlice(storage(bf.host), src); err != nil {
		return fmt.Errorf("emu: upload: %w", err)
	}
	b.uploads.Add(1)
	return nil
}

// Download copies h into a host storage slice.
func (b *Backend) Download(dst any, src tensor.Handle) error {
	bf := get(src)
	if err := copySlice(dst, storage(bf.host)); err != nil {
		return fmt.Errorf("emu: download: %w", err)
	}
	b.downloads.Add(1)
	return nil
}

// storage returns the slice behind a 1-D contiguous host tensor.
func storage(t *tensor.Tensor) any {
	switch t.DType() {
	case tensor.F32:
		return t.F32()
	case tensor.F64:
		return t.F64()
	case tensor.F16, tensor.BF16:
		return t.U16()
	case tensor.I64:
		return t.I64()
	case tensor.I32:
		return t.I32()
	default:
		return t.U8()
	}
}

// copySlice copies src into dst, two slices of one element type and length.
func copySlice(dst, src any) error {
	n := -1
	switch d := dst.(type) {
	case []float32:
		if s, ok := src.([]float32); ok && len(s) == len(d) {
			n = copy(d, s)
		}
	case []float64:
		if s, ok := src.([]float64); ok && len(s) == len(d) {
			n = copy(d, s)
		}
	case []uint16:
		if s, ok := src.([]uint16); ok && len(s) == len(d) {
			n = copy(d, s)
		}
	case []int64:
		if s, ok := src.([]int64); ok && len(s) == len(d) {
			n = copy(d, s)
		}
	case []int32:
		if s, ok := src.([]int32); ok && len(s) == len(d) {
			n = copy(d, s)
		}
	case []uint8:
		if s, ok := src.([]uint8); ok && len(s) == len(d) {
			n = copy(d, s)
		}
	}
	if n < 0 {
		return fmt.Errorf("%T of %d elements does not match %T", src, sliceLen(src), dst)
	}
	return nil
}

func sliceLen(s any) int {
	switch v := s.(type) {
	case []float32:
		return len(v)
	case []float64:
		return len(v)
	case []uint16:
		return len(v)
	case []int64:
		return len(v)
	case []int32:
		return len(v)
	case []uint8:
		return len(v)
	}
	return -1
}

// put writes the host result r into dst's elements (converting to dst's
// dtype: a float32 result of a half-precision op is rounded there).
func put(dst, r *tensor.Tensor) { view(dst).CopyFrom(r) }

// isHalf reports whether dt is a 16-bit float (a storage format on the
// host, computed in float32 by the emulator as a GPU would).
func isHalf(dt tensor.DType) bool { return dt == tensor.F16 || dt == tensor.BF16 }

// wview is view(t) for computing: half-precision values widened to a
// float32 copy, since the CPU kernels compute in F32 and F64 only.
func wview(t *tensor.Tensor) *tensor.Tensor {
	v := view(t)
	if isHalf(t.DType()) {
		return v.To(tensor.F32)
	}
	return v
}

// The emulators implement the interfaces they claim.
var (
	_ tensor.Backend = (*Backend)(nil)
	_ tensor.Backend = (*Fused)(nil)
)
