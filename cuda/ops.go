//go:build cgo

package cuda

/*
#include "launch.h"
*/
import "C"

import (
	"fmt"

	"radcap/tensor"
)

// suffix is a storage type's kernel-name suffix.
func suffix(op string, dt tensor.DType) (string, error) {
	switch dt {
	case tensor.F32:
		return "f32", nil
	case tensor.F16:
		return "f16", nil
	case tensor.BF16:
		return "bf16", nil
	}
	return "", fmt.Errorf("cuda: %s: dtype %v (want f32, f16 or bf16)", op, dt)
}

// need checks that b holds at least elems elements of dt.
func need(op, name string, b *Buffer, elems int, dt tensor.DType) error {
	if b == nil || b.ptr == 0 {
		return fmt.Errorf("cuda: %s: %s is nil or freed", op, name)
	}
	if bytes := elems * dt.Size(); bytes > b.size {
		return fmt.Errorf("cuda: %s: %s needs %d bytes (%d %v), buffer has %d", op, name, bytes, elems, dt, b.size)
	}
	return nil
}

// optional is need for a buffer that may be nil.
func optional(op, name string, b *Buffer, elems int, dt tensor.DType) error {
	if b == nil {
		return nil
	}
	return need(op, name, b, elems, dt)
}

func grid(gx, gy, gz, bx, by int) C.rc_grid {
	return C.rc_grid{gx: C.uint(gx), gy: C.uint(gy), gz: C.uint(gz), bx: C.uint(bx), by: C.uint(by), bz: 1}
}

// flat is a grid-stride launch over n elements.
func flat(n int) C.rc_grid {
	return grid(max(1, min((n+255)/256, 8192)), 1, 1, 256, 1)
}

// launch runs call on the device goroutine with the kernel's handle.
func (d *Device) launch(name string, call func(f C.CUfunction) C.CUresult) error {
	f, ok := d.fns[name]
	if !ok {
		return fmt.Errorf("cuda: kernel %s not loaded", name)
	}
	return d.do(func() error { return d.l.check("launch "+name, call(f)) })
}

// Cast converts n elements of x (dtype from) into y (dtype to); one of
// them must be f32 and the other f16 or bf16.
func (d *Device) Cast(x *Buffer, from tensor.DType, y *Buffer, to tensor.DType, n int) error {
	fs, err := suffix("Cast", from)
	if err != nil {
		return err
	}
	ts, err := suffix("Cast", to)
	if err != nil {
		return err
	}
	if (from == tensor.F32) == (to == tensor.F32) {
		return fmt.Errorf("cuda: Cast %v to %v: one side must be f32 and the other f16 or bf16", from, to)
	}
	if err := need("Cast", "x", x, n, from); err != nil {
		return err
	}
	if err := need("Cast", "y", y, n, to); err != nil {
		return err
	}
	return d.launch("cast_"+fs+"_"+ts, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_cast(d.l.cu, f, flat(n), d.stream, dptr(x), dptr(y), C.longlong(n))
	})
}

// MatMulArgs describe C = Alpha·op(A)·op(B) + Beta·C for a batch of
// row-major matrices: op(A) is [M, K] (A stored [K, M] when TransA), op(B)
// is [K, N] (stored [N, K] when TransB), C is [M, N].
type MatMulArgs struct {
	A, B, C     *Buffer
	In          tensor.DType // F16 or BF16 (A and B)
	Out         tensor.DType // In or F32 (C)
	M, N, K     int
	TransA      bool
	TransB      bool
	LdA         int // row stride of A as stored; 0 means dense
	LdB         int
	LdC         int
	Batch       int // number of products; 0 means 1
	StrideA     int // elements between the batch's A matrices; 0 broadcasts one A
	StrideB     int
	StrideC     int // 0 means M·LdC
	Alpha, Beta float32
}

// normalise fills the defaults and checks the shapes against the buffers.
func (a *MatMulArgs) normalise(op string) error {
	if a.In != tensor.F16 && a.In != tensor.BF16 && a.In != tensor.F32 {
		return fmt.Errorf("cuda: %s: input dtype %v (want f16, bf16 or f32)", op, a.In)
	}
	if a.Out != a.In && a.Out != tensor.F32 {
		return fmt.Errorf("cuda: %s: output dtype %v for %v inputs (want %v or f32)", op, a.Out, a.In, a.In)
	}
	if a.M < 1 || a.N < 1 || a.K < 1 || a.Batch < 0 {
		return fmt.Errorf("cuda: %s: M, N, K = %d, %d, %d, batch %d", op, a.M, a.N, a.K, a.Batch)
	}
	if a.Batch == 0 {
		a.Batch = 1
	}
	ra, ca := a.M, a.K
	if a.TransA {
		ra, ca = a.K, a.M
	}
	rb, cb := a.K, a.N
	if a.TransB {
		rb, cb = a.N, a.K
	}
	if a.LdA == 0 {
		a.LdA = ca
	}
	if a.LdB == 0 {
		a.LdB = cb
	}
	if a.LdC == 0 {
		a.LdC = a.N
	}
	if a.StrideC == 0 && a.Batch > 1 {
		a.StrideC = a.M * a.LdC
	}
	if a.LdA < ca || a.LdB < cb || a.LdC < a.N {
		return fmt.Errorf("cuda: %s: leading dimensions %d, %d, %d below the rows' lengths %d, %d, %d", op, a.LdA, a.LdB, a.LdC, ca, cb, a.N)
	}
	if a.StrideA < 0 || a.StrideB < 0 || (a.Batch > 1 && a.StrideC < a.M*a.LdC) {
		return fmt.Errorf("cuda: %s: batch strides %d, %d, %d", op, a.StrideA, a.StrideB, a.StrideC)
	}
	last := a.Batch - 1
	if err := need(op, "A", a.A, last*a.StrideA+(ra-1)*a.LdA+ca, a.In); err != nil {
		return err
	}
	if err := need(op, "B", a.B, last*a.StrideB+(rb-1)*a.LdB+cb, a.In); err != nil {
		return err
	}
	if a.Batch > 65535 {
		return fmt.Errorf("cuda: %s: batch %d above 65535", op, a.Batch)
	}
	return need(op, "C", a.C, last*a.StrideC+(a.M-1)*a.LdC+a.N, a.Out)
}

// MatMul runs radcap's tensor-core matmul (mma.sync on sm_80+, scalar
// FMAs from the same tiles before) for f16/bf16 inputs, and a CUDA-core
// fp32 kernel (matmul_f32.cu) for f32 inputs and output.
func (d *Device) MatMul(a MatMulArgs) error {
	if err := a.normalise("MatMul"); err != nil {
		return err
	}
	in, _ := suffix("MatMul", a.In)
	out, _ := suffix("MatMul", a.Out)
	threads := 128
	if a.In == tensor.F32 {
		threads = 256
	}
	g := grid((a.N+63)/64, (a.M+63)/64, a.Batch, threads, 1)
	return d.launch("matmul_"+in+"_"+out, func(f C.CUfunction) C.CUresult {
		return C.rc_launch_matmul(d.l.cu, f, g, d.stream, dptr(a.A), dptr(a.B), dptr(a.C),
			C.int(a.M), C.int(a.N), C.int(a.K), C.int(a.LdA), C.int(a.LdB), C.int(a.LdC),
			C.longlong(a.StrideA), C.longlong(a.StrideB), C.longlong(a.StrideC),
			cbool(a.TransA), cbool(a.TransB), C.float(a.Alpha), C.float(a.Beta))
	})
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
