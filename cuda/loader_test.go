//go:build cgo

package cuda

import (
	"bytes"
	"strings"
	"testing"
)

func TestOpenMissingDriver(t *testing.T) {
	_, err := Open(Options{LibCUDA: "/nonexistent/libcuda.so.1"})
	if err == nil {
		t.Fatal("Open with a missing driver library succeeded")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "cuda: cannot load /nonexistent/libcuda.so.1: ") || strings.Contains(msg, "\n") {
		t.Fatalf("error %q: want one line starting with %q", msg, "cuda: cannot load /nonexistent/libcuda.so.1: ")
	}
}

// Where no GPU can be used — no driver library, or a driver that sees no
// device — Open must fail with one line that starts with "cuda: " and
// says which.
func TestOpenWithoutGPU(t *testing.T) {
	cu, err := loadCUDA(defaultLibCUDA)
	if err != nil {
		_, err = Open(Options{})
		if err == nil || !strings.HasPrefix(err.Error(), "cuda: cannot load libcuda.so.1: ") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("without libcuda.so.1: %v", err)
		}
		return
	}
	closeCUDA(cu)
	d, err := Open(Options{CacheDir: t.TempDir()})
	if err == nil {
		d.Close()
		t.Skip("a GPU is present; the no-GPU message cannot be checked here")
	}
	msg := err.Error()
	t.Logf("Open without a usable GPU: %s", msg)
	if !strings.HasPrefix(msg, "cuda: ") || strings.Contains(msg, "\n") || !strings.Contains(msg, "CUDA_ERROR_") {
		t.Fatalf("error %q: want one line naming the driver's error", msg)
	}
}

// A library that loads but lacks the entry points is named with the
// missing symbol (libm stands in for a wrong or too-old library).
func TestLoaderMissingSymbols(t *testing.T) {
	const libm = "libm.so.6"
	if _, err := Open(Options{LibCUDA: libm}); err == nil || err.Error() != "cuda: libm.so.6 has no symbol cuInit (driver or library too old?)" {
		t.Fatalf("driver: %v", err)
	}
	_, _, err := loadNVRTC([]string{"/nonexistent/libnvrtc.so.12", libm})
	if err == nil {
		t.Fatal("NVRTC loaded from nothing")
	}
	for _, want := range []string{"cuda: cannot load NVRTC", "cannot load /nonexistent/libnvrtc.so.12: ", "libm.so.6 has no symbol nvrtcVersion"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("NVRTC error %q lacks %q", err, want)
		}
	}
	lt, _, errs := loadLt([]string{libm, "/nonexistent/libcublasLt.so"})
	if lt != nil || len(errs) != 2 || !strings.Contains(errs[0], "no symbol cublasLtCreate") || !strings.Contains(errs[1], "cannot load /nonexistent/libcublasLt.so") {
		t.Fatalf("cuBLASLt: %v %v", lt != nil, errs)
	}
}

// Where NVRTC is installed (it needs no GPU), the embedded kernels must
// compile through radcap's own NVRTC binding for the architectures radcap
// targets, and a broken source must give an error carrying NVRTC's log.
func TestNVRTCCompilesKernels(t *testing.T) {
	nv, name, err := loadNVRTC(DefaultNVRTC)
	if err != nil {
		t.Skipf("NVRTC not installed, run-time compilation not checked: %v", err)
	}
	l := &libs{nvrtc: nv, nvrtcName: name}
	defer func() { rcClose(nv) }()
	src, err := kernelSource("")
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for _, arch := range []int{80, 90} {
		cubin, cached, err := loadOrCompile(cache, src, l.compilerID(), arch, l.compile)
		if err != nil || cached {
			t.Fatalf("NVRTC %s: cached %v, %v", name, cached, err)
		}
		again, cached, err := loadOrCompile(cache, src, l.compilerID(), arch, l.compile)
		if err != nil || !cached || !bytes.Equal(again, cubin) {
			t.Fatalf("second load for sm_%d: cached %v, same %v, %v", arch, cached, bytes.Equal(again, cubin), err)
		}
		for _, n := range kernelNames {
			if !bytes.Contains(cubin, []byte(n+"\x00")) {
				t.Errorf("NVRTC sm_%d CUBIN lacks kernel %s", arch, n)
			}
		}
	}
	_, err = l.compile("extern \"C\" __global__ void k() { undeclared_thing(); }", 80)
	if err == nil || !strings.Contains(err.Error(), "undeclared_thing") || !strings.Contains(err.Error(), "sm_80") {
		t.Fatalf("broken source: %v", err)
	}
}

// Where cuBLASLt is installed, every entry point radcap declares resolves.
func TestCublasLtSymbols(t *testing.T) {
	lt, name, errs := loadLt(DefaultCublasLt)
	if lt == nil {
		t.Skipf("cuBLASLt not installed: %v", errs)
	}
	t.Logf("cuBLASLt loaded from %s", name)
	rcCloseLt(lt)
}
