// reduce.cu — reductions over a set of axes, softmax over the last axis
// and L2 normalisation of rows, forward and backward. fp32 accumulation.
//
// Reduction. The Go side splits x's dims into outer (kept) and inner
// (reduced) dims, each merged where contiguous, described by red_layout.
// Output element o (outer linear index) is
//	sum (op 0):  y_o = α · Σ_j x[o, j] + β · y_o        (mean: α = 1/R)
//	max (op 1):  y_o = max_j x[o, j], arg_o = first j of the max
//	min (op 2):  y_o = min_j x[o, j], arg_o = first j of the min
//	sumsq (3):   y_o = α · Σ_j x[o, j]² + β · y_o
// where j runs over the R inner elements in C order (for one reduced axis,
// j is the index along it). A NaN is the max (min) of any row holding one,
// and its arg is the first NaN's j, as tensor.Max and PyTorch do. β = 0 does
// not read y. One output per (blockDim.x)-thread group, blockDim.y groups
// per block; partial results are merged with warp shuffles and, when
// blockDim.x > 32, through shared memory.
//
// Softmax over rows of C (contiguous), with an input scale s:
//	y = softmax(s·x)   or, with logsm, y = s·x − logΣe^{s·x}
// backward (dy given, y the forward's output):
//	dx = s · y ∘ (dy − Σ dy∘y)            (softmax)
//	dx = s · (dy − e^y · Σ dy)            (log-softmax)
//
// L2 normalisation of rows (F.normalize, p = 2):
//	y = x / max(‖x‖, eps)
// backward, with n = ‖x‖: if n > eps, dx = (dy − y·(y·dy)) / n, else dx = dy / eps.

#define RED_MAXDIM 8

struct red_layout {
    int orank, irank;
    int oshape[RED_MAXDIM];
    int ishape[RED_MAXDIM];
    i64 ost[RED_MAXDIM];  // x strides of the outer dims
    i64 yst[RED_MAXDIM];  // y strides of the outer dims
    i64 ist[RED_MAXDIM];  // x strides of the inner dims
    i64 xoff, yoff;
};
// The host fills rc_red_layout (launch.h) with the same C layout.
static_assert(sizeof(red_layout) == 280, "red_layout must match rc_red_layout in launch.h");

// red_better says whether (v, i) replaces (bv, bi) as the running maximum.
__device__ __forceinline__ bool red_better(float v, i64 i, float bv, i64 bi) {
    if (v != v) return bv == bv || i < bi;
    if (bv != bv) return false;
    return v > bv || (v == bv && i < bi);
}

template <class T>
__device__ void reduce_impl(const T* x, T* y, i64* arg, red_layout L, i64 M, i64 R, int op, float alpha,
                            float beta) {
    __shared__ float shv[8][32];
    __shared__ i64 shi[8][32];
    int tx = threadIdx.x, ty = threadIdx.y, lane = tx & 31, w = tx >> 5, nw = blockDim.x >> 5;
    float sgn = op == 2 ? -1.f : 1.f;  // min is −max(−x)
    bool isMax = op == 1 || op == 2;
    for (i64 o = (i64)blockIdx.x * blockDim.y + ty; o < M; o += (i64)gridDim.x * blockDim.y) {
        i64 xo = L.xoff, yo = L.yoff, q = o;
        for (int d = L.orank - 1; d >= 0; d--) {
            i64 s = L.oshape[d], r = q % s;
            q /= s;
            xo += r * L.ost[d];
            yo += r * L.yst[d];
        }
        float acc = isMax ? -RC_INF : 0.f;
        i64 bi = -1;
        for (i64 j = tx; j < R; j += blockDim.x) {
            i64 xi = xo, q2 = j;
            for (int d = L.irank - 1; d >= 0; d--) {
                i64 s = L.ishape[d], r = q2 % s;
                q2 /= s;
                xi += r * L.ist[d];
            }
            float v = ld(x[xi]);
            if (isMax) {
                v *= sgn;
                if (bi < 0 || red_better(v, j, acc, bi)) acc = v, bi = j;
            } else {
                acc += op == 3 ? v * v : v;
            }
        }
        for (int off = 16; off > 0; off >>= 1) {
            float v2 = __shfl_xor_sync(0xffffffffu, acc, off);
            i64 i2 = __shfl_xor_sync(0xffffffffu, bi, off);
            if (!isMax) acc += v2;
            else if (i2 >= 0 && (bi < 0 || red_better(v2, i2, acc, bi))) acc = v2, bi = i2;
        }
        if (nw > 1) {
            __syncthreads();
            if (lane == 0) shv[ty][w] = acc, shi[ty][w] = bi;
            __syncthreads();
            if (w == 0) {
                acc = lane < nw ? shv[ty][lane] : (isMax ? -RC_INF : 0.f);
                bi = lane < nw ? shi[ty][lane] : -1;
                for (int off = 16; off > 0; off >>= 1) {
                    float v2 = __shfl_xor_sync(0xffffffffu, acc, off);
                    i64 i2 = __shfl_xor_sync(0xffffffffu, bi, off);
                    if (!isMax) acc += v2;
                    else if (i2 >= 0 && (bi < 0 || red_better(v2, i2, acc, bi))) acc = v2, bi = i2;
                }
            }
        }
        if (tx == 0) {
            float v;
            if (isMax) {
                v = sgn * acc;
                if (arg) arg[o] = bi;
            } else {
                v = alpha * acc;
                if (beta != 0.f) v += beta * ld(y[yo]);
            }
            y[yo] = st<T>(v);
        }
    }
}

// block_max is block_sum's maximum; NaN wins.
__device__ __forceinline__ float block_max(float v, float* sh) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) {
        float v2 = __shfl_xor_sync(0xffffffffu, v, o);
        v = (v2 > v || v2 != v2) ? v2 : v;
    }
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    if (w == 0) {
        v = lane < nw ? sh[lane] : -RC_INF;
        for (int o = 16; o > 0; o >>= 1) {
            float v2 = __shfl_xor_sync(0xffffffffu, v, o);
            v = (v2 > v || v2 != v2) ? v2 : v;
        }
        if (lane == 0) sh[0] = v;
    }
    __syncthreads();
    return sh[0];
}

template <class T>
__device__ void softmax_fwd_impl(const T* x, T* y, int C, float scale, int logsm) {
    __shared__ float sh[32];
    const T* xr = x + (i64)blockIdx.x * C;
    T* yr = y + (i64)blockIdx.x * C;
    float m = -RC_INF;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float v = scale * ld(xr[c]);
        m = (v > m || v != v) ? v : m;
    }
    m = block_max(m, sh);
    float s = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) s += expf(scale * ld(xr[c]) - m);
    s = block_sum(s, sh);
    float ls = logf(s), inv = 1.f / s;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float v = scale * ld(xr[c]) - m;
        yr[c] = st<T>(logsm ? v - ls : expf(v) * inv);
    }
}

template <class T>
__device__ void softmax_bwd_impl(const T* y, const T* dy, T* dx, int C, float scale, int logsm) {
    __shared__ float sh[32];
    i64 base = (i64)blockIdx.x * C;
    float s = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float g = ld(dy[base + c]);
        s += logsm ? g : g * ld(y[base + c]);
    }
    s = block_sum(s, sh);
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float g = ld(dy[base + c]), v = ld(y[base + c]);
        dx[base + c] = st<T>(scale * (logsm ? g - expf(v) * s : v * (g - s)));
    }
}

template <class T>
__device__ void l2n_fwd_impl(const T* x, T* y, int C, float eps) {
    __shared__ float sh[32];
    i64 base = (i64)blockIdx.x * C;
    float s = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float v = ld(x[base + c]);
        s += v * v;
    }
    s = block_sum(s, sh);
    float inv = 1.f / fmaxf(sqrtf(s), eps);
    for (int c = threadIdx.x; c < C; c += blockDim.x) y[base + c] = st<T>(ld(x[base + c]) * inv);
}

template <class T>
__device__ void l2n_bwd_impl(const T* x, const T* dy, T* dx, int C, float eps) {
    __shared__ float sh[32];
    i64 base = (i64)blockIdx.x * C;
    float s = 0.f, p = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float v = ld(x[base + c]);
        s += v * v;
        p += v * ld(dy[base + c]);
    }
    s = block_sum(s, sh);
    p = block_sum(p, sh);
    float n = sqrtf(s);
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float g = ld(dy[base + c]);
        // y·dy = p/n, so dy − y(y·dy) = dy − x·p/n².
        dx[base + c] = st<T>(n > eps ? (g - ld(x[base + c]) * p / (n * n)) / n : g / eps);
    }
}

#define REDUCE_KERNELS(T, sfx)                                                                          \
    extern "C" __global__ void reduce_##sfx(const T* x, T* y, i64* arg, red_layout L, i64 M, i64 R,     \
                                          int op, float alpha, float beta) {                          \
        reduce_impl<T>(x, y, arg, L, M, R, op, alpha, beta);                                          \
    }                                                                                                 \
    extern "C" __global__ void softmax_fwd_##sfx(const T* x, T* y, int C, float scale, int logsm) {     \
        softmax_fwd_impl<T>(x, y, C, scale, logsm);                                                   \
    }                                                                                                 \
    extern "C" __global__ void softmax_bwd_##sfx(const T* y, const T* dy, T* dx, int C, float scale,    \
                                               int logsm) {                                           \
        softmax_bwd_impl<T>(y, dy, dx, C, scale, logsm);                                              \
    }                                                                                                 \
    extern "C" __global__ void l2n_fwd_##sfx(const T* x, T* y, int C, float eps) {                      \
        l2n_fwd_impl<T>(x, y, C, eps);                                                                \
    }                                                                                                 \
    extern "C" __global__ void l2n_bwd_##sfx(const T* x, const T* dy, T* dx, int C, float eps) {        \
        l2n_bwd_impl<T>(x, dy, dx, C, eps);                                                           \
    }

REDUCE_KERNELS(float, f32)
REDUCE_KERNELS(f16, f16)
REDUCE_KERNELS(bf16, bf16)
