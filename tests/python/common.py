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
    # weights_only: PyTorch 2.6 and later load so by default; ganflow's files must pass it.
    return torch.load(path, weights_only=True)


def prefixed(d, prefix):
    return {k[len(prefix):]: v for k, v in d.items() if k.startswith(prefix)}


def check_train_then_eval(c, t, model, buffer_checks=None):
    """The shared protocol of the module cross-checks: load the C++ state strictly, one
    train-mode forward and backward of (output * out_weight).sum(), buffers after it, then an
    eval-mode output. `buffer_checks(name, buffer, state)` adds checks per buffer."""
    state = prefixed(t, "state.")
    want = set(model.state_dict().keys())
    c.true(f"state keys differ: C++ only {sorted(set(state) - want)}, PyTorch only {sorted(want - set(state))}",
           set(state) == want)
    if set(state) != want:
        c.finish()
    model.load_state_dict(state, strict=True)
    model.train()
    x = t["input"].clone().requires_grad_(True)
    out = model(x)
    c.close("train-mode output", t["output"], out)
    (out * t["out_weight"]).sum().backward()
    c.close("input gradient", t["input_grad"], x.grad)
    for name, p in model.named_parameters():
        c.close(f"gradient of {name}", t["grad." + name], p.grad)
    for name, b in model.named_buffers():
        c.close(f"buffer {name} after the training forward", t["after." + name], b)
        if buffer_checks:
            buffer_checks(name, b, state)
    model.eval()
    with torch.no_grad():
        c.close("eval-mode output", t["eval_output"], model(t["input"]))
