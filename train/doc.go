// Package train will hold radcap's fine-tuning loop: epochs over shuffled
// batches, gradient accumulation, mixed precision with loss scaling,
// evaluation, checkpoints (model, optimizer state, step, epoch and random
// state, written atomically), resume, and progress reporting; and the
// ITC/ITM + LM pretraining that makes the small bases radcap ships.
//
// For now it holds the piece of that loop the optimizer parity test needs:
// Stepper, which turns micro-batch losses into optimizer steps the way
// Hugging Face's Trainer does (loss / accumulation steps, backward,
// global-norm clipping, AdamW at the scheduled learning rate, zeroed
// gradients).
package train
