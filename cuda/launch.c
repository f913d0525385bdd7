//go:build cgo

// launch.c — typed kernel launchers (see launch.h). Each packs pointers
// to its own parameters, in the kernel's parameter order, for cuLaunchKernel.

#include "launch.h"

#include <stddef.h>

// The kernels declare the same structs (ew_layout, red_layout) and assert
// the same sizes, so a change on one side fails to compile.
_Static_assert(sizeof(rc_ew_layout) == 328 && offsetof(rc_ew_layout, st) == 40, "rc_ew_layout layout");
_Static_assert(sizeof(rc_red_layout) == 280 && offsetof(rc_red_layout, ost) == 72, "rc_red_layout layout");

#define RC_GO(args) \
    api->cuLaunchKernel(f, g.gx, g.gy, g.gz, g.bx, g.by, g.bz, g.smem, s, args, NULL)

CUresult rc_launch_matmul(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr A, dptr B, dptr C, int M,
                          int N, int K, int lda, int ldb, int ldc, long long sA, long long sB, long long sC,
                          int transA, int transB, float alpha, float beta) {
    void* a[] = {&A, &B, &C, &M, &N, &K, &lda, &ldb, &ldc, &sA, &sB, &sC, &transA, &transB, &alpha, &beta};
    return RC_GO(a);
}

#define RC_LAYOUT_ARGS                                                                                       \
    &L.H, &L.Tq, &L.Tk, &L.D, &L.qB, &L.qH, &L.qT, &L.kB, &L.kH, &L.kT, &L.vB, &L.vH, &L.vT, &L.oB, &L.oH, \
        &L.oT, &L.scale, &L.keep, &L.mode, &L.prefix, &L.amask, &L.aB, &L.aH, &L.aQ, &L.aK

CUresult rc_launch_attn_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr q, dptr k, dptr v, dptr o,
                            dptr lse, rc_attn_layout L) {
    void* a[] = {&q, &k, &v, &o, &lse, RC_LAYOUT_ARGS};
    return RC_GO(a);
}

CUresult rc_launch_attn_delta(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr o, dptr gr, dptr delta,
                              int H, int Tq, int D, long long oB, long long oH, long long oT) {
    void* a[] = {&o, &gr, &delta, &H, &Tq, &D, &oB, &oH, &oT};
    return RC_GO(a);
}

CUresult rc_launch_attn_dq(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr q, dptr k, dptr v, dptr gr,
                           dptr lse, dptr delta, dptr dq, rc_attn_layout L) {
    void* a[] = {&q, &k, &v, &gr, &lse, &delta, &dq, RC_LAYOUT_ARGS};
    return RC_GO(a);
}

CUresult rc_launch_attn_dkv(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr q, dptr k, dptr v, dptr gr,
                            dptr lse, dptr delta, dptr dk, dptr dv, rc_attn_layout L) {
    void* a[] = {&q, &k, &v, &gr, &lse, &delta, &dk, &dv, RC_LAYOUT_ARGS};
    return RC_GO(a);
}

CUresult rc_launch_ln_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr r, dptr w, dptr b,
                          dptr y, dptr hout, dptr mean, dptr rstd, int C, float eps) {
    void* a[] = {&x, &r, &w, &b, &y, &hout, &mean, &rstd, &C, &eps};
    return RC_GO(a);
}

CUresult rc_launch_ln_bwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr dy, dptr h, dptr w, dptr mean,
                          dptr rstd, dptr dextra, dptr dh, dptr dw, dptr db, int C) {
    void* a[] = {&dy, &h, &w, &mean, &rstd, &dextra, &dh, &dw, &db, &C};
    return RC_GO(a);
}

CUresult rc_launch_gelu_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr b, dptr y,
                            long long n, int C, int kind) {
    void* a[] = {&x, &b, &y, &n, &C, &kind};
    return RC_GO(a);
}

CUresult rc_launch_gelu_bwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr dy, dptr x, dptr b, dptr dx,
                            long long n, int C, int kind) {
    void* a[] = {&dy, &x, &b, &dx, &n, &C, &kind};
    return RC_GO(a);
}

CUresult rc_launch_sum_rows(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr out, int rows,
                            int C) {
    void* a[] = {&x, &out, &rows, &C};
    return RC_GO(a);
}

CUresult rc_launch_ce_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr tgt, dptr lse,
                          dptr lossSum, dptr count, int V, long long ignore, float eps) {
    void* a[] = {&x, &tgt, &lse, &lossSum, &count, &V, &ignore, &eps};
    return RC_GO(a);
}

CUresult rc_launch_ce_bwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr tgt, dptr lse,
                          dptr count, dptr dx, int V, long long ignore, float eps, float gr, dptr gdev) {
    void* a[] = {&x, &tgt, &lse, &count, &dx, &V, &ignore, &eps, &gr, &gdev};
    return RC_GO(a);
}

CUresult rc_launch_ce_finish(rc_cuda* api, CUfunction f, CUstream s, dptr lossSum, dptr count, dptr loss) {
    void* a[] = {&lossSum, &count, &loss};
    return api->cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, s, a, NULL);
}

CUresult rc_launch_emb_fwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr w, dptr ids, dptr y, int N,
                           int V, int C) {
    void* a[] = {&w, &ids, &y, &N, &V, &C};
    return RC_GO(a);
}

CUresult rc_launch_emb_bwd(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr dy, dptr ids, dptr dw, int N,
                           int V, int C, long long padding) {
    void* a[] = {&dy, &ids, &dw, &N, &V, &C, &padding};
    return RC_GO(a);
}

CUresult rc_launch_adamw(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr tab, float lr, float b1,
                         float b2, float eps, float wd, float bc1, float bc2, float invScale, dptr foundInf) {
    void* a[] = {&tab, &lr, &b1, &b2, &eps, &wd, &bc1, &bc2, &invScale, &foundInf};
    return RC_GO(a);
}

CUresult rc_launch_check_finite(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr tab, dptr foundInf) {
    void* a[] = {&tab, &foundInf};
    return RC_GO(a);
}

CUresult rc_launch_cast(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, long long n) {
    void* a[] = {&x, &y, &n};
    return RC_GO(a);
}

CUresult rc_launch_ew_unary(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr y, rc_ew_layout L,
                            long long n, int op, float p0, float p1) {
    void* args[] = {&a, &y, &L, &n, &op, &p0, &p1};
    return RC_GO(args);
}

CUresult rc_launch_ew_binary(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr b, dptr y,
                             rc_ew_layout L, long long n, int op, float alpha) {
    void* args[] = {&a, &b, &y, &L, &n, &op, &alpha};
    return RC_GO(args);
}

CUresult rc_launch_ew_where(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr m, int kind, dptr a, dptr b,
                            dptr y, rc_ew_layout L, long long n) {
    void* args[] = {&m, &kind, &a, &b, &y, &L, &n};
    return RC_GO(args);
}

CUresult rc_launch_ew_fill(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr y, int size, rc_ew_layout L,
                           long long n, unsigned long long bits) {
    void* args[] = {&y, &size, &L, &n, &bits};
    return RC_GO(args);
}

CUresult rc_launch_ew_cast(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, int ka, dptr y, int ky,
                           rc_ew_layout L, long long n) {
    void* args[] = {&a, &ka, &y, &ky, &L, &n};
    return RC_GO(args);
}

CUresult rc_launch_ew_gather(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr y, dptr idx,
                             rc_ew_layout L, int gdim, long long V, long long gstride, long long n) {
    void* args[] = {&a, &y, &idx, &L, &gdim, &V, &gstride, &n};
    return RC_GO(args);
}

CUresult rc_launch_ew_copy(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr y, rc_ew_layout L,
                           long long n) {
    void* args[] = {&a, &y, &L, &n};
    return RC_GO(args);
}

CUresult rc_launch_reduce(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, dptr arg,
                          rc_red_layout L, long long M, long long R, int op, float alpha, float beta) {
    void* args[] = {&x, &y, &arg, &L, &M, &R, &op, &alpha, &beta};
    return RC_GO(args);
}

CUresult rc_launch_rows(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, int C, float scale,
                        int flag) {
    void* args[] = {&x, &y, &C, &scale, &flag};
    return RC_GO(args);
}

CUresult rc_launch_rows3(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr b, dptr y, int C,
                         float scale, int flag) {
    void* args[] = {&a, &b, &y, &C, &scale, &flag};
    return RC_GO(args);
}

CUresult rc_launch_rows_eps(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, int C, float eps) {
    void* args[] = {&x, &y, &C, &eps};
    return RC_GO(args);
}

CUresult rc_launch_rows3_eps(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr a, dptr b, dptr y, int C,
                             float eps) {
    void* args[] = {&a, &b, &y, &C, &eps};
    return RC_GO(args);
}

CUresult rc_launch_dropout(rc_cuda* api, CUfunction f, rc_grid g, CUstream s, dptr x, dptr y, long long n, float p,
                           unsigned long long seed, unsigned long long offset) {
    void* args[] = {&x, &y, &n, &p, &seed, &offset};
    return RC_GO(args);
}
