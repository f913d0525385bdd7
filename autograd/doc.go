// Package autograd is radcap's reverse-mode automatic differentiation: a
// tape of differentiable ops, each a forward and a backward written side by
// side, and GradCheck, which compares every backward with finite
// differences in float64.
//
// # Vars, parameters and tapes
//
// A Var wraps a tensor.Tensor (Value) and, for leaves, the gradient
// accumulated into it (Grad), like a PyTorch tensor with requires_grad.
// Model parameters are made once with Param: leaves that require a gradient
// and belong to no tape, so they outlive every training step. Constants
// (inputs, targets) are made with Const, or with Tape.Const to bind them to
// a tape.
//
// Ops are plain functions (Add, MatMul, LayerNorm, CrossEntropy, ...) that
// take Vars and return a new Var. An op whose inputs include a Var that
// requires a gradient records a node — its inputs and its backward closure
// — on the tape its inputs belong to. When no input is on a tape yet (an
// embedding lookup of a parameter, a class token expanded from a
// parameter), the node waits, reachable from its output, and is moved onto
// the tape as soon as that output meets a Var of the tape or is passed to
// Backward. So the simplest correct use is:
//
//	tp := autograd.NewTape()                       // one per step
//	x := tp.Const(batch)                           // or autograd.Const
//	loss := autograd.CrossEntropy(model(x), targets, autograd.IgnoreIndex, 0)
//	if err := tp.Backward(loss); err != nil { ... } // params' Grad += dloss/dparam
//
// Backward runs the recorded backwards in reverse order, sums the gradients
// of a Var used more than once, adds the leaves' gradients to their Grad
// (so gradients accumulate over Backward calls, as in PyTorch, until
// ZeroGrad), and then releases the tape: every node and the tensors it kept
// are dropped, and the intermediate Vars become constants. Tape.NoGrad runs
// a function with recording switched off for the ops on that tape
// (torch.no_grad()). An op that reads only parameters cannot see the tape,
// so inside NoGrad it still keeps a small pending history until its result
// meets a Var of the tape; for pure inference, setting the parameters'
// RequiresGrad to false (PyTorch's requires_grad_(False)) records nothing
// anywhere.
//
// Mixed precision's loss scaling seeds the backward with the scale:
// tp.BackwardWithGrad(loss, tensor.Full(dt, scale)).
//
// # Numerics and kernels
//
// Every op runs in float32 (training on the CPU) and float64 (gradient
// checks). Matrix products, including those inside Linear, Patchify and the
// fused attention, go through tensor.MatMul, i.e. the SGEMM kernels for
// float32. The fused kernels (softmax, log-softmax, layer norm, attention,
// cross entropy, the GELU family, L2 normalisation) are generic over
// float32 and float64, loop over contiguous rows, keep their statistics in
// float64 and split rows across goroutines when the work is large. Each
// fused op is also checked against the same computation composed from
// primitive ops.
//
// float64 kernels take exp and erf from package math, so gradient checks
// see exact functions. float32 kernels use fitted approximations
// (fastmath.go: eˣ to 1e-10, the normal CDF Φ to 1e-8 relative, both far
// below a float32 rounding), and on amd64 CPUs with AVX2 the hottest
// float32 loops — the softmax rows of attention and softmax, the exact
// and quick GELU — run as assembly that evaluates the same float64
// arithmetic four lanes at a time (fastmath_amd64.s; build with -tags
// purego for the Go loops alone). The exact GELU saves its derivative
// Φ(x) + xφ(x) for the backward, which is then one product per element.
//
// # Devices
//
// Every op also runs on tensors that live on a device (see package
// tensor's Backend): it calls the backend's fused kernel when the backend
// implements the op's optional interface (FusedAttention, FusedLayerNorm,
// FusedGELU, FusedSoftmax, FusedCrossEntropy, FusedEmbedding; backend.go),
// and otherwise runs as a composition of tensor ops on the device (device.go,
// device_nn.go), never through the host. Constant arguments that models
// build and validate on the host — token ids, targets, attention masks —
// may stay there: the op uploads them. Host tensors always take the CPU
// kernels described above.
//
// Shape errors in ops are programmer errors and panic with a message
// naming the op and the shapes; validating user input (token ids, images)
// is the job of the layers above.
//
// A Tape and the Vars recorded on it are not safe for concurrent use; the
// kernels parallelise internally.
package autograd
