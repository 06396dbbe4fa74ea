"""Interop: a generator trained and saved by ganflow (<stage>_generator.pt, a torch pickle of
its state dict) loads into fastai's basic_generator rebuilt in PyTorch, and that model draws
the same images from the same noise as `ganflow generate`.
Usage: check_generator_interop.py GENERATOR_PT IMAGES_PT SEED N NOISE_SZ"""
import sys

import torch

from common import Checker
from fastai_ref import basic_generator


def main():
    weights, images, seed, n, nz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    sd = torch.load(weights, weights_only=True)
    g = basic_generator(32, 1, noise_sz=nz, n_features=16, order="v2")
    g.load_state_dict(sd, strict=True)
    g.eval()
    torch.manual_seed(seed)  # the same CPU generator stream as ganflow's noisy_item
    with torch.no_grad():
        want = g(torch.randn(n, nz, 1, 1).view(n, nz))  # v2 starts with AddChannels(2)
    c = Checker()
    c.close("generated images", torch.load(images, weights_only=True), want, tol=1e-4)
    c.finish()


if __name__ == "__main__":
    main()
