// dropout.cu — inverted dropout with a counter-based RNG (Philox4x32-10),
// so the backward regenerates the mask from (seed, offset) instead of
// storing it.
//
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
// 1, 2, 3", SC 2011): a 128-bit counter c and a 64-bit key k; ten rounds of
//	(hi0, lo0) = M0·c0,  (hi1, lo1) = M1·c2   (32×32 → 64-bit products)
//	c = (hi1 ⊕ c1 ⊕ k0, lo1, hi0 ⊕ c3 ⊕ k1, lo0)
//	k = k + (W0, W1)                              (between rounds)
// with M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85.
//
// Element i of a launch uses word i mod 4 of Philox(c, k) with
//	c = (g mod 2³², g div 2³², offset mod 2³², offset div 2³²),  g = i div 4,
//	k = (seed mod 2³², seed div 2³²)
// and the uniform u = (word >> 8)·2⁻²⁴ ∈ [0, 1). The element is kept when
// u ≥ p:  y_i = keep ? x_i / (1 − p) : 0.  The backward is the same kernel
// applied to dy with the same seed and offset. cuda.PhiloxKeep is the
// same rule on the host.

__device__ __forceinline__ void philox4x32_10(u32 c[4], u32 k0, u32 k1) {
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        u32 lo0 = 0xD2511F53u * c[0], hi0 = __umulhi(0xD2511F53u, c[0]);
        u32 lo1 = 0xCD9E8D57u * c[2], hi1 = __umulhi(0xCD9E8D57u, c[2]);
        u32 n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0;
        c[1] = lo1;
        c[2] = n2;
        c[3] = lo0;
    }
}

template <class T>
__device__ void dropout_impl(const T* x, T* y, i64 n, float p, u64 seed, u64 offset) {
    float keepScale = 1.f / (1.f - p);
    i64 groups = (n + 3) >> 2;
    for (i64 g = (i64)blockIdx.x * blockDim.x + threadIdx.x; g < groups; g += (i64)gridDim.x * blockDim.x) {
        u32 c[4] = {(u32)g, (u32)((u64)g >> 32), (u32)offset, (u32)(offset >> 32)};
        philox4x32_10(c, (u32)seed, (u32)(seed >> 32));
        for (int w = 0; w < 4; w++) {
            i64 i = g * 4 + w;
            if (i >= n) break;
            float u = (float)(c[w] >> 8) * (1.f / 16777216.f);
            y[i] = st<T>(u >= p ? ld(x[i]) * keepScale : 0.f);
        }
    }
}

extern "C" __global__ void dropout_f32(const float* x, float* y, i64 n, float p, u64 seed, u64 offset) {
    dropout_impl(x, y, n, p, seed, offset);
}
extern "C" __global__ void dropout_f16(const f16* x, f16* y, i64 n, float p, u64 seed, u64 offset) {
    dropout_impl(x, y, n, p, seed, offset);
}
extern "C" __global__ void dropout_bf16(const bf16* x, bf16* y, i64 n, float p, u64 seed, u64 offset) {
    dropout_impl(x, y, n, p, seed, offset);
}
