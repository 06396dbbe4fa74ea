#!/usr/bin/python3
"""What a user would pick instead: the same DCGAN loop as bench/raw_dcgan.cpp in PyTorch
(Debian's python3-torch, the same kernels as our libtorch; on a GPU machine its own torch).
Prints "conv_gflop_per_image F" (the convolution work one image costs, averaged over the
critic and generator steps), then "images/s N" and, on CUDA, "peak_mem_mb M"
(torch.cuda.max_memory_allocated). --cuda-graph also times the same loop with each step
(forward, backward, Adam) captured once as a CUDA graph and replayed ("graph_images/s N",
"graph_peak_mem_mb M"): what launch overhead costs the eager loop.
Usage: reference_pytorch.py --bs 64 --steps 60 --warmup 20 --threads 2 [--device cpu|cuda]
       [--size 32] [--n-extra-layers 0] [--precision fp32|bf16] [--cuda-graph]"""
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


def conv_gflop_per_image(g, c, size):
    """Multiply-adds x 2 of every convolution in one critic step and one generator step, per
    image, averaged over the two (images/s counts one batch per step). Backward costs one
    pass for the input gradient and one for the weight gradient; the first layer of each
    network needs no input gradient, and the generator step needs no critic weight gradient."""
    macs = {}

    def hook(m, inp, out):
        if isinstance(m, nn.ConvTranspose2d):  # each input pixel scatters a Cout x k x k patch
            macs.setdefault(id(net_of[id(m)]), []).append(inp[0][0].numel() * m.out_channels * m.kernel_size[0] * m.kernel_size[1])
        else:
            macs.setdefault(id(net_of[id(m)]), []).append(out[0].numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1])

    net_of, handles = {}, []
    for net in (g, c):
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                net_of[id(m)] = net
                handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        c(g(torch.zeros(1, 100, 1, 1)))
    for h in handles:
        h.remove()
    gm, cm = macs[id(g)], macs[id(c)]
    fwd_g, fwd_c = sum(gm), sum(cm)
    # critic step: G forward, C forward on real and fake, C backward (weights; inputs but the first) twice
    crit = fwd_g + 2 * fwd_c + 2 * (fwd_c + fwd_c - cm[0])
    # generator step: G and C forward, C input gradients, G weight and input gradients (not the first's input)
    gen = fwd_g + fwd_c + fwd_c + fwd_g + fwd_g - gm[0]
    return 2 * (crit + gen) / 2 / 1e9


def train(a, dev, data, graphed):
    """Images/s over a.steps steps after a.warmup, and the peak memory (CUDA)."""
    torch.manual_seed(0)
    g = generator(size=a.size, n_extra=a.n_extra_layers).to(dev)
    c = critic(size=a.size, n_extra=a.n_extra_layers).to(dev)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    # capturable: Adam's step count on the device, so a replayed step reads the current one
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.99), capturable=graphed)
    opt_c = torch.optim.Adam(c.parameters(), 2e-4, betas=(0.5, 0.99), capturable=graphed)
    bce = nn.functional.binary_cross_entropy_with_logits
    real = torch.empty(a.bs, 1, a.size, a.size, device=dev)  # the critic step's input slot

    def freeze(gen_mode):
        for p in g.parameters():
            p.requires_grad_(gen_mode)
        for p in c.parameters():
            p.requires_grad_(not gen_mode)

    def step(gen_mode):
        noise = torch.randn(a.bs, 100, 1, 1, device=dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.precision == "bf16", cache_enabled=not graphed):
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
        (opt_g if gen_mode else opt_c).step()

    run = step
    if graphed:
        # Warm up on a side stream (Adam's state, cuDNN's choices), then capture each step
        # once with its network trainable and the other frozen; a replay reruns every kernel.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                for gen_mode in (False, True):
                    freeze(gen_mode)
                    step(gen_mode)
                    (opt_g if gen_mode else opt_c).zero_grad(set_to_none=True)
        torch.cuda.current_stream().wait_stream(side)
        graphs = {}
        for gen_mode in (False, True):
            freeze(gen_mode)
            graphs[gen_mode] = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graphs[gen_mode]):
                step(gen_mode)
        run = lambda gen_mode: graphs[gen_mode].replay()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    gen_mode = False
    freeze(gen_mode)
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            sync()
            t0 = time.perf_counter()
        if not gen_mode:
            start = (i * a.bs) % (60000 - a.bs)
            real.copy_(data[start:start + a.bs])
        run(gen_mode)
        if not graphed:
            (opt_g if gen_mode else opt_c).zero_grad()
        gen_mode = not gen_mode
        if not graphed:
            freeze(gen_mode)
    sync()
    ips = a.steps * a.bs / (time.perf_counter() - t0)
    peak = torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == "cuda" else None
    return ips, peak


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
    ap.add_argument("--cuda-graph", action="store_true", help="also time the loop captured as CUDA graphs")
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    root = os.environ.get("GANFLOW_FASHION_MNIST_ROOT") or "/usr/share/datasets/fashion-mnist"
    with gzip.open(root + "/train-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    lo = (a.size - 28) // 2
    hi = a.size - 28 - lo
    data = nn.functional.pad(torch.from_numpy(raw.copy()).float() / 127.5 - 1, (lo, hi, lo, hi), value=-1).to(dev)
    print(f"conv_gflop_per_image {conv_gflop_per_image(generator(size=a.size, n_extra=a.n_extra_layers), critic(size=a.size, n_extra=a.n_extra_layers), a.size)}")
    if a.cuda_graph:
        if dev.type != "cuda":
            ap.error("--cuda-graph needs --device cuda")
        ips, peak = train(a, dev, data, graphed=True)
        print(f"graph_images/s {ips}")
        print(f"graph_peak_mem_mb {peak}")
    ips, peak = train(a, dev, data, graphed=False)
    if peak is not None:
        print(f"peak_mem_mb {peak}")
    print(f"images/s {ips}")  # last: bench/run reads the last number


if __name__ == "__main__":
    main()
