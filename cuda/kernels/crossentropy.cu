// crossentropy.cu — softmax cross entropy with ignore index and label
// smoothing, forward and backward; the probabilities are never written.
//
// Math, for row r of logits x [N, V] with target t_r (F.cross_entropy with
// ignore_index and label_smoothing e):
//	lse_r = log Σ_c e^{x_rc}
//	ℓ_r   = (1 − e)(lse_r − x_{r,t}) + e(lse_r − mean_c x_rc)   (0 when t_r = ignore)
//	loss  = Σ_r ℓ_r / n,   n = #rows not ignored (0/0 = NaN when n = 0, as PyTorch)
// Backward, for kept rows (ignored rows get 0), with p = softmax(x_r·):
//	dx_rc = g/n · (p_c − (1 − e)[c = t_r] − e/V)
// where g is a scalar argument, times a device scalar when one is given
// (the loss's gradient as a device tensor, so the host never reads it).
// The forward computes lse with one pass of the online max/sum per thread
// and a block-wide merge; it adds ℓ_r to *loss_sum and 1 to *count (both
// zeroed by the caller), and ce_finish divides. The backward recomputes p
// from lse. A target outside [0, V) that is not ignored makes the row NaN.

__device__ __forceinline__ void lse_merge(float& m, float& s, float m2, float s2) {
    float mn = fmaxf(m, m2);
    if (mn == -RC_INF) return;
    s = (m == -RC_INF ? 0.f : s * expf(m - mn)) + (m2 == -RC_INF ? 0.f : s2 * expf(m2 - mn));
    m = mn;
}

template <class T>
__device__ void ce_fwd_impl(const T* x, const i64* tgt, float* lse, float* loss_sum, int* count, int V,
                            i64 ignore, float eps) {
    __shared__ float shm[32], shs[32], sh[32];
    int r = blockIdx.x;
    const T* row = x + (i64)r * V;
    float m = -RC_INF, s = 0.f, sum = 0.f;
    for (int c = threadIdx.x; c < V; c += blockDim.x) {
        float v = ld(row[c]);
        sum += v;
        lse_merge(m, s, v, 1.f);
    }
    for (int o = 16; o > 0; o >>= 1) {
        float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
        lse_merge(m, s, m2, s2);
    }
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    if (lane == 0) {
        shm[w] = m;
        shs[w] = s;
    }
    __syncthreads();
    if (w == 0) {
        m = lane < nw ? shm[lane] : -RC_INF;
        s = lane < nw ? shs[lane] : 0.f;
        for (int o = 16; o > 0; o >>= 1) {
            float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
            lse_merge(m, s, m2, s2);
        }
        if (lane == 0) {
            shm[0] = m;
            shs[0] = s;
        }
    }
    __syncthreads();
    float L = shm[0] + logf(shs[0]);
    sum = block_sum(sum, sh);
    if (threadIdx.x == 0) {
        lse[r] = L;
        i64 t = tgt[r];
        if (t != ignore) {
            float l = RC_NAN;
            if (t >= 0 && t < V) l = (1.f - eps) * (L - ld(row[t])) + eps * (L - sum / V);
            atomicAdd(loss_sum, l);
            atomicAdd(count, 1);
        }
    }
}

template <class T>
__device__ void ce_bwd_impl(const T* x, const i64* tgt, const float* lse, const int* count, T* dx, int V,
                            i64 ignore, float eps, float g, const float* gdev) {
    int r = blockIdx.x;
    if (gdev) g *= *gdev;
    i64 t = tgt[r];
    const T* row = x + (i64)r * V;
    T* drow = dx + (i64)r * V;
    float scale = g / (float)(*count);
    float L = lse[r];
    for (int c = threadIdx.x; c < V; c += blockDim.x) {
        float v = 0.f;
        if (t != ignore) {
            v = expf(ld(row[c]) - L) - eps / V;
            if (c == t) v -= 1.f - eps;
            v *= scale;
        }
        drow[c] = st<T>(v);
    }
}

#define CE_KERNELS(T, sfx)                                                                            \
    extern "C" __global__ void __launch_bounds__(256) ce_fwd_##sfx(                                  \
        const T* x, const i64* tgt, float* lse, float* loss_sum, int* count, int V, i64 ignore,       \
        float eps) {                                                                                  \
        ce_fwd_impl<T>(x, tgt, lse, loss_sum, count, V, ignore, eps);                                 \
    }                                                                                                 \
    extern "C" __global__ void __launch_bounds__(256) ce_bwd_##sfx(                                  \
        const T* x, const i64* tgt, const float* lse, const int* count, T* dx, int V, i64 ignore,     \
        float eps, float g, const float* gdev) {                                                      \
        ce_bwd_impl<T>(x, tgt, lse, count, dx, V, ignore, eps, g, gdev);                              \
    }

CE_KERNELS(float, f32)
CE_KERNELS(f16, f16)
CE_KERNELS(bf16, bf16)

// ce_finish: *loss = *loss_sum / *count (NaN when no row is kept).
extern "C" __global__ void ce_finish(const float* loss_sum, const int* count, float* loss) {
    if (threadIdx.x == 0 && blockIdx.x == 0) *loss = *count > 0 ? *loss_sum / (float)*count : RC_NAN;
}
