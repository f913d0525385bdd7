package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"radcap/internal/emu"
	"radcap/tensor"
)

// panicText runs f and returns what it panicked with ("" if it did not).
func panicText(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// TestDeviceHostAccessPanics checks that every host accessor refuses a
// device tensor with a message that says how to get the data.
func TestDeviceHostAccessPanics(t *testing.T) {
	dev := emuDevice(t)
	f := move(t, tensor.FromF32([]float32{1, 2, 3, 4}, 2, 2), dev)
	d := move(t, tensor.FromF64([]float64{1, 2}, 2), dev)
	i := move(t, tensor.FromI64([]int64{1, 2}, 2), dev)
	h := f.To(tensor.F16)
	u := move(t, tensor.FromU8(tensor.U8, []uint8{1}, 1), dev)
	s := move(t, tensor.Scalar(tensor.F32, 3), dev)
	for name, fn := range map[string]func(){
		"F32":      func() { f.F32() },
		"F64":      func() { d.F64() },
		"I64":      func() { i.I64() },
		"U16":      func() { h.U16() },
		"U8":       func() { u.U8() },
		"At":       func() { f.At(0, 1) },
		"SetAt":    func() { f.SetAt(1, 0, 1) },
		"Item":     func() { s.Item() },
		"Float64s": func() { f.Float64s() },
		"Map":      func() { tensor.Map(f, func(x float64) float64 { return x }) },
		"view F32": func() { f.Transpose(0, 1).F32() },
	} {
		msg := panicText(fn)
		if !strings.HasPrefix(msg, tensor.ErrHostAccess.Error()) || !strings.Contains(msg, `ToDevice("cpu")`) || !strings.Contains(msg, dev) {
			t.Errorf("%s on a device tensor: panic %q, want the host-access message", name, msg)
		}
	}
	if got := f.String(); !strings.Contains(got, "device="+dev) {
		t.Errorf("String of a device tensor = %q", got)
	}
	if f.Device() != dev || f.OnHost() || f.Backend() == nil || f.Handle() == nil {
		t.Errorf("device tensor reports Device %q, OnHost %v", f.Device(), f.OnHost())
	}
	host := tensor.Zeros(tensor.F32, 1)
	if host.Device() != "cpu" || !host.OnHost() || host.Backend() != nil || host.Handle() != nil {
		t.Errorf("host tensor reports Device %q", host.Device())
	}
}

// TestDeviceMixedPanics checks that ops refuse operands on two devices and
// name the op and both devices.
func TestDeviceMixedPanics(t *testing.T) {
	dev := emuDevice(t)
	plain, err := emu.Register(true)
	if err != nil {
		t.Fatal(err)
	}
	h := tensor.FromF32([]float32{1, 2, 3, 4}, 2, 2)
	d := move(t, h, dev)
	p := move(t, h, plain.Name())
	for name, fn := range map[string]func(){
		"Add":         func() { tensor.Add(h, d) },
		"Mul":         func() { tensor.Mul(d, p) },
		"AddInto":     func() { tensor.AddInto(d, h) },
		"MatMul":      func() { tensor.MatMul(h, d, false, false) },
		"Where":       func() { tensor.Where(h, d, d) },
		"CopyFrom":    func() { d.CopyFrom(h) },
		"Concat":      func() { tensor.Concat(0, d, h) },
		"IndexAdd":    func() { tensor.IndexAdd(d, 0, []int{0}, h.Narrow(0, 0, 1)) },
		"IndexSelect": func() { tensor.IndexSelectTensor(d, 0, tensor.FromI64([]int64{0}, 1)) },
	} {
		msg := panicText(fn)
		if !strings.Contains(msg, "tensor."+name) || !strings.Contains(msg, "different devices") || !strings.Contains(msg, "[") {
			t.Errorf("%s across devices: panic %q, want one naming the op and the devices", name, msg)
		}
	}
	if msg := panicText(func() { tensor.Add(d, p) }); !strings.Contains(msg, dev) || !strings.Contains(msg, plain.Name()) {
		t.Errorf("Add on emu and emu-nofused: panic %q does not name both devices", msg)
	}
}

// TestDeviceRegistry checks registration and device-name errors.
func TestDeviceRegistry(t *testing.T) {
	dev := emuDevice(t)
	b, err := tensor.LookupBackend(dev)
	if err != nil {
		t.Fatal(err)
	}
	if err := tensor.RegisterBackend(b); err != nil {
		t.Errorf("registering the same backend again: %v", err)
	}
	if err := tensor.RegisterBackend(emu.New()); err == nil {
		t.Error("a second backend named emu was accepted")
	}
	if _, err := tensor.LookupBackend("cpu"); err == nil {
		t.Error(`LookupBackend("cpu") gave no error`)
	}
	if _, err := tensor.FromF32([]float32{1}, 1).ToDevice("no-such-device"); err == nil || !strings.Contains(err.Error(), "no-such-device") {
		t.Errorf("ToDevice to an unknown device: %v", err)
	}
	if ds := tensor.Devices(); ds[0] != "cpu" || !strings.Contains(fmt.Sprint(ds), dev) {
		t.Errorf("Devices() = %v", ds)
	}
}

// TestDeviceToDeviceWindows checks copies of views across: a contiguous
// window with an offset and a strided view both come back with their own
// elements only, and ToDevice to the tensor's own device is the tensor.
func TestDeviceToDeviceWindows(t *testing.T) {
	dev := emuDevice(t)
	h := tensor.RandN(rand.New(rand.NewPCG(1, 2)), tensor.F32, 4, 5)
	d := move(t, h, dev)
	if same, _ := d.ToDevice(dev); same != d {
		t.Error("ToDevice to its own device made a copy")
	}
	if same, _ := h.ToDevice("cpu"); same != h {
		t.Error(`ToDevice("cpu") of a host tensor made a copy`)
	}
	sameTensor(t, "window", back(t, d.Narrow(0, 1, 2)), h.Narrow(0, 1, 2).Clone(), 0)
	sameTensor(t, "strided", back(t, d.Narrow(1, 1, 3).Transpose(0, 1)), h.Narrow(1, 1, 3).Transpose(0, 1).Clone(), 0)
	// emu to emu-nofused goes through the host explicitly.
	plain, err := emu.Register(true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.ToDevice(plain.Name())
	if err != nil {
		t.Fatal(err)
	}
	sameTensor(t, "across devices", back(t, p), h, 0)
}

// TestDeviceStorageFreed checks that device memory is released once no
// tensor refers to it (a GC cleanup calls Backend.Free).
func TestDeviceStorageFreed(t *testing.T) {
	h := tensor.FromF32(make([]float32, 1000), 1000)
	reg, err := emu.Register(true)
	if err != nil {
		t.Fatal(err)
	}
	pe := reg.(*emu.Backend)
	start := pe.Stats()
	func() {
		for range 50 {
			d := move(t, h, reg.Name())
			_ = tensor.Add(d, d).Narrow(0, 0, 10) // views keep the storage alive only while reachable
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		st := pe.Stats()
		if st.Frees-start.Frees >= 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 100 device allocations only %d were freed", st.Frees-start.Frees)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
