package emu

import (
	"fmt"
	"slices"

	"radcap/tensor"
)

// The emulator checks that package tensor keeps its side of the Backend
// contract (see tensor.Backend): operands on this device, element-wise
// inputs already broadcast to dst's shape, a fresh contiguous dst where
// the contract promises one, no dst element aliasing another, MatMul
// operands of one rank with a unit stride in each matrix. A breach is
// returned as an error, which package tensor turns into a panic, so the
// conformance tests catch it even though the emulator itself could
// compute with any layout.

// mine fails unless every tensor lives on b.
func (b *Backend) mine(op string, ts ...*tensor.Tensor) error {
	for _, t := range ts {
		if t == nil || t.Backend() == nil || t.Backend().Name() != b.name {
			return fmt.Errorf("emu: %s got an operand that is not on %s", op, b.name)
		}
		if _, ok := t.Handle().(*buf); !ok {
			return fmt.Errorf("emu: %s got a foreign handle %T", op, t.Handle())
		}
	}
	return nil
}

// noAlias fails when two elements of dst share storage (a stride-0 dim of
// size > 1).
func noAlias(op string, dst *tensor.Tensor) error {
	for i, st := range dst.Strides() {
		if st == 0 && dst.Dim(i) > 1 {
			return fmt.Errorf("emu: %s: dst %v with strides %v aliases elements", op, dst.Shape(), dst.Strides())
		}
	}
	return nil
}

// fresh fails unless dst is contiguous from the start of its handle.
func fresh(op string, dst *tensor.Tensor) error {
	if !dst.IsContiguous() || dst.Offset() != 0 {
		return fmt.Errorf("emu: %s: dst %v (strides %v, offset %d) is not a fresh contiguous tensor", op, dst.Shape(), dst.Strides(), dst.Offset())
	}
	return noAlias(op, dst)
}

// sameShapes fails unless every input has dst's shape (broadcast done).
func sameShapes(op string, dst *tensor.Tensor, ins ...*tensor.Tensor) error {
	for _, t := range ins {
		if !slices.Equal(t.Shape(), dst.Shape()) {
			return fmt.Errorf("emu: %s: input %v not broadcast to dst %v", op, t.Shape(), dst.Shape())
		}
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// checkMatMul checks MatMul's operands: one rank, batch dims equal to
// dst's, unit stride in one of each matrix's two dims, dst fresh.
func (b *Backend) checkMatMul(dst, a, c *tensor.Tensor) error {
	if err := firstErr(b.mine("MatMul", dst, a, c), fresh("MatMul", dst)); err != nil {
		return err
	}
	r := dst.Rank()
	if a.Rank() != r || c.Rank() != r || r < 2 {
		return fmt.Errorf("emu: MatMul: ranks %d, %d, dst %d", a.Rank(), c.Rank(), r)
	}
	for _, t := range []*tensor.Tensor{a, c} {
		if !slices.Equal(t.Shape()[:r-2], dst.Shape()[:r-2]) {
			return fmt.Errorf("emu: MatMul: batch dims of %v not broadcast to dst %v", t.Shape(), dst.Shape())
		}
		st := t.Strides()
		if st[r-1] != 1 && st[r-2] != 1 && t.Dim(-1) > 1 && t.Dim(-2) > 1 {
			return fmt.Errorf("emu: MatMul: operand %v with strides %v has no unit-stride matrix dim", t.Shape(), st)
		}
	}
	return nil
}

// checkIndex checks an index tensor: 1-D contiguous I64 on b.
func (b *Backend) checkIndex(op string, idx *tensor.Tensor) error {
	if err := b.mine(op, idx); err != nil {
		return err
	}
	if idx.DType() != tensor.I64 || idx.Rank() != 1 || !idx.IsContiguous() {
		return fmt.Errorf("emu: %s: index %v%v (strides %v) is not a contiguous 1-D int64 tensor", op, idx.DType(), idx.Shape(), idx.Strides())
	}
	return nil
}
