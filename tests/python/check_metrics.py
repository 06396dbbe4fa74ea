"""Cross-checks accuracy_thresh_expand: batch-size weighted mean of fastai's per-batch values.

usage: check_metrics.py TENSORS.pt
TENSORS: "pred.<i>", "target.<i>" per batch; "settings" [K, 2] rows (thresh, sigmoid) and
"values" [K], the C++ metric's value() for each setting after accumulating every batch.
"""
import sys

import torch

import fastai_ref as fa
from common import Checker, load


def main():
    t = load(sys.argv[1])
    c = Checker()
    n = len([k for k in t if k.startswith("pred.")])
    for (thresh, sigmoid), got in zip(t["settings"].tolist(), t["values"]):
        total, count = 0.0, 0
        for i in range(n):
            pred, target = t[f"pred.{i}"], t[f"target.{i}"]
            total += fa.accuracy_thresh_expand(pred, target, thresh, bool(sigmoid)).item() * pred.shape[0]
            count += pred.shape[0]
        c.close(f"accuracy_thresh_expand(thresh={thresh}, sigmoid={bool(sigmoid)})", got, torch.tensor(total / count))
    c.finish()


if __name__ == "__main__":
    main()
