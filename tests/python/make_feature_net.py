"""A feature network and a real image set for the FID tests (no Inception weights can be
downloaded here): a small scripted CNN taking [n, 3, 24, 24] in [0, 1] to 16 features
(feature_net.pt), the same with a 5-class head returning (features, logits)
(feature_net_logits.pt), one returning three tensors, which the extractor refuses
(feature_net_three.pt), and
N grey 32x32 PNGs of random blobs (already at the generator's size and channels, so the
image_folder node passes them unchanged and Python can read them the same way).
Usage: make_feature_net.py OUT_DIR N"""
import os
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn


class FeatureNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)

    def forward(self, x):
        if x.shape[2] != 24 or x.shape[3] != 24:
            raise ValueError("FeatureNet takes 24x24 images")
        h = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        return h.mean(dim=(2, 3))


class FeatureNetWithLogits(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = FeatureNet()
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        f = self.body(x)
        return f, self.head(f) * 4


class FeatureNetThreeOutputs(FeatureNetWithLogits):
    def forward(self, x):
        f = self.body(x)
        return f, self.head(f), f


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(0)
    torch.jit.script(FeatureNet()).save(os.path.join(out, "feature_net.pt"))
    torch.jit.script(FeatureNetWithLogits()).save(os.path.join(out, "feature_net_logits.pt"))
    torch.jit.script(FeatureNetThreeOutputs()).save(os.path.join(out, "feature_net_three.pt"))
    rng = np.random.default_rng(1)
    os.makedirs(os.path.join(out, "real"), exist_ok=True)
    yy, xx = np.mgrid[0:32, 0:32]
    for i in range(n):
        cy, cx, r = rng.uniform(8, 24), rng.uniform(8, 24), rng.uniform(3, 10)
        img = np.where((yy - cy) ** 2 + (xx - cx) ** 2 < r * r, rng.uniform(120, 255), rng.uniform(0, 60))
        img = np.clip(img + rng.normal(0, 10, img.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img, mode="L").save(os.path.join(out, "real", f"{i:03d}.png"))
    print("OK")


if __name__ == "__main__":
    main()
