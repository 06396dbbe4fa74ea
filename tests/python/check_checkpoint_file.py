"""A ganflow checkpoint, read the way a PyTorch user reads it.

Usage: check_checkpoint_file.py CHECKPOINT MANIFEST
MANIFEST (JSON, written by the C++ test from its own reading of the file): for every entry
its kind ("tensor", "state" or "str"), and for tensors and state dicts the element count and
the sum of every value in double. Loads the checkpoint with weights_only=True (PyTorch 2.6+'s
default) and requires the same entries, kinds, counts and sums, and `meta` to be JSON."""
import json
import sys

import torch

from common import Checker, load

c = Checker()
ck = load(sys.argv[1])
want = json.load(open(sys.argv[2]))
c.true(f"entries {sorted(ck)} are not ganflow's {sorted(want)}", set(ck) == set(want))


def tensors(v):
    return list(v.values()) if isinstance(v, dict) else [v]


for key, w in want.items():
    if key not in ck:
        continue
    v = ck[key]
    if w["kind"] == "str":
        c.true(f"'{key}' is a {type(v).__name__}, not a str", isinstance(v, str))
        continue
    kind_ok = isinstance(v, torch.Tensor) if w["kind"] == "tensor" else (
        isinstance(v, dict) and all(isinstance(k, str) and isinstance(t, torch.Tensor) for k, t in v.items()))
    c.true(f"'{key}' is not a {w['kind']} ({type(v).__name__})", kind_ok)
    if not kind_ok:
        continue
    ts = tensors(v)
    c.true(f"'{key}' has {sum(t.numel() for t in ts)} elements, ganflow read {w['n']}",
           sum(t.numel() for t in ts) == w["n"])
    c.close(f"sum of '{key}'", torch.tensor(sum(t.double().sum().item() for t in ts)), torch.tensor(w["sum"]), tol=1e-9)

meta = json.loads(ck["meta"]) if isinstance(ck.get("meta"), str) else None
c.true("meta is not a JSON object", isinstance(meta, dict))
c.finish()
