package cuda

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"radcap/internal/atomicfile"
)

//go:embed kernels/*.cu kernels/common.cuh
var kernelFS embed.FS

// kernelFiles lists the embedded .cu files in name order.
func kernelFiles() ([]string, error) {
	names, err := fs.Glob(kernelFS, "kernels/*.cu")
	if err != nil {
		return nil, fmt.Errorf("cuda: list embedded kernels: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// kernelSource returns the source NVRTC compiles for one .cu file (path
// inside kernelFS) or, with file "", for all of them: common.cuh followed
// by the file(s). No #include is needed, so no toolkit header is.
func kernelSource(file string) (string, error) {
	common, err := kernelFS.ReadFile("kernels/common.cuh")
	if err != nil {
		return "", fmt.Errorf("cuda: read embedded common.cuh: %w", err)
	}
	files := []string{file}
	if file == "" {
		if files, err = kernelFiles(); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	b.Write(common)
	for _, f := range files {
		src, err := kernelFS.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("cuda: read embedded %s: %w", f, err)
		}
		fmt.Fprintf(&b, "\n// ---- %s ----\n", f)
		b.Write(src)
	}
	return b.String(), nil
}

// compileFunc compiles CUDA source to a CUBIN for an architecture such as
// 80 (sm_80).
type compileFunc func(src string, arch int) ([]byte, error)

// cubinPath is where the CUBIN of src for arch is cached: the file name
// is the SHA-256 of the source and of the compiler's identity (NVRTC's
// version and options), then the architecture.
func cubinPath(dir, src, compilerID string, arch int) string {
	h := sha256.New()
	h.Write([]byte(src))
	h.Write([]byte{0})
	h.Write([]byte(compilerID))
	return filepath.Join(dir, fmt.Sprintf("%s-sm_%d.cubin", hex.EncodeToString(h.Sum(nil)), arch))
}

// loadOrCompile returns the cached CUBIN of src for arch from dir, or
// compiles it and caches it (atomically: a temporary file in dir renamed
// into place). fromCache says which happened. A cache that cannot be
// written is not an error: the CUBIN is still returned.
func loadOrCompile(dir, src, compilerID string, arch int, compile compileFunc) (cubin []byte, fromCache bool, err error) {
	path := cubinPath(dir, src, compilerID, arch)
	// Any read failure is a cache miss: the cache only saves time.
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return b, true, nil
	}
	cubin, err = compile(src, arch)
	if err != nil {
		return nil, false, err
	}
	_ = writeAtomic(path, cubin) // a read-only cache only costs a recompile next time
	return cubin, false, nil
}

// writeAtomic writes b to path, creating its folder, so that readers never
// see a partial file (see atomicfile).
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cuda: create cache folder %s: %w", dir, err)
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("cuda: %w", err)
	}
	return nil
}

// defaultCacheDir is os.UserCacheDir()/radcap/cuda.
func defaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cuda: no cache folder for compiled kernels: %w", err)
	}
	return filepath.Join(d, "radcap", "cuda"), nil
}

// kernelNames are every kernel Open resolves from the module.
var kernelNames = func() []string {
	names := []string{"ce_finish", "adamw_step", "check_finite", "cast_f32_f16", "cast_f32_bf16", "cast_f16_f32", "cast_bf16_f32",
		"matmul_f16_f16", "matmul_f16_f32", "matmul_bf16_bf16", "matmul_bf16_f32", "matmul_f32_f32",
		"ew_copy_b1", "ew_copy_b2", "ew_copy_b4", "ew_copy_b8", "ew_cast", "ew_fill_bits",
		"ew_gather_b1", "ew_gather_b2", "ew_gather_b4", "ew_gather_b8", "ew_index_add_f32"}
	types := []string{"f32", "f16", "bf16"}
	for _, s := range types {
		for _, k := range []string{"attn_fwd_", "attn_delta_", "attn_dq_", "attn_dkv_", "ln_fwd_", "ln_bwd_",
			"gelu_fwd_", "gelu_bwd_", "sum_rows_", "ce_fwd_", "ce_bwd_", "emb_fwd_", "emb_bwd_",
			"ew_binary_", "ew_where_", "reduce_", "softmax_fwd_", "softmax_bwd_", "l2n_fwd_", "l2n_bwd_", "dropout_"} {
			names = append(names, k+s)
		}
		for _, d := range types {
			names = append(names, "ew_unary_"+s+"_"+d)
		}
	}
	return names
}()
