package blip

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"radcap/nn"
)

// LoadOptions controls how a model folder is read.
type LoadOptions struct {
	// AllowUnexpected accepts checkpoint tensors the model has no
	// parameter for; Load then returns their names instead of failing.
	AllowUnexpected bool
}

// ignoredTensor reports checkpoint entries that transformers also skips
// without complaint: the position_ids buffers older checkpoints stored,
// and cls.predictions.decoder.bias, which is the same tensor as
// cls.predictions.bias (tied).
func ignoredTensor(name string) bool {
	return strings.HasSuffix(name, "embeddings.position_ids") ||
		name == "text_decoder.cls.predictions.decoder.bias"
}

// LoadCaptionModel reads a BlipForConditionalGeneration folder:
// config.json and model.safetensors (or shards with their index). Every
// parameter must be present with its shape; unexpected tensors are an
// error unless opts allows them (then they are returned).
func LoadCaptionModel(dir string, opts LoadOptions) (*CaptionModel, []string, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, nil, err
	}
	m, err := newCaptionModel(cfg, 0, true)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", dir, err)
	}
	unexpected, err := nn.LoadParams(dir, m.NamedParams(), nn.LoadOptions{AllowUnexpected: opts.AllowUnexpected, Ignore: ignoredTensor})
	if err != nil {
		return nil, nil, err
	}
	return m, unexpected, nil
}

// LoadRetrievalModel reads a BlipForImageTextRetrieval folder as
// LoadCaptionModel does. Temp starts at DefaultTemp (it is not part of a
// Hugging Face checkpoint).
func LoadRetrievalModel(dir string, opts LoadOptions) (*RetrievalModel, []string, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, nil, err
	}
	m, err := newRetrievalModel(cfg, 0, true)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", dir, err)
	}
	unexpected, err := nn.LoadParams(dir, m.NamedParams(), nn.LoadOptions{AllowUnexpected: opts.AllowUnexpected, Ignore: ignoredTensor})
	if err != nil {
		return nil, nil, err
	}
	return m, unexpected, nil
}

// Save writes the model folder dir: config.json (architectures
// BlipForConditionalGeneration) and model.safetensors with the Hugging
// Face names (shards with an index when maxShardBytes > 0), each file
// replaced atomically, so transformers' from_pretrained reads it.
func (m *CaptionModel) Save(dir string, maxShardBytes int64) error {
	return save(dir, m.Config, "BlipForConditionalGeneration", m.NamedParams(), maxShardBytes)
}

// Save writes the model folder dir as CaptionModel.Save does, with
// architectures BlipForImageTextRetrieval. Temp is not saved.
func (m *RetrievalModel) Save(dir string, maxShardBytes int64) error {
	return save(dir, m.Config, "BlipForImageTextRetrieval", m.NamedParams(), maxShardBytes)
}

func save(dir string, cfg Config, arch string, params []nn.NamedParam, maxShardBytes int64) error {
	cfg.Architectures = []string{arch}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("save %s: config: %w", dir, err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, raw, "", "  "); err != nil {
		return fmt.Errorf("save %s: config: %w", dir, err)
	}
	pretty.WriteByte('\n')
	return nn.SaveParams(dir, params, map[string][]byte{nn.ConfigFileName: pretty.Bytes()}, maxShardBytes)
}
