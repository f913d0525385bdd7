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
    dptr amask;
    long long aB, aH, aQ, aK;
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
                          dptr count, dptr dx, int V, long long ignore, float eps, float gr, dptr gdev);
CUresult rc_launch_ce_finish(rc_cuda* api, CUfunction f, CUstream s, dptr lossSum, dptr count, dptr loss);

CUresult rc_launch_emb_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr w, dptr ids, dptr y, int N,
                           int V, int C);
CUresult rc_launch_emb_bwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr dy, dptr ids, dptr dw, int N,
                           int V, int C, long long padding);

CUresult rc_launch_adamw(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr tab, float lr, float b1,
                         float b2, float eps, float wd, float bc1, float bc2, float invScale, dptr foundInf);
CUresult rc_launch_check_finite(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr tab, dptr foundInf);

CUresult rc_launch_cast(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, long long n);

// rc_ew_layout mirrors ew_layout in elementwise.cu (same member order and
// types, so the same C ABI layout on the host and the device).
#define RC_MAXDIM 8
typedef struct {
    int rank;
    int shape[RC_MAXDIM];
    long long st[4][RC_MAXDIM];
    long long off[4];
} rc_ew_layout;

// rc_red_layout mirrors red_layout in reduce.cu.
typedef struct {
    int orank, irank;
    int oshape[RC_MAXDIM];
    int ishape[RC_MAXDIM];
    long long ost[RC_MAXDIM];
    long long yst[RC_MAXDIM];
    long long ist[RC_MAXDIM];
    long long xoff, yoff;
} rc_red_layout;

CUresult rc_launch_ew_unary(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr y, rc_ew_layout L,
                            long long n, int op, float p0, float p1);
CUresult rc_launch_ew_binary(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr b, dptr y,
                             rc_ew_layout L, long long n, int op, float alpha);
CUresult rc_launch_ew_where(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr m, int kind, dptr a, dptr b,
                            dptr y, rc_ew_layout L, long long n);
CUresult rc_launch_ew_fill(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr y, int size, rc_ew_layout L,
                           long long n, unsigned long long bits);
CUresult rc_launch_ew_cast(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, int ka, dptr y, int ky,
                           rc_ew_layout L, long long n);
CUresult rc_launch_ew_gather(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr y, dptr idx,
                             rc_ew_layout L, int gdim, long long V, long long gstride, long long n);
CUresult rc_launch_ew_copy(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr y, rc_ew_layout L,
                           long long n);
CUresult rc_launch_reduce(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, dptr arg,
                          rc_red_layout L, long long M, long long R, int op, float alpha, float beta);
CUresult rc_launch_rows(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, int C, float scale,
                        int flag);
CUresult rc_launch_rows3(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr b, dptr y, int C,
                         float scale, int flag);
CUresult rc_launch_rows_eps(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, int C, float eps);
CUresult rc_launch_rows3_eps(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr b, dptr y, int C,
                             float eps);
CUresult rc_launch_dropout(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, long long n, float p,
                           unsigned long long seed, unsigned long long offset);

#endif
