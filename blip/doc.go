// Package blip implements BLIP (Li et al., 2022) as Hugging Face
// transformers does, with the same parameter names:
//
//   - CaptionModel is BlipForConditionalGeneration: BLIP's ViT encodes the
//     image; a BERT decoder with causal self-attention and cross-attention
//     over every image token predicts the caption, starting from [DEC]
//     (bos_token_id). Its loss is cross entropy with the text config's
//     label smoothing.
//   - RetrievalModel is BlipForImageTextRetrieval: the same ViT and a BERT
//     text encoder (bidirectional) whose layers carry cross-attention
//     weights. The ITM head reads the first text token after
//     cross-attention to the image; ITC compares the normalised
//     vision_proj and text_proj features of the class tokens, the text
//     encoded without cross-attention.
//
// Config mirrors transformers' BlipConfig (text_config and vision_config)
// and fills omitted keys with its defaults.
package blip
