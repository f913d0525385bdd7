// Package models holds the small base models that radcap ships inside its
// binary, the built-in analogs of microsoft/git-base (git-small) and
// Salesforce/blip-image-captioning-base (blip-small): Hugging Face model
// folders (config.json, model.safetensors in float16, the BERT uncased
// tokenizer files, with BLIP's [DEC] and [ENC] for blip-small,
// preprocessor_config.json and a README.md model card) that radcap
// pretrained itself with `radcap pretrain` on built-in synthetic shapes
// (see package radcap/train/pretrain).
//
// The folders are embedded with go:embed, so `radcap finetune` works on
// any machine with nothing but the binary. Loaders take a directory, so
// Extract (or ExtractTemp) writes a model's folder to disk first; LoadGIT
// and LoadBLIP do both.
package models

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"radcap/blip"
	"radcap/gitmodel"
	"radcap/internal/atomicfile"
)

// shipped is the embedded model folders, one per model name.
//
//go:embed git-small blip-small
var shipped embed.FS

// GitSmall is the name of the small GIT (GitForCausalLM) radcap ships.
const GitSmall = "git-small"

// BlipSmall is the name of the small BLIP (BlipForConditionalGeneration)
// radcap ships.
const BlipSmall = "blip-small"

// Names returns the names of the shipped models, sorted.
func Names() []string {
	entries, err := fs.ReadDir(shipped, ".")
	if err != nil {
		return nil // the embedded root always reads
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

// FS returns the files of the shipped model name (its folder as the root).
func FS(name string) (fs.FS, error) {
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("models: no built-in model %q (have %v)", name, Names())
	}
	sub, err := fs.Sub(shipped, name)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", name, err)
	}
	return sub, nil
}

// Extract writes the folder of the shipped model name into dir (created if
// needed); every file is written to a temporary name in dir and renamed,
// so a failed extraction never leaves a half-written file behind.
func Extract(name, dir string) error {
	files, err := FS(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("models: extract %s: %w", name, err)
	}
	return fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("models: extract %s: %w", name, err)
		}
		target := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("models: extract %s: %w", name, err)
			}
			return nil
		}
		body, err := fs.ReadFile(files, path)
		if err != nil {
			return fmt.Errorf("models: extract %s: %w", name, err)
		}
		if err := atomicfile.WriteFile(target, body); err != nil {
			return fmt.Errorf("models: extract %s: %w", name, err)
		}
		return nil
	})
}

// ExtractTemp extracts the shipped model name into a new temporary folder
// and returns its path and a function that removes it.
func ExtractTemp(name string) (dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "radcap-"+name+"-")
	if err != nil {
		return "", nil, fmt.Errorf("models: extract %s: %w", name, err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := Extract(name, dir); err != nil {
		cleanup()
		return "", nil, err
	}
	return dir, cleanup, nil
}

// LoadGIT loads the shipped GIT model name (e.g. GitSmall) in float32,
// extracting it to a temporary folder that is removed afterwards.
func LoadGIT(name string) (*gitmodel.Model, error) {
	dir, cleanup, err := ExtractTemp(name)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	m, err := gitmodel.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("models: load %s: %w", name, err)
	}
	return m, nil
}

// LoadBLIP loads the shipped BLIP captioning model name (e.g. BlipSmall)
// in float32, extracting it to a temporary folder that is removed
// afterwards.
func LoadBLIP(name string) (*blip.CaptionModel, error) {
	dir, cleanup, err := ExtractTemp(name)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	m, _, err := blip.LoadCaptionModel(dir, blip.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("models: load %s: %w", name, err)
	}
	return m, nil
}
