"""Cross-checks ganflow's spectral norm, SelfAttention and gan_critic against PyTorch
(torch.nn.utils.spectral_norm and fastai v1's layers, superres_ref.py).

usage: check_superres_layers.py TENSORS.pt CONFIG_JSON
TENSORS: the C++ module's state before the forward ("state.<key>", incl. weight_u/weight_v),
the input, the train-mode output, gradients of (output * out_weight).sum(), the buffers after
the training forward ("after.<key>": u and v after one power iteration), and an eval-mode
output plus the buffers after it ("eval_after.<key>": unchanged). The module is rebuilt from
CONFIG, the state loaded strictly, every step repeated and compared to 1e-5.
"""
import json
import sys

import torch

import superres_ref
from common import Checker, check_train_then_eval, load


def build(cfg):
    kind = cfg.pop("layer")
    if kind == "spectral_conv":
        return superres_ref.spectral_conv(**cfg)
    return getattr(superres_ref, kind)(**cfg)


def main():
    t = load(sys.argv[1])
    model = build(json.loads(sys.argv[2]))
    c = Checker()

    def u_v_moved(name, b, state):
        if b.numel() > 1:  # u of a one-row weight is always [1] after normalising
            c.true(f"buffer {name} changed in the training forward", not torch.equal(b, state[name]))

    check_train_then_eval(c, t, model, u_v_moved)
    for name, b in model.named_buffers():
        c.close(f"buffer {name} after the eval forward", t["eval_after." + name], b)
        c.true(f"buffer {name} unchanged by the eval forward", torch.equal(b, t["after." + name]))
    c.finish()


if __name__ == "__main__":
    main()
