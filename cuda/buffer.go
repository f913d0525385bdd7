//go:build cgo

package cuda

/*
#include "loader.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Buffer is a block of device memory from the Device's caching allocator.
type Buffer struct {
	d    *Device
	ptr  uint64
	size int // bytes asked for
}

// Alloc returns a buffer of n bytes (contents undefined). It comes from
// the allocator's free lists when a block of its bucket is cached.
func (d *Device) Alloc(n int) (*Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("cuda: allocate %d bytes", n)
	}
	var p uint64
	err := d.do(func() error {
		var err error
		p, err = d.alloc.alloc(uint64(n))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Buffer{d: d, ptr: p, size: n}, nil
}

// Free returns the buffer to the allocator's cache. Work already queued
// on the device's stream that uses it finishes first, since every later
// use of the block is queued after it. Free of a nil buffer does nothing.
func (b *Buffer) Free() error {
	if b == nil || b.ptr == 0 {
		return nil
	}
	p := b.ptr
	b.ptr = 0
	return b.d.alloc.release(p)
}

// Ptr is the device address (0 after Free).
func (b *Buffer) Ptr() uint64 { return b.ptr }

// Size is the size in bytes asked for.
func (b *Buffer) Size() int { return b.size }

// AllocStats returns the caching allocator's counters.
func (d *Device) AllocStats() AllocStats { return d.alloc.snapshot() }

// ResetPeakStats sets the peak counters to the current values, so a
// measurement reports the peak of its own work.
func (d *Device) ResetPeakStats() { d.alloc.resetPeak() }

// EmptyCache returns every cached free block to the driver.
func (d *Device) EmptyCache() error { return d.do(d.alloc.emptyCache) }

// dptr is a buffer's address for a kernel argument; nil is the null pointer.
func dptr(b *Buffer) C.CUdeviceptr {
	if b == nil {
		return 0
	}
	return C.CUdeviceptr(b.ptr)
}

func (b *Buffer) check(op string, off, n int) error {
	if b == nil || b.ptr == 0 {
		return fmt.Errorf("cuda: %s: buffer is nil or freed", op)
	}
	if off < 0 || n < 0 || off+n > b.size {
		return fmt.Errorf("cuda: %s: bytes [%d, %d) outside a buffer of %d", op, off, off+n, b.size)
	}
	return nil
}

// Upload copies src into the buffer at byte offset off.
func (d *Device) Upload(dst *Buffer, off int, src []byte) error {
	if err := dst.check("Upload", off, len(src)); err != nil || len(src) == 0 {
		return err
	}
	return d.do(func() error {
		// For pageable memory the driver has staged src when the call
		// returns, so Go's memory is not used after it (cgo's rule).
		r := C.rc_cuMemcpyHtoDAsync(d.l.cu, C.CUdeviceptr(dst.ptr+uint64(off)), unsafe.Pointer(&src[0]), C.size_t(len(src)), d.stream)
		return d.l.check("cuMemcpyHtoDAsync_v2", r)
	})
}

// Download copies the buffer's bytes [off, off+len(dst)) into dst, after
// every queued kernel.
func (d *Device) Download(dst []byte, src *Buffer, off int) error {
	if err := src.check("Download", off, len(dst)); err != nil || len(dst) == 0 {
		return err
	}
	return d.do(func() error {
		r := C.rc_cuMemcpyDtoHAsync(d.l.cu, unsafe.Pointer(&dst[0]), C.CUdeviceptr(src.ptr+uint64(off)), C.size_t(len(dst)), d.stream)
		if err := d.l.check("cuMemcpyDtoHAsync_v2", r); err != nil {
			return err
		}
		return d.l.check("cuStreamSynchronize", C.rc_cuStreamSynchronize(d.l.cu, d.stream))
	})
}

// Copy queues a device-to-device copy of n bytes.
func (d *Device) Copy(dst *Buffer, dstOff int, src *Buffer, srcOff, n int) error {
	if err := dst.check("Copy", dstOff, n); err != nil {
		return err
	}
	if err := src.check("Copy", srcOff, n); err != nil || n == 0 {
		return err
	}
	return d.do(func() error {
		r := C.rc_cuMemcpyDtoDAsync(d.l.cu, C.CUdeviceptr(dst.ptr+uint64(dstOff)), C.CUdeviceptr(src.ptr+uint64(srcOff)), C.size_t(n), d.stream)
		return d.l.check("cuMemcpyDtoDAsync_v2", r)
	})
}

// Fill32 queues setting n 32-bit words from byte offset 0 to v (0 for
// zeroing, 0x7fc00000 to poison with NaN).
func (d *Device) Fill32(b *Buffer, v uint32, n int) error {
	if err := b.check("Fill32", 0, 4*n); err != nil || n == 0 {
		return err
	}
	return d.do(func() error {
		return d.l.check("cuMemsetD32Async", C.rc_cuMemsetD32Async(d.l.cu, C.CUdeviceptr(b.ptr), C.uint(v), C.size_t(n), d.stream))
	})
}
