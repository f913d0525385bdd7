package cuda

// Options choose the device and where the libraries and the kernel cache
// are. The zero value is the first GPU with the libraries found the usual
// way (the dynamic loader's search path).
type Options struct {
	// Ordinal is the device index (0 for the first GPU).
	Ordinal int
	// LibCUDA is the driver library; "" means libcuda.so.1.
	LibCUDA string
	// LibNVRTC lists NVRTC libraries to try in order; nil means
	// DefaultNVRTC.
	LibNVRTC []string
	// LibCublasLt lists cuBLASLt libraries to try; nil means
	// DefaultCublasLt. cuBLASLt is optional: if none loads, MatMulLt
	// reports that it is unavailable and everything else works.
	LibCublasLt []string
	// NoCublasLt skips loading cuBLASLt.
	NoCublasLt bool
	// CacheDir holds compiled kernels; "" means
	// os.UserCacheDir()/radcap/cuda.
	CacheDir string
}

// DefaultNVRTC are the NVRTC sonames tried in order (CUDA 12, 11.2+,
// then an unversioned development link).
var DefaultNVRTC = []string{"libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11.1", "libnvrtc.so"}

// DefaultCublasLt are the cuBLASLt sonames tried in order.
var DefaultCublasLt = []string{"libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so"}

// defaultLibCUDA is the driver's soname.
const defaultLibCUDA = "libcuda.so.1"
