"""Writes PNGs and PIL's decode of each, for the C++ test that ganflow's PNG decoder gives the
pixels PIL gives (torchvision's ImageFolder loads through PIL).

usage: make_pil_pngs.py DIR
DIR gets <name>.png, <name>.raw (PIL's pixels, HWC uint8, alpha dropped: grey or RGB) and
manifest.json: [{"name", "height", "width", "channels"}] with the channels of the .raw. Besides
files PIL writes, a small encoder here writes every row filter (None, Sub, Up, Average, Paeth)
at every pixel size (each file's first row with another filter), with the image data split over
several IDAT chunks, and Paeth with many ties; not listed: bad_filter_<mode>.png, whose row 5
has filter type 7, and short.png / long.png, whose image data is a row short / a byte long.
"""
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image


def blobs(h, w, channels, seed):
    """Smooth colour with noise: every filter predicts something, nothing is flat."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([127 + 100 * np.sin(x / (3 + c) + y / (5 + 2 * c)) for c in range(channels)], axis=-1)
    img += rng.normal(0, 12, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filtered(row, prev, bpp, kind):
    out = bytearray(len(row))
    for i, v in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
        out[i] = (v - pred) & 0xFF
    return bytes(out)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(path, img, kinds, pieces=3, extra=b""):
    """8-bit grey / grey+alpha / RGB / RGBA; row y uses filter kinds[y % len(kinds)]. `extra`:
    bytes appended to the image data (None: the last row left out) before compression."""
    h, w, bpp = img.shape
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[bpp]
    raw, prev = b"", bytes(w * bpp)
    for y in range(h):
        row = img[y].tobytes()
        kind = kinds[y % len(kinds)]
        raw += bytes([kind]) + (filtered(row, prev, bpp, kind) if kind <= 4 else row)
        prev = row
    raw = raw[: -(w * bpp + 1)] if extra is None else raw + extra
    data = zlib.compress(raw, 9)
    cut = [len(data) * k // pieces for k in range(pieces + 1)]
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)))
        for k in range(pieces):
            f.write(chunk(b"IDAT", data[cut[k]:cut[k + 1]]))
        f.write(chunk(b"IEND", b""))


def main():
    out = sys.argv[1]
    files = {}
    for bpp, mode in ((1, "L"), (2, "LA"), (3, "RGB"), (4, "RGBA")):  # odd sizes, every filter
        name = f"filters_{mode.lower()}"
        # Each file starts with another filter: Sub, Up, Average and Paeth against the zero row.
        write_png(os.path.join(out, name + ".png"), blobs(23, 37, bpp, bpp), kinds=[(k + bpp) % 5 for k in range(5)])
        files[name] = None
        # Runs of Paeth rows (the decoder unfilters them two at a time): pairs and runs of three,
        # the last of which ends the image (rows 21-23: a pair, then the last row alone).
        write_png(os.path.join(out, f"paeth_runs_{mode.lower()}.png"), blobs(24, 37, bpp, bpp + 10), kinds=[4, 4, 4, 1, 4, 4, 2])
        files[f"paeth_runs_{mode.lower()}"] = None
        # Row 5 has filter type 7: only the fast decoder names the row, so this also shows each
        # colour type takes the fast path.
        write_png(os.path.join(out, f"bad_filter_{mode.lower()}.png"), blobs(8, 8, bpp, 9), kinds=[0, 1, 2, 3, 4, 7, 0, 0])
    # Few levels: Paeth's ties (a, b and c equally near), where the spec's order decides.
    ties = np.random.default_rng(5).integers(0, 4, (16, 16, 3), dtype=np.uint8)
    write_png(os.path.join(out, "paeth_ties.png"), ties, kinds=[4])
    files["paeth_ties"] = None
    rgb = Image.fromarray(blobs(45, 61, 3, 7))
    files["pil_rgb"] = rgb  # PIL's own writer: adaptive filters, zlib's default level
    files["pil_grey"] = rgb.convert("L")
    files["pil_rgba"] = Image.fromarray(blobs(45, 61, 4, 8))
    files["pil_palette"] = rgb.quantize(64)  # the general decoder's case: expands to RGB
    manifest = []
    for name, img in files.items():
        path = os.path.join(out, name + ".png")
        if img is not None:
            img.save(path, "PNG")
        decoded = Image.open(path)
        decoded = decoded.convert("L" if decoded.mode in ("L", "LA") else "RGB")
        pixels = np.asarray(decoded)
        pixels.tofile(os.path.join(out, name + ".raw"))
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        manifest.append({"name": name, "height": pixels.shape[0], "width": pixels.shape[1], "channels": channels})
    # Valid deflate streams of the wrong length: a row short, a byte long.
    write_png(os.path.join(out, "short.png"), blobs(8, 8, 3, 10), kinds=[1], extra=None)
    write_png(os.path.join(out, "long.png"), blobs(8, 8, 3, 10), kinds=[1], extra=b"\0")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f)


if __name__ == "__main__":
    main()
