#!/usr/bin/python3
"""The card's two ceilings, measured as METHOD.md asks: a large bf16 matrix product on random
data (TFLOP/s) and a large device-to-device copy (TB/s, bytes read plus written). Each is the
median of 10 timed runs (CUDA events) after 3 warm-ups. Prints "bf16_tflops X" and
"copy_tbps Y"; the GPU check divides ganflow's convolution work by the first."""
import statistics

import torch


def median_ms(fn, reps=10, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    n = 8192
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    ms = median_ms(lambda: a @ b)
    print(f"bf16_tflops {2 * n**3 / (ms * 1e-3) / 1e12:.1f}")
    src = torch.randn(1 << 30, device="cuda")  # 4 GiB: far past the L2
    dst = torch.empty_like(src)
    ms = median_ms(lambda: dst.copy_(src))
    print(f"copy_tbps {2 * src.numel() * 4 / (ms * 1e-3) / 1e12:.2f}")


if __name__ == "__main__":
    main()
