// attention.cu — flash-style scaled dot-product attention, forward and
// backward, without materialising the [Tq, Tk] score matrix.
//
// Math, for one (batch b, head h) and query row i (D ≤ 128):
//	s_ij = scale · q_i·k_j        for allowed (i, j), −∞ otherwise
//	o_i  = Σ_j softmax_j(s_i·) v_j,  lse_i = log Σ_j exp(s_ij)
// The forward walks the keys in tiles of 32 keeping the running maximum m,
// the running sum l and the unnormalised output (the online softmax):
//	m' = max(m, max_j s_ij),  l' = l·e^{m−m'} + Σ_j e^{s_ij−m'},  o' = o·e^{m−m'} + Σ_j e^{s_ij−m'} v_j
// and finally o = o/l. A row with no allowed key gets o = 0 and
// lse = +∞ (so every recomputed probability in the backward is 0).
//
// Backward (g_i = dL/do_i), with p_ij = exp(s_ij − lse_i) recomputed:
//	δ_i = g_i·o_i,  dp_ij = g_i·v_j,  ds_ij = p_ij (dp_ij − δ_i)
//	dq_i = scale · Σ_j ds_ij k_j,  dk_j = scale · Σ_i ds_ij q_i,  dv_j = Σ_i p_ij g_i
// attn_bwd_dq walks keys per query row; attn_bwd_dkv walks queries per key
// row, so neither needs atomics and both are deterministic.
//
// Masks: key j of batch b is dropped when keep != 0 and keep[b·Tk + j] == 0
// (padding, also for cross-attention where Tk ≠ Tq). mode 0 allows every
// other key; mode 1 is causal (j ≤ i, top-left aligned as PyTorch's
// is_causal); mode 2 is GIT's mask: the first `prefix` keys (the image
// tokens) are visible to every query and the rest causally (j ≤ i), which
// also keeps image queries (i < prefix) off the text keys.
//
// An additive mask (PyTorch's float attn_mask) may come on top: m_bhij,
// read through its own strides (0 along broadcast dims), is added to s_ij
// before the softmax and in the backward's recomputation of p_ij.
//
// Layout: element d of row t of head h of batch b of tensor X lives at
// X[b·xB + h·xH + t·xT + d]; the last dim is contiguous. One warp handles
// one row; a block of 4 warps shares the key (or query) tiles in shared
// memory as fp32, with a padded stride to avoid bank conflicts.

#define AT_D 128
#define AT_TILE 32
#define AT_WARPS 4
#define AT_LD (AT_D + 1)

struct AttnMask {
    const unsigned char* keep;
    int mode, prefix, Tk;
    const void* add;  // additive mask of the kernel's storage type, or null
    i64 aB, aH, aQ, aK;
};

// attn_add returns the additive mask's term for (b, h, i, j): 0 without a
// mask; −∞ (or a large negative value) drops the key.
template <class T>
__device__ __forceinline__ float attn_add(const AttnMask& mk, int b, int h, int i, int j) {
    if (!mk.add) return 0.f;
    return ld(((const T*)mk.add)[(i64)b * mk.aB + (i64)h * mk.aH + (i64)i * mk.aQ + (i64)j * mk.aK]);
}

__device__ __forceinline__ bool attn_allowed(const AttnMask& mk, int b, int i, int j) {
    if (mk.keep && mk.keep[(i64)b * mk.Tk + j] == 0) return false;
    if (mk.mode == 1) return j <= i;
    if (mk.mode == 2) return j < mk.prefix || j <= i;
    return true;
}

// Loads rows [r0, r0+32) of x (row stride xT) into sh as fp32, zero-filling
// rows past n.
template <class T>
__device__ __forceinline__ void attn_load_tile(float (*sh)[AT_LD], const T* x, i64 xT, int r0, int n, int D) {
    for (int idx = threadIdx.x; idx < AT_TILE * D; idx += blockDim.x) {
        int r = idx / D, d = idx % D;
        sh[r][d] = (r0 + r < n) ? ld(x[(i64)(r0 + r) * xT + d]) : 0.f;
    }
}

template <class T>
__device__ void attn_fwd_impl(const T* q, const T* k, const T* v, T* o, float* lse, int H, int Tq, int Tk,
                              int D, i64 qB, i64 qH, i64 qT, i64 kB, i64 kH, i64 kT, i64 vB, i64 vH, i64 vT,
                              i64 oB, i64 oH, i64 oT, float scale, AttnMask mk) {
    __shared__ float qs[AT_WARPS][AT_D];
    __shared__ float Ks[AT_TILE][AT_LD];
    __shared__ float Vs[AT_TILE][AT_LD];
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    int i = blockIdx.x * AT_WARPS + w;
    bool row = i < Tq;
    q += b * qB + h * qH;
    k += b * kB + h * kH;
    v += b * vB + h * vH;
    o += b * oB + h * oH;
    for (int d = lane; d < D; d += 32) qs[w][d] = row ? scale * ld(q[(i64)i * qT + d]) : 0.f;
    float acc[AT_D / 32];
    for (int c = 0; c < AT_D / 32; c++) acc[c] = 0.f;
    float m = -RC_INF, l = 0.f;
    for (int j0 = 0; j0 < Tk; j0 += AT_TILE) {
        __syncthreads();
        attn_load_tile(Ks, k, kT, j0, Tk, D);
        attn_load_tile(Vs, v, vT, j0, Tk, D);
        __syncthreads();
        if (!row) continue;
        int j = j0 + lane;
        float s = -RC_INF;
        if (j < Tk && attn_allowed(mk, b, i, j)) {
            s = attn_add<T>(mk, b, h, i, j);
            for (int d = 0; d < D; d++) s += qs[w][d] * Ks[lane][d];
        }
        float mn = fmaxf(m, warp_max(s));
        if (mn == -RC_INF) continue;  // nothing allowed yet
        float p = (s == -RC_INF) ? 0.f : expf(s - mn);
        float corr = (m == -RC_INF) ? 0.f : expf(m - mn);
        l = l * corr + warp_sum(p);
        for (int c = 0; c < AT_D / 32; c++) acc[c] *= corr;
        for (int jj = 0; jj < AT_TILE; jj++) {
            float pj = __shfl_sync(0xffffffffu, p, jj);
            if (pj == 0.f) continue;  // uniform over the warp
            for (int c = 0; c < AT_D / 32; c++) {
                int d = lane + 32 * c;
                if (d < D) acc[c] += pj * Vs[jj][d];
            }
        }
        m = mn;
    }
    if (!row) return;
    float inv = l > 0.f ? 1.f / l : 0.f;
    for (int c = 0; c < AT_D / 32; c++) {
        int d = lane + 32 * c;
        if (d < D) o[(i64)i * oT + d] = st<T>(acc[c] * inv);
    }
    if (lse && lane == 0) lse[((i64)b * H + h) * Tq + i] = l > 0.f ? m + logf(l) : RC_INF;
}

// delta[b,h,i] = Σ_d g_i[d]·o_i[d]; g and o share the layout (oB, oH, oT).
template <class T>
__device__ void attn_delta_impl(const T* o, const T* g, float* delta, int H, int Tq, int D, i64 oB, i64 oH,
                                i64 oT) {
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    int i = blockIdx.x * AT_WARPS + w;
    if (i >= Tq) return;
    i64 base = b * oB + h * oH + (i64)i * oT;
    float s = 0.f;
    for (int d = lane; d < D; d += 32) s += ld(o[base + d]) * ld(g[base + d]);
    s = warp_sum(s);
    if (lane == 0) delta[((i64)b * H + h) * Tq + i] = s;
}

template <class T>
__device__ void attn_dq_impl(const T* q, const T* k, const T* v, const T* g, const float* lse,
                             const float* delta, T* dq, int H, int Tq, int Tk, int D, i64 qB, i64 qH, i64 qT,
                             i64 kB, i64 kH, i64 kT, i64 vB, i64 vH, i64 vT, i64 oB, i64 oH, i64 oT,
                             float scale, AttnMask mk) {
    __shared__ float qs[AT_WARPS][AT_D];
    __shared__ float gs[AT_WARPS][AT_D];
    __shared__ float Ks[AT_TILE][AT_LD];
    __shared__ float Vs[AT_TILE][AT_LD];
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    int i = blockIdx.x * AT_WARPS + w;
    bool row = i < Tq;
    q += b * qB + h * qH;
    dq += b * qB + h * qH;
    k += b * kB + h * kH;
    v += b * vB + h * vH;
    g += b * oB + h * oH;
    for (int d = lane; d < D; d += 32) {
        qs[w][d] = row ? scale * ld(q[(i64)i * qT + d]) : 0.f;
        gs[w][d] = row ? ld(g[(i64)i * oT + d]) : 0.f;
    }
    float L = 0.f, dl = 0.f;
    if (row) {
        L = lse[((i64)b * H + h) * Tq + i];
        dl = delta[((i64)b * H + h) * Tq + i];
    }
    float acc[AT_D / 32];
    for (int c = 0; c < AT_D / 32; c++) acc[c] = 0.f;
    for (int j0 = 0; j0 < Tk; j0 += AT_TILE) {
        __syncthreads();
        attn_load_tile(Ks, k, kT, j0, Tk, D);
        attn_load_tile(Vs, v, vT, j0, Tk, D);
        __syncthreads();
        if (!row) continue;
        int j = j0 + lane;
        float ds = 0.f;
        if (j < Tk && attn_allowed(mk, b, i, j)) {
            float s = attn_add<T>(mk, b, h, i, j), dp = 0.f;
            for (int d = 0; d < D; d++) {
                s += qs[w][d] * Ks[lane][d];
                dp += gs[w][d] * Vs[lane][d];
            }
            float p = expf(s - L);
            ds = p * (dp - dl);
        }
        for (int jj = 0; jj < AT_TILE; jj++) {
            float dsj = __shfl_sync(0xffffffffu, ds, jj);
            if (dsj == 0.f) continue;
            for (int c = 0; c < AT_D / 32; c++) {
                int d = lane + 32 * c;
                if (d < D) acc[c] += dsj * Ks[jj][d];
            }
        }
    }
    if (!row) return;
    for (int c = 0; c < AT_D / 32; c++) {
        int d = lane + 32 * c;
        if (d < D) dq[(i64)i * qT + d] = st<T>(scale * acc[c]);
    }
}

template <class T>
__device__ void attn_dkv_impl(const T* q, const T* k, const T* v, const T* g, const float* lse,
                              const float* delta, T* dk, T* dv, int H, int Tq, int Tk, int D, i64 qB, i64 qH,
                              i64 qT, i64 kB, i64 kH, i64 kT, i64 vB, i64 vH, i64 vT, i64 oB, i64 oH, i64 oT,
                              float scale, AttnMask mk) {
    __shared__ float ks[AT_WARPS][AT_D];
    __shared__ float vs[AT_WARPS][AT_D];
    __shared__ float Qs[AT_TILE][AT_LD];
    __shared__ float Gs[AT_TILE][AT_LD];
    __shared__ float Ls[AT_TILE], Ds[AT_TILE];
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    int j = blockIdx.x * AT_WARPS + w;
    bool row = j < Tk;
    q += b * qB + h * qH;
    k += b * kB + h * kH;
    dk += b * kB + h * kH;
    v += b * vB + h * vH;
    dv += b * vB + h * vH;
    g += b * oB + h * oH;
    const float* lrow = lse + ((i64)b * H + h) * Tq;
    const float* drow = delta + ((i64)b * H + h) * Tq;
    for (int d = lane; d < D; d += 32) {
        ks[w][d] = row ? scale * ld(k[(i64)j * kT + d]) : 0.f;
        vs[w][d] = row ? ld(v[(i64)j * vT + d]) : 0.f;
    }
    float ak[AT_D / 32], av[AT_D / 32];
    for (int c = 0; c < AT_D / 32; c++) ak[c] = av[c] = 0.f;
    for (int i0 = 0; i0 < Tq; i0 += AT_TILE) {
        __syncthreads();
        attn_load_tile(Qs, q, qT, i0, Tq, D);
        attn_load_tile(Gs, g, oT, i0, Tq, D);
        if (threadIdx.x < AT_TILE) {
            int ii = i0 + threadIdx.x;
            Ls[threadIdx.x] = ii < Tq ? lrow[ii] : RC_INF;
            Ds[threadIdx.x] = ii < Tq ? drow[ii] : 0.f;
        }
        __syncthreads();
        if (!row) continue;
        int i = i0 + lane;
        float p = 0.f, ds = 0.f;
        if (i < Tq && attn_allowed(mk, b, i, j)) {
            float s = attn_add<T>(mk, b, h, i, j), dp = 0.f;
            for (int d = 0; d < D; d++) {
                s += ks[w][d] * Qs[lane][d];
                dp += vs[w][d] * Gs[lane][d];
            }
            p = expf(s - Ls[lane]);
            ds = p * (dp - Ds[lane]);
        }
        for (int ii = 0; ii < AT_TILE; ii++) {
            float pi = __shfl_sync(0xffffffffu, p, ii);
            float dsi = __shfl_sync(0xffffffffu, ds, ii);
            if (pi == 0.f && dsi == 0.f) continue;
            for (int c = 0; c < AT_D / 32; c++) {
                int d = lane + 32 * c;
                if (d < D) {
                    av[c] += pi * Gs[ii][d];
                    ak[c] += dsi * Qs[ii][d];
                }
            }
        }
    }
    if (!row) return;
    for (int c = 0; c < AT_D / 32; c++) {
        int d = lane + 32 * c;
        if (d < D) {
            dk[(i64)j * kT + d] = st<T>(scale * ak[c]);
            dv[(i64)j * vT + d] = st<T>(av[c]);
        }
    }
}

#define AT_LAYOUT                                                                                  \
    int H, int Tq, int Tk, int D, i64 qB, i64 qH, i64 qT, i64 kB, i64 kH, i64 kT, i64 vB, i64 vH, \
        i64 vT, i64 oB, i64 oH, i64 oT, float scale, const unsigned char* keep, int mode, int prefix, \
        const void* amask, i64 aB, i64 aH, i64 aQ, i64 aK
#define AT_PASS H, Tq, Tk, D, qB, qH, qT, kB, kH, kT, vB, vH, vT, oB, oH, oT, scale, mk

#define AT_KERNELS(T, sfx)                                                                            \
    extern "C" __global__ void __launch_bounds__(128)                                                 \
        attn_fwd_##sfx(const T* q, const T* k, const T* v, T* o, float* lse, AT_LAYOUT) {             \
        AttnMask mk = {keep, mode, prefix, Tk, amask, aB, aH, aQ, aK};                                                       \
        attn_fwd_impl<T>(q, k, v, o, lse, AT_PASS);                                                   \
    }                                                                                                 \
    extern "C" __global__ void __launch_bounds__(128) attn_delta_##sfx(                              \
        const T* o, const T* g, float* delta, int H, int Tq, int D, i64 oB, i64 oH, i64 oT) {         \
        attn_delta_impl<T>(o, g, delta, H, Tq, D, oB, oH, oT);                                        \
    }                                                                                                 \
    extern "C" __global__ void __launch_bounds__(128)                                                 \
        attn_dq_##sfx(const T* q, const T* k, const T* v, const T* g, const float* lse,               \
                      const float* delta, T* dq, AT_LAYOUT) {                                         \
        AttnMask mk = {keep, mode, prefix, Tk, amask, aB, aH, aQ, aK};                                                       \
        attn_dq_impl<T>(q, k, v, g, lse, delta, dq, AT_PASS);                                         \
    }                                                                                                 \
    extern "C" __global__ void __launch_bounds__(128)                                                 \
        attn_dkv_##sfx(const T* q, const T* k, const T* v, const T* g, const float* lse,              \
                       const float* delta, T* dk, T* dv, AT_LAYOUT) {                                 \
        AttnMask mk = {keep, mode, prefix, Tk, amask, aB, aH, aQ, aK};                                                       \
        attn_dkv_impl<T>(q, k, v, g, lse, delta, dk, dv, AT_PASS);                                    \
    }

AT_KERNELS(float, f32)
AT_KERNELS(f16, f16)
AT_KERNELS(bf16, bf16)
