#!/usr/bin/python3
"""What a user would pick instead: the same DCGAN loop as bench/raw_dcgan.cpp in PyTorch
(Debian's python3-torch, the same kernels as our libtorch; on a GPU machine its own torch).
Prints "images/s N" and, on CUDA, "peak_mem_mb M" (torch.cuda.max_memory_allocated).
Usage: reference_pytorch.py --bs 64 --steps 60 --warmup 20 --threads 2 [--device cpu|cuda]
       [--size 32] [--n-extra-layers 0] [--precision fp32|bf16]"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
from torch import nn


def generator(nz=100, nf=64, size=32, nc=1, n_extra=0):
    cur, cs = nf // 2, 4
    while cs < size:
        cur, cs = cur * 2, cs * 2
    layers = [nn.ConvTranspose2d(nz, cur, 4, 1, 0, bias=False), nn.BatchNorm2d(cur), nn.ReLU()]
    cs = 4
    while cs < size // 2:
        layers += [nn.ConvTranspose2d(cur, cur // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(cur // 2), nn.ReLU()]
        cs, cur = cs * 2, cur // 2
    for _ in range(n_extra):
        layers += [nn.ConvTranspose2d(cur, cur, 3, 1, 1, bias=False), nn.BatchNorm2d(cur), nn.ReLU()]
    return nn.Sequential(*layers, nn.ConvTranspose2d(cur, nc, 4, 2, 1, bias=False), nn.Tanh())


def critic(nc=1, nf=64, size=32, n_extra=0):
    layers = [nn.Conv2d(nc, nf, 4, 2, 1), nn.LeakyReLU(0.2)]
    for _ in range(n_extra):
        layers += [nn.Conv2d(nf, nf, 3, 1, 1, bias=False), nn.BatchNorm2d(nf), nn.LeakyReLU(0.2)]
    cs = size // 2
    while cs > 4:
        layers += [nn.Conv2d(nf, nf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(nf * 2), nn.LeakyReLU(0.2)]
        cs, nf = cs // 2, nf * 2
    return nn.Sequential(*layers, nn.Conv2d(nf, 1, 4, padding=0), nn.Flatten())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--n-extra-layers", type=int, default=0)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    root = os.environ.get("GANFLOW_FASHION_MNIST_ROOT") or "/usr/share/datasets/fashion-mnist"
    with gzip.open(root + "/train-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    lo = (a.size - 28) // 2
    hi = a.size - 28 - lo
    data = nn.functional.pad(torch.from_numpy(raw.copy()).float() / 127.5 - 1, (lo, hi, lo, hi), value=-1).to(dev)
    g = generator(size=a.size, n_extra=a.n_extra_layers).to(dev)
    c = critic(size=a.size, n_extra=a.n_extra_layers).to(dev)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.99))
    opt_c = torch.optim.Adam(c.parameters(), 2e-4, betas=(0.5, 0.99))
    bce = nn.functional.binary_cross_entropy_with_logits
    gen_mode = False
    for p in g.parameters():
        p.requires_grad_(False)
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            sync()
            t0 = time.perf_counter()
        start = (step * a.bs) % (60000 - a.bs)
        real = data[start:start + a.bs]
        noise = torch.randn(a.bs, 100, 1, 1, device=dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            if gen_mode:
                fp = c(g(noise))
                loss = bce(fp, torch.ones_like(fp))
            else:
                rp = c(real)
                with torch.no_grad():
                    fake = g(noise)
                fp = c(fake)
                loss = (bce(rp, torch.ones_like(rp)) + bce(fp, torch.zeros_like(fp))) / 2
        loss.backward()
        opt = opt_g if gen_mode else opt_c
        opt.step()
        opt.zero_grad()
        gen_mode = not gen_mode
        for p in g.parameters():
            p.requires_grad_(gen_mode)
        for p in c.parameters():
            p.requires_grad_(not gen_mode)
    sync()
    print(f"images/s {a.steps * a.bs / (time.perf_counter() - t0)}")
    if dev.type == "cuda":
        print(f"peak_mem_mb {torch.cuda.max_memory_allocated(dev) / 2**20}")


if __name__ == "__main__":
    main()
