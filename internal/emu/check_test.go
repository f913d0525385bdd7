package emu_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"radcap/internal/emu"
	"radcap/tensor"
)

// TestContractChecks checks that the emulator rejects calls that break
// the tensor.Backend contract, so that the conformance tests would notice
// if package tensor broke it.
func TestContractChecks(t *testing.T) {
	b, err := emu.Register(false)
	if err != nil {
		t.Fatal(err)
	}
	on := func(h *tensor.Tensor) *tensor.Tensor {
		d, err := h.ToDevice(b.Name())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	x := on(tensor.RandN(rand.New(rand.NewPCG(1, 1)), tensor.F32, 3, 4))
	row := on(tensor.RandN(rand.New(rand.NewPCG(1, 1)), tensor.F32, 4))
	dst := tensor.EmptyOn(b.Name(), tensor.F32, 3, 4)
	idx := on(tensor.FromI64([]int64{0, 2}, 2))
	for name, call := range map[string]func() error{
		"Binary not broadcast": func() error { return b.Binary(tensor.BinAdd, dst, x, row) },
		"Binary aliased dst":   func() error { return b.Binary(tensor.BinAdd, row.Unsqueeze(0).Expand(3, 4), x, x) },
		"Unary view dst":       func() error { return b.Unary(tensor.UnExp, dst.Transpose(0, 1), x.Transpose(0, 1), 0, 0) },
		"Copy dtype":           func() error { return b.Copy(dst, x.To(tensor.F64)) },
		"MatMul ranks": func() error {
			return b.MatMul(tensor.EmptyOn(b.Name(), tensor.F32, 3, 3), x, x.Unsqueeze(0), false, true)
		},
		"MatMul no unit stride": func() error {
			w := on(tensor.RandN(rand.New(rand.NewPCG(1, 1)), tensor.F32, 4, 3, 2)).Select(2, 1) // strides [6, 2]
			return b.MatMul(tensor.EmptyOn(b.Name(), tensor.F32, 3, 3), x, w, false, false)
		},
		"IndexSelect 2-D index": func() error {
			return b.IndexSelect(tensor.EmptyOn(b.Name(), tensor.F32, 2, 4), x, 0, idx.Reshape(1, 2))
		},
		"host operand": func() error { return b.Fill(tensor.Zeros(tensor.F32, 2), 1) },
	} {
		if err := call(); err == nil || !strings.HasPrefix(err.Error(), "emu:") {
			t.Errorf("%s: error %v, want the emulator's contract error", name, err)
		}
	}
	// And a correct call goes through.
	if err := b.Binary(tensor.BinAdd, dst, x, row.Expand(3, 4)); err != nil {
		t.Errorf("a correct Binary call failed: %v", err)
	}
}
