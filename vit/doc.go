// Package vit is the Vision Transformer image encoder in the two flavours
// radcap's models use, with the parameter names of their Hugging Face
// checkpoints:
//
//   - CLIP's (GIT's image encoder, GitVisionModel): patch convolution
//     without bias, class embedding [D], position embedding (an nn.Embedding
//     [N+1, D]), pre_layrnorm (sic), pre-LN layers with q/k/v/out
//     projections and quick_gelu, post_layernorm.
//
//   - BLIP's (BlipVisionModel): patch convolution with bias, class
//     embedding [1, 1, D], position embedding [1, N+1, D], no pre-LayerNorm,
//     pre-LN layers with a fused qkv projection and gelu, post_layernorm;
//     the pooled output is post_layernorm applied again to the class token.
//
//     pixels [B, C, H, W] → patches [B, N, D] → [cls; patches] + pos → layers → LN → [B, N+1, D]
package vit
