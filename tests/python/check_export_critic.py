"""`ganflow export --critic` from PyTorch's side: the TorchScript file loads with torch.jit.load
alone, runs in eval mode, scores the images (with their labels, for a class-conditional critic)
as the trained C++ critic scored them, and a backward pass reaches every parameter.
Usage: check_export_critic.py MODULE_PT IMAGES_PT SCORES_PT [LABELS_PT]"""
import sys

import torch

from common import Checker


def main():
    module, images, scores = sys.argv[1], torch.load(sys.argv[2], weights_only=True), torch.load(sys.argv[3], weights_only=True)
    args = (images,) if len(sys.argv) < 5 else (images, torch.load(sys.argv[4], weights_only=True))
    c = Checker()
    d = torch.jit.load(module)
    c.true("loaded in eval mode", not d.training)
    with torch.no_grad():
        got = d(*args)
    c.close("exported critic's scores", got, scores, tol=1e-5)
    params = list(d.parameters())
    d(*args).sum().backward()
    c.true("a backward pass reaches every parameter", len(params) > 0 and all(p.grad is not None for p in params))
    c.finish()


if __name__ == "__main__":
    main()
