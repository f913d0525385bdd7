// elementwise.cu — strided element-wise kernels with NumPy broadcasting:
// unary maps (with a dtype change), binary ops, where, fill and raw copies.
//
// Every operand is a strided view described by ew_layout: the output's
// shape (rank ≤ EW_MAXDIM, after the Go side has merged dims that are
// contiguous in every operand), and per operand (0 = y, 1 = a, 2 = b,
// 3 = mask) its strides in elements (0 along a broadcast dim) and its
// offset. Thread i handles the output elements i, i + gridDim·blockDim, ...
// and finds each operand's element by peeling the linear index:
//	for d = rank−1 … 0:  idx_d = i mod shape_d,  i = i div shape_d,
//	                     off_k += idx_d · st_k[d]
// Math is fp32 whatever the storage type.
//
// Unary (y = f(a), a and y may differ in storage type):
//	0 copy  1 −a  2 eᵃ  3 ln a  4 tanh a  5 √a  6 1/√a  7 |a|  8 σ(a)  9 erf a
//	10 a²  11 p0·a + p1  12 a^p0  13 clamp(a, p0, p1)  14 1/a  15 max(a, 0)
// Binary (y = a ∘ b):
//	0 +  1 −  2 ×  3 ÷  4 max  5 min (both propagate NaN, as tensor.Maximum)
//	6 a>b  7 a<b  8 a=b  9 a≥b  10 a≤b  11 a≠b (1 or 0)  12 a + α·b
// Where: y = mask ≠ 0 ? a : b, the mask stored as u8, f32, f16, bf16 or i64
// (mask kinds 0–4; NaN counts as nonzero).

#define EW_MAXDIM 8

struct ew_layout {
    int rank;
    int shape[EW_MAXDIM];
    i64 st[4][EW_MAXDIM];
    i64 off[4];
};

template <int NOPS>
__device__ __forceinline__ void ew_offsets(const ew_layout& L, i64 i, i64* o) {
#pragma unroll
    for (int k = 0; k < NOPS; k++) o[k] = L.off[k];
    for (int d = L.rank - 1; d >= 0; d--) {
        i64 s = L.shape[d];
        i64 q = i / s, r = i - q * s;
        i = q;
#pragma unroll
        for (int k = 0; k < NOPS; k++) o[k] += r * L.st[k][d];
    }
}

#define EW_LOOP(n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

__device__ __forceinline__ float ew_unary_f(int op, float x, float p0, float p1) {
    switch (op) {
    case 0: return x;
    case 1: return -x;
    case 2: return expf(x);
    case 3: return logf(x);
    case 4: return tanhf(x);
    case 5: return sqrtf(x);
    case 6: return rsqrtf(x);
    case 7: return fabsf(x);
    case 8: return 1.f / (1.f + expf(-x));
    case 9: return erff(x);
    case 10: return x * x;
    case 11: return fmaf(p0, x, p1);
    case 12: return powf(x, p0);
    case 13: return x != x ? x : fminf(fmaxf(x, p0), p1);
    case 14: return 1.f / x;
    case 15: return x != x ? x : fmaxf(x, 0.f);
    }
    return RC_NAN;
}

__device__ __forceinline__ float ew_binary_f(int op, float a, float b, float alpha) {
    switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return (a > b || a != a) ? a : b;
    case 5: return (a < b || a != a) ? a : b;
    case 6: return a > b ? 1.f : 0.f;
    case 7: return a < b ? 1.f : 0.f;
    case 8: return a == b ? 1.f : 0.f;
    case 9: return a >= b ? 1.f : 0.f;
    case 10: return a <= b ? 1.f : 0.f;
    case 11: return a != b ? 1.f : 0.f;
    case 12: return fmaf(alpha, b, a);
    }
    return RC_NAN;
}

template <class S, class D>
__device__ void ew_unary_impl(const S* a, D* y, ew_layout L, i64 n, int op, float p0, float p1) {
    EW_LOOP(n) {
        i64 o[2];
        ew_offsets<2>(L, i, o);
        y[o[0]] = st<D>(ew_unary_f(op, ld(a[o[1]]), p0, p1));
    }
}

template <class T>
__device__ void ew_binary_impl(const T* a, const T* b, T* y, ew_layout L, i64 n, int op, float alpha) {
    EW_LOOP(n) {
        i64 o[3];
        ew_offsets<3>(L, i, o);
        y[o[0]] = st<T>(ew_binary_f(op, ld(a[o[1]]), ld(b[o[2]]), alpha));
    }
}

__device__ __forceinline__ bool ew_mask_at(const void* m, int kind, i64 i) {
    switch (kind) {
    case 0: return ((const unsigned char*)m)[i] != 0;
    case 1: return ld(((const float*)m)[i]) != 0.f;
    case 2: return ld(((const f16*)m)[i]) != 0.f;
    case 3: return ld(((const bf16*)m)[i]) != 0.f;
    case 4: return ((const i64*)m)[i] != 0;
    }
    return false;
}

template <class T>
__device__ void ew_where_impl(const void* m, int kind, const T* a, const T* b, T* y, ew_layout L, i64 n) {
    EW_LOOP(n) {
        i64 o[4];
        ew_offsets<4>(L, i, o);
        y[o[0]] = ew_mask_at(m, kind, o[3]) ? a[o[1]] : b[o[2]];
    }
}

template <class T>
__device__ void ew_fill_impl(T* y, ew_layout L, i64 n, float v) {
    T s = st<T>(v);
    EW_LOOP(n) {
        i64 o[1];
        ew_offsets<1>(L, i, o);
        y[o[0]] = s;
    }
}

// ew_copy_bN copies N-byte elements bit for bit (any dtype, NaN payloads
// kept): the strided copy behind Contiguous, Narrow, Permute and Concat.
template <class W>
__device__ void ew_copy_impl(const W* a, W* y, ew_layout L, i64 n) {
    EW_LOOP(n) {
        i64 o[2];
        ew_offsets<2>(L, i, o);
        y[o[0]] = a[o[1]];
    }
}

extern "C" __global__ void ew_unary_f32_f32(const float* a, float* y, ew_layout L, i64 n, int op, float p0, float p1) {
    ew_unary_impl<float, float>(a, y, L, n, op, p0, p1);
}
extern "C" __global__ void ew_unary_f32_f16(const float* a, f16* y, ew_layout L, i64 n, int op, float p0, float p1) {
    ew_unary_impl<float, f16>(a, y, L, n, op, p0, p1);
}
extern "C" __global__ void ew_unary_f32_bf16(const float* a, bf16* y, ew_layout L, i64 n, int op, float p0, float p1) {
    ew_unary_impl<float, bf16>(a, y, L, n, op, p0, p1);
}
extern "C" __global__ void ew_unary_f16_f32(const f16* a, float* y, ew_layout L, i64 n, int op, float p0, float p1) {
    ew_unary_impl<f16, float>(a, y, L, n, op, p0, p1);
}
extern "C" __global__ void ew_unary_f16_f16(const f16* a, f16* y, ew_layout L, i64 n, int op, float p0, float p1) {
    ew_unary_impl<f16, f16>(a, y, L, n, op, p0, p1);
}
extern "C" __global__ void ew_unary_f16_bf16(const f16* a, bf16* y, ew_layout L, i64 n, int op, float p0, float p1) {
    ew_unary_impl<f16, bf16>(a, y, L, n, op, p0, p1);
}
extern "C" __global__ void ew_unary_bf16_f32(const bf16* a, float* y, ew_layout L, i64 n, int op, float p0, float p1) {
    ew_unary_impl<bf16, float>(a, y, L, n, op, p0, p1);
}
extern "C" __global__ void ew_unary_bf16_f16(const bf16* a, f16* y, ew_layout L, i64 n, int op, float p0, float p1) {
    ew_unary_impl<bf16, f16>(a, y, L, n, op, p0, p1);
}
extern "C" __global__ void ew_unary_bf16_bf16(const bf16* a, bf16* y, ew_layout L, i64 n, int op, float p0, float p1) {
    ew_unary_impl<bf16, bf16>(a, y, L, n, op, p0, p1);
}

#define EW_KERNELS(T, sfx)                                                                                 \
    extern "C" __global__ void ew_binary_##sfx(const T* a, const T* b, T* y, ew_layout L, i64 n, int op, \
                                             float alpha) {                                            \
        ew_binary_impl<T>(a, b, y, L, n, op, alpha);                                                   \
    }                                                                                                  \
    extern "C" __global__ void ew_where_##sfx(const void* m, int kind, const T* a, const T* b, T* y,     \
                                            ew_layout L, i64 n) {                                      \
        ew_where_impl<T>(m, kind, a, b, y, L, n);                                                      \
    }                                                                                                  \
    extern "C" __global__ void ew_fill_##sfx(T* y, ew_layout L, i64 n, float v) { ew_fill_impl<T>(y, L, n, v); }

EW_KERNELS(float, f32)
EW_KERNELS(f16, f16)
EW_KERNELS(bf16, bf16)

extern "C" __global__ void ew_copy_b1(const unsigned char* a, unsigned char* y, ew_layout L, i64 n) {
    ew_copy_impl(a, y, L, n);
}
extern "C" __global__ void ew_copy_b2(const u16* a, u16* y, ew_layout L, i64 n) { ew_copy_impl(a, y, L, n); }
extern "C" __global__ void ew_copy_b4(const u32* a, u32* y, ew_layout L, i64 n) { ew_copy_impl(a, y, L, n); }
extern "C" __global__ void ew_copy_b8(const u64* a, u64* y, ew_layout L, i64 n) { ew_copy_impl(a, y, L, n); }
