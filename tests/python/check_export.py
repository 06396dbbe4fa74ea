"""`ganflow export` from PyTorch's side: the TorchScript file loads with torch.jit.load alone (no
ganflow, no architecture code), runs in eval mode, and draws from noisy_item's noise for SEED the
images `ganflow generate --seed SEED --n N [--class K]` wrote; it also scripts on (a user can
fine-tune it: its parameters require gradients and a backward pass reaches them).
Usage: check_export.py MODULE_PT IMAGES_PT SEED N NOISE_SZ CLASS (CLASS -1: unconditional)"""
import sys

import torch

from common import Checker


def main():
    module, images, seed, n, nz, cls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    g = torch.jit.load(module)
    c = Checker()
    c.true("loaded in eval mode", not g.training)
    torch.manual_seed(seed)  # the same CPU generator stream as ganflow's noisy_item
    z = torch.randn(n, nz, 1, 1)
    args = (z,) if cls < 0 else (z, torch.full((n,), cls, dtype=torch.long))
    with torch.no_grad():
        got = g(*args)
    c.close("exported generator's images", got, torch.load(images, weights_only=True), tol=1e-5)
    params = list(g.parameters())
    c.true("parameters require gradients", len(params) > 0 and all(p.requires_grad for p in params))
    g.train()
    g(*args).square().mean().backward()
    c.true("a backward pass reaches every parameter", all(p.grad is not None for p in params))
    c.finish()


if __name__ == "__main__":
    main()
