package nn

import (
	"fmt"
	"reflect"

	"radcap/autograd"
	"radcap/tensor"
)

// Autocaster is a layer whose matrix products can run in a lower precision
// under mixed precision: Linear and the attention blocks here, and any
// model type outside nn that wants SetAutocast to reach its own matrix
// products (a patch embedding, say).
type Autocaster interface {
	// SetAutocast sets the dtype the layer's matrix products run in:
	// tensor.BF16 for bfloat16 autocast, tensor.F32 for none.
	SetAutocast(dt tensor.DType)
}

// SetAutocast is torch.autocast made explicit: it walks model (a pointer
// to a model, or any value holding layers) and sets every layer that
// implements Autocaster to run its matrix products in dt, and returns how
// many layers it set. Where PyTorch's context manager switches autocast
// for whatever runs inside it, here the switch is a field of each layer:
// it stays set, for the forward pass, its backward and generation alike,
// until SetAutocast is called again.
//
// dt is tensor.BF16 (bfloat16 autocast, emulated in float32 storage: see
// Autocast) or tensor.F32 (autocast off, the zero value of every layer);
// other dtypes are an error. The walk follows exported struct fields,
// pointers, interfaces, slices, arrays and map values, visits every
// pointer once, and does not descend into parameters (*autograd.Var) or
// tensors.
func SetAutocast(model any, dt tensor.DType) (int, error) {
	if dt != tensor.F32 && dt != tensor.BF16 {
		return 0, fmt.Errorf("autocast to %v: radcap emulates bfloat16 autocast only (bf16, or f32 for none)", dt)
	}
	w := autocastWalk{dt: dt, seen: map[autocastKey]bool{}}
	w.visit(reflect.ValueOf(model))
	return w.n, nil
}

// autocastKey identifies a visited pointer: a struct and its first field
// share an address, so the type is part of the key.
type autocastKey struct {
	t reflect.Type
	p uintptr
}

// autocastWalk is the state of one SetAutocast walk.
type autocastWalk struct {
	dt   tensor.DType
	seen map[autocastKey]bool
	n    int
}

var (
	autocasterType = reflect.TypeFor[Autocaster]()
	varType        = reflect.TypeFor[autograd.Var]()
	tensorType     = reflect.TypeFor[tensor.Tensor]()
)

// visit sets v if it is an Autocaster (or, for an addressable struct
// held by value, if its address is one) and walks on into what v holds.
func (w *autocastWalk) visit(v reflect.Value) {
	if !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Type().Elem() == varType || v.Type().Elem() == tensorType {
			return
		}
		if !w.first(v) {
			return
		}
		if e := v.Elem(); e.Kind() == reflect.Struct {
			w.fields(e) // e's address is v, already set
		} else {
			w.visit(e)
		}
	case reflect.Interface:
		w.visit(v.Elem())
	case reflect.Struct:
		if v.CanAddr() && !w.first(v.Addr()) {
			return
		}
		w.fields(v)
	case reflect.Slice, reflect.Array:
		if !mayHoldLayers(v.Type().Elem()) {
			return
		}
		for i := range v.Len() {
			w.visit(v.Index(i))
		}
	case reflect.Map:
		if !mayHoldLayers(v.Type().Elem()) {
			return
		}
		for it := v.MapRange(); it.Next(); {
			w.visit(it.Value())
		}
	}
}

// fields walks the exported fields of the struct v.
func (w *autocastWalk) fields(v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			w.visit(v.Field(i))
		}
	}
}

// first marks the pointer p as visited and sets it when it is an
// Autocaster; it reports false when p was visited before.
func (w *autocastWalk) first(p reflect.Value) bool {
	key := autocastKey{p.Type(), p.Pointer()}
	if w.seen[key] {
		return false
	}
	w.seen[key] = true
	if p.Type().Implements(autocasterType) && p.CanInterface() {
		p.Interface().(Autocaster).SetAutocast(w.dt)
		w.n++
	}
	return true
}

// mayHoldLayers reports whether a value of type t can lead to a layer, so
// that the walk skips slices of numbers and strings without looking at
// each element.
func mayHoldLayers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Struct, reflect.Slice, reflect.Array, reflect.Map:
		return true
	}
	return false
}

// Autocast runs a matrix-product op the way torch.autocast runs it in dt.
// With dt tensor.BF16 every float input is rounded to bfloat16
// (autograd.RoundBF16), op runs on the rounded values in float32 — a
// bfloat16 product with float32 accumulation, which is how PyTorch's CPU
// and CUDA bfloat16 kernels accumulate — and its output is rounded to
// bfloat16 as well. In the backward pass the same roundings round the
// gradients: the gradient reaching the op's output, and the gradients it
// computes for its inputs (a weight's included) before they reach the
// float32 master values. Nil inputs (an absent bias) stay nil. With any
// other dt (F32, autocast off) Autocast is op(inputs...).
func Autocast(dt tensor.DType, op func(inputs ...*autograd.Var) *autograd.Var, inputs ...*autograd.Var) *autograd.Var {
	if dt != tensor.BF16 {
		return op(inputs...)
	}
	return autograd.RoundBF16(op(roundAll(inputs)...))
}

// roundAll returns the inputs rounded to bfloat16, nil staying nil.
func roundAll(inputs []*autograd.Var) []*autograd.Var {
	out := make([]*autograd.Var, len(inputs))
	for i, x := range inputs {
		if x != nil {
			out[i] = autograd.RoundBF16(x)
		}
	}
	return out
}
