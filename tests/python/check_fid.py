"""`ganflow evaluate`'s FID from PyTorch's and pytorch-fid's side:
- the reference statistics file holds the mean and covariance (np.cov, unbiased) of the feature
  network's outputs on the real images, prepared as torchscript_features prepares them
  ([-1, 1] -> 3 channels -> bilinear resize to SIZE, align_corners false -> [0, 1]);
- the FD ganflow reported equals pytorch-fid's formula (scipy.linalg.sqrtm) on the two
  statistics files, relative difference <= 1e-3.
It also writes the reference statistics as pytorch-fid would (np.savez: mu and sigma alone) and
compressed (np.savez_compressed) to OUT_DIR/plain.npz and OUT_DIR/compressed.npz, for ganflow to read.
Usage: check_fid.py NET REAL_DIR SIZE REF_NPZ GEN_NPZ FID_JSON OUT_DIR"""
import glob
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from scipy import linalg

from common import Checker


def pytorch_fid_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance."""
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def main():
    net, real_dir, size, ref, gen, fid_json, out_dir = sys.argv[1:8]
    size = int(size)
    c = Checker()
    images = [np.asarray(Image.open(p).convert("L")) for p in sorted(glob.glob(os.path.join(real_dir, "*.png")))]
    x = torch.tensor(np.stack(images), dtype=torch.float32).unsqueeze(1) / 127.5 - 1
    x = torch.nn.functional.interpolate(x.expand(-1, 3, -1, -1), size=(size, size), mode="bilinear", align_corners=False)
    with torch.no_grad():
        f = torch.jit.load(net)((x + 1) / 2).double().numpy()
    stats = np.load(ref)
    for name, got, want in (("mu", stats["mu"], f.mean(0)), ("sigma", stats["sigma"], np.cov(f, rowvar=False))):
        c.true(f"reference {name}: shape {got.shape} as {want.shape}", got.shape == want.shape)
        rel = np.abs(got - want).max() / np.abs(want).max()
        c.true(f"reference {name}: relative difference {rel:.3g} <= 1e-4", got.shape == want.shape and rel <= 1e-4)
    identity = json.loads(stats["ganflow_identity"].tobytes().decode())
    c.true("the statistics name their network's input size", identity["features"]["input_size"] == size)
    g = np.load(gen)
    want = pytorch_fid_distance(g["mu"], g["sigma"], stats["mu"], stats["sigma"])
    with open(fid_json) as fh:
        got = json.load(fh)["fd"]
    c.true(f"FD {got} vs pytorch-fid's {want}: relative difference <= 1e-3", abs(got - want) <= 1e-3 * abs(want))
    np.savez(os.path.join(out_dir, "plain.npz"), mu=stats["mu"], sigma=stats["sigma"])
    np.savez_compressed(os.path.join(out_dir, "compressed.npz"), mu=stats["mu"], sigma=stats["sigma"])
    c.finish()


if __name__ == "__main__":
    main()
