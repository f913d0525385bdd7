// common.cuh — definitions shared by every radcap kernel.
//
// radcap compiles its kernels with NVRTC at run time, so no CUDA toolkit
// header may be included: this prefix is prepended to every .cu file by the
// Go loader (and by the nvcc test). Half-precision values are stored as
// 16-bit integers inside the tag structs f16 and bf16 and converted with
// inline PTX (f16) or bit arithmetic (bf16); all arithmetic is fp32.

typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;

struct f16 { u16 x; };
struct bf16 { u16 x; };

#define RC_INF (__int_as_float(0x7f800000))
#define RC_NAN (__int_as_float(0x7fc00000))

// Loads: every storage type widens to fp32.
__device__ __forceinline__ float ld(float v) { return v; }
__device__ __forceinline__ float ld(f16 v) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v.x));
    return f;
}
__device__ __forceinline__ float ld(bf16 v) { return __uint_as_float(((u32)v.x) << 16); }

// Stores: fp32 narrows with round-to-nearest-even.
template <class T> __device__ __forceinline__ T st(float f);
template <> __device__ __forceinline__ float st<float>(float f) { return f; }
template <> __device__ __forceinline__ f16 st<f16>(float f) {
    f16 h;
    u32 u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        // NaN: keep the sign and the top payload bits, set the quiet bit
        // (as tensor.F32ToF16; cvt would give the canonical NaN).
        h.x = (u16)(((u >> 16) & 0x8000u) | 0x7e00u | ((u & 0x7fffffu) >> 13));
        return h;
    }
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.x) : "f"(f));
    return h;
}
template <> __device__ __forceinline__ bf16 st<bf16>(float f) {
    // Round to nearest even on the upper 16 bits; NaN stays a quiet NaN
    // with its sign (as tensor.F32ToBF16 does).
    u32 u = __float_as_uint(f);
    bf16 h;
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        h.x = (u16)((u >> 16) | 0x40u);
        return h;
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    h.x = (u16)(u >> 16);
    return h;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// block_sum returns the sum of v over the block (blockDim.x a multiple of
// 32, at most 1024) to every thread; sh is 32 floats of shared memory.
__device__ __forceinline__ float block_sum(float v, float* sh) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();  // sh may still be read by a previous call
    if (lane == 0) sh[w] = v;
    __syncthreads();
    if (w == 0) {
        v = lane < nw ? sh[lane] : 0.f;
        v = warp_sum(v);
        if (lane == 0) sh[0] = v;
    }
    __syncthreads();
    return sh[0];
}
