// Package pretrain makes the small base models that radcap ships
// (models/git-small, models/blip-small): it trains them from random
// weights on the built-in synthetic shapes set (data/synth.Shapes: circles,
// squares, triangles and blobs with position, size and brightness, a
// different kind of image-caption data than the chest X-rays), generated
// fresh at every step so nothing is seen twice.
//
// As BLIP is pretrained, three losses are summed:
//
//   - ITC, image-text contrastive: the image's pooled features and the
//     caption's encoding are projected to a shared space and each image
//     must pick its own caption out of the batch (and each caption its
//     image), by softmax over cosine similarities / a learned temperature;
//   - ITM, image-text matching: a text encoder layer with cross-attention to
//     the image tokens says whether a caption belongs to an image, on the
//     matched pairs and on hard negatives drawn from the ITC similarities;
//   - attributes, a direct image-level loss the shapes set makes possible:
//     binary cross entropy on each position's shape, size and brightness,
//     read from the mean of the image tokens of that region, and again from
//     the decoder's first text position (so the decoder learns to read the
//     image into the text);
//   - LM, the captioning loss of the model itself.
//
// For GIT the text encoder of ITC/ITM is a small BERT used only during
// pretraining (it shares GIT's word embeddings and is discarded with the
// projection heads); only GitForCausalLM's parameters are saved. ITC, ITM
// and the attribute losses give the vision tower a direct image-level signal: a caption loss
// alone does not teach a fresh vision tower to see within minutes. The run
// can begin with a tower stage (ITC + ITM only) before the LM loss joins.
//
// Checkpoints are written in the Hugging Face layout (config.json,
// model.safetensors in float16 to keep the shipped files small, the BERT
// tokenizer files and preprocessor_config.json), so transformers loads
// them as it loads microsoft/git-base.
package pretrain
