package blip

import (
	"fmt"

	"radcap/autograd"
	"radcap/generate"
	"radcap/nn"
	"radcap/tensor"
)

// imageDecoder implements generate.Decoder for the captioning model bound
// to a batch of image states: self-attention keys and values are cached
// per layer and grow by one position per step; the cross-attention keys
// and values of the image are computed once, in Start.
type imageDecoder struct {
	dec *textDecoder
	img *tensor.Tensor // [batch, image tokens, vision hidden]
}

var _ generate.Decoder = (*imageDecoder)(nil)

// decodeState is one batch's cache, per text layer: the self-attention
// keys and values so far (past, nil before the first step) and the
// image's cross-attention keys and values (cross), all with rows rows.
type decodeState struct {
	past, cross []*nn.KV
	rows        int
}

// Batch returns the number of images the decoder is bound to.
func (d *imageDecoder) Batch() int { return d.img.Dim(0) }

// Start computes every layer's cross-attention keys and values of the
// images and returns a state with an empty self-attention cache.
func (d *imageDecoder) Start() (generate.State, error) {
	n := len(d.dec.bert.layers)
	st := &decodeState{past: make([]*nn.KV, n), cross: make([]*nn.KV, n), rows: d.Batch()}
	img := autograd.Const(d.img)
	for i, l := range d.dec.bert.layers {
		st.cross[i] = constKV(l.CrossAttention.Self.KeysValues(img))
	}
	return st, nil
}

func asState(s generate.State) (*decodeState, error) {
	st, ok := s.(*decodeState)
	if !ok || st == nil {
		return nil, fmt.Errorf("blip decoder: state %T is not one this decoder's Start returned", s)
	}
	return st, nil
}

// Step feeds in.IDs at positions in.Past.., attending causally over the
// cache and the new tokens (padding masked as (1 − m)·(−10000)) and to
// every image token, and returns the last position's logits [rows, vocab].
func (d *imageDecoder) Step(s generate.State, in generate.StepInput) (*tensor.Tensor, error) {
	st, err := asState(s)
	if err != nil {
		return nil, err
	}
	ids := in.IDs
	if ids == nil || ids.Rank() != 2 || ids.Dim(0) != st.rows {
		return nil, fmt.Errorf("blip decoder: ids %s, want %d rows", describe(ids), st.rows)
	}
	if got := st.cached(); got != in.Past {
		return nil, fmt.Errorf("blip decoder: Past %d, but the cache holds %d positions", in.Past, got)
	}
	if err := d.dec.bert.checkIDs(ids, in.Past, "generate ids"); err != nil {
		return nil, err
	}
	n := ids.Dim(1)
	m, err := padMask(in.Mask, st.rows, in.Past+n, "generate")
	if err != nil {
		return nil, err
	}
	mask := decoderSelfMask(m, st.rows, n, in.Past+n, d.img.DType())
	h := d.dec.bert.embed(ids, in.Past)
	for i, l := range d.dec.bert.layers {
		var present *nn.KV
		h, present = l.ForwardCached(h, st.past[i], mask, st.cross[i], nil)
		st.past[i] = constKV(present)
	}
	logits := d.dec.cls.forward(autograd.Select(h, 1, n-1))
	return logits.Value.Contiguous(), nil
}

func (st *decodeState) cached() int {
	if len(st.past) == 0 {
		return 0
	}
	return st.past[0].Len()
}

// constKV keeps only the values of kv: the cache must not hold on to the
// (pending) autograd history of the step that computed it.
func constKV(kv *nn.KV) *nn.KV {
	return &nn.KV{K: autograd.Const(kv.K.Value.Contiguous()), V: autograd.Const(kv.V.Value.Contiguous())}
}

// Reorder gathers the rows of every cached tensor (self and cross).
func (d *imageDecoder) Reorder(s generate.State, rows []int) (generate.State, error) {
	st, err := asState(s)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r < 0 || r >= st.rows {
			return nil, fmt.Errorf("blip decoder: reorder row %d outside [0, %d)", r, st.rows)
		}
	}
	out := &decodeState{past: make([]*nn.KV, len(st.past)), cross: make([]*nn.KV, len(st.cross)), rows: len(rows)}
	for i := range st.past {
		out.past[i] = st.past[i].Reorder(rows)
		out.cross[i] = st.cross[i].Reorder(rows)
	}
	return out, nil
}
