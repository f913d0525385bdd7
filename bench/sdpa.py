#!/usr/bin/env python3
"""Time PyTorch's scaled_dot_product_attention, forward + backward.

The reference for radcap's fused attention (cuda.BenchmarkAttention and
`radcap bench --device cuda`): the same shapes, the same dtype, the same
nominal FLOP count, on the same GPU in the same job (bench/run_gpu.sh).

Shapes (batch, heads, query tokens, key tokens, head dim, mask):
  git-decoder   8 12 237 237 64  GIT mask: 197 image tokens seen by all,
                                 the 40 caption tokens causally
  blip-vit      8 12 577 577 64  none (ViT-B/16 at 384 px)
  blip-cross    8 12  40 577 64  none (caption queries on image keys)

Nominal FLOPs of forward + backward: 7 products of 2*Tq*Tk*D per head
(2 forward, 5 backward with S recomputed), as radcap counts them.

Prints one JSON object per shape on stdout:
  {"what": "sdpa", "shape": ..., "dtype": ..., "median_ms": ..., "tflops": ..., "backend": ...}
"""
import argparse
import json
import statistics
import sys
import time


def git_mask(t, prefix, device):
    import torch
    # True = may attend. Image rows see the image keys only; text rows see
    # the image keys and the text keys up to themselves.
    m = torch.zeros(t, t, dtype=torch.bool, device=device)
    m[:, :prefix] = True
    m[prefix:, prefix:] = torch.ones(t - prefix, t - prefix, dtype=torch.bool, device=device).tril()
    return m


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dtype", choices=["fp16", "bf16", "fp32"], default="fp16")
    p.add_argument("--reps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    a = p.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        print(json.dumps({"what": "sdpa", "error": "torch not importable: %s" % e}))
        return 1
    if not torch.cuda.is_available():
        print(json.dumps({"what": "sdpa", "error": "torch sees no CUDA device"}))
        return 1
    dev = torch.device("cuda")
    dt = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[a.dtype]
    shapes = [
        ("git-decoder", 8, 12, 237, 237, 64, "git", 197),
        ("blip-vit", 8, 12, 577, 577, 64, "none", 0),
        ("blip-cross", 8, 12, 40, 577, 64, "none", 0),
    ]
    gen = torch.Generator(device=dev).manual_seed(0)
    for name, b, h, tq, tk, d, mask, prefix in shapes:
        q = torch.rand(b, h, tq, d, device=dev, generator=gen).mul_(2).sub_(1).to(dt).requires_grad_()
        k = torch.rand(b, h, tk, d, device=dev, generator=gen).mul_(2).sub_(1).to(dt).requires_grad_()
        v = torch.rand(b, h, tk, d, device=dev, generator=gen).mul_(2).sub_(1).to(dt).requires_grad_()
        go = torch.rand(b, h, tq, d, device=dev, generator=gen).mul_(2).sub_(1).to(dt)
        attn_mask = git_mask(tq, prefix, dev) if mask == "git" else None

        def run():
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
            out.backward(go)

        for _ in range(a.warmup):
            run()
        torch.cuda.synchronize()
        times = []
        for _ in range(a.reps):
            q.grad = k.grad = v.grad = None
            start = time.perf_counter()
            run()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        med = statistics.median(times)
        flops = 7 * 2 * b * h * tq * tk * d
        print(json.dumps({
            "what": "sdpa", "shape": name, "dtype": a.dtype, "B": b, "H": h, "Tq": tq, "Tk": tk, "D": d,
            "mask": mask, "median_ms": med * 1e3, "min_ms": min(times) * 1e3,
            "tflops": flops / med / 1e12, "torch": torch.__version__, "gpu": torch.cuda.get_device_name(),
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
