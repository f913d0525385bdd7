// layernorm.cu — layer norm fused with the residual add, forward and backward.
//
// Math, per row of C elements (biased variance, eps inside the root, as
// torch.nn.functional.layer_norm):
//	h = x + r   (r optional; h is rounded to the storage type and written
//	             out when hout != 0, since a pre-LN block reuses it)
//	μ = mean(h),  σ² = mean((h − μ)²),  ρ = 1/√(σ² + eps),  ĥ = (h − μ)·ρ
//	y = ĥ·w + b   (w, b optional)
// Backward, with g = dy·w:
//	dh = ρ·(g − mean(g) − ĥ·mean(g·ĥ)) + dh_extra
//	dw += Σ_rows dy·ĥ,  db += Σ_rows dy
// dx and dr are both dh (the residual add copies the gradient). dw and db
// are fp32 accumulators updated with atomicAdd (zero them first). One
// block of 256 threads per row; the statistics are kept as fp32.

template <class T>
__device__ void ln_fwd_impl(const T* x, const T* r, const T* w, const T* b, T* y, T* hout, float* mean,
                            float* rstd, int C, float eps) {
    __shared__ float sh[32];
    i64 base = (i64)blockIdx.x * C;
    float s = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float h = ld(x[base + c]);
        if (r) h = ld(st<T>(h + ld(r[base + c])));
        s += h;
    }
    float mu = block_sum(s, sh) / C;
    float q = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float h = ld(x[base + c]);
        if (r) h = ld(st<T>(h + ld(r[base + c])));
        q += (h - mu) * (h - mu);
    }
    float rs = rsqrtf(block_sum(q, sh) / C + eps);
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float h = ld(x[base + c]);
        if (r) {
            T ht = st<T>(h + ld(r[base + c]));
            h = ld(ht);
            if (hout) hout[base + c] = ht;
        }
        float v = (h - mu) * rs;
        if (w) v *= ld(w[c]);
        if (b) v += ld(b[c]);
        y[base + c] = st<T>(v);
    }
    if (threadIdx.x == 0) {
        mean[blockIdx.x] = mu;
        rstd[blockIdx.x] = rs;
    }
}

// h is the normalised input (hout of the forward, or x when there was no
// residual); dextra (optional) is a gradient reaching h by another path.
template <class T>
__device__ void ln_bwd_impl(const T* dy, const T* h, const T* w, const float* mean, const float* rstd,
                            const T* dextra, T* dh, float* dw, float* db, int C) {
    __shared__ float sh[32];
    i64 base = (i64)blockIdx.x * C;
    float mu = mean[blockIdx.x], rs = rstd[blockIdx.x];
    float sg = 0.f, sgx = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float d = ld(dy[base + c]);
        float xh = (ld(h[base + c]) - mu) * rs;
        float g = w ? d * ld(w[c]) : d;
        sg += g;
        sgx += g * xh;
        if (dw) atomicAdd(dw + c, d * xh);
        if (db) atomicAdd(db + c, d);
    }
    float mg = block_sum(sg, sh) / C;
    float mgx = block_sum(sgx, sh) / C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float d = ld(dy[base + c]);
        float xh = (ld(h[base + c]) - mu) * rs;
        float g = w ? d * ld(w[c]) : d;
        float v = rs * (g - mg - xh * mgx);
        if (dextra) v += ld(dextra[base + c]);
        dh[base + c] = st<T>(v);
    }
}

#define LN_KERNELS(T, sfx)                                                                          \
    extern "C" __global__ void __launch_bounds__(256)                                               \
        ln_fwd_##sfx(const T* x, const T* r, const T* w, const T* b, T* y, T* hout, float* mean,    \
                     float* rstd, int C, float eps) {                                               \
        ln_fwd_impl<T>(x, r, w, b, y, hout, mean, rstd, C, eps);                                    \
    }                                                                                               \
    extern "C" __global__ void __launch_bounds__(256)                                               \
        ln_bwd_##sfx(const T* dy, const T* h, const T* w, const float* mean, const float* rstd,     \
                     const T* dextra, T* dh, float* dw, float* db, int C) {                         \
        ln_bwd_impl<T>(dy, h, w, mean, rstd, dextra, dh, dw, db, C);                                \
    }

LN_KERNELS(float, f32)
LN_KERNELS(f16, f16)
LN_KERNELS(bf16, bf16)
