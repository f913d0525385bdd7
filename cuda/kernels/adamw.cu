// adamw.cu — fused multi-tensor AdamW with fp32 master weights, and the
// inf/NaN check of dynamic loss scaling.
//
// Every parameter tensor is one entry of a table in device memory, 8
// 64-bit words per entry:
//	master (f32*), m (f32*), v (f32*), grad, param (0: none), n, grad dtype, param dtype
// with dtypes 0 = f32, 1 = f16, 2 = bf16. One launch updates every tensor:
// blockIdx.y picks the entry, the x dimension strides over its elements.
//
// Math (torch.optim.AdamW, step t, bc1 = 1 − β1ᵗ, bc2 = 1 − β2ᵗ given by
// the host, s = 1/loss scale):
//	g = s·grad
//	p ← p − lr·wd·p
//	m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
//	p ← p − lr · (m/bc1) / (√(v/bc2) + eps)
//	param ← p rounded to its storage type
// When found_inf is set (by check_finite, over all gradients, before the
// update) the whole step is skipped, as torch.cuda.amp.GradScaler does.

__device__ __forceinline__ float ld_dt(u64 p, i64 i, int dt) {
    if (dt == 1) return ld(((const f16*)p)[i]);
    if (dt == 2) return ld(((const bf16*)p)[i]);
    return ((const float*)p)[i];
}

__device__ __forceinline__ void st_dt(u64 p, i64 i, int dt, float v) {
    if (dt == 1) ((f16*)p)[i] = st<f16>(v);
    else if (dt == 2) ((bf16*)p)[i] = st<bf16>(v);
    else ((float*)p)[i] = v;
}

extern "C" __global__ void adamw_step(const u64* tab, float lr, float beta1, float beta2, float eps, float wd,
                                      float bc1, float bc2, float inv_scale, const int* found_inf) {
    if (found_inf && *found_inf) return;
    const u64* e = tab + 8 * blockIdx.y;
    float* master = (float*)e[0];
    float* m = (float*)e[1];
    float* v = (float*)e[2];
    u64 grad = e[3], param = e[4];
    i64 n = (i64)e[5];
    int gdt = (int)e[6], pdt = (int)e[7];
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        float g = inv_scale * ld_dt(grad, i, gdt);
        float p = master[i];
        p -= lr * wd * p;
        float mi = beta1 * m[i] + (1.f - beta1) * g;
        float vi = beta2 * v[i] + (1.f - beta2) * g * g;
        p -= lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
        m[i] = mi;
        v[i] = vi;
        master[i] = p;
        if (param) st_dt(param, i, pdt, p);
    }
}

// check_finite sets *found_inf = 1 when any gradient of the table is
// ±Inf or NaN (the caller zeroes it first).
extern "C" __global__ void check_finite(const u64* tab, int* found_inf) {
    const u64* e = tab + 8 * blockIdx.y;
    u64 grad = e[3];
    i64 n = (i64)e[5];
    int gdt = (int)e[6];
    int bad = 0;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        float g = ld_dt(grad, i, gdt);
        if (!(fabsf(g) <= 3.402823466e38f)) bad = 1;  // Inf fails, NaN fails every comparison
    }
    if (__any_sync(0xffffffffu, bad) && (threadIdx.x & 31) == 0) atomicExch(found_inf, 1);
}
