package vit

import (
	"fmt"

	"radcap/autograd"
	"radcap/nn"
	"radcap/tensor"
)

// Flavor says which checkpoint layout a Model follows.
type Flavor int

// The two flavours.
const (
	CLIP Flavor = iota // GIT's CLIP vision tower
	BLIP               // BLIP's vision tower
)

// Model is a ViT image encoder.
type Model struct {
	Config Config
	Flavor Flavor

	ClassEmbedding    *autograd.Var // CLIP [D]; BLIP [1, 1, D]
	PatchWeight       *autograd.Var // [D, C, P, P]
	PatchBias         *autograd.Var // [D] (BLIP only; nil for CLIP)
	PositionEmbedding *autograd.Var // CLIP [N+1, D] (an embedding table); BLIP [1, N+1, D]
	PreLayerNorm      *nn.LayerNorm // CLIP only ("pre_layrnorm" in the checkpoint)
	Layers            []*nn.ViTLayer
	PostLayerNorm     *nn.LayerNorm

	Mode *nn.Mode

	// Autocast is the dtype the patch embedding's matrix product runs in
	// (tensor.BF16 under bf16 mixed precision; the zero value, F32, is
	// off). nn.SetAutocast sets it through SetAutocast.
	Autocast tensor.DType
}

// SetAutocast sets the dtype the patch embedding runs in (nn.Autocaster).
func (m *Model) SetAutocast(dt tensor.DType) { m.Autocast = dt }

// NewCLIP returns GIT's CLIP vision tower with random weights drawn as
// transformers initialises GitVisionModel (normal with initializer_range,
// zero biases, unit LayerNorm weights). mode is the owning model's mode.
func NewCLIP(cfg Config, init *nn.Init, mode *nn.Mode) (*Model, error) {
	return build(cfg, CLIP, init, mode)
}

// NewBLIP returns BLIP's vision tower with random weights drawn as
// transformers initialises BlipVisionModel (normal with initializer_range,
// zero biases, unit LayerNorm weights).
func NewBLIP(cfg Config, init *nn.Init, mode *nn.Mode) (*Model, error) {
	return build(cfg, BLIP, init, mode)
}

func build(cfg Config, flavor Flavor, init *nn.Init, mode *nn.Mode) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	act, _ := nn.ParseActivation(cfg.HiddenAct)
	d, std, n := cfg.HiddenSize, cfg.InitializerRange, cfg.NumTokens()
	m := &Model{Config: cfg, Flavor: flavor, Mode: mode}
	channels := cfg.NumChannels
	if flavor == BLIP || channels == 0 {
		channels = 3
	}
	if flavor == CLIP {
		m.ClassEmbedding = init.Normal(std, d)
		m.PatchWeight = init.Normal(std, d, channels, cfg.PatchSize, cfg.PatchSize)
		m.PositionEmbedding = init.Normal(std, n, d)
		m.PreLayerNorm = nn.NewLayerNorm(init, d, cfg.LayerNormEps)
	} else {
		m.ClassEmbedding = init.Normal(std, 1, 1, d)
		m.PatchWeight = init.Normal(std, d, channels, cfg.PatchSize, cfg.PatchSize)
		m.PatchBias = init.Zeros(d)
		m.PositionEmbedding = init.Normal(std, 1, n, d)
	}
	for range cfg.NumHiddenLayers {
		var attn nn.VisionAttention
		if flavor == CLIP {
			attn = nn.NewCLIPAttention(init, mode, d, cfg.NumAttentionHeads, cfg.AttentionDropout, std)
		} else {
			attn = nn.NewFusedQKVAttention(init, mode, d, cfg.NumAttentionHeads, cfg.AttentionDropout, std)
		}
		m.Layers = append(m.Layers, &nn.ViTLayer{
			SelfAttn:   attn,
			LayerNorm1: nn.NewLayerNorm(init, d, cfg.LayerNormEps),
			MLP:        nn.NewMLP(init, d, cfg.IntermediateSize, act, std),
			LayerNorm2: nn.NewLayerNorm(init, d, cfg.LayerNormEps),
		})
	}
	m.PostLayerNorm = nn.NewLayerNorm(init, d, cfg.LayerNormEps)
	return m, nil
}

// CheckPixels returns an error unless pixels is [B, C, image, image] in the
// model's dtype with B ≥ 1.
func (m *Model) CheckPixels(pixels *tensor.Tensor) error {
	sh := pixels.Shape()
	c := m.PatchWeight.Value.Dim(1)
	s := m.Config.ImageSize
	if len(sh) != 4 || sh[0] < 1 || sh[1] != c || sh[2] != s || sh[3] != s {
		return fmt.Errorf("pixel_values have shape %v, the vision model expects [batch, %d, %d, %d]", sh, c, s, s)
	}
	if pixels.DType() != m.PatchWeight.Value.DType() {
		return fmt.Errorf("pixel_values have dtype %s, the vision model expects %s", pixels.DType(), m.PatchWeight.Value.DType())
	}
	return nil
}

// Embed returns the token embeddings [B, N+1, D]: the class embedding
// followed by the patch embeddings, plus the position embeddings (and, for
// CLIP, pre_layrnorm).
func (m *Model) Embed(pixels *autograd.Var) *autograd.Var {
	patchify := func(in ...*autograd.Var) *autograd.Var { return autograd.Patchify(in[0], in[1], in[2]) }
	patches := nn.Autocast(m.Autocast, patchify, pixels, m.PatchWeight, m.PatchBias) // [B, N, D]
	b, d := patches.Value.Dim(0), patches.Value.Dim(2)
	cls := autograd.Expand(autograd.Reshape(m.ClassEmbedding, 1, 1, d), b, 1, d)
	x := autograd.Add(autograd.Concat(1, cls, patches), m.PositionEmbedding)
	if m.PreLayerNorm != nil {
		x = m.PreLayerNorm.Forward(x)
	}
	return x
}

// Forward encodes pixels [B, C, H, W] (checked with CheckPixels first) into
// the last hidden state [B, N+1, D], after post_layernorm, class token
// first.
func (m *Model) Forward(pixels *autograd.Var) *autograd.Var {
	x := m.Embed(pixels)
	for _, l := range m.Layers {
		x = l.Forward(x)
	}
	return m.PostLayerNorm.Forward(x)
}

// Pooled returns BLIP's pooler output: post_layernorm applied to the class
// token of the last hidden state (which has already been through it once).
func (m *Model) Pooled(last *autograd.Var) *autograd.Var {
	return m.PostLayerNorm.Forward(autograd.Select(last, 1, 0))
}

// NamedParams lists the tower's parameters under prefix ("vision_model"
// for BLIP, "git.image_encoder.vision_model" inside GIT) in PyTorch order.
func (m *Model) NamedParams(prefix string) []nn.NamedParam {
	emb := nn.Join(prefix, "embeddings")
	ps := []nn.NamedParam{{Name: nn.Join(emb, "class_embedding"), Var: m.ClassEmbedding}}
	if m.Flavor != CLIP {
		// BLIP's position embedding is a bare nn.Parameter of the embeddings
		// module, so PyTorch lists it before the patch conv (a child module).
		ps = append(ps, nn.NamedParam{Name: nn.Join(emb, "position_embedding"), Var: m.PositionEmbedding})
	}
	ps = append(ps, nn.NamedParam{Name: nn.Join(emb, "patch_embedding.weight"), Var: m.PatchWeight})
	if m.PatchBias != nil {
		ps = append(ps, nn.NamedParam{Name: nn.Join(emb, "patch_embedding.bias"), Var: m.PatchBias})
	}
	if m.Flavor == CLIP {
		// CLIP's position embedding is an nn.Embedding child module.
		ps = append(ps, nn.NamedParam{Name: nn.Join(emb, "position_embedding.weight"), Var: m.PositionEmbedding})
		ps = append(ps, m.PreLayerNorm.NamedParams(nn.Join(prefix, "pre_layrnorm"))...)
	}
	for i, l := range m.Layers {
		ps = append(ps, l.NamedParams(nn.Join(prefix, fmt.Sprintf("encoder.layers.%d", i)))...)
	}
	return append(ps, m.PostLayerNorm.NamedParams(nn.Join(prefix, "post_layernorm"))...)
}
