// embedding.cu — embedding lookup, forward and backward.
//
// Math, for ids [N] into a table w [V, C]:
//	y[i, :] = w[ids[i], :]
//	dw[v, :] += Σ_{i: ids[i] = v, v ≠ padding} dy[i, :]   (fp32 accumulator, atomicAdd)
// Callers check the ids on the host (they come from there); a row with
// an id outside it is written as NaN here so that it cannot go unnoticed.
// padding < 0 means no padding row.

template <class T>
__device__ void emb_fwd_impl(const T* w, const i64* ids, T* y, int N, int V, int C) {
    i64 n = (i64)N * C;
    for (i64 k = (i64)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += (i64)gridDim.x * blockDim.x) {
        i64 i = k / C, c = k % C, id = ids[i];
        y[k] = (id >= 0 && id < V) ? w[id * C + c] : st<T>(RC_NAN);
    }
}

template <class T>
__device__ void emb_bwd_impl(const T* dy, const i64* ids, float* dw, int N, int V, int C, i64 padding) {
    i64 n = (i64)N * C;
    for (i64 k = (i64)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += (i64)gridDim.x * blockDim.x) {
        i64 i = k / C, c = k % C, id = ids[i];
        if (id < 0 || id >= V || id == padding) continue;
        atomicAdd(dw + id * C + c, ld(dy[k]));
    }
}

#define EMB_KERNELS(T, sfx)                                                                          \
    extern "C" __global__ void emb_fwd_##sfx(const T* w, const i64* ids, T* y, int N, int V, int C) { \
        emb_fwd_impl<T>(w, ids, y, N, V, C);                                                         \
    }                                                                                                \
    extern "C" __global__ void emb_bwd_##sfx(const T* dy, const i64* ids, float* dw, int N, int V,   \
                                             int C, i64 padding) {                                   \
        emb_bwd_impl<T>(dy, ids, dw, N, V, C, padding);                                              \
    }

EMB_KERNELS(float, f32)
EMB_KERNELS(f16, f16)
EMB_KERNELS(bf16, bf16)
