"""Writes JPEGs with PIL and PIL's own decode of each, for the C++ test that ganflow's JPEG
decoder gives the pixels PIL gives (torchvision's ImageFolder loads through PIL).

usage: make_pil_jpegs.py DIR
DIR gets <name>.jpg, <name>.raw (PIL's decode, HWC uint8) and manifest.json:
[{"name", "height", "width", "channels"}] for each decodable file, plus cmyk.jpg (not listed).
"""
import json
import os
import sys

import numpy as np
from PIL import Image


def blobs(h, w, seed):
    """Bright blobs on a dark ground with noise: JPEG's typical content, not flat colour."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.full((h, w, 3), 30.0)
    for _ in range(3):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(h / 8, h / 3)
        img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.uniform(60, 250, size=3)
    img += rng.normal(0, 8, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def main():
    out = sys.argv[1]
    rgb = Image.fromarray(blobs(45, 61, 1))  # odd sizes: partial MCUs at the right and bottom edges
    files = {
        "rgb_420": (rgb, {"quality": 90}),  # PIL's default chroma subsampling, 4:2:0
        "rgb_444": (rgb, {"quality": 95, "subsampling": 0}),
        "rgb_422": (rgb, {"quality": 75, "subsampling": 1}),
        "rgb_progressive": (rgb, {"quality": 85, "progressive": True}),
        "grey": (rgb.convert("L"), {"quality": 90}),
    }
    manifest = []
    for name, (img, options) in files.items():
        path = os.path.join(out, name + ".jpg")
        img.save(path, "JPEG", **options)
        decoded = np.asarray(Image.open(path))
        decoded.tofile(os.path.join(out, name + ".raw"))
        channels = 1 if decoded.ndim == 2 else decoded.shape[2]
        manifest.append({"name": name, "height": decoded.shape[0], "width": decoded.shape[1], "channels": channels})
    rgb.convert("CMYK").save(os.path.join(out, "cmyk.jpg"), "JPEG")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f)


if __name__ == "__main__":
    main()
