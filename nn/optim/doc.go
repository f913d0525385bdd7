// Package optim holds what turns gradients into parameter updates, with the
// semantics of the PyTorch and Hugging Face code the reference run used:
//
//   - AdamW: torch.optim.AdamW (PyTorch 1.13, single-tensor path): decoupled
//     weight decay, bias-corrected moments, per-group weight decay, the
//     moments kept in the parameters' dtype (float32 master weights on the
//     CPU), and a state file (safetensors) so that a resumed run continues
//     bit for bit.
//   - TrainerGroups and NoDecay: the two parameter groups Hugging Face's
//     Trainer builds (no weight decay for biases and LayerNorm weights).
//   - Schedules: the learning-rate multipliers of transformers'
//     get_linear_schedule_with_warmup (the Trainer's default), plus the
//     constant and cosine variants.
//   - ClipGradNorm: torch.nn.utils.clip_grad_norm_ (global L2 norm).
//   - LossScaler: torch.cuda.amp.GradScaler's dynamic loss scaling for fp16.
//
// A parameter is an *autograd.Var whose Value the optimizer updates in place
// and whose Grad it reads; Param pairs it with its Hugging Face name. The
// package needs only tensor, autograd and safetensors, so any model can use
// it (callers convert their named parameters to []Param).
//
// # One optimizer step as the Trainer does it
//
// With gradient accumulation over k micro-batches, the loss of each
// micro-batch is divided by k before its backward pass, so that the summed
// gradients are the mean over the k micro-batches; that division is the
// training loop's job, not this package's. After the k-th backward:
//
//	scaler.Unscale(opt)                         // fp16 only
//	norm, err := optim.ClipGradNorm(params, 1)  // Trainer's max_grad_norm
//	lr := sched.LR(baseLR, opt.Steps())         // e.g. LinearWarmup(w, total)
//	err = opt.Step(lr)                          // or scaler.Step(opt, lr), then scaler.Update()
//	optim.ZeroGrad(params)
//
// Hugging Face's LambdaLR starts at multiplier sched(0) and advances after
// every optimizer step, so optimizer step s (counting from 0) runs at
// sched.LR(baseLR, s); with warm-up, the first step runs at learning rate 0 and
// still counts (its moments enter the bias correction).
package optim
