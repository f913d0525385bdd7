//go:build !cgo

package cuda

import (
	"errors"
	"time"

	"radcap/tensor"
)

// errNoCgo is Open's error in a binary built without cgo.
var errNoCgo = errors.New("cuda: this radcap was built with CGO_ENABLED=0, so it cannot load the CUDA libraries; rebuild with cgo (CGO_ENABLED=1 and a C compiler) to use --device cuda")

// Device is a GPU; without cgo none can be opened.
type Device struct{}

// Open always fails without cgo.
func Open(o Options) (*Device, error) { return nil, errNoCgo }

// Close does nothing without cgo.
func (d *Device) Close() error { return nil }

// Name is empty without cgo.
func (d *Device) Name() string { return "" }

// Arch is 0 without cgo.
func (d *Device) Arch() int { return 0 }

// TimeMatMul fails without cgo.
func (d *Device) TimeMatMul(dt tensor.DType, m, n, k int, lt bool, reps int) (time.Duration, error) {
	return 0, errNoCgo
}

// TimeAttention fails without cgo.
func (d *Device) TimeAttention(dt tensor.DType, b, h, tq, tk, dh int, mask MaskKind, prefix, reps int) (time.Duration, error) {
	return 0, errNoCgo
}

// HasCublasLt is false without cgo.
func (d *Device) HasCublasLt() bool { return false }

// MaskKind selects the structural part of an attention mask.
type MaskKind int

// The mask kinds (see the cgo build).
const (
	MaskNone   MaskKind = 0
	MaskCausal MaskKind = 1
	MaskGIT    MaskKind = 2
)

// Backend is the tensor backend of a Device; without cgo there is none.
type Backend struct{}

// Register fails without cgo.
func Register(d *Device) (*Backend, error) { return nil, errNoCgo }

// BackendName is the device name of the CUDA backend ("--device cuda").
const BackendName = "cuda"

// TensorAdamW is the fused AdamW; without cgo there is none.
type TensorAdamW struct{}

// NewTensorAdamW fails without cgo.
func (b *Backend) NewTensorAdamW(params []*tensor.Tensor) (*TensorAdamW, error) { return nil, errNoCgo }

// Step fails without cgo.
func (o *TensorAdamW) Step(params, grads []*tensor.Tensor, lr, wd, beta1, beta2, eps float64) error {
	return errNoCgo
}

// AllocStats is empty without cgo.
func (d *Device) AllocStats() AllocStats { return AllocStats{} }

// Sync does nothing without cgo.
func (d *Device) Sync() error { return nil }
