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


import fastai_ref
from common import Checker, check_train_then_eval, load


def main():
    t = load(sys.argv[1])
    cfg = json.loads(sys.argv[2])
    kind = cfg.pop("model")
    model = getattr(fastai_ref, kind)(**cfg)
    c = Checker()
    check_train_then_eval(c, t, model)
    c.finish()


if __name__ == "__main__":
    main()
