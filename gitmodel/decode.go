package gitmodel

import (
	"fmt"
	"math"
	"slices"

	"radcap/autograd"
	"radcap/generate"
	"radcap/nn"
	"radcap/tensor"
)

// Decoder returns GIT as a generate.Decoder bound to a batch of images
// pixels [B, C, H, W].
//
// Start runs the vision tower, the visual projection and every decoder
// layer over the image tokens once: image tokens attend only to image
// tokens, so their keys and values in each layer stay the same while text
// is added. Each Step then embeds the new text tokens at text positions
// Past.., lets them attend to the cached image and text keys/values
// (causally over the text, padding masked), appends their keys/values and
// returns the last position's logits. The numbers equal transformers',
// which instead re-runs the image tokens at every step.
//
// One difference from transformers: the padding mask is applied at every
// step, while transformers' GIT drops it once a cache exists (so its
// left-padded batches attend to the padding while decoding). Unpadded
// prompts decode identically.
//
// The decoder computes no gradients: each call switches the parameters'
// RequiresGrad off and restores it before returning.
func (m *Model) Decoder(pixels *tensor.Tensor) (generate.Decoder, error) {
	if pixels == nil {
		return nil, fmt.Errorf("git decoder: no pixel values")
	}
	if err := m.Vision.CheckPixels(pixels); err != nil {
		return nil, fmt.Errorf("git decoder: %w", err)
	}
	return &decoder{m: m, pixels: pixels}, nil
}

// GenerationOptions returns generate's defaults with GIT's special tokens:
// BOS = bos_token_id ([CLS] for git-base), EOS = eos_token_id ([SEP]), Pad
// = pad_token_id.
func (m *Model) GenerationOptions() generate.Options {
	o := generate.DefaultOptions()
	o.BOS, o.EOS, o.Pad = int64(m.Config.BosTokenID), []int64{int64(m.Config.EosTokenID)}, int64(m.Config.PadTokenID)
	return o
}

// Generate captions pixels: prompts (nil, or one row of ids per image;
// an empty row starts from bos) are continued by greedy or beam search as
// opts say (see GenerationOptions).
func (m *Model) Generate(pixels *tensor.Tensor, prompts [][]int64, opts generate.Options) (*generate.Result, error) {
	d, err := m.Decoder(pixels)
	if err != nil {
		return nil, err
	}
	return generate.Generate(d, prompts, opts)
}

var _ generate.Decoder = (*decoder)(nil)

// decoder is GIT bound to a batch of images.
type decoder struct {
	m      *Model
	pixels *tensor.Tensor
}

// decodeState is the cache: per decoder layer, the keys and values of the
// image tokens followed by those of the text so far, [rows, heads, I+text, d].
type decodeState struct {
	layers []*nn.KV
	text   int // text positions in the cache
}

// Batch returns the number of images the decoder is bound to.
func (d *decoder) Batch() int { return d.pixels.Dim(0) }

// noGrad runs f with every parameter's RequiresGrad off.
func (d *decoder) noGrad(f func()) {
	ps := d.m.NamedParams()
	saved := make([]bool, len(ps))
	for i, p := range ps {
		saved[i] = p.Var.RequiresGrad
		p.Var.RequiresGrad = false
	}
	defer func() {
		for i, p := range ps {
			p.Var.RequiresGrad = saved[i]
		}
	}()
	f()
}

// Start encodes the images and fills the cache with the image tokens' keys
// and values of every layer.
func (d *decoder) Start() (generate.State, error) {
	st := &decodeState{layers: make([]*nn.KV, len(d.m.Layers))}
	d.noGrad(func() {
		h := d.m.project(d.m.Vision.Forward(autograd.Const(d.pixels)))
		for i, l := range d.m.Layers {
			h, st.layers[i] = l.ForwardCached(h, nil, nil, nil, nil)
		}
	})
	return st, nil
}

// Step feeds in.IDs and returns the next-token logits [rows, vocab].
func (d *decoder) Step(s generate.State, in generate.StepInput) (*tensor.Tensor, error) {
	st, ok := s.(*decodeState)
	if !ok {
		return nil, fmt.Errorf("git decoder: state of type %T is not GIT's", s)
	}
	if in.IDs == nil {
		return nil, fmt.Errorf("git decoder: no input ids")
	}
	if in.Past != st.text {
		return nil, fmt.Errorf("git decoder: step says %d cached positions, the cache holds %d", in.Past, st.text)
	}
	if err := d.m.checkIDs("input_ids", in.IDs, in.Past, false); err != nil {
		return nil, fmt.Errorf("git decoder: %w", err)
	}
	rows, n := in.IDs.Dim(0), in.IDs.Dim(1)
	if cached := st.layers[0].K.Value.Dim(0); cached != rows {
		return nil, fmt.Errorf("git decoder: %d rows of ids for a cache of %d rows", rows, cached)
	}
	if in.Mask != nil {
		if sh := in.Mask.Shape(); len(sh) != 2 || sh[0] != rows || sh[1] != in.Past+n {
			return nil, fmt.Errorf("git decoder: mask has shape %v, want [%d %d]", sh, rows, in.Past+n)
		}
	}
	var logits *tensor.Tensor
	d.noGrad(func() {
		h := d.m.embedText(in.IDs, in.Past)
		mask := d.m.stepMask(rows, in.Past, n, in.Mask)
		for i, l := range d.m.Layers {
			h, st.layers[i] = l.ForwardCached(h, st.layers[i], mask, nil, nil)
		}
		last := autograd.Select(h, 1, n-1) // [rows, D]
		logits = d.m.Output.Forward(last).Value
	})
	st.text += n
	if logits.DType() != tensor.F32 {
		logits = logits.To(tensor.F32)
	}
	return logits, nil
}

// Reorder keeps the cache rows rows (beam expansion and selection).
func (d *decoder) Reorder(s generate.State, rows []int) (generate.State, error) {
	st, ok := s.(*decodeState)
	if !ok {
		return nil, fmt.Errorf("git decoder: state of type %T is not GIT's", s)
	}
	have := st.layers[0].K.Value.Dim(0)
	for _, r := range rows {
		if r < 0 || r >= have {
			return nil, fmt.Errorf("git decoder: reorder row %d outside the %d cached rows", r, have)
		}
	}
	out := &decodeState{layers: make([]*nn.KV, len(st.layers)), text: st.text}
	for i, kv := range st.layers {
		out.layers[i] = kv.Reorder(rows)
	}
	return out, nil
}

// stepMask is the additive mask [rows or 1, 1, n, I+past+n] of n new text
// tokens at text positions past.. over the image tokens (all visible) and
// the text so far (causal; the float32 minimum added where pad is 0).
func (m *Model) stepMask(rows, past, n int, pad *tensor.Tensor) *tensor.Tensor {
	img := m.Config.NumImageTokens()
	tk := img + past + n
	b := 1
	var keep []float64
	if pad != nil {
		keep = pad.Float64s()
		if slices.Contains(keep, 0) {
			b = rows
		} else {
			keep = nil // no padding: the mask is the same for every row
		}
	}
	if keep == nil && n == 1 {
		return nil // one new token sees everything so far
	}
	mask := make([]float32, b*n*tk)
	ninf, f32min := float32(math.Inf(-1)), float32(-math.MaxFloat32)
	for bi := range b {
		for i := range n {
			row := mask[(bi*n+i)*tk : (bi*n+i+1)*tk]
			for j := range past + n {
				v := float32(0)
				if j > past+i {
					v = ninf
				}
				if keep != nil && keep[bi*(past+n)+j] == 0 {
					v += f32min
				}
				row[img+j] = v
			}
		}
	}
	mt := tensor.FromF32(mask, b, 1, n, tk)
	if dt := m.WordEmbeddings.Weight.Value.DType(); dt != tensor.F32 {
		mt = mt.To(dt)
	}
	return mt
}
