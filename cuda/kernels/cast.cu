// cast.cu — element conversions between fp32 and the 16-bit storage types.
//
//	y[i] = round_to_nearest_even(x[i])   (f32 → f16, f32 → bf16: overflow gives ±Inf, NaN stays NaN)
//	y[i] = x[i] exactly                  (f16 → f32, bf16 → f32)

template <class S, class D>
__device__ void cast_impl(const S* x, D* y, i64 n) {
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
        y[i] = st<D>(ld(x[i]));
}

extern "C" __global__ void cast_f32_f16(const float* x, f16* y, i64 n) { cast_impl(x, y, n); }
extern "C" __global__ void cast_f32_bf16(const float* x, bf16* y, i64 n) { cast_impl(x, y, n); }
extern "C" __global__ void cast_f16_f32(const f16* x, float* y, i64 n) { cast_impl(x, y, n); }
extern "C" __global__ void cast_bf16_f32(const bf16* x, float* y, i64 n) { cast_impl(x, y, n); }
