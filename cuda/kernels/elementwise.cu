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
// Where: y = mask ≠ 0 ? a : b, the mask stored as u8/bool, f32, f16, bf16,
// i64, i32 or f64 (mask kinds 0–6; NaN counts as nonzero).
// Cast: y = convert(a) between any two storage kinds (0 f32, 1 f16, 2 bf16,
// 3 f64, 4 i64, 5 i32, 6 u8, 7 bool) with tensor.To's rules: floats to
// integers truncate toward zero, to f16/bf16 round to nearest even (f64
// through f32), integers wrap, bool is nonzero-ness.
// Fill: every element of y gets one bit pattern (the value converted on
// the host), so it works for any dtype.
// Gather (IndexSelect): y[…, i, …] = a[…, idx[i], …] along dim g; an index
// outside [0, V) writes all-one bits (NaN for floats).
// IndexAdd (f32): y[…, idx[i], …] += a[…, i, …] with atomics, so repeated
// indices accumulate; indices outside [0, V) are skipped.

#define EW_MAXDIM 8

struct ew_layout {
    int rank;
    int shape[EW_MAXDIM];
    i64 st[4][EW_MAXDIM];
    i64 off[4];
};
// The host fills rc_ew_layout (launch.h) with the same C layout.
static_assert(sizeof(ew_layout) == 328, "ew_layout must match rc_ew_layout in launch.h");

template <int NOPS>
__device__ __forceinline__ void ew_offsets(const ew_layout& L, i64 i, i64* o) {
    if (L.rank <= 1) {  // dense or one strided dim: no division
        i64 s = L.rank == 1 ? i : 0;
#pragma unroll
        for (int k = 0; k < NOPS; k++) o[k] = L.off[k] + s * (L.rank == 1 ? L.st[k][0] : 0);
        return;
    }
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
    case 11: return p1 == 0.f ? p0 * x : fmaf(p0, x, p1);  // x·s keeps the sign of a zero product
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
    case 5: return ((const int*)m)[i] != 0;
    case 6: return ((const double*)m)[i] != 0.0;
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
    }

EW_KERNELS(float, f32)
EW_KERNELS(f16, f16)
EW_KERNELS(bf16, bf16)

extern "C" __global__ void ew_copy_b1(const unsigned char* a, unsigned char* y, ew_layout L, i64 n) {
    ew_copy_impl(a, y, L, n);
}
extern "C" __global__ void ew_copy_b2(const u16* a, u16* y, ew_layout L, i64 n) { ew_copy_impl(a, y, L, n); }
extern "C" __global__ void ew_copy_b4(const u32* a, u32* y, ew_layout L, i64 n) { ew_copy_impl(a, y, L, n); }
extern "C" __global__ void ew_copy_b8(const u64* a, u64* y, ew_layout L, i64 n) { ew_copy_impl(a, y, L, n); }

// ---- cast ----

__device__ __forceinline__ bool ew_kind_is_int(int k) { return k >= 4; }

__device__ __forceinline__ double ew_load_f(const void* p, int k, i64 i) {
    switch (k) {
    case 0: return ((const float*)p)[i];
    case 1: return ld(((const f16*)p)[i]);
    case 2: return ld(((const bf16*)p)[i]);
    case 3: return ((const double*)p)[i];
    case 4: return (double)((const i64*)p)[i];
    case 5: return (double)((const int*)p)[i];
    default: return (double)((const unsigned char*)p)[i];
    }
}

__device__ __forceinline__ i64 ew_load_i(const void* p, int k, i64 i) {
    switch (k) {
    case 4: return ((const i64*)p)[i];
    case 5: return ((const int*)p)[i];
    default: return ((const unsigned char*)p)[i];
    }
}

__device__ __forceinline__ void ew_store_i(void* p, int k, i64 i, i64 v) {
    switch (k) {
    case 4: ((i64*)p)[i] = v; break;
    case 5: ((int*)p)[i] = (int)(u32)(u64)v; break;
    case 6: ((unsigned char*)p)[i] = (unsigned char)(u64)v; break;
    default: ((unsigned char*)p)[i] = v != 0; break;
    }
}

extern "C" __global__ void ew_cast(const void* a, int ka, void* y, int ky, ew_layout L, i64 n) {
    EW_LOOP(n) {
        i64 o[2];
        ew_offsets<2>(L, i, o);
        if (ew_kind_is_int(ka) && ew_kind_is_int(ky)) {
            ew_store_i(y, ky, o[0], ew_load_i(a, ka, o[1]));
            continue;
        }
        double v = ew_load_f(a, ka, o[1]);
        switch (ky) {
        case 0: ((float*)y)[o[0]] = (float)v; break;
        case 1: ((f16*)y)[o[0]] = st<f16>((float)v); break;
        case 2: ((bf16*)y)[o[0]] = st<bf16>((float)v); break;
        case 3: ((double*)y)[o[0]] = v; break;
        case 7: ((unsigned char*)y)[o[0]] = v != 0.0; break;  // NaN != 0 is true
        default: ew_store_i(y, ky, o[0], v != v ? 0 : (i64)trunc(v)); break;
        }
    }
}

// ---- fill ----

extern "C" __global__ void ew_fill_bits(void* y, int size, ew_layout L, i64 n, u64 bits) {
    EW_LOOP(n) {
        i64 o[1];
        ew_offsets<1>(L, i, o);
        switch (size) {
        case 1: ((unsigned char*)y)[o[0]] = (unsigned char)bits; break;
        case 2: ((u16*)y)[o[0]] = (u16)bits; break;
        case 4: ((u32*)y)[o[0]] = (u32)bits; break;
        default: ((u64*)y)[o[0]] = bits; break;
        }
    }
}

// ---- gather and index add ----

// ew_gather_offsets peels i over L's shape (not merged, so dim g is kept):
// o[0] follows operand 0's strides everywhere, o[1] operand 1's except
// along g, where *at receives the coordinate instead.
__device__ __forceinline__ void ew_gather_offsets(const ew_layout& L, int g, i64 i, i64* o, i64* at) {
    o[0] = L.off[0];
    o[1] = L.off[1];
    for (int d = L.rank - 1; d >= 0; d--) {
        i64 s = L.shape[d];
        i64 q = i / s, r = i - q * s;
        i = q;
        o[0] += r * L.st[0][d];
        if (d == g) *at = r;
        else o[1] += r * L.st[1][d];
    }
}

// Operand 0 is y (dst), operand 1 is a (src); along dim g a is read at
// idx[coordinate]·gstride.
template <class W>
__device__ void ew_gather_impl(const W* a, W* y, const i64* idx, ew_layout L, int g, i64 V, i64 gstride, i64 n) {
    EW_LOOP(n) {
        i64 o[2], at = 0;
        ew_gather_offsets(L, g, i, o, &at);
        i64 id = idx[at];
        if (id < 0 || id >= V) {
            y[o[0]] = (W)~(W)0;
            continue;
        }
        y[o[0]] = a[o[1] + id * gstride];
    }
}

extern "C" __global__ void ew_gather_b1(const unsigned char* a, unsigned char* y, const i64* idx, ew_layout L,
                                        int g, i64 V, i64 gstride, i64 n) {
    ew_gather_impl(a, y, idx, L, g, V, gstride, n);
}
extern "C" __global__ void ew_gather_b2(const u16* a, u16* y, const i64* idx, ew_layout L, int g, i64 V,
                                        i64 gstride, i64 n) {
    ew_gather_impl(a, y, idx, L, g, V, gstride, n);
}
extern "C" __global__ void ew_gather_b4(const u32* a, u32* y, const i64* idx, ew_layout L, int g, i64 V,
                                        i64 gstride, i64 n) {
    ew_gather_impl(a, y, idx, L, g, V, gstride, n);
}
extern "C" __global__ void ew_gather_b8(const u64* a, u64* y, const i64* idx, ew_layout L, int g, i64 V,
                                        i64 gstride, i64 n) {
    ew_gather_impl(a, y, idx, L, g, V, gstride, n);
}

// Operand 0 is a (src, iterated), operand 1 is y (dst); along dim g, y is
// written at idx[coordinate]·gstride.
extern "C" __global__ void ew_index_add_f32(const float* a, float* y, const i64* idx, ew_layout L, int g, i64 V,
                                            i64 gstride, i64 n) {
    EW_LOOP(n) {
        i64 o[2], at = 0;
        ew_gather_offsets(L, g, i, o, &at);
        i64 id = idx[at];
        if (id < 0 || id >= V) continue;
        atomicAdd(&y[o[1] + id * gstride], a[o[0]]);
    }
}
