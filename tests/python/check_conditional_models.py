"""Cross-checks ganflow's class-conditional generator and critic against conditional_ref.py.

usage: check_conditional_models.py TENSORS.pt CONFIG_JSON
TENSORS as check_models.py's, plus "labels" (int64 [bs]); CONFIG names the reference class
("model") and its arguments.
"""
import json
import sys

import conditional_ref
from common import Checker, check_train_then_eval, load


def main():
    t = load(sys.argv[1])
    cfg = json.loads(sys.argv[2])
    model = getattr(conditional_ref, cfg.pop("model"))(**cfg)
    model.labels = t["labels"]
    c = Checker()
    check_train_then_eval(c, t, model)
    c.finish()


if __name__ == "__main__":
    main()
