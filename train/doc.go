// Package train is radcap's fine-tuning loop for captioning models, the
// counterpart of the Hugging Face Trainer the reference run used (the
// ITC/ITM + LM pretraining of the shipped small bases is in the
// subpackage train/pretrain).
//
// The loop sees a model only through the Model interface (loss on a
// data.Batch, caption generation, dropout switch, parameters, saving), with
// adapters for GIT (GIT) and BLIP (BLIP); LoadModel opens a Hugging Face
// model folder of either and NewBaseModel builds the base sizes with
// random weights.
//
// Run does the whole job:
//
//   - the base model is evaluated on the test split first;
//   - each epoch draws a fresh shuffle from (seed, epoch), runs micro-batches
//     with dropout on, and turns their losses into AdamW steps with the
//     Stepper (loss / accumulation steps, backward, global-norm clipping,
//     the linearly warmed-up and decayed learning rate, zeroed gradients;
//     an epoch's last incomplete accumulation cycle steps too);
//   - after each epoch the validation split is evaluated with dropout off
//     (Evaluate: mean caption loss, greedy or beam captions scored with
//     eval.Compute and data.FindingF1); the best one by Config.BestMetric
//     is kept in OutDir/best, a Hugging Face folder;
//   - checkpoints OutDir/checkpoint-<step>/ hold the model folder,
//     optimizer.safetensors (AdamW moments) and trainer_state.json (step,
//     epoch, next batch, dropout generator state, best metric, log
//     history); each is written to a temporary folder and renamed, so a
//     crash leaves whole checkpoints only;
//   - at the end the best weights are evaluated on the test split and
//     results.json, log.jsonl, predictions_test.jsonl and a self-contained
//     report.html (results table, loss curves, sample images with their
//     reference, base and fine-tuned captions) are written.
//
// Data with known findings (the synthetic set) can add an auxiliary
// image-level objective (FindingHead, Config.AuxFindings and AuxPool): a
// binary cross entropy per finding, read from the image tokens and/or
// the decoder's output, with biases started at the training priors'
// log odds; Config.AuxOnlySteps trains on it alone first, and
// Config.NoDropout trains with dropout off. The built-in preset
// (SmallPreset) uses them.
//
// Resuming (RunOptions.Resume) restores the newest checkpoint and
// continues at the exact batch with the same shuffle and dropout stream,
// so a run killed at any point and resumed ends with the same parameters,
// bit for bit, as one never interrupted (on the same number of threads).
// Cancelling the context (Ctrl-C) stops after the current optimizer step,
// saves a checkpoint and returns ErrInterrupted.
//
// Precision: the CPU trains in fp32 or in bf16 mixed precision, the
// matrix products under bfloat16 autocast emulated in float32 storage
// (ApplyPrecision); fp16 is refused there with an error that says it needs
// CUDA (CheckDevice). On a registered device (--device cuda, or the
// emulated devices of the tests) parameters, optimizer state and pixels
// live on the device, fp16 trains with float32 master weights and dynamic
// loss scaling, and a step downloads only the scalars it logs.
package train
