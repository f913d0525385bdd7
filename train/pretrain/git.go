package pretrain

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"radcap/autograd"
	"radcap/data"
	"radcap/gitmodel"
	"radcap/vit"
)

// GitSmallConfig is the configuration of git-small, the GIT radcap ships:
// GIT's architecture (GitForCausalLM, the BERT uncased vocabulary of 30,522
// tokens) scaled down to fit a CPU. The vision tower is a CLIP ViT on
// 64x64 images with 8x8 patches (64 patches and the class token), width
// 128, 3 layers; the decoder has width 64 and 2 layers. The word
// embeddings are tied to the LM head, so the 30,522 x 64 table is stored
// once: it is most of the model's parameters.
func GitSmallConfig() gitmodel.Config {
	c := gitmodel.DefaultConfig()
	c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize = 64, 2, 2, 256
	c.MaxPositionEmbeddings = 64
	c.TieWordEmbeddings = true
	v := vit.CLIPDefaults()
	v.HiddenSize, v.NumHiddenLayers, v.NumAttentionHeads, v.IntermediateSize = 128, 3, 4, 512
	v.ImageSize, v.PatchSize = 64, 8
	c.Vision = v
	c.Extra = map[string]json.RawMessage{"architectures": json.RawMessage(`["GitForCausalLM"]`)}
	return c
}

// gitTrainer holds one GIT pretraining run's model and heads.
type gitTrainer struct {
	model *gitmodel.Model
	heads *gitHeads
	rng   *rand.Rand
	attrs bool // add the attribute loss
}

// losses are one step's loss terms (nil when not computed).
type losses struct {
	itc, itm, attr, dattr, lm *autograd.Var
}

// total is the sum of the computed terms.
func (l losses) total() *autograd.Var {
	var t *autograd.Var
	for _, v := range []*autograd.Var{l.itc, l.itm, l.attr, l.dattr, l.lm} {
		if v == nil {
			continue
		}
		if t == nil {
			t = v
		} else {
			t = autograd.Add(t, v)
		}
	}
	return t
}

// step computes the losses of batch b: ITC, ITM and (when the batch has
// targets) the attribute losses always, LM when lm is set. GIT's decoder
// runs in both stages: its first text position feeds the decoder
// attribute loss.
func (g *gitTrainer) step(b *data.Batch, lm bool) (losses, error) {
	var out losses
	in := gitmodel.Inputs{Pixels: b.PixelValues, InputIDs: b.InputIDs, AttentionMask: b.AttentionMask, Labels: b.Labels}
	var o *gitmodel.Outputs
	var err error
	if lm {
		out.lm, o, err = g.model.Loss(in)
	} else {
		in.Labels = nil
		o, err = g.model.Forward(in)
	}
	if err != nil {
		return out, fmt.Errorf("pretrain: GIT forward: %w", err)
	}
	image := o.ImageTokens
	itc, err := g.heads.itc(image, b.InputIDs, b.AttentionMask)
	if err != nil {
		return out, err
	}
	out.itc = itc.loss
	if g.attrs && b.Targets != nil {
		if out.attr, err = g.heads.attrLoss(image, b.Targets); err != nil {
			return out, err
		}
		// The decoder's first text position ([CLS], the BOS GIT starts
		// from) sees every image token: it must report the attributes
		// too, so the decoder learns to read the image into the text.
		first := autograd.Select(o.Hidden, 1, g.model.Config.NumImageTokens())
		if out.dattr, err = g.heads.decoderAttrLoss(first, b.Targets); err != nil {
			return out, err
		}
	}
	same := sameScene(b)
	if out.itm, err = g.heads.itmLoss(image, b.InputIDs, b.AttentionMask, itc.sim, same, g.rng); err != nil {
		return out, err
	}
	return out, nil
}

// sameScene reports whether examples i and j of b show the same scene:
// equal targets when the batch has them, equal captions otherwise.
func sameScene(b *data.Batch) func(i, j int) bool {
	if b.Targets == nil {
		return func(i, j int) bool { return b.Captions[i] == b.Captions[j] }
	}
	k := b.Targets.Dim(1)
	t := b.Targets.F32()
	return func(i, j int) bool {
		for x := range k {
			if t[i*k+x] != t[j*k+x] {
				return false
			}
		}
		return true
	}
}
