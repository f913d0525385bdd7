package blip

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"radcap/nn"
)

// NoToken marks a special-token id that the configuration leaves unset
// (null in config.json, None in transformers).
const NoToken = -1

// TextConfig is transformers' BlipTextConfig: the BERT-like text encoder
// and decoder. Field defaults are those of the Python class (4.45).
type TextConfig struct {
	VocabSize                 int     `json:"vocab_size"`
	HiddenSize                int     `json:"hidden_size"`
	EncoderHiddenSize         int     `json:"encoder_hidden_size"`
	IntermediateSize          int     `json:"intermediate_size"`
	ProjectionDim             int     `json:"projection_dim"`
	NumHiddenLayers           int     `json:"num_hidden_layers"`
	NumAttentionHeads         int     `json:"num_attention_heads"`
	MaxPositionEmbeddings     int     `json:"max_position_embeddings"`
	HiddenAct                 string  `json:"hidden_act"`
	LayerNormEps              float64 `json:"layer_norm_eps"`
	HiddenDropoutProb         float64 `json:"hidden_dropout_prob"`
	AttentionProbsDropoutProb float64 `json:"attention_probs_dropout_prob"`
	InitializerRange          float64 `json:"initializer_range"`
	BosTokenID                int     `json:"bos_token_id"`
	EosTokenID                int     `json:"eos_token_id"`
	PadTokenID                int     `json:"pad_token_id"`
	SepTokenID                int     `json:"sep_token_id"`
	IsDecoder                 bool    `json:"is_decoder"`
	UseCache                  bool    `json:"use_cache"`
	// LabelSmoothing is the smoothing of the captioning loss (transformers
	// >= 4.38 reads it from here; the default 0 means none).
	LabelSmoothing float64 `json:"label_smoothing"`

	// Extra holds the keys radcap does not model, kept for saving.
	Extra map[string]json.RawMessage `json:"-"`
}

// VisionConfig is transformers' BlipVisionConfig: BLIP's ViT.
type VisionConfig struct {
	HiddenSize        int     `json:"hidden_size"`
	IntermediateSize  int     `json:"intermediate_size"`
	ProjectionDim     int     `json:"projection_dim"`
	NumHiddenLayers   int     `json:"num_hidden_layers"`
	NumAttentionHeads int     `json:"num_attention_heads"`
	ImageSize         int     `json:"image_size"`
	PatchSize         int     `json:"patch_size"`
	HiddenAct         string  `json:"hidden_act"`
	LayerNormEps      float64 `json:"layer_norm_eps"`
	AttentionDropout  float64 `json:"attention_dropout"`
	InitializerRange  float64 `json:"initializer_range"`

	// Extra holds the keys radcap does not model, kept for saving.
	Extra map[string]json.RawMessage `json:"-"`
}

// Config is transformers' BlipConfig, the config.json of a BLIP model
// folder (BlipForConditionalGeneration or BlipForImageTextRetrieval).
type Config struct {
	Architectures       []string `json:"architectures"`
	ProjectionDim       int      `json:"projection_dim"`
	LogitScaleInitValue float64  `json:"logit_scale_init_value"`
	// ImageTextHiddenSize is the size of the ITC projections vision_proj
	// and text_proj of the retrieval model.
	ImageTextHiddenSize int `json:"image_text_hidden_size"`
	// LabelSmoothing is BlipConfig's top-level value; the captioning loss
	// does not use it (it reads TextConfig.LabelSmoothing).
	LabelSmoothing    float64 `json:"label_smoothing"`
	InitializerFactor float64 `json:"initializer_factor"`
	InitializerRange  float64 `json:"initializer_range"`
	TieWordEmbeddings bool    `json:"tie_word_embeddings"`

	TextConfig   TextConfig   `json:"text_config"`
	VisionConfig VisionConfig `json:"vision_config"`

	// Extra holds the top-level keys radcap does not model (torch_dtype,
	// transformers_version, ...), kept for saving.
	Extra map[string]json.RawMessage `json:"-"`
}

// DefaultTextConfig returns BlipTextConfig() with every argument left at
// its default.
func DefaultTextConfig() TextConfig {
	return TextConfig{
		VocabSize: 30524, HiddenSize: 768, EncoderHiddenSize: 768, IntermediateSize: 3072,
		ProjectionDim: 768, NumHiddenLayers: 12, NumAttentionHeads: 8, MaxPositionEmbeddings: 512,
		HiddenAct: "gelu", LayerNormEps: 1e-12, InitializerRange: 0.02,
		BosTokenID: 30522, EosTokenID: 2, PadTokenID: 0, SepTokenID: 102,
		IsDecoder: true, UseCache: true,
	}
}

// DefaultVisionConfig returns BlipVisionConfig() with every argument left
// at its default.
func DefaultVisionConfig() VisionConfig {
	return VisionConfig{
		HiddenSize: 768, IntermediateSize: 3072, ProjectionDim: 512, NumHiddenLayers: 12,
		NumAttentionHeads: 12, ImageSize: 384, PatchSize: 16, HiddenAct: "gelu",
		LayerNormEps: 1e-5, InitializerRange: 1e-10,
	}
}

// DefaultConfig returns BlipConfig() with every argument left at its
// default (a text config with 8 heads; see BaseConfig for blip-base).
func DefaultConfig() Config {
	c := Config{
		ProjectionDim: 512, LogitScaleInitValue: 2.6592, ImageTextHiddenSize: 256,
		InitializerFactor: 1, InitializerRange: 0.02, TieWordEmbeddings: true,
		TextConfig: DefaultTextConfig(), VisionConfig: DefaultVisionConfig(),
	}
	c.TextConfig.EncoderHiddenSize = c.VisionConfig.HiddenSize
	return c
}

// BaseConfig returns the configuration of Salesforce/blip-image-captioning-base:
// ViT-B/16 at 384x384 and a 12-layer, 12-head BERT-base text decoder with
// cross-attention over the 577 image tokens, vocabulary 30524 (BERT's
// 30522 plus [DEC] = 30522 as bos and [ENC] = 30523).
func BaseConfig() Config {
	c := DefaultConfig()
	c.Architectures = []string{"BlipForConditionalGeneration"}
	c.TextConfig.NumAttentionHeads = 12
	return c
}

// ParseConfig parses the bytes of a BLIP config.json, filling the keys it
// omits with transformers' defaults. As BlipConfig does, the text config's
// encoder_hidden_size is always set to the vision width. what names the
// source in errors (usually the file path).
func ParseConfig(data []byte, what string) (Config, error) {
	c := DefaultConfig()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Config{}, fmt.Errorf("%s: %w", what, err)
	}
	if top == nil {
		return Config{}, fmt.Errorf("%s: config is not a JSON object", what)
	}
	var err error
	if c.Extra, err = decodeInto(&c, top, what, "text_config", "vision_config"); err != nil {
		return Config{}, err
	}
	if raw, ok := top["text_config"]; ok && !isNull(raw) {
		sub, err := object(raw, what+": text_config")
		if err != nil {
			return Config{}, err
		}
		if c.TextConfig.Extra, err = decodeInto(&c.TextConfig, sub, what+": text_config"); err != nil {
			return Config{}, err
		}
		for _, tok := range []struct {
			key string
			dst *int
		}{{"bos_token_id", &c.TextConfig.BosTokenID}, {"eos_token_id", &c.TextConfig.EosTokenID},
			{"pad_token_id", &c.TextConfig.PadTokenID}, {"sep_token_id", &c.TextConfig.SepTokenID}} {
			if v, ok := sub[tok.key]; ok && isNull(v) {
				*tok.dst = NoToken
			}
		}
	}
	if raw, ok := top["vision_config"]; ok && !isNull(raw) {
		sub, err := object(raw, what+": vision_config")
		if err != nil {
			return Config{}, err
		}
		if c.VisionConfig.Extra, err = decodeInto(&c.VisionConfig, sub, what+": vision_config"); err != nil {
			return Config{}, err
		}
	}
	c.TextConfig.EncoderHiddenSize = c.VisionConfig.HiddenSize
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}

// LoadConfig reads dir/config.json (or the file itself when path is a
// file) with ParseConfig.
func LoadConfig(path string) (Config, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "config.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load blip config: %w", err)
	}
	return ParseConfig(data, path)
}

// Validate checks that the sizes describe a buildable model and that the
// activations are ones radcap implements.
func (c Config) Validate() error {
	t, v := c.TextConfig, c.VisionConfig
	for _, f := range []struct {
		name string
		val  int
	}{
		{"text_config.vocab_size", t.VocabSize}, {"text_config.hidden_size", t.HiddenSize},
		{"text_config.intermediate_size", t.IntermediateSize}, {"text_config.num_hidden_layers", t.NumHiddenLayers},
		{"text_config.num_attention_heads", t.NumAttentionHeads}, {"text_config.max_position_embeddings", t.MaxPositionEmbeddings},
		{"vision_config.hidden_size", v.HiddenSize}, {"vision_config.intermediate_size", v.IntermediateSize},
		{"vision_config.num_hidden_layers", v.NumHiddenLayers}, {"vision_config.num_attention_heads", v.NumAttentionHeads},
		{"vision_config.image_size", v.ImageSize}, {"vision_config.patch_size", v.PatchSize},
		{"image_text_hidden_size", c.ImageTextHiddenSize},
	} {
		if f.val <= 0 {
			return fmt.Errorf("%s = %d, want a positive size", f.name, f.val)
		}
	}
	if t.HiddenSize%t.NumAttentionHeads != 0 {
		return fmt.Errorf("text_config.hidden_size %d is not a multiple of num_attention_heads %d", t.HiddenSize, t.NumAttentionHeads)
	}
	if v.HiddenSize%v.NumAttentionHeads != 0 {
		return fmt.Errorf("vision_config.hidden_size %d is not a multiple of num_attention_heads %d", v.HiddenSize, v.NumAttentionHeads)
	}
	if v.PatchSize > v.ImageSize {
		return fmt.Errorf("vision_config.patch_size %d exceeds image_size %d", v.PatchSize, v.ImageSize)
	}
	if _, err := nn.ParseActivation(t.HiddenAct); err != nil {
		return fmt.Errorf("text_config.hidden_act: %w", err)
	}
	if _, err := nn.ParseActivation(v.HiddenAct); err != nil {
		return fmt.Errorf("vision_config.hidden_act: %w", err)
	}
	if t.LabelSmoothing < 0 || t.LabelSmoothing > 1 {
		return fmt.Errorf("text_config.label_smoothing %v outside [0, 1]", t.LabelSmoothing)
	}
	for _, p := range []struct {
		name string
		val  float64
	}{{"text_config.hidden_dropout_prob", t.HiddenDropoutProb}, {"text_config.attention_probs_dropout_prob", t.AttentionProbsDropoutProb},
		{"vision_config.attention_dropout", v.AttentionDropout}} {
		if p.val < 0 || p.val >= 1 {
			return fmt.Errorf("%s %v outside [0, 1)", p.name, p.val)
		}
	}
	for _, id := range []struct {
		name string
		val  int
	}{{"bos_token_id", t.BosTokenID}, {"eos_token_id", t.EosTokenID}, {"pad_token_id", t.PadTokenID}, {"sep_token_id", t.SepTokenID}} {
		if id.val < NoToken || id.val >= t.VocabSize {
			return fmt.Errorf("text_config.%s %d outside the vocabulary of %d", id.name, id.val, t.VocabSize)
		}
	}
	return nil
}

// NumPatches is the number of image patches, (image_size/patch_size)²;
// the vision tower yields one more token (the class token).
func (v VisionConfig) NumPatches() int {
	n := v.ImageSize / v.PatchSize
	return n * n
}

// MarshalJSON writes the config with every modelled field spelled out and
// the unmodelled keys it was loaded with, as transformers loads it.
func (c Config) MarshalJSON() ([]byte, error) {
	m, err := mergeFields(&c, c.Extra)
	if err != nil {
		return nil, err
	}
	if m["text_config"], err = c.TextConfig.MarshalJSON(); err != nil {
		return nil, err
	}
	if m["vision_config"], err = c.VisionConfig.MarshalJSON(); err != nil {
		return nil, err
	}
	if _, ok := m["model_type"]; !ok {
		m["model_type"] = json.RawMessage(`"blip"`)
	}
	return json.Marshal(m)
}

// MarshalJSON writes the text config's fields and its Extra keys.
func (t TextConfig) MarshalJSON() ([]byte, error) {
	m, err := mergeFields(&t, t.Extra)
	if err != nil {
		return nil, err
	}
	for key, v := range map[string]int{"bos_token_id": t.BosTokenID, "eos_token_id": t.EosTokenID, "pad_token_id": t.PadTokenID, "sep_token_id": t.SepTokenID} {
		if v == NoToken {
			m[key] = json.RawMessage("null")
		}
	}
	if _, ok := m["model_type"]; !ok {
		m["model_type"] = json.RawMessage(`"blip_text_model"`)
	}
	return json.Marshal(m)
}

// MarshalJSON writes the vision config's fields and its Extra keys.
func (v VisionConfig) MarshalJSON() ([]byte, error) {
	m, err := mergeFields(&v, v.Extra)
	if err != nil {
		return nil, err
	}
	if _, ok := m["model_type"]; !ok {
		m["model_type"] = json.RawMessage(`"blip_vision_model"`)
	}
	return json.Marshal(m)
}

// decodeInto sets the fields of the struct dst points to from the keys of
// obj that name them (by json tag), leaving the others at their current
// (default) values, and returns the keys it does not model, minus skip.
func decodeInto(dst any, obj map[string]json.RawMessage, what string, skip ...string) (map[string]json.RawMessage, error) {
	rv := reflect.ValueOf(dst).Elem()
	rt := rv.Type()
	known := map[string]bool{}
	for _, s := range skip {
		known[s] = true
	}
	for i := 0; i < rt.NumField(); i++ {
		tag := jsonName(rt.Field(i))
		if tag == "" || known[tag] {
			continue
		}
		known[tag] = true
		raw, ok := obj[tag]
		if !ok || isNull(raw) {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(rv.Field(i).Addr().Interface()); err != nil {
			return nil, fmt.Errorf("%s: field %q: %w", what, tag, err)
		}
	}
	extra := map[string]json.RawMessage{}
	for k, v := range obj {
		if !known[k] {
			extra[k] = v
		}
	}
	return extra, nil
}

// mergeFields returns the extra keys overlaid with the struct's fields.
func mergeFields(src any, extra map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	m := make(map[string]json.RawMessage, len(extra)+16)
	for k, v := range extra {
		m[k] = v
	}
	rv := reflect.ValueOf(src).Elem()
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		tag := jsonName(rt.Field(i))
		if tag == "" || tag == "text_config" || tag == "vision_config" {
			continue
		}
		b, err := json.Marshal(rv.Field(i).Interface())
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", tag, err)
		}
		m[tag] = b
	}
	return m, nil
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	return name
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func object(raw json.RawMessage, what string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return m, nil
}
