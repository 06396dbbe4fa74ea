"""Cross-checks every ganflow loss, the WGAN-GP / R1 / R2 penalties and their critic gradients.

usage: check_losses.py TENSORS.pt
TENSORS holds the inputs the C++ test fed to each loss node and the node's results ("loss.<name>").
For the penalties it also holds the small critic's weights ("critic.<key>"), the interpolates the
C++ loss evaluated the critic on ("gp.x_hat") and the critic's parameter gradients after backward.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

import fastai_ref as fa
from common import Checker, load, prefixed


def small_critic():
    """Mirror of the critic built in test_losses_numerics.cpp."""
    return nn.Sequential(nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.Softplus(), nn.Flatten(), nn.Linear(4 * 4 * 4, 1))


def input_gradient(critic, x):
    x = x.detach().requires_grad_(True)
    pred = critic(x)
    return torch.autograd.grad(pred, x, torch.ones_like(pred), create_graph=True)[0]


def check_penalty(c, t, prefix, loss_fn):
    critic = small_critic()
    critic.load_state_dict(prefixed(t, "critic."), strict=True)
    real, fake = t["real"], t["fake"]
    loss = loss_fn(critic, real, fake)
    c.close(f"{prefix} loss", t[f"loss.{prefix}"], loss)
    loss.backward()
    for name, p in critic.named_parameters():
        c.close(f"{prefix} critic gradient {name}", t[f"{prefix}.grad.{name}"], p.grad)


def main():
    t = load(sys.argv[1])
    c = Checker()
    logits, labels = t["logits"], t["labels"]            # [bs, N] patch logits, [bs] labels
    same_target = t["same_target"]                         # [bs, N] in [0, 1]
    output, target = t["output"], t["target"]              # images
    fake_pred, real_pred = t["fake_pred"], t["real_pred"]  # [bs, 1]
    bce = nn.BCEWithLogitsLoss()
    adaptive = fa.AdaptiveLoss(bce)

    c.close("bce_with_logits", t["loss.bce_with_logits"], bce(logits, same_target))
    c.close("mse", t["loss.mse"], fa.mse_flat(output, target))
    c.close("l1", t["loss.l1"], fa.l1_flat(output, target))
    c.close("mse on [bs,1] vs [bs]", t["loss.mse_flat_pred"], fa.mse_flat(fake_pred, labels))
    c.close("adaptive_loss", t["loss.adaptive_loss"], adaptive(logits, labels))
    w = t["weights_gen"].tolist()
    loss_g, loss_c = fa.gan_loss_from_func(fa.mse_flat, adaptive, w)
    c.close("gan_gen_loss", t["loss.gan_gen_loss"], loss_g(logits, output, target))
    c.close("gan_gen_loss without loss_gen", t["loss.gan_gen_loss_adv"], w[0] * adaptive(logits, logits.new_ones(logits.shape[0])))
    fake_logits = t["fake_logits"]
    c.close("gan_crit_loss", t["loss.gan_crit_loss"], loss_c(logits, fake_logits))
    c.close("noop", t["loss.noop"], fa._tk_mean(fake_pred, output, target))
    c.close("wasserstein", t["loss.wasserstein"], fa._tk_diff(real_pred, fake_pred))
    c.close("hinge_gen", t["loss.hinge_gen"], -fake_pred.mean())
    c.close("hinge_crit", t["loss.hinge_crit"], F.relu(1 - real_pred).mean() + F.relu(1 + fake_pred).mean())
    c.close("lsgan_gen", t["loss.lsgan_gen"], 0.5 * ((fake_pred - 1) ** 2).mean())
    c.close("lsgan_crit", t["loss.lsgan_crit"], 0.5 * ((real_pred - 1) ** 2).mean() + 0.5 * (fake_pred ** 2).mean())

    # RaSGAN as in Jolicoeur-Martineau's code: BCE(C(x) - mean C(y), label), the two terms averaged.
    def ra(a, b, label):
        return F.binary_cross_entropy_with_logits(a - b.mean(), torch.full_like(a, label))

    fp = fake_pred.clone().requires_grad_(True)
    ragan_gen = (ra(fp, real_pred, 1.0) + ra(real_pred, fp, 0.0)) / 2
    ragan_gen.backward()
    c.close("ragan_gen", t["loss.ragan_gen"], ragan_gen)
    c.close("ragan_gen gradient on fake_pred", t["ragan_gen.grad.fake_pred"], fp.grad)
    c.close("ragan_crit", t["loss.ragan_crit"], (ra(real_pred, fake_pred, 1.0) + ra(fake_pred, real_pred, 0.0)) / 2)

    # RpGAN as R3GAN's code writes it: softplus of the paired score difference.
    fp = fake_pred.clone().requires_grad_(True)
    rpgan_gen = F.softplus(real_pred - fp).mean()
    rpgan_gen.backward()
    c.close("rpgan_gen", t["loss.rpgan_gen"], rpgan_gen)
    c.close("rpgan_gen gradient on fake_pred", t["rpgan_gen.grad.fake_pred"], fp.grad)
    c.close("rpgan_crit", t["loss.rpgan_crit"], F.softplus(fake_pred - real_pred).mean())

    # WGAN-GP: x_hat must lie on the segment real-fake with one eps in [0, 1) per image.
    x_hat, real, fake = t["gp.x_hat"], t["real"], t["fake"]
    d = (real - fake).flatten(1)
    eps = ((x_hat - fake).flatten(1) * d).sum(1) / (d * d).sum(1)  # least squares, one per image
    rebuilt = eps.view(-1, 1, 1, 1) * real + (1 - eps.view(-1, 1, 1, 1)) * fake
    c.close("wgan_gp interpolates as eps*real + (1-eps)*fake with one eps per image", x_hat, rebuilt)
    c.true(f"wgan_gp eps outside [0, 1): {eps.tolist()}", bool(((eps >= -1e-6) & (eps < 1 + 1e-6)).all()))
    c.true(f"wgan_gp draws the same eps for several images: {eps.tolist()}", eps.unique().numel() == eps.numel())
    lam = t["gp.lambda"].item()

    def wgan_gp(critic, real, fake):
        grad = input_gradient(critic, x_hat)
        penalty = ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
        return critic(real).mean() - critic(fake).mean() + lam * penalty

    check_penalty(c, t, "wgan_gp", wgan_gp)
    gamma = t["r1.gamma"].item()

    def r1(critic, real, fake):
        grad = input_gradient(critic, real)
        return critic(real).mean() - critic(fake).mean() + gamma / 2 * grad.pow(2).flatten(1).sum(1).mean()

    check_penalty(c, t, "r1", r1)
    gamma2 = t["r2.gamma"].item()

    def r2(critic, real, fake):
        grad = input_gradient(critic, fake)
        return critic(real).mean() - critic(fake).mean() + gamma2 / 2 * grad.pow(2).flatten(1).sum(1).mean()

    check_penalty(c, t, "r2", r2)
    c.finish()


if __name__ == "__main__":
    main()
