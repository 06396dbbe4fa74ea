"""Cross-checks a C++ basic_generator / basic_critic against fastai's definitions in PyTorch.

usage: check_models.py TENSORS.pt CONFIG_JSON
TENSORS holds the C++ model's initial state ("state.<key>"), the input, the train-mode output, the
gradients of (output * out_weight).sum() ("grad.<param>", "input_grad"), the buffers after the
forward ("after.<key>") and an eval-mode output. The script rebuilds the model from CONFIG, loads
the state strictly (so the layer list and parameter shapes must match), repeats every step and
compares to 1e-5.
"""
import json
import sys

import torch

import fastai_ref
from common import Checker, load, prefixed


def main():
    t = load(sys.argv[1])
    cfg = json.loads(sys.argv[2])
    kind = cfg.pop("model")
    model = getattr(fastai_ref, kind)(**cfg)
    c = Checker()
    state = prefixed(t, "state.")
    want_keys = set(model.state_dict().keys())
    c.true(f"state keys differ: C++ only {sorted(set(state) - want_keys)}, PyTorch only {sorted(want_keys - set(state))}",
           set(state) == want_keys)
    if set(state) != want_keys:
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
        c.close(f"buffer {name} after the forward", t["after." + name], b)
    model.eval()
    with torch.no_grad():
        c.close("eval-mode output", t["eval_output"], model(t["input"]))
    c.finish()


if __name__ == "__main__":
    main()
