package cuda

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestNvccCompilesKernels compiles every .cu file (with common.cuh
// prepended, as NVRTC sees it) with nvcc, so kernel errors are caught on
// machines without a GPU: each file alone to PTX for sm_80 (the
// tensor-core path), the whole bundle to CUBINs for sm_90 and sm_70 (the
// pre-sm_80 fallback).
// The bundle's CUBIN must contain every kernel Open resolves. Skips when
// nvcc is not installed (Debian: apt install nvidia-cuda-toolkit).
func TestNvccCompilesKernels(t *testing.T) {
	nvcc, err := exec.LookPath("nvcc")
	if err != nil {
		t.Skip("nvcc not installed (Debian non-free nvidia-cuda-toolkit); kernel sources not compiled")
	}
	files, err := kernelFiles()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	type job struct {
		name, file string
		arch       int
	}
	var jobs []job
	for _, f := range files {
		jobs = append(jobs, job{filepath.Base(f), f, 80})
	}
	jobs = append(jobs, job{"bundle", "", 90}, job{"bundle", "", 70})
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			src, err := kernelSource(j.file)
			if err != nil {
				t.Error(err)
				return
			}
			base := filepath.Join(dir, strings.TrimSuffix(j.name, ".cu")+"-sm_"+strconv.Itoa(j.arch))
			if err := os.WriteFile(base+".cu", []byte(src), 0o644); err != nil {
				t.Error(err)
				return
			}
			arch := "-arch=sm_" + strconv.Itoa(j.arch)
			// Single files only to PTX (front end and code generation, the
			// self-containment check); the bundles through ptxas to CUBINs.
			kind, ext := "-cubin", ".cubin"
			if j.file != "" {
				kind, ext = "-ptx", ".ptx"
			}
			out, err := exec.Command(nvcc, arch, kind, "-o", base+ext, base+".cu").CombinedOutput()
			if err != nil {
				t.Errorf("nvcc %s %s: %v\n%s", arch, j.name, err, out)
				return
			}
			if len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("nvcc %s %s warns:\n%s", arch, j.name, out)
			}
			if j.file != "" {
				return
			}
			cubin, err := os.ReadFile(base + ".cubin")
			if err != nil {
				t.Error(err)
				return
			}
			for _, n := range kernelNames {
				if !bytes.Contains(cubin, []byte(n+"\x00")) {
					t.Errorf("sm_%d CUBIN lacks kernel %s", j.arch, n)
				}
			}
		}()
	}
	wg.Wait()
}
