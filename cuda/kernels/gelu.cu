// gelu.cu — bias + GELU, forward and backward, and the column sum used for
// bias gradients.
//
// Math, per element of x [rows, C] with bias b [C] (optional):
//	u = x + b_c,  y = act(u)
//	erf  (kind 0): act(u) = u·Φ(u) = ½u(1 + erf(u/√2)),   act' = Φ(u) + u·φ(u)
//	tanh (kind 1): act(u) = ½u(1 + tanh a),  a = √(2/π)(u + 0.044715u³),
//	               act' = ½(1 + tanh a) + ½u(1 − tanh²a)·√(2/π)(1 + 3·0.044715u²)
//	quick(kind 2): act(u) = u·σ(1.702u),   act' = σ + 1.702·u·σ(1 − σ)
// Backward: du = dy·act'(u) is written to dx; db_c = Σ_rows du is then
// sum_rows(dx) (a separate kernel, also used for Linear's bias).

__device__ __forceinline__ float gelu_act(float u, int kind) {
    if (kind == 1) {
        float a = 0.7978845608028654f * (u + 0.044715f * u * u * u);
        return 0.5f * u * (1.f + tanhf(a));
    }
    if (kind == 2) return u / (1.f + expf(-1.702f * u));
    return 0.5f * u * (1.f + erff(u * 0.7071067811865476f));
}

__device__ __forceinline__ float gelu_grad(float u, int kind) {
    if (kind == 1) {
        float a = 0.7978845608028654f * (u + 0.044715f * u * u * u);
        float t = tanhf(a);
        return 0.5f * (1.f + t) + 0.5f * u * (1.f - t * t) * 0.7978845608028654f * (1.f + 3.f * 0.044715f * u * u);
    }
    if (kind == 2) {
        float s = 1.f / (1.f + expf(-1.702f * u));
        return s + 1.702f * u * s * (1.f - s);
    }
    float cdf = 0.5f * (1.f + erff(u * 0.7071067811865476f));
    float pdf = 0.3989422804014327f * expf(-0.5f * u * u);
    return cdf + u * pdf;
}

template <class T>
__device__ void gelu_fwd_impl(const T* x, const T* b, T* y, i64 n, int C, int kind) {
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        float u = ld(x[i]);
        if (b) u = ld(st<T>(u + ld(b[i % C])));
        y[i] = st<T>(gelu_act(u, kind));
    }
}

template <class T>
__device__ void gelu_bwd_impl(const T* dy, const T* x, const T* b, T* dx, i64 n, int C, int kind) {
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        float u = ld(x[i]);
        if (b) u = ld(st<T>(u + ld(b[i % C])));
        dx[i] = st<T>(ld(dy[i]) * gelu_grad(u, kind));
    }
}

// sum_rows: out[c] += Σ_r x[r, c] for x [rows, C]; block (32, 8), one
// column per threadIdx.x, rows strided over threadIdx.y.
template <class T>
__device__ void sum_rows_impl(const T* x, float* out, int rows, int C) {
    __shared__ float sh[8][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    float s = 0.f;
    if (c < C)
        for (int r = threadIdx.y; r < rows; r += 8) s += ld(x[(i64)r * C + c]);
    sh[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        for (int k = 1; k < 8; k++) s += sh[k][threadIdx.x];
        out[c] += s;
    }
}

#define GELU_KERNELS(T, sfx)                                                                     \
    extern "C" __global__ void gelu_fwd_##sfx(const T* x, const T* b, T* y, i64 n, int C,       \
                                              int kind) {                                        \
        gelu_fwd_impl<T>(x, b, y, n, C, kind);                                                   \
    }                                                                                            \
    extern "C" __global__ void gelu_bwd_##sfx(const T* dy, const T* x, const T* b, T* dx, i64 n, \
                                              int C, int kind) {                                 \
        gelu_bwd_impl<T>(dy, x, b, dx, n, C, kind);                                              \
    }                                                                                            \
    extern "C" __global__ void sum_rows_##sfx(const T* x, float* out, int rows, int C) {         \
        sum_rows_impl<T>(x, out, rows, C);                                                       \
    }

GELU_KERNELS(float, f32)
GELU_KERNELS(f16, f16)
GELU_KERNELS(bf16, bf16)
