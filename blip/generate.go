package blip

import (
	"fmt"

	"radcap/autograd"
	"radcap/generate"
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

// decodeState is one batch's cache: one layerCache per text layer, each
// with rows rows.
type decodeState struct {
	cache []layerCache
	rows  int
}

// Batch returns the number of images the decoder is bound to.
func (d *imageDecoder) Batch() int { return d.img.Dim(0) }

// Start computes every layer's cross-attention keys and values of the
// images and returns a state with an empty self-attention cache.
func (d *imageDecoder) Start() (generate.State, error) {
	st := &decodeState{cache: make([]layerCache, len(d.dec.bert.layers)), rows: d.Batch()}
	img := autograd.Const(d.img)
	for i, l := range d.dec.bert.layers {
		k, v := l.cross.keysValues(img)
		st.cache[i].ck, st.cache[i].cv = k.Value.Contiguous(), v.Value.Contiguous()
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
	if got := st.past(); got != in.Past {
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
	rc := runCtx{}
	dt := d.img.DType()
	x := d.dec.bert.embed(rc, ids, in.Past)
	h := d.dec.bert.encode(rc, x, decoderSelfMask(m, st.rows, n, in.Past+n, dt), nil, nil, st.cache)
	logits := d.dec.cls.forward(autograd.Select(h, 1, n-1))
	return logits.Value.Contiguous(), nil
}

func (st *decodeState) past() int {
	if len(st.cache) == 0 || st.cache[0].k == nil {
		return 0
	}
	return st.cache[0].k.Dim(2)
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
	out := &decodeState{cache: make([]layerCache, len(st.cache)), rows: len(rows)}
	pick := func(t *tensor.Tensor) *tensor.Tensor {
		if t == nil {
			return nil
		}
		return tensor.IndexSelect(t, 0, rows)
	}
	for i, c := range st.cache {
		out.cache[i] = layerCache{k: pick(c.k), v: pick(c.v), ck: pick(c.ck), cv: pick(c.cv)}
	}
	return out, nil
}
