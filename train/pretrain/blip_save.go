package pretrain

import (
	"encoding/json"
	"fmt"

	"radcap/blip"
)

// SaveBLIP writes m to dir as a Hugging Face model folder that
// transformers' BlipForConditionalGeneration and BlipProcessor load:
// config.json, model.safetensors with every parameter in float16 (loading
// converts back to the model's dtype), the BERT uncased tokenizer files
// with BLIP's added tokens [DEC] (the bos token, id bos_token_id) and
// [ENC] (the next id) pinned by tokenizer_config.json's
// added_tokens_decoder (vocab.txt, tokenizer_config.json,
// special_tokens_map.json), and preprocessor_config.json (BLIP's image
// processor at the model's image size). Every file is replaced atomically.
func SaveBLIP(m *blip.CaptionModel, dir string) error {
	c := m.Config
	c.Architectures = []string{"BlipForConditionalGeneration"}
	c.Extra = map[string]json.RawMessage{}
	for k, v := range m.Config.Extra {
		c.Extra[k] = v
	}
	c.Extra["torch_dtype"] = json.RawMessage(`"float16"`)
	bos := m.Config.TextConfig.BosTokenID
	if bos < 0 || bos+1 >= m.Config.TextConfig.VocabSize {
		return fmt.Errorf("save %s: bos_token_id %d leaves no room for [DEC] and [ENC] in the vocabulary of %d", dir, bos, m.Config.TextConfig.VocabSize)
	}
	return saveHalf(dir, c, blipProcessorFiles(m.Config.VisionConfig.ImageSize, bos), m.NamedParams())
}

// blipProcessorFiles are the JSON files of BlipProcessor: the BERT
// tokenizer's settings with [DEC] at id bos and [ENC] at bos+1 (as
// Salesforce/blip-image-captioning-base adds them), and BLIP's image
// processor at size x size.
func blipProcessorFiles(size, bos int) map[string][]byte {
	token := func(content string) map[string]any {
		return map[string]any{"content": content, "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}
	}
	added := map[string]any{"0": token("[PAD]"), "100": token("[UNK]"), "101": token("[CLS]"), "102": token("[SEP]"), "103": token("[MASK]"),
		fmt.Sprint(bos): token("[DEC]"), fmt.Sprint(bos + 1): token("[ENC]")}
	tok := map[string]any{
		"tokenizer_class": "BertTokenizer", "processor_class": "BlipProcessor",
		"do_lower_case": true, "strip_accents": nil, "tokenize_chinese_chars": true,
		"do_basic_tokenize": true, "model_max_length": 512,
		"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
		"bos_token": "[DEC]", "additional_special_tokens": []string{"[ENC]"},
		"added_tokens_decoder":         added,
		"model_input_names":            []string{"input_ids", "attention_mask"},
		"clean_up_tokenization_spaces": true,
	}
	special := map[string]any{
		"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
		"bos_token": "[DEC]", "additional_special_tokens": []string{"[ENC]"},
	}
	proc := map[string]any{
		"image_processor_type": "BlipImageProcessor", "processor_class": "BlipProcessor",
		"do_resize": true, "size": map[string]int{"height": size, "width": size},
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
