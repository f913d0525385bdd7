package gitmodel

import (
	"encoding/json"
	"fmt"
	"os"

	"radcap/nn"
	"radcap/vit"
)

// Config is GitConfig: the text decoder's sizes and special tokens, and
// the vision tower's vision_config. Keys absent from a file keep
// transformers' defaults (DefaultConfig); keys the struct does not model
// are kept in Extra and written back.
type Config struct {
	VocabSize                 int     `json:"vocab_size"`
	HiddenSize                int     `json:"hidden_size"`
	NumHiddenLayers           int     `json:"num_hidden_layers"`
	NumAttentionHeads         int     `json:"num_attention_heads"`
	IntermediateSize          int     `json:"intermediate_size"`
	HiddenAct                 string  `json:"hidden_act"`
	HiddenDropoutProb         float64 `json:"hidden_dropout_prob"`
	AttentionProbsDropoutProb float64 `json:"attention_probs_dropout_prob"`
	MaxPositionEmbeddings     int     `json:"max_position_embeddings"`
	InitializerRange          float64 `json:"initializer_range"`
	LayerNormEps              float64 `json:"layer_norm_eps"`
	PadTokenID                int     `json:"pad_token_id"`
	BosTokenID                int     `json:"bos_token_id"`
	EosTokenID                int     `json:"eos_token_id"`
	PositionEmbeddingType     string  `json:"position_embedding_type"`
	UseCache                  bool    `json:"use_cache"`
	TieWordEmbeddings         bool    `json:"tie_word_embeddings"`
	NumImageWithEmbedding     *int    `json:"num_image_with_embedding"`
	ModelType                 string  `json:"model_type"`

	Vision vit.Config `json:"vision_config"`

	// Extra holds the file's keys that the fields above do not model
	// (architectures, torch_dtype, transformers_version, ...).
	Extra map[string]json.RawMessage `json:"-"`
}

// DefaultConfig returns GitConfig() of transformers: the defaults a
// config.json that omits a key gets.
func DefaultConfig() Config {
	return Config{
		VocabSize: 30522, HiddenSize: 768, NumHiddenLayers: 6, NumAttentionHeads: 12,
		IntermediateSize: 3072, HiddenAct: "gelu", HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1,
		MaxPositionEmbeddings: 1024, InitializerRange: 0.02, LayerNormEps: 1e-12,
		PadTokenID: 0, BosTokenID: 101, EosTokenID: 102, PositionEmbeddingType: "absolute",
		UseCache: true, TieWordEmbeddings: false, ModelType: "git",
		Vision: vit.CLIPDefaults(),
	}
}

// BaseConfig returns the configuration of microsoft/git-base: a CLIP
// ViT-B/16 at 224 pixels (hidden 768, 12 layers, 12 heads, intermediate
// 3072, quick_gelu, eps 1e-5) and a 6-layer BERT-like decoder (hidden 768,
// 12 heads, intermediate 3072, vocabulary 30522, 1024 positions, eps
// 1e-12) with [CLS] 101 as bos, [SEP] 102 as eos and pad 0 — the defaults
// of GitConfig, which were taken from that checkpoint.
func BaseConfig() Config {
	c := DefaultConfig()
	c.Extra = map[string]json.RawMessage{"architectures": json.RawMessage(`["GitForCausalLM"]`)}
	return c
}

// ParseConfig reads a config.json over DefaultConfig and checks it.
func ParseConfig(data []byte) (Config, error) {
	c := DefaultConfig()
	type plain Config
	extra, err := nn.SplitJSON(data, (*plain)(&c))
	if err != nil {
		return Config{}, fmt.Errorf("git config: %w", err)
	}
	// vision_config is parsed on its own, over GitVisionConfig's defaults.
	c.Vision = vit.CLIPDefaults()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Config{}, fmt.Errorf("git config: %w", err)
	}
	if raw, ok := top["vision_config"]; ok && string(raw) != "null" {
		if c.Vision, err = vit.ParseConfig(raw, vit.CLIPDefaults()); err != nil {
			return Config{}, fmt.Errorf("git config: %w", err)
		}
	}
	c.Extra = extra
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadConfig reads and parses the config.json at path.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	return c, nil
}

// MarshalJSON writes the configuration as save_pretrained would (every
// modelled value spelled out, preserved extra keys kept).
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return nn.MergeJSON(plain(c), c.Extra)
}

// Validate checks that the configuration describes a model radcap builds.
func (c Config) Validate() error {
	switch {
	case c.VocabSize <= 0 || c.HiddenSize <= 0 || c.NumHiddenLayers < 0 || c.NumAttentionHeads <= 0 ||
		c.IntermediateSize <= 0 || c.MaxPositionEmbeddings <= 0:
		return fmt.Errorf("git config: sizes must be positive (vocab_size %d, hidden_size %d, num_hidden_layers %d, num_attention_heads %d, intermediate_size %d, max_position_embeddings %d)",
			c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize, c.MaxPositionEmbeddings)
	case c.VocabSize > 1<<24 || c.HiddenSize > 1<<17 || c.NumHiddenLayers > 1<<10 || c.IntermediateSize > 1<<18 || c.MaxPositionEmbeddings > 1<<20:
		return fmt.Errorf("git config: sizes beyond any real model (vocab_size %d, hidden_size %d, num_hidden_layers %d, intermediate_size %d, max_position_embeddings %d)",
			c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.IntermediateSize, c.MaxPositionEmbeddings)
	case c.HiddenSize%c.NumAttentionHeads != 0:
		return fmt.Errorf("git config: hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	case c.LayerNormEps <= 0:
		return fmt.Errorf("git config: layer_norm_eps %v must be positive", c.LayerNormEps)
	case c.HiddenDropoutProb < 0 || c.HiddenDropoutProb >= 1 || c.AttentionProbsDropoutProb < 0 || c.AttentionProbsDropoutProb >= 1:
		return fmt.Errorf("git config: dropout probabilities %v, %v outside [0, 1)", c.HiddenDropoutProb, c.AttentionProbsDropoutProb)
	case c.PositionEmbeddingType != "absolute":
		return fmt.Errorf("git config: position_embedding_type %q is not supported (radcap implements \"absolute\")", c.PositionEmbeddingType)
	case c.NumImageWithEmbedding != nil:
		return fmt.Errorf("git config: num_image_with_embedding %d (video GIT) is not supported", *c.NumImageWithEmbedding)
	}
	for _, tok := range []struct {
		name string
		id   int
	}{{"pad_token_id", c.PadTokenID}, {"bos_token_id", c.BosTokenID}, {"eos_token_id", c.EosTokenID}} {
		if tok.id < 0 || tok.id >= c.VocabSize {
			return fmt.Errorf("git config: %s %d outside the vocabulary [0, %d)", tok.name, tok.id, c.VocabSize)
		}
	}
	if _, err := nn.ParseActivation(c.HiddenAct); err != nil {
		return fmt.Errorf("git config: %w", err)
	}
	return c.Vision.Validate()
}

// NumImageTokens returns the image tokens GIT puts before the text: the
// vision tower's patches plus its class token.
func (c Config) NumImageTokens() int { return c.Vision.NumTokens() }
