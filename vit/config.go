package vit

import (
	"encoding/json"
	"fmt"

	"radcap/nn"
)

// Config is a vision_config as transformers' GitVisionConfig (CLIP) and
// BlipVisionConfig read it. Keys absent from a file keep the defaults of
// CLIPDefaults or BLIPDefaults; keys the struct does not model are kept in
// Extra and written back by MarshalJSON.
type Config struct {
	HiddenSize        int     `json:"hidden_size"`
	IntermediateSize  int     `json:"intermediate_size"`
	NumHiddenLayers   int     `json:"num_hidden_layers"`
	NumAttentionHeads int     `json:"num_attention_heads"`
	NumChannels       int     `json:"num_channels,omitempty"` // CLIP only; BLIP's conv always reads 3 channels
	ImageSize         int     `json:"image_size"`
	PatchSize         int     `json:"patch_size"`
	HiddenAct         string  `json:"hidden_act"`
	LayerNormEps      float64 `json:"layer_norm_eps"`
	AttentionDropout  float64 `json:"attention_dropout"`
	InitializerRange  float64 `json:"initializer_range"`
	ProjectionDim     int     `json:"projection_dim,omitempty"` // BLIP only (unused by the tower itself)
	ModelType         string  `json:"model_type"`

	// Extra holds the file's keys that the fields above do not model.
	Extra map[string]json.RawMessage `json:"-"`
}

// CLIPDefaults returns GitVisionConfig's defaults: CLIP ViT-B/16 at 224
// pixels, the vision tower of microsoft/git-base.
func CLIPDefaults() Config {
	return Config{
		HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
		NumChannels: 3, ImageSize: 224, PatchSize: 16, HiddenAct: "quick_gelu",
		LayerNormEps: 1e-5, AttentionDropout: 0, InitializerRange: 0.02,
		ModelType: "git_vision_model",
	}
}

// BLIPDefaults returns BlipVisionConfig's defaults: ViT-B/16 at 384 pixels,
// the vision tower of Salesforce/blip-image-captioning-base.
func BLIPDefaults() Config {
	return Config{
		HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
		ImageSize: 384, PatchSize: 16, HiddenAct: "gelu",
		LayerNormEps: 1e-5, AttentionDropout: 0, InitializerRange: 1e-10, ProjectionDim: 512,
		ModelType: "blip_vision_model",
	}
}

// ParseConfig reads a vision_config JSON object over defaults and checks
// it.
func ParseConfig(data []byte, defaults Config) (Config, error) {
	c := defaults
	type plain Config // without the MarshalJSON method
	extra, err := nn.SplitJSON(data, (*plain)(&c))
	if err != nil {
		return Config{}, fmt.Errorf("vision_config: %w", err)
	}
	c.Extra = extra
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// MarshalJSON writes the modelled fields over the preserved Extra keys.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return nn.MergeJSON(plain(c), c.Extra)
}

// Validate checks that the sizes make a model.
func (c Config) Validate() error {
	switch {
	case c.HiddenSize <= 0 || c.IntermediateSize <= 0 || c.NumHiddenLayers < 0 || c.NumAttentionHeads <= 0:
		return fmt.Errorf("vision_config: sizes must be positive (hidden_size %d, intermediate_size %d, num_hidden_layers %d, num_attention_heads %d)",
			c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads)
	case c.HiddenSize > 1<<17 || c.IntermediateSize > 1<<18 || c.NumHiddenLayers > 1<<10 || c.NumChannels > 1<<10:
		return fmt.Errorf("vision_config: sizes beyond any real model (hidden_size %d, intermediate_size %d, num_hidden_layers %d, num_channels %d)",
			c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumChannels)
	case c.NumChannels < 0:
		return fmt.Errorf("vision_config: num_channels %d is negative", c.NumChannels)
	case c.HiddenSize%c.NumAttentionHeads != 0:
		return fmt.Errorf("vision_config: hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	case c.PatchSize <= 0 || c.ImageSize < c.PatchSize:
		return fmt.Errorf("vision_config: image_size %d and patch_size %d make no patch", c.ImageSize, c.PatchSize)
	case c.ImageSize/c.PatchSize > 1<<10:
		return fmt.Errorf("vision_config: image_size %d / patch_size %d gives more than 1024 patches a side", c.ImageSize, c.PatchSize)
	case c.LayerNormEps <= 0:
		return fmt.Errorf("vision_config: layer_norm_eps %v must be positive", c.LayerNormEps)
	case c.AttentionDropout < 0 || c.AttentionDropout >= 1:
		return fmt.Errorf("vision_config: attention_dropout %v outside [0, 1)", c.AttentionDropout)
	}
	if _, err := nn.ParseActivation(c.HiddenAct); err != nil {
		return fmt.Errorf("vision_config: %w", err)
	}
	return nil
}

// NumPatches returns the number of patches per image, (image/patch)².
func (c Config) NumPatches() int {
	g := c.ImageSize / c.PatchSize
	return g * g
}

// NumTokens returns the tokens per image: the patches plus the class token.
func (c Config) NumTokens() int { return c.NumPatches() + 1 }
