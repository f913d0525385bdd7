#!/usr/bin/env bash
# build_gpu.sh — build, on any machine with Go and a C compiler (no CUDA
# toolkit or GPU needed), the binaries bench/run_gpu.sh runs on a GPU
# machine: .gpu/cuda.test (the cuda package's tests and benchmarks) and
# .gpu/radcap. Run from anywhere; writes under the repo root.
set -eu
cd "$(dirname "$0")/.."
mkdir -p .gpu
go test -c -o .gpu/cuda.test ./cuda
go build -o .gpu/radcap ./cmd/radcap
ls -l .gpu/cuda.test .gpu/radcap
