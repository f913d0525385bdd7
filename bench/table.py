#!/usr/bin/env python3
"""Make results.md from the logs bench/run_gpu.sh writes into OUTDIR.

Reads bench_go.txt (go test -bench output of the cuda package),
sdpa.jsonl (bench/sdpa.py) and torch_anchor.jsonl (torch_anchor.py), and
prints Markdown tables of radcap against its same-run references:
cuBLASLt for matmul, PyTorch for attention, training and captioning.
Missing inputs give a row that says so, never an invented number.
"""
import json
import os
import re
import sys


def go_benchmarks(path):
    """{name without the -N suffix: {unit: value}} from go test -bench output."""
    res = {}
    if not os.path.exists(path):
        return res
    for line in open(path):
        if not line.startswith("Benchmark"):
            continue
        parts = line.split()
        name = re.sub(r"-\d+$", "", parts[0])
        metrics = {}
        # parts[1] is the iteration count; then value/unit pairs.
        for i in range(2, len(parts) - 1, 2):
            try:
                metrics[parts[i + 1]] = float(parts[i])
            except ValueError:
                pass
        res[name] = metrics
    return res


def jsonl(path):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return rows


def fmt(v, spec="%.3g"):
    return "—" if v is None else spec % v


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/out"
    go = go_benchmarks(os.path.join(out, "bench_go.txt"))
    sdpa = {r["shape"]: r for r in jsonl(os.path.join(out, "sdpa.jsonl")) if "shape" in r}
    anchor = jsonl(os.path.join(out, "torch_anchor.jsonl"))
    gpu = open(os.path.join(out, "gpu.txt")).read().strip() if os.path.exists(os.path.join(out, "gpu.txt")) else "?"
    print("# radcap on %s\n" % gpu)
    print("All ratios are against a reference measured in the same job on the same GPU.\n")

    print("## Matmul (fp16 in, fp16 out, fp32 accumulation)\n")
    print("| shape | radcap TFLOP/s | cuBLASLt TFLOP/s | radcap / cuBLASLt |")
    print("| --- | --- | --- | --- |")
    for name, m in sorted(go.items()):
        if name.startswith("BenchmarkMatMul/"):
            print("| %s | %s | %s | %s |" % (name.split("/", 1)[1], fmt(m.get("TFLOP/s")),
                                          fmt(m.get("cublasLt-TFLOP/s")), fmt(m.get("speed-vs-cublasLt"))))

    print("\n## Attention forward + backward (fp16)\n")
    print("| shape | radcap ms | PyTorch SDPA ms | speed vs PyTorch (>1: radcap faster) |")
    print("| --- | --- | --- | --- |")
    for name, m in sorted(go.items()):
        if name.startswith("BenchmarkAttention/"):
            shape = name.split("/", 1)[1]
            ours = m.get("ms/fwd+bwd")
            theirs = sdpa.get(shape, {}).get("median_ms")
            print("| %s | %s | %s | %s |" % (shape, fmt(ours), fmt(theirs), fmt(ratio(theirs, ours))))

    print("\n## Training step, batch 8, caption length 40\n")
    print("radcap runs the models in fp32 on the GPU (fp16 autocast is not wired into the models yet);")
    print("PyTorch is shown with fp16 AMP (the reference run's precision) and in fp32.\n")
    print("| model | PyTorch precision | radcap images/s | PyTorch images/s | radcap / PyTorch | radcap peak GiB | PyTorch peak GiB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for model in ("git", "blip"):
        m = go.get("BenchmarkTrainStep/%s-base" % model, {})
        for amp in ("fp16", "none"):
            t = next((r for r in anchor if r.get("what") == "train_step" and r.get("model") == model and r.get("amp") == amp), {})
            ours, theirs = m.get("images/s"), t.get("images_per_s")
            print("| %s-base | %s | %s | %s | %s | %s | %s |" % (model, "fp16 AMP" if amp == "fp16" else "fp32", fmt(ours), fmt(theirs),
                                                               fmt(ratio(ours, theirs)), fmt(m.get("peak-GiB")), fmt(t.get("peak_mem_gib"))))

    print("\n## Greedy captioning, batch 8, 20 new tokens (radcap fp32)\n")
    print("| model | PyTorch precision | radcap images/s | PyTorch images/s | radcap / PyTorch |")
    print("| --- | --- | --- | --- | --- |")
    for model in ("git", "blip"):
        m = go.get("BenchmarkCaption/%s-base" % model, {})
        for amp in ("fp16", "none"):
            t = next((r for r in anchor if r.get("what") == "generate" and r.get("model") == model and r.get("beams") == 1
                      and r.get("amp") == amp), {})
            ours, theirs = m.get("images/s"), t.get("images_per_s")
            print("| %s-base | %s | %s | %s | %s |" % (model, "fp16 AMP" if amp == "fp16" else "fp32", fmt(ours), fmt(theirs),
                                                     fmt(ratio(ours, theirs))))


if __name__ == "__main__":
    main()
