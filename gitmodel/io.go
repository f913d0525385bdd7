package gitmodel

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"radcap/nn"
)

// Load reads a model folder written by transformers' save_pretrained (or
// by Save): config.json and model.safetensors, or the shards its index
// lists. Every parameter must be present with its shape; any other tensor
// is an error, except the position_ids buffers older checkpoints stored.
func Load(dir string) (*Model, error) {
	m, _, err := LoadWithOptions(dir, nn.LoadOptions{})
	return m, err
}

// LoadWithOptions is Load with the loader's options (for example
// AllowUnexpected, which lists unexpected tensors instead of failing);
// it returns the unexpected tensor names.
func LoadWithOptions(dir string, opts nn.LoadOptions) (*Model, []string, error) {
	cfg, err := LoadConfig(filepath.Join(dir, nn.ConfigFileName))
	if err != nil {
		return nil, nil, err
	}
	m, err := build(cfg, 0, true)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", dir, err)
	}
	if opts.Ignore == nil {
		opts.Ignore = func(name string) bool { return strings.HasSuffix(name, ".position_ids") }
	}
	unexpected, err := nn.LoadParams(dir, m.NamedParams(), opts)
	if err != nil {
		return nil, unexpected, err
	}
	return m, unexpected, nil
}

// Save writes the model as a folder transformers loads with
// GitForCausalLM.from_pretrained: config.json and model.safetensors, each
// replaced atomically.
func (m *Model) Save(dir string) error {
	return m.SaveSharded(dir, 0)
}

// SaveSharded is Save with the weights split into shards of at most
// maxShardBytes (plus model.safetensors.index.json) when maxShardBytes > 0.
func (m *Model) SaveSharded(dir string, maxShardBytes int64) error {
	cfg := m.Config
	cfg.Extra = map[string]json.RawMessage{}
	for k, v := range m.Config.Extra {
		cfg.Extra[k] = v
	}
	if _, ok := cfg.Extra["architectures"]; !ok {
		cfg.Extra["architectures"] = json.RawMessage(`["GitForCausalLM"]`)
	}
	cfg.Extra["torch_dtype"] = json.RawMessage(`"` + torchDType(m) + `"`)
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("save %s: config: %w", dir, err)
	}
	if err := nn.SaveParams(dir, m.NamedParams(), map[string][]byte{nn.ConfigFileName: append(data, '\n')}, maxShardBytes); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	return nil
}

// torchDType names the parameters' dtype as config.json's torch_dtype
// does ("float32", "bfloat16", ...).
func torchDType(m *Model) string {
	return m.WordEmbeddings.Weight.Value.DType().String()
}
