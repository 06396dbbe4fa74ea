"""Cross-checks the R1 and R2 penalties through a real C++ critic (basic_critic: ganflow's fast
convolutions, each BatchNorm fused with its activation) against fastai's basic_critic in PyTorch.

usage: check_model_penalties.py TENSORS.pt CONFIG_JSON
TENSORS holds the critic's initial state ("state.<key>"), the real and fake batches, the gammas,
the loss wasserstein + r1 + r2 and the critic's parameter gradients after its backward
("grad.<param>"). PyTorch scores both batches, takes the input gradients with create_graph (R2's
at the fakes first, then R1's at the reals, the C++ order), adds the penalties and backpropagates
through the double backward.
"""
import json
import sys

import fastai_ref
from check_losses import input_gradient
from common import Checker, load, prefixed


def main():
    t = load(sys.argv[1])
    cfg = json.loads(sys.argv[2])
    critic = fastai_ref.basic_critic(**cfg)
    critic.load_state_dict(prefixed(t, "state."), strict=True)
    critic.train()
    real, fake = t["real"], t["fake"]
    g1, g2 = t["r1.gamma"].item(), t["r2.gamma"].item()
    real_pred, fake_pred = critic(real), critic(fake)
    grad_fake = input_gradient(critic, fake)
    grad_real = input_gradient(critic, real)
    loss = (real_pred.mean() - fake_pred.mean() + g1 / 2 * grad_real.pow(2).flatten(1).sum(1).mean()
            + g2 / 2 * grad_fake.pow(2).flatten(1).sum(1).mean())
    c = Checker()
    c.close("wasserstein + r1 + r2", t["loss"], loss)
    loss.backward()
    for name, p in critic.named_parameters():
        c.close(f"critic gradient {name}", t["grad." + name], p.grad)
    c.finish()


if __name__ == "__main__":
    main()
