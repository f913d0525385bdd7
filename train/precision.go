package train

import (
	"errors"
	"fmt"

	"radcap/nn"
	"radcap/tensor"
)

// ErrPrecision is returned for a precision the chosen device cannot run.
var ErrPrecision = errors.New("precision not available")

// CheckDevice says whether precision can run on device. The CPU trains in
// fp32, or in bf16 mixed precision emulated in float32 storage (see
// ApplyPrecision); fp16 needs a GPU, since fp16 training also needs loss
// scaling. Any other device must be a tensor backend registered under
// that name (cmd/radcap registers "cuda" after opening the GPU; tests
// register the emulator): the parameters, the optimizer state and each
// batch's pixels then live there, in fp32, fp32 with bf16 autocast, or
// fp16 (float16 model, float32 master weights, loss scaling: see
// halfMaster).
func CheckDevice(device, precision string) error {
	switch precision {
	case "fp32", "bf16", "fp16":
	default:
		return fmt.Errorf("train: unknown precision %q (want fp32, bf16 or fp16)", precision)
	}
	if device == "cpu" {
		if precision == "fp16" {
			return fmt.Errorf("train: --precision fp16 needs CUDA (--device cuda); on the CPU use --precision bf16 or fp32: %w", ErrPrecision)
		}
		return nil
	}
	if _, err := tensor.LookupBackend(device); err != nil {
		if device == "cuda" {
			return errors.New("train: --device cuda: the CUDA backend is not registered (radcap registers it after opening the GPU with cuda.Open)")
		}
		return fmt.Errorf("train: unknown device %q (want cpu or cuda)", device)
	}
	return nil
}

// AutocastDType is the dtype the matrix products of the model run in for
// a precision: tensor.BF16 for "bf16", tensor.F32 (no autocast)
// otherwise.
func AutocastDType(precision string) tensor.DType {
	if precision == "bf16" {
		return tensor.BF16
	}
	return tensor.F32
}

// ApplyPrecision switches the layers of modules (the model, and whatever
// else trains with it, such as the auxiliary finding head) to the
// precision of cfg, as the Hugging Face Trainer with bf16=True runs the
// model under torch.autocast(dtype=torch.bfloat16):
//
//   - The matrix products — every nn.Linear (the LM head included) and the
//     attention products — take inputs rounded to bfloat16 and give
//     bfloat16 outputs, accumulating in float32; in the backward pass the
//     gradients through them are rounded the same way, and the weight
//     gradients reaching the float32 master weights are bfloat16 values
//     (nn.Autocast, autograd.RoundBF16).
//   - The master weights, the optimizer state, layer norms, softmax, GELU,
//     embeddings and the losses stay float32. No loss scaling: bfloat16
//     has float32's exponent range.
//   - Autocast stays on for the whole run: training, validation loss and
//     caption generation, as the Trainer (through Accelerate) runs every
//     forward pass of the model under autocast.
//
// On the CPU this is a numerics mode: the values are rounded but stored
// and multiplied as float32, so it is slower than fp32 (each rounding is
// an extra pass); the speed of bfloat16 needs a GPU. "fp32" switches
// autocast off. It is an error when bf16 finds no layer to switch.
func ApplyPrecision(cfg Config, modules ...any) error {
	dt := AutocastDType(cfg.Precision)
	n := 0
	for _, m := range modules {
		k, err := nn.SetAutocast(m, dt)
		if err != nil {
			return fmt.Errorf("train: --precision %s: %w", cfg.Precision, err)
		}
		n += k
	}
	if dt != tensor.F32 && n == 0 {
		return fmt.Errorf("train: --precision %s: the model has no layer that runs under autocast", cfg.Precision)
	}
	return nil
}
