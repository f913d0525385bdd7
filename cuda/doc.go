// Package cuda is radcap's CUDA backend: the driver API, NVRTC and
// (optionally) cuBLASLt called through cgo, with every library loaded at
// run time with dlopen, so that `go build` needs no CUDA toolkit and the
// binary runs, on the CPU, where there is no GPU.
//
// # Loading
//
// Open loads libcuda.so.1 and NVRTC (libnvrtc.so.12, .11.2, ...) with
// dlopen, resolves every entry point with dlsym — the _v2 symbols where the
// driver API versions them — through radcap's own typedefs (loader.h), and
// checks each one. A missing library, symbol or device is an error that
// names it ("cuda: cannot load libcuda.so.1: ..."). cuBLASLt is optional:
// when it loads, MatMulLt is a faster path beside radcap's own matmul.
//
// # Device and thread
//
// A CUDA context is current on one OS thread at a time. A Device owns a
// goroutine locked to an OS thread (runtime.LockOSThread) on which the
// device's primary context is made current once; every driver call of the
// Device runs on that goroutine, and its kernels run in order on one
// stream. Methods of a Device are safe for concurrent use (they queue).
//
// # Kernels
//
// The kernels are the .cu files in kernels/, embedded in the binary. Each
// file holds a forward and its backward side by side with the math in a
// comment. They include no toolkit header: halves are stored as 16-bit
// integers and converted with inline PTX. Open compiles them with NVRTC to
// a CUBIN for the device's architecture (sm_XY; PTX from an NVRTC newer
// than the driver would not load) and caches it on disk under
// os.UserCacheDir()/radcap/cuda/<sha256>-sm_XY.cubin, written atomically.
// Storage is f32, f16 or bf16 with fp32 accumulation everywhere.
//
// Go never passes Go pointers to a kernel: typed C launchers (launch.c)
// take scalars and device addresses, as cgo's pointer rules require.
//
// # Memory
//
// Buffers come from a caching allocator: freed blocks go to size-bucketed
// free lists and are reused, so a training step that repeats the shapes of
// the previous one allocates nothing from the driver. AllocStats reports
// bytes taken from the driver and the hit count.
//
// # The tensor backend
//
// Register(d) registers d as the "cuda" device of package tensor
// (tensor.Backend) and of autograd's fused interfaces, so the models,
// unchanged, run with their parameters and inputs moved there with
// ToDevice("cuda"). Element-wise ops, reductions, copies and casts run
// strided kernels that read every operand through its own shape and
// strides (kernels/elementwise.cu, reduce.cu); MatMul runs cuBLASLt when
// it is loaded and radcap's kernels otherwise; attention, layer norm,
// GELU, softmax, cross entropy and embedding run the fused kernels. The
// mapping from shapes and strides to kernel arguments (backend_map.go,
// layout.go) is pure Go and tested without a GPU.
//
// # Without cgo or a GPU
//
// Built with CGO_ENABLED=0, Open always returns an error saying so. Tests
// that need a GPU skip with a line that says why; the nvcc test compiles
// every .cu file when nvcc is installed, so kernel syntax errors are caught
// on machines without a GPU.
package cuda
