// Package blip implements BLIP (Li et al., 2022) as Hugging Face
// transformers 4.45 does, with the same parameter names, on the shared
// blocks of package nn and BLIP's ViT from package vit:
//
//   - CaptionModel is BlipForConditionalGeneration: the ViT encodes the
//     image (vision_model.*); a BERT decoder (text_decoder.bert.*) with
//     causal self-attention, padding masked as (1 − m)·(−10000), and
//     cross-attention over every image token feeds the LM head
//     (text_decoder.cls.predictions.*; decoder.bias is the same tensor as
//     cls.predictions.bias and is stored once). Its loss scores
//     logits[:, i] against labels[:, i+1] with text_config.label_smoothing:
//     (1 − e)·nll + e·mean over the vocabulary of −log_softmax. Captions
//     start with [DEC] (bos_token_id; see WithDEC).
//   - RetrievalModel is BlipForImageTextRetrieval: the same ViT and a BERT
//     text encoder (text_encoder.*) that runs bidirectionally and whose
//     layers carry cross-attention weights. ITM runs it with
//     cross-attention to all image tokens and reads itm_head's two logits
//     from the first text token; ITC runs it without cross-attention and
//     returns the cosine similarity of the L2-normalised vision_proj and
//     text_proj of the class tokens.
//   - For training, ITCLoss is the symmetric cross entropy of the
//     similarities over the batch divided by a learned temperature
//     (RetrievalModel.Temp, BLIP pretraining's "temp": it is not a
//     transformers parameter, so it is kept out of NamedParams and of saved
//     checkpoints; TrainingParams includes it), and PretrainLosses adds
//     BLIP's ITM loss with hard negatives drawn, with a seeded generator,
//     from the softmax of the similarities.
//   - CaptionModel.Decoder implements generate.Decoder: self-attention
//     keys and values are cached per layer, the image's cross-attention
//     keys and values are computed once per row. Generate reproduces
//     BlipForConditionalGeneration.generate (start from [DEC], stop on
//     sep_token_id, a prompt's last token dropped).
//
// Config mirrors BlipConfig (text_config, vision_config), fills omitted
// keys with transformers' defaults (text_config.encoder_hidden_size is
// always the vision width) and keeps unknown keys for saving.
// LoadCaptionModel, LoadRetrievalModel and Save read and write a Hugging
// Face model folder (config.json, model.safetensors or shards); a missing,
// unexpected or misshapen tensor is an error that names it.
package blip
