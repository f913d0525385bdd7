//go:build cgo

// loader.h — radcap's own declarations of the CUDA driver API, NVRTC and
// cuBLASLt entry points it uses. No CUDA header is included: the types are
// opaque pointers or plain integers with the ABI of cuda.h, nvrtc.h and
// cublasLt.h, and every function is resolved with dlsym at run time.

#ifndef RADCAP_CUDA_LOADER_H
#define RADCAP_CUDA_LOADER_H

#include <stddef.h>
#include <stdint.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void* CUcontext;
typedef void* CUmodule;
typedef void* CUfunction;
typedef void* CUstream;

typedef int nvrtcResult;
typedef void* nvrtcProgram;

typedef int cublasStatus_t;
typedef void* cublasLtHandle_t;
typedef void* cublasLtMatmulDesc_t;
typedef void* cublasLtMatrixLayout_t;
typedef void* cublasLtMatmulPreference_t;
typedef struct { uint64_t data[8]; } cublasLtMatmulAlgo_t;
typedef struct {
    cublasLtMatmulAlgo_t algo;
    size_t workspaceSize;
    cublasStatus_t state;
    float wavesCount;
    int reserved[4];
} cublasLtMatmulHeuristicResult_t;

// rc_cuda holds the driver library handle and its entry points.
typedef struct {
    void* handle;
    CUresult (*cuInit)(unsigned int);
    CUresult (*cuDriverGetVersion)(int*);
    CUresult (*cuDeviceGetCount)(int*);
    CUresult (*cuDeviceGet)(CUdevice*, int);
    CUresult (*cuDeviceGetName)(char*, int, CUdevice);
    CUresult (*cuDeviceGetAttribute)(int*, int, CUdevice);
    CUresult (*cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice);
    CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
    CUresult (*cuCtxSetCurrent)(CUcontext);
    CUresult (*cuMemAlloc)(CUdeviceptr*, size_t);
    CUresult (*cuMemFree)(CUdeviceptr);
    CUresult (*cuMemGetInfo)(size_t*, size_t*);
    CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void*, size_t);
    CUresult (*cuMemcpyDtoH)(void*, CUdeviceptr, size_t);
    CUresult (*cuMemcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t);
    CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void*, size_t, CUstream);
    CUresult (*cuMemcpyDtoHAsync)(void*, CUdeviceptr, size_t, CUstream);
    CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
    CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned int, size_t, CUstream);
    CUresult (*cuModuleLoadData)(CUmodule*, const void*);
    CUresult (*cuModuleUnload)(CUmodule);
    CUresult (*cuModuleGetFunction)(CUfunction*, CUmodule, const char*);
    CUresult (*cuLaunchKernel)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int,
                               unsigned int, unsigned int, unsigned int, CUstream, void**, void**);
    CUresult (*cuStreamCreate)(CUstream*, unsigned int);
    CUresult (*cuStreamSynchronize)(CUstream);
    CUresult (*cuStreamDestroy)(CUstream);
    CUresult (*cuGetErrorName)(CUresult, const char**);
    CUresult (*cuGetErrorString)(CUresult, const char**);
} rc_cuda;

// rc_nvrtc holds the NVRTC library handle and its entry points.
typedef struct {
    void* handle;
    nvrtcResult (*nvrtcVersion)(int*, int*);
    nvrtcResult (*nvrtcCreateProgram)(nvrtcProgram*, const char*, const char*, int, const char* const*,
                                      const char* const*);
    nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram*);
    nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram, int, const char* const*);
    nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram, size_t*);
    nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram, char*);
    nvrtcResult (*nvrtcGetCUBINSize)(nvrtcProgram, size_t*);
    nvrtcResult (*nvrtcGetCUBIN)(nvrtcProgram, char*);
    const char* (*nvrtcGetErrorString)(nvrtcResult);
} rc_nvrtc;

// rc_lt holds the cuBLASLt library handle and its entry points.
typedef struct {
    void* handle;
    cublasStatus_t (*cublasLtCreate)(cublasLtHandle_t*);
    cublasStatus_t (*cublasLtDestroy)(cublasLtHandle_t);
    cublasStatus_t (*cublasLtMatmulDescCreate)(cublasLtMatmulDesc_t*, int, int);
    cublasStatus_t (*cublasLtMatmulDescDestroy)(cublasLtMatmulDesc_t);
    cublasStatus_t (*cublasLtMatmulDescSetAttribute)(cublasLtMatmulDesc_t, int, const void*, size_t);
    cublasStatus_t (*cublasLtMatrixLayoutCreate)(cublasLtMatrixLayout_t*, int, uint64_t, uint64_t, int64_t);
    cublasStatus_t (*cublasLtMatrixLayoutDestroy)(cublasLtMatrixLayout_t);
    cublasStatus_t (*cublasLtMatrixLayoutSetAttribute)(cublasLtMatrixLayout_t, int, const void*, size_t);
    cublasStatus_t (*cublasLtMatmulPreferenceCreate)(cublasLtMatmulPreference_t*);
    cublasStatus_t (*cublasLtMatmulPreferenceDestroy)(cublasLtMatmulPreference_t);
    cublasStatus_t (*cublasLtMatmulPreferenceSetAttribute)(cublasLtMatmulPreference_t, int, const void*, size_t);
    cublasStatus_t (*cublasLtMatmulAlgoGetHeuristic)(cublasLtHandle_t, cublasLtMatmulDesc_t, cublasLtMatrixLayout_t,
                                                     cublasLtMatrixLayout_t, cublasLtMatrixLayout_t,
                                                     cublasLtMatrixLayout_t, cublasLtMatmulPreference_t, int,
                                                     cublasLtMatmulHeuristicResult_t*, int*);
    cublasStatus_t (*cublasLtMatmul)(cublasLtHandle_t, cublasLtMatmulDesc_t, const void*, const void*,
                                     cublasLtMatrixLayout_t, const void*, cublasLtMatrixLayout_t, const void*,
                                     const void*, cublasLtMatrixLayout_t, void*, cublasLtMatrixLayout_t,
                                     const cublasLtMatmulAlgo_t*, void*, size_t, CUstream);
} rc_lt;

// Loaders: 0 on success; otherwise err holds dlerror's text (return 1) or
// the name of the missing symbol (return 2).
int rc_cuda_load(rc_cuda* api, const char* path, char* err, int errlen);
int rc_nvrtc_load(rc_nvrtc* api, const char* path, char* err, int errlen);
int rc_lt_load(rc_lt* api, const char* path, char* err, int errlen);
void rc_close(void* handle);

// Error text for a driver result ("CUDA_ERROR_OUT_OF_MEMORY: out of memory").
void rc_cuda_error(rc_cuda* api, CUresult r, char* out, int outlen);

// NVRTC: compiles src for --gpu-architecture=arch (e.g. "sm_80"). On
// success *cubin is malloc'ed (caller frees) and *n is its size; the
// compile log (possibly empty) is returned in *log, malloc'ed.
nvrtcResult rc_nvrtc_compile(rc_nvrtc* api, const char* src, const char* name, const char* arch, char** cubin,
                             size_t* n, char** log);

// cuBLASLt row-major batched matmul, see lt.go.
cublasStatus_t rc_lt_matmul(rc_lt* api, cublasLtHandle_t h, int dtype, int otype, int transA, int transB, int M,
                            int N, int K, int lda, int ldb, int ldc, long long sA, long long sB, long long sC,
                            int batch, float alpha, float beta, CUdeviceptr A, CUdeviceptr B, CUdeviceptr C,
                            CUdeviceptr ws, size_t wsSize, CUstream stream);

// Thin call-throughs: Go cannot call C function pointers directly.
static inline nvrtcResult rc_nvrtc_version(rc_nvrtc* a, int* maj, int* min) { return a->nvrtcVersion(maj, min); }
static inline const char* rc_nvrtc_errstr(rc_nvrtc* a, nvrtcResult r) { return a->nvrtcGetErrorString(r); }
static inline CUresult rc_cuInit(rc_cuda* a) { return a->cuInit(0); }
static inline CUresult rc_cuDriverGetVersion(rc_cuda* a, int* v) { return a->cuDriverGetVersion(v); }
static inline CUresult rc_cuDeviceGetCount(rc_cuda* a, int* n) { return a->cuDeviceGetCount(n); }
static inline CUresult rc_cuDeviceGet(rc_cuda* a, CUdevice* d, int i) { return a->cuDeviceGet(d, i); }
static inline CUresult rc_cuDeviceGetName(rc_cuda* a, char* s, int n, CUdevice d) { return a->cuDeviceGetName(s, n, d); }
static inline CUresult rc_cuDeviceGetAttribute(rc_cuda* a, int* v, int attr, CUdevice d) { return a->cuDeviceGetAttribute(v, attr, d); }
static inline CUresult rc_cuDevicePrimaryCtxRetain(rc_cuda* a, CUcontext* c, CUdevice d) { return a->cuDevicePrimaryCtxRetain(c, d); }
static inline CUresult rc_cuDevicePrimaryCtxRelease(rc_cuda* a, CUdevice d) { return a->cuDevicePrimaryCtxRelease(d); }
static inline CUresult rc_cuCtxSetCurrent(rc_cuda* a, CUcontext c) { return a->cuCtxSetCurrent(c); }
static inline CUresult rc_cuMemAlloc(rc_cuda* a, CUdeviceptr* p, size_t n) { return a->cuMemAlloc(p, n); }
static inline CUresult rc_cuMemFree(rc_cuda* a, CUdeviceptr p) { return a->cuMemFree(p); }
static inline CUresult rc_cuMemGetInfo(rc_cuda* a, size_t* f, size_t* t) { return a->cuMemGetInfo(f, t); }
static inline CUresult rc_cuMemcpyHtoDAsync(rc_cuda* a, CUdeviceptr d, const void* h, size_t n, CUstream s) { return a->cuMemcpyHtoDAsync(d, h, n, s); }
static inline CUresult rc_cuMemcpyDtoHAsync(rc_cuda* a, void* h, CUdeviceptr d, size_t n, CUstream s) { return a->cuMemcpyDtoHAsync(h, d, n, s); }
static inline CUresult rc_cuMemcpyDtoDAsync(rc_cuda* a, CUdeviceptr d, CUdeviceptr src, size_t n, CUstream s) { return a->cuMemcpyDtoDAsync(d, src, n, s); }
static inline CUresult rc_cuMemsetD32Async(rc_cuda* a, CUdeviceptr d, unsigned int v, size_t n, CUstream s) { return a->cuMemsetD32Async(d, v, n, s); }
static inline CUresult rc_cuModuleLoadData(rc_cuda* a, CUmodule* m, const void* img) { return a->cuModuleLoadData(m, img); }
static inline CUresult rc_cuModuleUnload(rc_cuda* a, CUmodule m) { return a->cuModuleUnload(m); }
static inline CUresult rc_cuModuleGetFunction(rc_cuda* a, CUfunction* f, CUmodule m, const char* name) { return a->cuModuleGetFunction(f, m, name); }
static inline CUresult rc_cuStreamCreate(rc_cuda* a, CUstream* s) { return a->cuStreamCreate(s, 0); }
static inline CUresult rc_cuStreamSynchronize(rc_cuda* a, CUstream s) { return a->cuStreamSynchronize(s); }
static inline CUresult rc_cuStreamDestroy(rc_cuda* a, CUstream s) { return a->cuStreamDestroy(s); }
static inline cublasStatus_t rc_ltCreate(rc_lt* a, cublasLtHandle_t* h) { return a->cublasLtCreate(h); }
static inline cublasStatus_t rc_ltDestroy(rc_lt* a, cublasLtHandle_t h) { return a->cublasLtDestroy(h); }

#endif
