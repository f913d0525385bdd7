// matmul_f32.cu — batched C = alpha·op(A)·op(B) + beta·C in fp32 storage
// and fp32 math (CUDA cores, no tensor cores), with the same arguments as
// matmul.cu: transposes, leading dimensions, batch strides (0 broadcasts).
//
// Tiling: a 256-thread block (16×16) computes a 64×64 tile of C, stepping
// K by 16; thread (tx, ty) owns rows ty + 16i and columns tx + 16j
// (i, j < 4), so that its global stores along a row are coalesced across
// tx. Both tiles live in shared memory as [k][m] and [k][n].

#define MF_BM 64
#define MF_BN 64
#define MF_BK 16

extern "C" __global__ void __launch_bounds__(256)
    matmul_f32_f32(const float* A, const float* B, float* C, int M, int N, int K, int lda, int ldb, int ldc,
                   i64 sA, i64 sB, i64 sC, int transA, int transB, float alpha, float beta) {
    __shared__ float As[MF_BK][MF_BM + 1];
    __shared__ float Bs[MF_BK][MF_BN + 1];
    const float* a = A + blockIdx.z * sA;
    const float* b = B + blockIdx.z * sB;
    float* c = C + blockIdx.z * sC;
    int m0 = blockIdx.y * MF_BM, n0 = blockIdx.x * MF_BN;
    int tx = threadIdx.x & 15, ty = threadIdx.x >> 4, tid = threadIdx.x;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.f;
    for (int k0 = 0; k0 < K; k0 += MF_BK) {
        for (int idx = tid; idx < MF_BM * MF_BK; idx += 256) {
            int mm, kk;
            if (transA) { mm = idx % MF_BM; kk = idx / MF_BM; }
            else { kk = idx % MF_BK; mm = idx / MF_BK; }
            int gm = m0 + mm, gk = k0 + kk;
            float v = 0.f;
            if (gm < M && gk < K) v = transA ? a[(i64)gk * lda + gm] : a[(i64)gm * lda + gk];
            As[kk][mm] = v;
        }
        for (int idx = tid; idx < MF_BN * MF_BK; idx += 256) {
            int nn, kk;
            if (transB) { kk = idx % MF_BK; nn = idx / MF_BK; }
            else { nn = idx % MF_BN; kk = idx / MF_BN; }
            int gn = n0 + nn, gk = k0 + kk;
            float v = 0.f;
            if (gn < N && gk < K) v = transB ? b[(i64)gn * ldb + gk] : b[(i64)gk * ldb + gn];
            Bs[kk][nn] = v;
        }
        __syncthreads();
        for (int kk = 0; kk < MF_BK; kk++) {
            float av[4], bv[4];
            for (int i = 0; i < 4; i++) av[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++) bv[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            int gm = m0 + ty + 16 * i, gn = n0 + tx + 16 * j;
            if (gm < M && gn < N) {
                float* p = c + (i64)gm * ldc + gn;
                float v = alpha * acc[i][j];
                if (beta != 0.f) v += beta * *p;
                *p = v;
            }
        }
}
