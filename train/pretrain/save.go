package pretrain

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"radcap/autograd"
	"radcap/gitmodel"
	"radcap/nn"
	"radcap/tensor"
	"radcap/tokenizer"
)

// SaveGIT writes m to dir as a Hugging Face model folder that
// transformers' GitForCausalLM and GitProcessor load: config.json,
// model.safetensors with every parameter in float16 (half the size of
// float32; loading converts back to the model's dtype), the BERT uncased
// tokenizer files (vocab.txt, tokenizer_config.json,
// special_tokens_map.json) and preprocessor_config.json (CLIP's processor
// at the model's image size). Every file is replaced atomically.
func SaveGIT(m *gitmodel.Model, dir string) error {
	c := m.Config
	c.Extra = map[string]json.RawMessage{}
	for k, v := range m.Config.Extra {
		c.Extra[k] = v
	}
	c.Extra["torch_dtype"] = json.RawMessage(`"float16"`)
	return saveHalf(dir, c, processorFiles(m.Config.Vision.ImageSize), m.NamedParams())
}

// saveHalf writes a model folder: config (indented, as config.json), the
// other files, model.safetensors with params converted to float16, and
// the BERT uncased vocab.txt; every file is replaced atomically.
func saveHalf(dir string, config any, files map[string][]byte, params []nn.NamedParam) error {
	cfg, err := json.MarshalIndent(config, "", "  ")
	if err != nil {
		return fmt.Errorf("save %s: config: %w", dir, err)
	}
	all := map[string][]byte{nn.ConfigFileName: append(cfg, '\n')}
	for name, body := range files {
		all[name] = body
	}
	var half []nn.NamedParam
	for _, p := range params {
		half = append(half, nn.NamedParam{Name: p.Name, Var: autograd.Const(p.Var.Value.To(tensor.F16))})
	}
	if err := nn.SaveParams(dir, half, all, 0); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	if err := nn.WriteFileAtomic(filepath.Join(dir, "vocab.txt"), vocabFile()); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	return nil
}

// vocabFile is the built-in BERT uncased vocabulary as vocab.txt: one
// token per line, in id order.
func vocabFile() []byte {
	t := tokenizer.BertBaseUncased()
	var b strings.Builder
	for id := range t.BaseVocabSize() {
		tok, _ := t.IDToken(id)
		b.WriteString(tok)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// processorFiles are the JSON files of GitProcessor: the BERT tokenizer's
// settings and CLIP's image processor at size x size.
func processorFiles(size int) map[string][]byte {
	tok := map[string]any{
		"tokenizer_class": "BertTokenizer", "processor_class": "GitProcessor",
		"do_lower_case": true, "strip_accents": nil, "tokenize_chinese_chars": true,
		"do_basic_tokenize": true, "model_max_length": 512,
		"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
		"model_input_names": []string{"input_ids", "attention_mask"},
	}
	special := map[string]any{
		"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
	}
	proc := map[string]any{
		"image_processor_type": "CLIPImageProcessor", "processor_class": "GitProcessor",
		"do_resize": true, "size": map[string]int{"shortest_edge": size},
		"do_center_crop": true, "crop_size": map[string]int{"height": size, "width": size},
		"do_rescale": true, "rescale_factor": 1.0 / 255, "do_normalize": true, "do_convert_rgb": true,
		"image_mean": []float64{0.48145466, 0.4578275, 0.40821073},
		"image_std":  []float64{0.26862954, 0.26130258, 0.27577711},
		"resample":   3,
	}
	out := map[string][]byte{}
	for name, v := range map[string]any{"tokenizer_config.json": tok, "special_tokens_map.json": special, "preprocessor_config.json": proc} {
		b, _ := json.MarshalIndent(v, "", "  ") // plain maps of JSON values always marshal
		out[name] = append(b, '\n')
	}
	return out
}
