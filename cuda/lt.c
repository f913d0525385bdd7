//go:build cgo

// lt.c — a row-major batched matmul through cuBLASLt (optional fast path).
//
// cuBLASLt is column-major. A row-major C[M,N] = op(A)[M,K]·op(B)[K,N] is
// the column-major Cᵀ[N,M] = op(B)ᵀ·op(A)ᵀ, and a row-major matrix with
// leading dimension ld is, read column-major, its transpose with the same
// ld. So the first cuBLASLt operand is B (op = T when transB) and the
// second is A (op = T when transA).

#include "loader.h"

// Values from cublasLt.h, cublas_api.h and library_types.h (checked against
// CUDA 11.8's headers only; CUDA 12's were not available here).
enum {
    RC_COMPUTE_32F = 68,           // CUBLAS_COMPUTE_32F
    RC_R_32F = 0,                  // CUDA_R_32F
    RC_DESC_TRANSA = 3,            // CUBLASLT_MATMUL_DESC_TRANSA
    RC_DESC_TRANSB = 4,            // CUBLASLT_MATMUL_DESC_TRANSB
    RC_LAYOUT_BATCH_COUNT = 5,     // CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT
    RC_LAYOUT_BATCH_STRIDE = 6,    // CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET
    RC_PREF_MAX_WORKSPACE = 1,     // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES
};

static cublasStatus_t rc_layout(rc_lt* api, cublasLtMatrixLayout_t* l, int type, int rows, int cols, int ld,
                                int batch, long long stride) {
    cublasStatus_t s = api->cublasLtMatrixLayoutCreate(l, type, (uint64_t)rows, (uint64_t)cols, (int64_t)ld);
    if (s != 0) return s;
    if (batch > 1) {
        int32_t bc = batch;
        int64_t st = stride;
        s = api->cublasLtMatrixLayoutSetAttribute(*l, RC_LAYOUT_BATCH_COUNT, &bc, sizeof bc);
        if (s == 0) s = api->cublasLtMatrixLayoutSetAttribute(*l, RC_LAYOUT_BATCH_STRIDE, &st, sizeof st);
    }
    return s;
}

cublasStatus_t rc_lt_matmul(rc_lt* api, cublasLtHandle_t h, int dtype, int otype, int transA, int transB, int M,
                            int N, int K, int lda, int ldb, int ldc, long long sA, long long sB, long long sC,
                            int batch, float alpha, float beta, CUdeviceptr A, CUdeviceptr B, CUdeviceptr C,
                            CUdeviceptr ws, size_t wsSize, CUstream stream) {
    cublasLtMatmulDesc_t desc = NULL;
    cublasLtMatrixLayout_t la = NULL, lb = NULL, lc = NULL;
    cublasLtMatmulPreference_t pref = NULL;
    cublasLtMatmulHeuristicResult_t heur;
    int found = 0;
    cublasStatus_t s = api->cublasLtMatmulDescCreate(&desc, RC_COMPUTE_32F, RC_R_32F);
    if (s != 0) goto done;
    int32_t opFirst = transB ? 1 : 0, opSecond = transA ? 1 : 0;
    s = api->cublasLtMatmulDescSetAttribute(desc, RC_DESC_TRANSA, &opFirst, sizeof opFirst);
    if (s == 0) s = api->cublasLtMatmulDescSetAttribute(desc, RC_DESC_TRANSB, &opSecond, sizeof opSecond);
    if (s != 0) goto done;
    // First operand (B): stored rows×cols column-major is [N,K] (op N) or [K,N] (op T).
    s = transB ? rc_layout(api, &la, dtype, K, N, ldb, batch, sB) : rc_layout(api, &la, dtype, N, K, ldb, batch, sB);
    if (s != 0) goto done;
    s = transA ? rc_layout(api, &lb, dtype, M, K, lda, batch, sA) : rc_layout(api, &lb, dtype, K, M, lda, batch, sA);
    if (s != 0) goto done;
    s = rc_layout(api, &lc, otype, N, M, ldc, batch, sC);
    if (s != 0) goto done;
    s = api->cublasLtMatmulPreferenceCreate(&pref);
    if (s != 0) goto done;
    uint64_t wsz = wsSize;
    s = api->cublasLtMatmulPreferenceSetAttribute(pref, RC_PREF_MAX_WORKSPACE, &wsz, sizeof wsz);
    if (s != 0) goto done;
    s = api->cublasLtMatmulAlgoGetHeuristic(h, desc, la, lb, lc, lc, pref, 1, &heur, &found);
    if (s != 0) goto done;
    if (found < 1) {
        s = 15;  // CUBLAS_STATUS_NOT_SUPPORTED
        goto done;
    }
    s = api->cublasLtMatmul(h, desc, &alpha, (const void*)B, la, (const void*)A, lb, &beta, (const void*)C, lc,
                            (void*)C, lc, &heur.algo, (void*)ws, wsSize, stream);
done:
    if (pref) api->cublasLtMatmulPreferenceDestroy(pref);
    if (lc) api->cublasLtMatrixLayoutDestroy(lc);
    if (lb) api->cublasLtMatrixLayoutDestroy(lb);
    if (la) api->cublasLtMatrixLayoutDestroy(la);
    if (desc) api->cublasLtMatmulDescDestroy(desc);
    return s;
}
