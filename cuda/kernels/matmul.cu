// matmul.cu — batched C = alpha·op(A)·op(B) + beta·C for fp16/bf16 inputs
// with fp32 accumulation.
//
// Math: A is logically [M, K] and B [K, N]; with transA A is stored [K, M],
// with transB B is stored [N, K]. For batch z, A, B and C start at z·sA,
// z·sB, z·sC elements (a stride of 0 broadcasts one matrix over the batch).
//
//	C[m, n] = alpha · Σ_k A[m, k]·B[k, n] + beta · C[m, n]   (beta = 0: C is not read)
//
// The backward of Y = X·W is itself two calls of this kernel:
// dX = dY·Wᵀ (transB) and dW = Xᵀ·dY (transA), the latter with an fp32
// output and beta = 1 to accumulate into the fp32 gradient.
//
// Tiling: a 128-thread block computes a 64×64 tile of C, stepping K by 32.
// Each of the 4 warps owns a 32×32 sub-tile, i.e. 2×4 tensor-core tiles
// of 16×8, updated with mma.sync.m16n8k16 (sm_80+). The A tile is stored in
// shared memory as [m][k] and the B tile transposed as [n][k], so that
// both fragments are pairs of consecutive k. Fragment layout (PTX ISA,
// m16n8k16, g = lane/4, t = lane%4):
//	A regs: (row g, k 2t..2t+1), (row g+8, k 2t..), (row g, k 2t+8..), (row g+8, k 2t+8..)
//	B regs: (k 2t..2t+1, col g), (k 2t+8..2t+9, col g)
//	C:      (row g, col 2t..2t+1), (row g+8, col 2t..2t+1)
// Before sm_80 the same per-thread outputs are computed with scalar FMAs
// from the same shared tiles.

#define MM_BM 64
#define MM_BN 64
#define MM_BK 32
#define MM_PAD 8

template <class T> struct mma_op;
template <> struct mma_op<f16> {
    static __device__ __forceinline__ void run(float* c, const u32* a, const u32* b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
            "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
    }
};
template <> struct mma_op<bf16> {
    static __device__ __forceinline__ void run(float* c, const u32* a, const u32* b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
            "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
    }
};

template <class T, class TO>
__device__ void matmul_impl(const T* A, const T* B, TO* C, int M, int N, int K, int lda, int ldb,
                            int ldc, i64 sA, i64 sB, i64 sC, int transA, int transB, float alpha,
                            float beta) {
    __shared__ __align__(16) u16 As[MM_BM][MM_BK + MM_PAD];
    __shared__ __align__(16) u16 Bs[MM_BN][MM_BK + MM_PAD];
    const u16* a = (const u16*)(A + blockIdx.z * sA);
    const u16* b = (const u16*)(B + blockIdx.z * sB);
    TO* c = C + blockIdx.z * sC;
    int m0 = blockIdx.y * MM_BM, n0 = blockIdx.x * MM_BN;
    int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
    int g = lane >> 2, t = lane & 3;
    float acc[2][4][4];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int r = 0; r < 4; r++) acc[i][j][r] = 0.f;

    for (int k0 = 0; k0 < K; k0 += MM_BK) {
        // Load the tiles, zero-filling outside the matrices. The index
        // order follows the stored layout so that loads are coalesced.
        for (int idx = tid; idx < MM_BM * MM_BK; idx += blockDim.x) {
            int mm, kk;
            if (transA) { mm = idx % MM_BM; kk = idx / MM_BM; }
            else { kk = idx % MM_BK; mm = idx / MM_BK; }
            int gm = m0 + mm, gk = k0 + kk;
            u16 v = 0;
            if (gm < M && gk < K) v = transA ? a[(i64)gk * lda + gm] : a[(i64)gm * lda + gk];
            As[mm][kk] = v;
        }
        for (int idx = tid; idx < MM_BN * MM_BK; idx += blockDim.x) {
            int nn, kk;
            if (transB) { kk = idx % MM_BK; nn = idx / MM_BK; }
            else { nn = idx % MM_BN; kk = idx / MM_BN; }
            int gn = n0 + nn, gk = k0 + kk;
            u16 v = 0;
            if (gn < N && gk < K) v = transB ? b[(i64)gn * ldb + gk] : b[(i64)gk * ldb + gn];
            Bs[nn][kk] = v;
        }
        __syncthreads();
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        for (int ks = 0; ks < MM_BK; ks += 16) {
            u32 af[2][4], bfr[4][2];
            for (int i = 0; i < 2; i++) {
                int r = wm + i * 16 + g;
                af[i][0] = *(const u32*)&As[r][ks + 2 * t];
                af[i][1] = *(const u32*)&As[r + 8][ks + 2 * t];
                af[i][2] = *(const u32*)&As[r][ks + 2 * t + 8];
                af[i][3] = *(const u32*)&As[r + 8][ks + 2 * t + 8];
            }
            for (int j = 0; j < 4; j++) {
                int n = wn + j * 8 + g;
                bfr[j][0] = *(const u32*)&Bs[n][ks + 2 * t];
                bfr[j][1] = *(const u32*)&Bs[n][ks + 2 * t + 8];
            }
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 4; j++) mma_op<T>::run(acc[i][j], af[i], bfr[j]);
        }
#else
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++)
                for (int r = 0; r < 4; r++) {
                    int mm = wm + i * 16 + g + (r >> 1) * 8;
                    int nn = wn + j * 8 + 2 * t + (r & 1);
                    float s = 0.f;
                    for (int kk = 0; kk < MM_BK; kk++) {
                        T x, y;
                        x.x = As[mm][kk];
                        y.x = Bs[nn][kk];
                        s += ld(x) * ld(y);
                    }
                    acc[i][j][r] += s;
                }
#endif
        __syncthreads();
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int r = 0; r < 4; r++) {
                int gm = m0 + wm + i * 16 + g + (r >> 1) * 8;
                int gn = n0 + wn + j * 8 + 2 * t + (r & 1);
                if (gm < M && gn < N) {
                    TO* p = c + (i64)gm * ldc + gn;
                    float v = alpha * acc[i][j][r];
                    if (beta != 0.f) v += beta * ld(*p);
                    *p = st<TO>(v);
                }
            }
}

#define MATMUL_ARGS                                                                         \
    int M, int N, int K, int lda, int ldb, int ldc, i64 sA, i64 sB, i64 sC, int transA, \
        int transB, float alpha, float beta
#define MATMUL_PASS M, N, K, lda, ldb, ldc, sA, sB, sC, transA, transB, alpha, beta

extern "C" __global__ void __launch_bounds__(128)
    matmul_f16_f16(const f16* A, const f16* B, f16* C, MATMUL_ARGS) {
    matmul_impl<f16, f16>(A, B, C, MATMUL_PASS);
}
extern "C" __global__ void __launch_bounds__(128)
    matmul_f16_f32(const f16* A, const f16* B, float* C, MATMUL_ARGS) {
    matmul_impl<f16, float>(A, B, C, MATMUL_PASS);
}
extern "C" __global__ void __launch_bounds__(128)
    matmul_bf16_bf16(const bf16* A, const bf16* B, bf16* C, MATMUL_ARGS) {
    matmul_impl<bf16, bf16>(A, B, C, MATMUL_PASS);
}
extern "C" __global__ void __launch_bounds__(128)
    matmul_bf16_f32(const bf16* A, const bf16* B, float* C, MATMUL_ARGS) {
    matmul_impl<bf16, float>(A, B, C, MATMUL_PASS);
}
