//go:build !cgo

package cuda

import "errors"

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
