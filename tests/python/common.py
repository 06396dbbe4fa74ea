"""Helpers shared by the check scripts: load the C++ side's tensors, compare, report."""
import sys

import torch

TOL = 1e-5


class Checker:
    def __init__(self):
        self.failures = []
        self.count = 0

    def close(self, what, got, want, tol=TOL):
        self.count += 1
        got, want = got.detach().double(), want.detach().double()
        if got.shape != want.shape:
            self.failures.append(f"{what}: shape {tuple(got.shape)} vs PyTorch {tuple(want.shape)}")
            return
        diff = (got - want).abs().max().item() if got.numel() else 0.0
        scale = max(1.0, want.abs().max().item() if want.numel() else 0.0)
        if not diff <= tol * scale:
            self.failures.append(f"{what}: max abs diff {diff:.3g} (tolerance {tol * scale:.3g})")

    def true(self, what, ok):
        self.count += 1
        if not ok:
            self.failures.append(what)

    def finish(self):
        for f in self.failures:
            print("MISMATCH " + f)
        if self.failures:
            print(f"FAILED {len(self.failures)} of {self.count} checks")
            sys.exit(1)
        print(f"OK {self.count} checks")
        sys.exit(0)


def load(path):
    return torch.load(path)


def prefixed(d, prefix):
    return {k[len(prefix):]: v for k, v in d.items() if k.startswith(prefix)}
