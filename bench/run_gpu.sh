#!/usr/bin/env bash
# run_gpu.sh — run radcap's GPU tests and benchmarks and PyTorch's
# references in one job on a GPU machine, and write a table.
#
# Build on any machine (no GPU or CUDA toolkit needed): bash bench/build_gpu.sh, i.e.
#   go test -c -o .gpu/cuda.test ./cuda
#   go build -o .gpu/radcap ./cmd/radcap
# then on the GPU machine, from the repo root:
#   bash bench/run_gpu.sh [OUTDIR]
# OUTDIR (default $OUT, else bench/out) receives every log and results.md.
# Environment: TORCH_ANCHOR (path of torch_anchor.py; default
# ../shared/bench/torch_anchor.py, else shared/bench/torch_anchor.py),
# QUICK=1 (fewer repetitions, for a short device slot), SKIP_TESTS=1.
set -u
cd "$(dirname "$0")/.."
out="${1:-${OUT:-bench/out}}"
mkdir -p "$out"
bin=.gpu
quick="${QUICK:-0}"
benchtime=20x; reps=50; steps=20
if [ "$quick" = 1 ]; then benchtime=5x; reps=10; steps=6; fi

log() { echo "== $*" | tee -a "$out/run.log"; }
log "start $(date -u +%FT%TZ) quick=$quick"
(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "nvidia-smi failed") | head -1 >"$out/gpu.txt"
cat "$out/gpu.txt" | tee -a "$out/run.log"

if [ ! -x "$bin/cuda.test" ]; then
  echo "missing $bin/cuda.test: build it first (go test -c -o .gpu/cuda.test ./cuda)" | tee -a "$out/run.log"
  exit 2
fi
export RADCAP_CUDA_CACHE="$out/kcache"

if [ "${SKIP_TESTS:-0}" != 1 ]; then
  log "GPU tests (RADCAP_REQUIRE_GPU=1: a failed Open fails)"
  RADCAP_REQUIRE_GPU=1 "$bin/cuda.test" -test.run 'GPU' -test.v -test.timeout 15m >"$out/gpu_tests.log" 2>&1
  echo "exit $?" >>"$out/gpu_tests.log"
  grep -E '^(--- |ok|FAIL|PASS|exit)' "$out/gpu_tests.log" | tee -a "$out/run.log"
fi

log "Go benchmarks (kernels, training step, captioning)"
"$bin/cuda.test" -test.run '^$' -test.bench . -test.benchtime "$benchtime" -test.timeout 20m >"$out/bench_go.txt" 2>&1
echo "exit $?" >>"$out/bench_go.txt"
grep -E '^(Benchmark|exit|--- )' "$out/bench_go.txt" | tee -a "$out/run.log"

if [ -x "$bin/radcap" ]; then
  log "radcap bench --device cuda"
  "$bin/radcap" bench --device cuda >"$out/radcap_bench.txt" 2>&1
  echo "exit $?" >>"$out/radcap_bench.txt"
  cat "$out/radcap_bench.txt" | tee -a "$out/run.log"
fi

log "PyTorch scaled_dot_product_attention"
python3 bench/sdpa.py --reps "$reps" >"$out/sdpa.jsonl" 2>"$out/sdpa.err"
cat "$out/sdpa.jsonl" | tee -a "$out/run.log"

anchor="${TORCH_ANCHOR:-}"
if [ -z "$anchor" ]; then
  for c in ../shared/bench/torch_anchor.py shared/bench/torch_anchor.py; do
    if [ -f "$c" ]; then anchor="$c"; break; fi
  done
fi
: >"$out/torch_anchor.jsonl"
if [ -n "$anchor" ]; then
  # fp16 AMP is the reference run's precision; fp32 (--amp none) is the
  # precision radcap's models run in on the GPU today.
  for amp in fp16 none; do
    for m in git blip; do
      log "PyTorch + transformers $m, amp $amp (torch_anchor.py)"
      python3 "$anchor" --model "$m" --device cuda --amp "$amp" --batch 8 --seq 40 --steps "$steps" \
        >>"$out/torch_anchor.jsonl" 2>>"$out/torch_anchor.err"
    done
  done
  cat "$out/torch_anchor.jsonl" | tee -a "$out/run.log"
else
  log "torch_anchor.py not found; set TORCH_ANCHOR"
fi

python3 bench/table.py "$out" >"$out/results.md" 2>>"$out/run.log" || echo "table.py failed" | tee -a "$out/run.log"
cat "$out/results.md"
log "end $(date -u +%FT%TZ)"
