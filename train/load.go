package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"radcap/blip"
	"radcap/gitmodel"
	"radcap/imageproc"
	"radcap/nn"
	"radcap/tokenizer"
)

// sideFiles are the files of a Hugging Face model folder besides the
// weights and config.json that LoadModel keeps and Save writes back:
// the tokenizer's and the image processor's.
var sideFiles = []string{
	tokenizer.VocabFile, tokenizer.TokenizerFile, tokenizer.TokenizerConfig,
	tokenizer.SpecialTokensMap, tokenizer.AddedTokensFile,
	"preprocessor_config.json", "generation_config.json",
}

// LoadModel reads a Hugging Face model folder (config.json with
// model_type "git" or "blip", model.safetensors or shards, the tokenizer
// files, preprocessor_config.json). Without preprocessor_config.json the
// model's default preprocessing at its vision image_size is used.
func LoadModel(dir string) (Model, error) {
	raw, err := os.ReadFile(filepath.Join(dir, nn.ConfigFileName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("load model %s: no config.json (want a Hugging Face model folder, or git-small, blip-small, git-base, blip-base)", dir)
		}
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	var head struct {
		ModelType string `json:"model_type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("load model %s: config.json: %w", dir, err)
	}
	files, err := readSideFiles(dir)
	if err != nil {
		return nil, err
	}
	switch head.ModelType {
	case "git":
		m, err := gitmodel.Load(dir)
		if err != nil {
			return nil, err
		}
		tok, err := tokenizer.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("load model %s: %w", dir, err)
		}
		proc, err := loadProcessor(dir, clipProcessor(m.Config.Vision.ImageSize))
		if err != nil {
			return nil, err
		}
		g, err := NewGIT(m, tok, proc)
		if err != nil {
			return nil, fmt.Errorf("load model %s: %w", dir, err)
		}
		g.files = files
		return g, nil
	case "blip":
		m, _, err := blip.LoadCaptionModel(dir, blip.LoadOptions{})
		if err != nil {
			return nil, err
		}
		tok, err := tokenizer.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("load model %s: %w", dir, err)
		}
		if _, _, ok := tok.SpecialToken("bos_token"); !ok {
			if err := tok.AddBLIPTokens(m.Config.TextConfig.BosTokenID); err != nil {
				return nil, fmt.Errorf("load model %s: %w", dir, err)
			}
		}
		proc, err := loadProcessor(dir, blipProcessor(m.Config.VisionConfig.ImageSize))
		if err != nil {
			return nil, err
		}
		b, err := NewBLIP(m, tok, proc)
		if err != nil {
			return nil, fmt.Errorf("load model %s: %w", dir, err)
		}
		b.files = files
		return b, nil
	}
	return nil, fmt.Errorf("load model %s: config.json model_type %q is not supported (want git or blip)", dir, head.ModelType)
}

// NewBaseModel returns a base-size model with random weights drawn from
// seed: "git-base" (microsoft/git-base's architecture, the bert-base-uncased
// vocabulary, 224-pixel CLIP preprocessing) or "blip-base"
// (Salesforce/blip-image-captioning-base's, with [DEC] and [ENC] added,
// 384-pixel BLIP preprocessing).
func NewBaseModel(name string, seed uint64) (Model, error) {
	switch name {
	case "git-base":
		m, err := gitmodel.New(gitmodel.BaseConfig(), seed)
		if err != nil {
			return nil, err
		}
		return NewGIT(m, tokenizer.BertBaseUncased(), imageproc.GIT())
	case "blip-base":
		m, err := blip.NewCaptionModel(blip.BaseConfig(), seed)
		if err != nil {
			return nil, err
		}
		tok := tokenizer.BertBaseUncased()
		if err := tok.AddBLIPTokens(m.Config.TextConfig.BosTokenID); err != nil {
			return nil, err
		}
		return NewBLIP(m, tok, imageproc.BLIP())
	}
	return nil, fmt.Errorf("unknown base model %q (want git-base or blip-base)", name)
}

// clipProcessor is GIT's CLIP preprocessing at size pixels.
func clipProcessor(size int) imageproc.Processor {
	p := imageproc.GIT()
	p.ShortestEdge, p.CropWidth, p.CropHeight = size, size, size
	return p
}

// blipProcessor is BLIP's preprocessing at size pixels.
func blipProcessor(size int) imageproc.Processor {
	p := imageproc.BLIP()
	p.Width, p.Height = size, size
	return p
}

// loadProcessor reads dir/preprocessor_config.json, or returns def when
// the folder has none.
func loadProcessor(dir string, def imageproc.Processor) (imageproc.Processor, error) {
	path := filepath.Join(dir, "preprocessor_config.json")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return def, nil
	}
	p, err := imageproc.FromConfig(path)
	if err != nil {
		return imageproc.Processor{}, fmt.Errorf("load model %s: %w", dir, err)
	}
	return p, nil
}

// readSideFiles reads the tokenizer and processor files present in dir.
func readSideFiles(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range sideFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load model %s: %w", dir, err)
		}
		files[name] = b
	}
	return files, nil
}

// writeSideFiles writes the tokenizer and processor files of a model
// folder: the ones it was loaded with, byte for byte, or, for a model
// built in memory, a vocab.txt, tokenizer_config.json and
// preprocessor_config.json made from tok and proc.
func writeSideFiles(dir string, files map[string][]byte, tok *tokenizer.Tokenizer, proc imageproc.Processor, procType string) error {
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = v
	}
	if _, ok := out[tokenizer.VocabFile]; !ok {
		if _, ok := out[tokenizer.TokenizerFile]; !ok {
			var b strings.Builder
			for id := range tok.BaseVocabSize() {
				t, _ := tok.IDToken(id)
				b.WriteString(t + "\n")
			}
			out[tokenizer.VocabFile] = []byte(b.String())
			cfg := map[string]any{
				"tokenizer_class": "BertTokenizer", "do_lower_case": tok.Config().DoLowerCase,
				"model_max_length": tok.Config().ModelMaxLength,
			}
			if t, _, ok := tok.SpecialToken("bos_token"); ok {
				cfg["bos_token"] = t
			}
			j, _ := json.MarshalIndent(cfg, "", "  ")
			out[tokenizer.TokenizerConfig] = append(j, '\n')
		}
	}
	if _, ok := out["preprocessor_config.json"]; !ok {
		out["preprocessor_config.json"] = processorConfig(proc, procType)
	}
	for name, b := range out {
		if err := nn.WriteFileAtomic(filepath.Join(dir, name), b); err != nil {
			return fmt.Errorf("save %s: %w", dir, err)
		}
	}
	return nil
}

// processorConfig writes proc as a preprocessor_config.json that
// imageproc.FromConfig and transformers read.
func processorConfig(p imageproc.Processor, typ string) []byte {
	c := map[string]any{
		"image_processor_type": typ, "do_resize": true, "resample": 3,
		"do_rescale": true, "rescale_factor": p.RescaleFactor,
		"do_normalize": p.Normalize, "image_mean": p.Mean[:], "image_std": p.Std[:],
		"do_convert_rgb": true,
	}
	if typ == "CLIPImageProcessor" {
		c["size"] = map[string]int{"shortest_edge": p.ShortestEdge}
		c["do_center_crop"] = true
		c["crop_size"] = map[string]int{"height": p.CropHeight, "width": p.CropWidth}
	} else {
		c["size"] = map[string]int{"height": p.Height, "width": p.Width}
	}
	j, _ := json.MarshalIndent(c, "", "  ")
	return append(j, '\n')
}
