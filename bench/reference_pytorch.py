#!/usr/bin/python3
"""What a user would pick instead: the same DCGAN loop as bench/raw_dcgan.cpp in PyTorch
(Debian's python3-torch, the same kernels as our libtorch). Prints "images/s N".
Usage: reference_pytorch.py --bs 64 --steps 60 --warmup 20 --threads 2"""
import argparse
import gzip
import time

import numpy as np
import torch
from torch import nn


def generator(nz=100, nf=64, size=32, nc=1):
    cur, cs = nf // 2, 4
    while cs < size:
        cur, cs = cur * 2, cs * 2
    layers = [nn.ConvTranspose2d(nz, cur, 4, 1, 0, bias=False), nn.BatchNorm2d(cur), nn.ReLU()]
    cs = 4
    while cs < size // 2:
        layers += [nn.ConvTranspose2d(cur, cur // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(cur // 2), nn.ReLU()]
        cs, cur = cs * 2, cur // 2
    return nn.Sequential(*layers, nn.ConvTranspose2d(cur, nc, 4, 2, 1, bias=False), nn.Tanh())


def critic(nc=1, nf=64, size=32):
    layers = [nn.Conv2d(nc, nf, 4, 2, 1), nn.LeakyReLU(0.2)]
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
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    data = nn.functional.pad(torch.from_numpy(raw.copy()).float() / 127.5 - 1, (2, 2, 2, 2), value=-1)
    g, c = generator(), critic()
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.99))
    opt_c = torch.optim.Adam(c.parameters(), 2e-4, betas=(0.5, 0.99))
    bce = nn.functional.binary_cross_entropy_with_logits
    gen_mode = False
    for p in g.parameters():
        p.requires_grad_(False)
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            t0 = time.perf_counter()
        start = (step * a.bs) % (60000 - a.bs)
        real = data[start:start + a.bs]
        noise = torch.randn(a.bs, 100, 1, 1)
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
    print(f"images/s {a.steps * a.bs / (time.perf_counter() - t0)}")


if __name__ == "__main__":
    main()
