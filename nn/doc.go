// Package nn holds radcap's layers, written once and shared by the models:
// Linear, Embedding, LayerNorm, the activations of Hugging Face configs,
// the GELU MLP, multi-head attention (self and cross, with additive masks),
// BERT's post-LN layer with optional cross-attention, and ViT's pre-LN
// layer, plus the loading and saving of a Hugging Face model folder.
//
// # Conventions every model follows
//
// A parameter is an *autograd.Var made with autograd.Param. Every block has
// a method NamedParams(prefix string) []NamedParam that lists its
// parameters in the order of PyTorch's named_parameters(), each under its
// Hugging Face name joined to prefix with a dot
// ("git.encoder.layer.0" + ".attention.self.query.weight"). A model's own
// NamedParams() (no argument) lists the whole model; a parameter shared
// under two names appears once, under its first name. LoadParams and
// SaveParams move these lists to and from config.json + model.safetensors.
//
// Blocks hold a pointer to the model's Mode: Mode.Training switches dropout
// on (PyTorch's model.train()), and Mode.RNG draws the dropout masks. With
// Training false (the default, model.eval()) dropout is the identity and
// records nothing.
//
// Mixed precision is a field too: Linear and the attention blocks have an
// Autocast dtype, which SetAutocast sets across a whole model (the
// explicit counterpart of torch.autocast); under tensor.BF16 their matrix
// products round inputs, outputs and gradients to bfloat16 (Autocast).
//
// Constructors take an *Init, which draws the random weights the way
// transformers' _init_weights does (normal matrices, zero biases, unit
// LayerNorm weights) from a seeded generator, so a model is reproducible
// from (config, seed).
//
// Shape errors inside a forward pass are programmer errors and panic (as
// the autograd ops do); user input (token ids, images, files) is checked
// by the models, which return errors.
package nn
