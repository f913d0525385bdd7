//go:build cgo

package cuda

/*
#include "loader.h"
*/
import "C"

import (
	"errors"
	"fmt"

	"radcap/tensor"
)

// ltWorkspace is the cuBLASLt workspace size (32 MiB, as PyTorch uses on Hopper).
const ltWorkspace = 32 << 20

func errorsJoin(errs ...error) error { return errors.Join(errs...) }

// initLt creates the cuBLASLt handle and its workspace.
func (d *Device) initLt() error {
	err := d.do(func() error {
		if s := C.rc_ltCreate(d.l.lt, &d.lt); s != 0 {
			return fmt.Errorf("cuda: cublasLtCreate (%s): status %d", d.l.ltName, int(s))
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.ltWS, err = d.Alloc(ltWorkspace)
	return err
}

// ltType is the cudaDataType_t of a storage type.
func ltType(dt tensor.DType) C.int {
	switch dt {
	case tensor.F16:
		return 2 // CUDA_R_16F
	case tensor.BF16:
		return 14 // CUDA_R_16BF
	}
	return 0 // CUDA_R_32F
}

// MatMulLt is MatMul through cuBLASLt (fp32 compute), the fast path when
// the library is present.
func (d *Device) MatMulLt(a MatMulArgs) error {
	if d.l.lt == nil {
		return errors.New("cuda: MatMulLt: cuBLASLt is not loaded (none of the libcublasLt libraries was found)")
	}
	if err := a.normalise("MatMulLt"); err != nil {
		return err
	}
	return d.do(func() error {
		s := C.rc_lt_matmul(d.l.lt, d.lt, ltType(a.In), ltType(a.Out), cbool(a.TransA), cbool(a.TransB),
			C.int(a.M), C.int(a.N), C.int(a.K), C.int(a.LdA), C.int(a.LdB), C.int(a.LdC),
			C.longlong(a.StrideA), C.longlong(a.StrideB), C.longlong(a.StrideC), C.int(a.Batch),
			C.float(a.Alpha), C.float(a.Beta), C.CUdeviceptr(a.A.ptr), C.CUdeviceptr(a.B.ptr), C.CUdeviceptr(a.C.ptr),
			C.CUdeviceptr(d.ltWS.ptr), C.size_t(ltWorkspace), d.stream)
		if s != 0 {
			return fmt.Errorf("cuda: cublasLtMatmul %dx%dx%d (batch %d, %v→%v): status %d", a.M, a.N, a.K, a.Batch, a.In, a.Out, int(s))
		}
		return nil
	})
}
