//go:build cgo

package cuda

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "loader.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// libs are the loaded libraries; their C structs live in C memory.
type libs struct {
	cu    *C.rc_cuda
	nvrtc *C.rc_nvrtc
	lt    *C.rc_lt // nil when cuBLASLt is not loaded
	nvrtcName,
	ltName string
	nvrtcMajor, nvrtcMinor int
}

// loadErr turns a loader's return code into an error naming the library.
func loadErr(code C.int, lib string, msg *C.char) error {
	text := C.GoString(msg)
	if code == 1 {
		return fmt.Errorf("cuda: cannot load %s: %s", lib, text)
	}
	return fmt.Errorf("cuda: %s has no symbol %s (driver or library too old?)", lib, text)
}

// loadCUDA loads the driver library.
func loadCUDA(path string) (*C.rc_cuda, error) {
	api := (*C.rc_cuda)(C.calloc(1, C.size_t(unsafe.Sizeof(C.rc_cuda{}))))
	if api == nil {
		return nil, fmt.Errorf("cuda: out of host memory loading %s", path)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var msg [512]C.char
	if code := C.rc_cuda_load(api, cpath, &msg[0], C.int(len(msg))); code != 0 {
		C.free(unsafe.Pointer(api))
		return nil, loadErr(code, path, &msg[0])
	}
	return api, nil
}

// loadNVRTC tries each candidate in turn; the error lists every attempt.
func loadNVRTC(paths []string) (*C.rc_nvrtc, string, error) {
	api := (*C.rc_nvrtc)(C.calloc(1, C.size_t(unsafe.Sizeof(C.rc_nvrtc{}))))
	if api == nil {
		return nil, "", fmt.Errorf("cuda: out of host memory loading NVRTC")
	}
	var errs []string
	for _, p := range paths {
		cpath := C.CString(p)
		var msg [512]C.char
		code := C.rc_nvrtc_load(api, cpath, &msg[0], C.int(len(msg)))
		C.free(unsafe.Pointer(cpath))
		if code == 0 {
			return api, p, nil
		}
		errs = append(errs, loadErr(code, p, &msg[0]).Error())
	}
	C.free(unsafe.Pointer(api))
	return nil, "", fmt.Errorf("cuda: cannot load NVRTC (the CUDA runtime compiler, package cuda-nvrtc): tried %d libraries: %v", len(paths), errs)
}

// loadLt tries each cuBLASLt candidate; nil without error when none loads.
func loadLt(paths []string) (*C.rc_lt, string, []string) {
	api := (*C.rc_lt)(C.calloc(1, C.size_t(unsafe.Sizeof(C.rc_lt{}))))
	if api == nil {
		return nil, "", []string{"out of host memory"}
	}
	var errs []string
	for _, p := range paths {
		cpath := C.CString(p)
		var msg [512]C.char
		code := C.rc_lt_load(api, cpath, &msg[0], C.int(len(msg)))
		C.free(unsafe.Pointer(cpath))
		if code == 0 {
			return api, p, nil
		}
		errs = append(errs, loadErr(code, p, &msg[0]).Error())
	}
	C.free(unsafe.Pointer(api))
	return nil, "", errs
}

// loadLibs loads the driver and NVRTC (required) and cuBLASLt (optional).
func loadLibs(o Options) (*libs, error) {
	cuName := o.LibCUDA
	if cuName == "" {
		cuName = defaultLibCUDA
	}
	cu, err := loadCUDA(cuName)
	if err != nil {
		return nil, err
	}
	nv := o.LibNVRTC
	if nv == nil {
		nv = DefaultNVRTC
	}
	nvrtc, nvName, err := loadNVRTC(nv)
	if err != nil {
		closeCUDA(cu)
		return nil, err
	}
	l := &libs{cu: cu, nvrtc: nvrtc, nvrtcName: nvName}
	var maj, min C.int
	if r := C.rc_nvrtc_version(nvrtc, &maj, &min); r == 0 {
		l.nvrtcMajor, l.nvrtcMinor = int(maj), int(min)
	}
	if !o.NoCublasLt {
		lp := o.LibCublasLt
		if lp == nil {
			lp = DefaultCublasLt
		}
		l.lt, l.ltName, _ = loadLt(lp)
	}
	return l, nil
}

func closeCUDA(cu *C.rc_cuda) {
	C.rc_close(cu.handle)
	C.free(unsafe.Pointer(cu))
}

func (l *libs) close() {
	if l.lt != nil {
		C.rc_close(l.lt.handle)
		C.free(unsafe.Pointer(l.lt))
	}
	C.rc_close(l.nvrtc.handle)
	C.free(unsafe.Pointer(l.nvrtc))
	closeCUDA(l.cu)
}

// check turns a driver result into an error that names the call.
func (l *libs) check(call string, r C.CUresult) error {
	if r == 0 {
		return nil
	}
	var msg [256]C.char
	C.rc_cuda_error(l.cu, r, &msg[0], C.int(len(msg)))
	return fmt.Errorf("cuda: %s: %s", call, C.GoString(&msg[0]))
}

// compile compiles src with NVRTC for sm_<arch>.
func (l *libs) compile(src string, arch int) ([]byte, error) {
	csrc := C.CString(src)
	defer C.free(unsafe.Pointer(csrc))
	cname := C.CString("radcap_kernels.cu")
	defer C.free(unsafe.Pointer(cname))
	carch := C.CString(fmt.Sprintf("sm_%d", arch))
	defer C.free(unsafe.Pointer(carch))
	var cubin, clog *C.char
	var n C.size_t
	r := C.rc_nvrtc_compile(l.nvrtc, csrc, cname, carch, &cubin, &n, &clog)
	log := ""
	if clog != nil {
		log = C.GoString(clog)
		C.free(unsafe.Pointer(clog))
	}
	if r != 0 {
		if cubin != nil {
			C.free(unsafe.Pointer(cubin))
		}
		what := C.GoString(C.rc_nvrtc_errstr(l.nvrtc, r))
		return nil, fmt.Errorf("cuda: NVRTC %d.%d (%s) compiling the kernels for sm_%d: %s\n%s",
			l.nvrtcMajor, l.nvrtcMinor, l.nvrtcName, arch, what, log)
	}
	if cubin == nil || n == 0 {
		return nil, fmt.Errorf("cuda: NVRTC %s returned an empty CUBIN for sm_%d", l.nvrtcName, arch)
	}
	b := C.GoBytes(unsafe.Pointer(cubin), C.int(n))
	C.free(unsafe.Pointer(cubin))
	return b, nil
}

// compilerID identifies the compiler for the cache key.
func (l *libs) compilerID() string {
	return fmt.Sprintf("nvrtc %d.%d --std=c++14", l.nvrtcMajor, l.nvrtcMinor)
}

// rcClose and rcCloseLt release a library loaded alone (tests).
func rcClose(nv *C.rc_nvrtc) {
	C.rc_close(nv.handle)
	C.free(unsafe.Pointer(nv))
}

func rcCloseLt(lt *C.rc_lt) {
	C.rc_close(lt.handle)
	C.free(unsafe.Pointer(lt))
}
