//go:build cgo

package cuda

/*
#include <stdlib.h>
#include "loader.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Device is one GPU with its primary context, a stream, the compiled
// kernels and a caching allocator. All of its driver calls run on one
// goroutine locked to an OS thread, on which the context is current.
type Device struct {
	l       *libs
	ordinal int
	dev     C.CUdevice
	ctx     C.CUcontext
	stream  C.CUstream
	mod     C.CUmodule
	lt      C.cublasLtHandle_t
	ltWS    *Buffer // cuBLASLt workspace
	fns     map[string]C.CUfunction
	name    string
	arch    int // compute capability major*10 + minor
	kcache  bool
	alloc   *allocator
	work    chan func()
	done    chan struct{}
	closeMu sync.Mutex
	closed  bool
	backend *Backend // made by Register
}

// Open loads the libraries, opens the device o.Ordinal and compiles (or
// loads from the cache) the kernels for its architecture.
func Open(o Options) (*Device, error) {
	l, err := loadLibs(o)
	if err != nil {
		return nil, err
	}
	d := &Device{l: l, ordinal: o.Ordinal, work: make(chan func()), done: make(chan struct{}), fns: map[string]C.CUfunction{}}
	d.alloc = newAllocator(d)
	ready := make(chan error, 1)
	go d.loop(ready)
	if err := <-ready; err != nil {
		l.close()
		return nil, err
	}
	if err := d.loadKernels(o.CacheDir); err != nil {
		d.Close()
		return nil, err
	}
	if l.lt != nil {
		if err := d.initLt(); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// loop is the device goroutine: it initialises the driver and context on
// its locked OS thread, reports on ready, then runs queued calls until
// Close.
func (d *Device) loop(ready chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := d.initContext(); err != nil {
		ready <- err
		return
	}
	ready <- nil
	for f := range d.work {
		f()
	}
	close(d.done)
}

func (d *Device) initContext() error {
	cu := d.l.cu
	if err := d.l.check("cuInit", C.rc_cuInit(cu)); err != nil {
		return fmt.Errorf("%w (is the NVIDIA driver loaded and a GPU visible?)", err)
	}
	var n C.int
	if err := d.l.check("cuDeviceGetCount", C.rc_cuDeviceGetCount(cu, &n)); err != nil {
		return err
	}
	if n == 0 {
		return errors.New("cuda: no CUDA device found (the driver loaded but sees no GPU)")
	}
	if d.ordinal < 0 || d.ordinal >= int(n) {
		return fmt.Errorf("cuda: device %d asked for, but only %d found", d.ordinal, n)
	}
	if err := d.l.check("cuDeviceGet", C.rc_cuDeviceGet(cu, &d.dev, C.int(d.ordinal))); err != nil {
		return err
	}
	var name [256]C.char
	if err := d.l.check("cuDeviceGetName", C.rc_cuDeviceGetName(cu, &name[0], C.int(len(name)), d.dev)); err != nil {
		return err
	}
	d.name = C.GoString(&name[0])
	var major, minor C.int
	const attrMajor, attrMinor = 75, 76 // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR/MINOR
	if err := d.l.check("cuDeviceGetAttribute", C.rc_cuDeviceGetAttribute(cu, &major, attrMajor, d.dev)); err != nil {
		return err
	}
	if err := d.l.check("cuDeviceGetAttribute", C.rc_cuDeviceGetAttribute(cu, &minor, attrMinor, d.dev)); err != nil {
		return err
	}
	d.arch = int(major)*10 + int(minor)
	if err := d.l.check("cuDevicePrimaryCtxRetain", C.rc_cuDevicePrimaryCtxRetain(cu, &d.ctx, d.dev)); err != nil {
		return err
	}
	if err := d.l.check("cuCtxSetCurrent", C.rc_cuCtxSetCurrent(cu, d.ctx)); err != nil {
		C.rc_cuDevicePrimaryCtxRelease(cu, d.dev)
		return err
	}
	if err := d.l.check("cuStreamCreate", C.rc_cuStreamCreate(cu, &d.stream)); err != nil {
		C.rc_cuDevicePrimaryCtxRelease(cu, d.dev)
		return err
	}
	return nil
}

// do runs f on the device goroutine and returns its error.
func (d *Device) do(f func() error) error {
	d.closeMu.Lock()
	if d.closed {
		d.closeMu.Unlock()
		return errors.New("cuda: device is closed")
	}
	errc := make(chan error, 1)
	d.work <- func() { errc <- f() }
	d.closeMu.Unlock()
	return <-errc
}

// Name is the GPU's name, e.g. "NVIDIA H100 80GB HBM3".
func (d *Device) Name() string { return d.name }

// Arch is the compute capability as major*10 + minor (80 for sm_80).
func (d *Device) Arch() int { return d.arch }

// KernelsFromCache says whether Open found the compiled kernels on disk.
func (d *Device) KernelsFromCache() bool { return d.kcache }

// HasCublasLt says whether cuBLASLt was loaded (MatMulLt works).
func (d *Device) HasCublasLt() bool { return d.l.lt != nil }

// loadKernels compiles or loads the CUBIN and resolves every kernel.
func (d *Device) loadKernels(cacheDir string) error {
	src, err := kernelSource("")
	if err != nil {
		return err
	}
	if cacheDir == "" {
		if cacheDir, err = defaultCacheDir(); err != nil {
			return err
		}
	}
	cubin, cached, err := loadOrCompile(cacheDir, src, d.l.compilerID(), d.arch, d.l.compile)
	if err != nil {
		return err
	}
	d.kcache = cached
	err = d.do(func() error { return d.loadModule(cubin) })
	if err != nil && cached {
		// A stale or damaged cache entry: compile afresh once.
		if cubin, err = d.l.compile(src, d.arch); err != nil {
			return err
		}
		_ = writeAtomic(cubinPath(cacheDir, src, d.l.compilerID(), d.arch), cubin)
		d.kcache = false
		err = d.do(func() error { return d.loadModule(cubin) })
	}
	return err
}

func (d *Device) loadModule(cubin []byte) error {
	img := C.CBytes(cubin)
	defer C.free(img)
	if err := d.l.check("cuModuleLoadData", C.rc_cuModuleLoadData(d.l.cu, &d.mod, img)); err != nil {
		return fmt.Errorf("%w (CUBIN for sm_%d from NVRTC %d.%d)", err, d.arch, d.l.nvrtcMajor, d.l.nvrtcMinor)
	}
	for _, name := range kernelNames {
		cname := C.CString(name)
		var f C.CUfunction
		r := C.rc_cuModuleGetFunction(d.l.cu, &f, d.mod, cname)
		C.free(unsafe.Pointer(cname))
		if err := d.l.check("cuModuleGetFunction "+name, r); err != nil {
			return err
		}
		d.fns[name] = f
	}
	return nil
}

// Sync waits for every queued kernel and copy of the device.
func (d *Device) Sync() error {
	return d.do(func() error { return d.l.check("cuStreamSynchronize", C.rc_cuStreamSynchronize(d.l.cu, d.stream)) })
}

// MemInfo returns the device's free and total memory in bytes.
func (d *Device) MemInfo() (free, total uint64, err error) {
	err = d.do(func() error {
		var f, t C.size_t
		if err := d.l.check("cuMemGetInfo_v2", C.rc_cuMemGetInfo(d.l.cu, &f, &t)); err != nil {
			return err
		}
		free, total = uint64(f), uint64(t)
		return nil
	})
	return free, total, err
}

// Close waits for the device, frees every buffer, and releases the
// stream, module, cuBLASLt, the primary context and the libraries.
func (d *Device) Close() error {
	var errs []error
	err := d.do(func() error {
		cu := d.l.cu
		var es []error
		es = append(es, d.l.check("cuStreamSynchronize", C.rc_cuStreamSynchronize(cu, d.stream)))
		if d.lt != nil {
			C.rc_ltDestroy(d.l.lt, d.lt)
		}
		es = append(es, d.alloc.releaseAll())
		if d.mod != nil {
			es = append(es, d.l.check("cuModuleUnload", C.rc_cuModuleUnload(cu, d.mod)))
		}
		es = append(es, d.l.check("cuStreamDestroy_v2", C.rc_cuStreamDestroy(cu, d.stream)))
		es = append(es, d.l.check("cuDevicePrimaryCtxRelease_v2", C.rc_cuDevicePrimaryCtxRelease(cu, d.dev)))
		return errors.Join(es...)
	})
	if err != nil {
		errs = append(errs, err)
	}
	d.closeMu.Lock()
	if !d.closed {
		d.closed = true
		close(d.work)
		d.closeMu.Unlock()
		<-d.done
		d.l.close()
	} else {
		d.closeMu.Unlock()
	}
	return errors.Join(errs...)
}

// memAlloc and memFree implement memDriver; they run on the device goroutine.
func (d *Device) memAlloc(n uint64) (uint64, error) {
	var p C.CUdeviceptr
	if err := d.l.check("cuMemAlloc_v2", C.rc_cuMemAlloc(d.l.cu, &p, C.size_t(n))); err != nil {
		return 0, err
	}
	return uint64(p), nil
}

func (d *Device) memFree(p uint64) error {
	return d.l.check("cuMemFree_v2", C.rc_cuMemFree(d.l.cu, C.CUdeviceptr(p)))
}
