//go:build cgo

// loader.c — dlopen/dlsym loading of libcuda, NVRTC and cuBLASLt.

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static void* rc_open(const char* path, char* err, int errlen) {
    void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* e = dlerror();
        snprintf(err, errlen, "%s", e ? e : "unknown dlopen error");
    }
    return h;
}

// RC_SYM resolves symbol name into field, failing with the name when absent.
#define RC_SYM(api, field, name)                        \
    do {                                                \
        *(void**)(&(api)->field) = dlsym((api)->handle, name); \
        if (!(api)->field) {                            \
            snprintf(err, errlen, "%s", name);          \
            dlclose((api)->handle);                     \
            (api)->handle = NULL;                       \
            return 2;                                   \
        }                                               \
    } while (0)

int rc_cuda_load(rc_cuda* api, const char* path, char* err, int errlen) {
    memset(api, 0, sizeof *api);
    api->handle = rc_open(path, err, errlen);
    if (!api->handle) return 1;
    RC_SYM(api, cuInit, "cuInit");
    RC_SYM(api, cuDriverGetVersion, "cuDriverGetVersion");
    RC_SYM(api, cuDeviceGetCount, "cuDeviceGetCount");
    RC_SYM(api, cuDeviceGet, "cuDeviceGet");
    RC_SYM(api, cuDeviceGetName, "cuDeviceGetName");
    RC_SYM(api, cuDeviceGetAttribute, "cuDeviceGetAttribute");
    RC_SYM(api, cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    RC_SYM(api, cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    RC_SYM(api, cuCtxSetCurrent, "cuCtxSetCurrent");
    RC_SYM(api, cuMemAlloc, "cuMemAlloc_v2");
    RC_SYM(api, cuMemFree, "cuMemFree_v2");
    RC_SYM(api, cuMemGetInfo, "cuMemGetInfo_v2");
    RC_SYM(api, cuMemcpyHtoD, "cuMemcpyHtoD_v2");
    RC_SYM(api, cuMemcpyDtoH, "cuMemcpyDtoH_v2");
    RC_SYM(api, cuMemcpyDtoD, "cuMemcpyDtoD_v2");
    RC_SYM(api, cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    RC_SYM(api, cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
    RC_SYM(api, cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2");
    RC_SYM(api, cuMemsetD32Async, "cuMemsetD32Async");
    RC_SYM(api, cuModuleLoadData, "cuModuleLoadData");
    RC_SYM(api, cuModuleUnload, "cuModuleUnload");
    RC_SYM(api, cuModuleGetFunction, "cuModuleGetFunction");
    RC_SYM(api, cuLaunchKernel, "cuLaunchKernel");
    RC_SYM(api, cuStreamCreate, "cuStreamCreate");
    RC_SYM(api, cuStreamSynchronize, "cuStreamSynchronize");
    RC_SYM(api, cuStreamDestroy, "cuStreamDestroy_v2");
    RC_SYM(api, cuGetErrorName, "cuGetErrorName");
    RC_SYM(api, cuGetErrorString, "cuGetErrorString");
    return 0;
}

int rc_nvrtc_load(rc_nvrtc* api, const char* path, char* err, int errlen) {
    memset(api, 0, sizeof *api);
    api->handle = rc_open(path, err, errlen);
    if (!api->handle) return 1;
    RC_SYM(api, nvrtcVersion, "nvrtcVersion");
    RC_SYM(api, nvrtcCreateProgram, "nvrtcCreateProgram");
    RC_SYM(api, nvrtcDestroyProgram, "nvrtcDestroyProgram");
    RC_SYM(api, nvrtcCompileProgram, "nvrtcCompileProgram");
    RC_SYM(api, nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize");
    RC_SYM(api, nvrtcGetProgramLog, "nvrtcGetProgramLog");
    RC_SYM(api, nvrtcGetCUBINSize, "nvrtcGetCUBINSize");
    RC_SYM(api, nvrtcGetCUBIN, "nvrtcGetCUBIN");
    RC_SYM(api, nvrtcGetErrorString, "nvrtcGetErrorString");
    return 0;
}

int rc_lt_load(rc_lt* api, const char* path, char* err, int errlen) {
    memset(api, 0, sizeof *api);
    api->handle = rc_open(path, err, errlen);
    if (!api->handle) return 1;
    RC_SYM(api, cublasLtCreate, "cublasLtCreate");
    RC_SYM(api, cublasLtDestroy, "cublasLtDestroy");
    RC_SYM(api, cublasLtMatmulDescCreate, "cublasLtMatmulDescCreate");
    RC_SYM(api, cublasLtMatmulDescDestroy, "cublasLtMatmulDescDestroy");
    RC_SYM(api, cublasLtMatmulDescSetAttribute, "cublasLtMatmulDescSetAttribute");
    RC_SYM(api, cublasLtMatrixLayoutCreate, "cublasLtMatrixLayoutCreate");
    RC_SYM(api, cublasLtMatrixLayoutDestroy, "cublasLtMatrixLayoutDestroy");
    RC_SYM(api, cublasLtMatrixLayoutSetAttribute, "cublasLtMatrixLayoutSetAttribute");
    RC_SYM(api, cublasLtMatmulPreferenceCreate, "cublasLtMatmulPreferenceCreate");
    RC_SYM(api, cublasLtMatmulPreferenceDestroy, "cublasLtMatmulPreferenceDestroy");
    RC_SYM(api, cublasLtMatmulPreferenceSetAttribute, "cublasLtMatmulPreferenceSetAttribute");
    RC_SYM(api, cublasLtMatmulAlgoGetHeuristic, "cublasLtMatmulAlgoGetHeuristic");
    RC_SYM(api, cublasLtMatmul, "cublasLtMatmul");
    return 0;
}

void rc_close(void* handle) {
    if (handle) dlclose(handle);
}

void rc_cuda_error(rc_cuda* api, CUresult r, char* out, int outlen) {
    const char* name = NULL;
    const char* text = NULL;
    if (api->cuGetErrorName) api->cuGetErrorName(r, &name);
    if (api->cuGetErrorString) api->cuGetErrorString(r, &text);
    snprintf(out, outlen, "%s (%d): %s", name ? name : "CUDA error", r, text ? text : "no description");
}

nvrtcResult rc_nvrtc_compile(rc_nvrtc* api, const char* src, const char* name, const char* arch, char** cubin,
                             size_t* n, char** log) {
    nvrtcProgram prog = NULL;
    *cubin = NULL;
    *n = 0;
    *log = NULL;
    nvrtcResult r = api->nvrtcCreateProgram(&prog, src, name, 0, NULL, NULL);
    if (r != 0) return r;
    char archopt[64];
    snprintf(archopt, sizeof archopt, "--gpu-architecture=%s", arch);
    const char* opts[] = {archopt, "--std=c++14"};
    nvrtcResult cr = api->nvrtcCompileProgram(prog, 2, opts);
    size_t ln = 0;
    if (api->nvrtcGetProgramLogSize(prog, &ln) == 0 && ln > 0) {
        *log = (char*)malloc(ln + 1);
        if (*log) {
            if (api->nvrtcGetProgramLog(prog, *log) != 0) (*log)[0] = 0;
            (*log)[ln] = 0;
        }
    }
    if (cr == 0) {
        r = api->nvrtcGetCUBINSize(prog, n);
        if (r == 0 && *n > 0) {
            *cubin = (char*)malloc(*n);
            if (!*cubin) r = 1;  // NVRTC_ERROR_OUT_OF_MEMORY
            else r = api->nvrtcGetCUBIN(prog, *cubin);
        }
    } else {
        r = cr;
    }
    api->nvrtcDestroyProgram(&prog);
    return r;
}
