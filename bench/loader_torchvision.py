#!/usr/bin/python3
"""torchvision's loader on the folder bench/run_loader generates: datasets.ImageFolder (PIL
decode, ToTensor, Normalize to [-1, 1] like ganflow's batches) and DataLoader(num_workers).
Times one shuffled epoch after a short warm-up; prints one JSON line like loader_bench.
Run with Debian's /usr/bin/python3 (python3-torchvision)."""
import argparse
import json
import time

import torch
from torchvision import datasets, transforms

WARMUP_BATCHES = 4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--bs", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(1)  # as loader_bench: the float conversion is not what is measured
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    loader = torch.utils.data.DataLoader(datasets.ImageFolder(args.root, tfm), batch_size=args.bs, shuffle=True,
                                         num_workers=args.workers)
    for i, _ in enumerate(loader):
        if i + 1 == WARMUP_BATCHES:
            break
    t0 = time.perf_counter()
    images = sum(x.shape[0] for x, _ in loader)
    s = time.perf_counter() - t0
    print(json.dumps({"runner": "torchvision", "threads": args.workers, "images": images, "seconds": s,
                      "images_per_s": images / s}))


if __name__ == "__main__":
    main()
