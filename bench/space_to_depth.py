#!/usr/bin/python3
"""A rejected idea, kept so its numbers in BENCHMARKS.md can be rerun: the critic's 4x4 stride-2
convolutions (C2, C3 of the default DCGAN) rewritten as 2x2 stride-1 convolutions on a
space-to-depth input (4x the channels, the same arithmetic), in Debian's python3-torch (the
kernels our libtorch runs). Prints forward / input-grad / weight-grad ms, stock vs rewritten,
and the reshuffle's own cost. Usage: bench/space_to_depth.py [--bs 64] [--threads 2]"""
import argparse
import time

import torch
import torch.nn.functional as F


def ms(f, reps=20):
    for _ in range(3):
        f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2] * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    grad = torch.ops.aten.convolution_backward
    for ci, co, h in [(64, 128, 16), (128, 256, 8)]:
        x, w = torch.randn(a.bs, ci, h, h), torch.randn(co, ci, 4, 4)

        def s2d():  # pad 1, then every 2x2 block of pixels becomes 4 channels
            hp = h + 2
            xp = F.pad(x, (1, 1, 1, 1))
            return xp.view(a.bs, ci, hp // 2, 2, hp // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(a.bs, ci * 4, hp // 2, hp // 2)

        w2 = w.view(co, ci, 2, 2, 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(co, ci * 4, 2, 2)
        xs = s2d()
        y = torch.conv2d(xs, w2)
        assert torch.allclose(y, torch.conv2d(x, w, None, 2, 1), atol=1e-3)
        g = torch.randn_like(y)
        std = dict(stride=[2, 2], padding=[1, 1])
        s2 = dict(stride=[1, 1], padding=[0, 0])

        def bwd(inp, wt, o, mask):
            return lambda: grad(g, inp, wt, None, o["stride"], o["padding"], [1, 1], False, [0, 0], 1, mask)

        print(f"{ci}->{co} at {h}x{h}, batch {a.bs}: stock / space-to-depth ms")
        print(f"  forward      {ms(lambda: torch.conv2d(x, w, None, 2, 1)):7.2f} / {ms(lambda: torch.conv2d(xs, w2)):7.2f}"
              f"   (+ reshuffle {ms(s2d):.2f})")
        print(f"  input grad   {ms(bwd(x, w, std, [True, False, False])):7.2f} / {ms(bwd(xs, w2, s2, [True, False, False])):7.2f}")
        print(f"  weight grad  {ms(bwd(x, w, std, [False, True, False])):7.2f} / {ms(bwd(xs, w2, s2, [False, True, False])):7.2f}")


if __name__ == "__main__":
    main()
