//go:build cgo

// launch.h — typed kernel launchers: Go passes scalars and device
// addresses only; the argument array cuLaunchKernel needs lives on the C
// stack.

#ifndef RADCAP_CUDA_LAUNCH_H
#define RADCAP_CUDA_LAUNCH_H

#include "loader.h"

typedef CUdeviceptr dptr;

// rc_grid is a launch configuration.
typedef struct {
    unsigned int gx, gy, gz, bx, by, bz, smem;
} rc_grid;

CUresult rc_launch_matmul(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr A, dptr B, dptr C, int M,
                          int N, int K, int lda, int ldb, int ldc, long long sA, long long sB, long long sC,
                          int transA, int transB, float alpha, float beta);

// rc_attn_layout is the shape and strides shared by the attention kernels.
typedef struct {
    int H, Tq, Tk, D;
    long long qB, qH, qT, kB, kH, kT, vB, vH, vT, oB, oH, oT;
    float scale;
    dptr keep;
    int mode, prefix;
} rc_attn_layout;

CUresult rc_launch_attn_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr q, dptr k, dptr v, dptr o,
                            dptr lse, rc_attn_layout L);
CUresult rc_launch_attn_delta(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr o, dptr gr, dptr delta,
                              int H, int Tq, int D, long long oB, long long oH, long long oT);
CUresult rc_launch_attn_dq(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr q, dptr k, dptr v, dptr gr,
                           dptr lse, dptr delta, dptr dq, rc_attn_layout L);
CUresult rc_launch_attn_dkv(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr q, dptr k, dptr v, dptr gr,
                            dptr lse, dptr delta, dptr dk, dptr dv, rc_attn_layout L);

CUresult rc_launch_ln_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr r, dptr w, dptr b,
                          dptr y, dptr hout, dptr mean, dptr rstd, int C, float eps);
CUresult rc_launch_ln_bwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr dy, dptr h, dptr w, dptr mean,
                          dptr rstd, dptr dextra, dptr dh, dptr dw, dptr db, int C);

CUresult rc_launch_gelu_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr b, dptr y,
                            long long n, int C, int kind);
CUresult rc_launch_gelu_bwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr dy, dptr x, dptr b, dptr dx,
                            long long n, int C, int kind);
CUresult rc_launch_sum_rows(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr out, int rows,
                            int C);

CUresult rc_launch_ce_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr tgt, dptr lse,
                          dptr lossSum, dptr count, int V, long long ignore, float eps);
CUresult rc_launch_ce_bwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr tgt, dptr lse,
                          dptr count, dptr dx, int V, long long ignore, float eps, float gr);
CUresult rc_launch_ce_finish(rc_cuda* api, CUfunction f, CUstream s, dptr lossSum, dptr count, dptr loss);

CUresult rc_launch_emb_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr w, dptr ids, dptr y, int N,
                           int V, int C);
CUresult rc_launch_emb_bwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr dy, dptr ids, dptr dw, int N,
                           int V, int C, long long padding);

CUresult rc_launch_adamw(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr tab, float lr, float b1,
                         float b2, float eps, float wd, float bc1, float bc2, float invScale, dptr foundInf);
CUresult rc_launch_check_finite(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr tab, dptr foundInf);

CUresult rc_launch_cast(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, long long n);

#endif
