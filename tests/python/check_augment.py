"""Cross-checks diff_augment's transforms against DiffAugment's published PyTorch code.

usage: check_augment.py TENSORS.pt
TENSORS holds the input "x" and, per case, the policies ("caseN.policy": indices into
color, translation, cutout), the probability "caseN.p", the seed the C++ side set before
augmenting ("caseN.seed") and its output ("caseN.out"). The reference below is written from
Zhao et al. 2020 (DiffAugment_pytorch.py): the same ops drawing in the same order, so the same
seed gives the same draws. With p < 1 each transform is applied to an image when a U(0, 1)
draw, made after the transform's own, is below p (ADA's use of these ops).
"""
import sys

import torch
import torch.nn.functional as F

from common import Checker, load


def rand_brightness(x):
    return x + (torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device) - 0.5)


def rand_saturation(x):
    x_mean = x.mean(dim=1, keepdim=True)
    return (x - x_mean) * (torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device) * 2) + x_mean


def rand_contrast(x):
    x_mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - x_mean) * (torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device) + 0.5) + x_mean


def rand_translation(x, ratio=0.125):
    shift_x, shift_y = int(x.size(2) * ratio + 0.5), int(x.size(3) * ratio + 0.5)
    translation_x = torch.randint(-shift_x, shift_x + 1, size=[x.size(0), 1, 1], device=x.device)
    translation_y = torch.randint(-shift_y, shift_y + 1, size=[x.size(0), 1, 1], device=x.device)
    grid_batch, grid_x, grid_y = torch.meshgrid(
        torch.arange(x.size(0), dtype=torch.long, device=x.device),
        torch.arange(x.size(2), dtype=torch.long, device=x.device),
        torch.arange(x.size(3), dtype=torch.long, device=x.device),
        indexing="ij",
    )
    grid_x = torch.clamp(grid_x + translation_x + 1, 0, x.size(2) + 1)
    grid_y = torch.clamp(grid_y + translation_y + 1, 0, x.size(3) + 1)
    x_pad = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
    return x_pad.permute(0, 2, 3, 1).contiguous()[grid_batch, grid_x, grid_y].permute(0, 3, 1, 2)


def rand_cutout(x, ratio=0.5):
    cutout_size = int(x.size(2) * ratio + 0.5), int(x.size(3) * ratio + 0.5)
    offset_x = torch.randint(0, x.size(2) + (1 - cutout_size[0] % 2), size=[x.size(0), 1, 1], device=x.device)
    offset_y = torch.randint(0, x.size(3) + (1 - cutout_size[1] % 2), size=[x.size(0), 1, 1], device=x.device)
    grid_batch, grid_x, grid_y = torch.meshgrid(
        torch.arange(x.size(0), dtype=torch.long, device=x.device),
        torch.arange(cutout_size[0], dtype=torch.long, device=x.device),
        torch.arange(cutout_size[1], dtype=torch.long, device=x.device),
        indexing="ij",
    )
    grid_x = torch.clamp(grid_x + offset_x - cutout_size[0] // 2, min=0, max=x.size(2) - 1)
    grid_y = torch.clamp(grid_y + offset_y - cutout_size[1] // 2, min=0, max=x.size(3) - 1)
    mask = torch.ones(x.size(0), x.size(2), x.size(3), dtype=x.dtype, device=x.device)
    mask[grid_batch, grid_x, grid_y] = 0
    return x * mask.unsqueeze(1)


AUGMENT_FNS = [[rand_brightness, rand_saturation, rand_contrast], [rand_translation], [rand_cutout]]


def diff_augment(x, policy, p):
    for index in policy:
        for f in AUGMENT_FNS[index]:
            t = f(x)
            x = t if p >= 1 else torch.where(torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype) < p, t, x)
    return x


def main():
    t = load(sys.argv[1])
    c = Checker()
    i = 0
    while f"case{i}.out" in t:
        k = f"case{i}."
        torch.manual_seed(int(t[k + "seed"]))
        policy = t[k + "policy"].tolist()
        c.close(f"case {i} policy {policy} p {float(t[k + 'p'])}", t[k + "out"], diff_augment(t["x"], policy, float(t[k + "p"])))
        i += 1
    c.finish()


if __name__ == "__main__":
    main()
