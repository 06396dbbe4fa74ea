"""Networks ganflow does not ship, written and scripted in PyTorch, for the torchscript_model
tests: a residual generator (noise [bs, NZ, 1, 1] -> [bs, 1, 16, 16] in [-1, 1], nearest
upsampling, BatchNorm), a residual critic ([bs, 1, 16, 16] -> [bs, 1]) and a DCGAN generator of
transposed convolutions (dcgan_generator.pt); plus the bad inputs:
a torch.save'd state dict (not TorchScript) and a scripted module without forward.
Usage: make_scripted_models.py OUT_DIR NZ"""
import sys

import torch
from torch import nn


class ResBlock(nn.Module):
    def __init__(self, c: int, norm: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c) if norm else nn.Identity()
        self.bn2 = nn.BatchNorm2d(c) if norm else nn.Identity()
        self.act = nn.ReLU() if norm else nn.LeakyReLU(0.2)

    def forward(self, x):
        h = self.conv1(self.act(self.bn1(x)))
        h = self.conv2(self.act(self.bn2(h)))
        return x + h


class ResGenerator(nn.Module):
    def __init__(self, nz: int, nf: int = 32):
        super().__init__()
        self.nf = nf
        self.fc = nn.Linear(nz, nf * 4 * 4)
        self.up1 = ResBlock(nf, norm=True)
        self.up2 = ResBlock(nf, norm=True)
        self.bn = nn.BatchNorm2d(nf)
        self.out = nn.Conv2d(nf, 1, 3, padding=1)

    def forward(self, z):
        h = self.fc(z.flatten(1)).view(-1, self.nf, 4, 4)
        h = self.up1(nn.functional.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.up2(nn.functional.interpolate(h, scale_factor=2.0, mode="nearest"))
        return torch.tanh(self.out(torch.relu(self.bn(h))))


class ResCritic(nn.Module):
    def __init__(self, nf: int = 32):
        super().__init__()
        self.inp = nn.Conv2d(1, nf, 4, stride=2, padding=1)
        self.block = ResBlock(nf, norm=False)
        self.down = nn.Conv2d(nf, nf * 2, 4, stride=2, padding=1)
        self.fc = nn.Linear(nf * 2 * 4 * 4, 1)

    def forward(self, x):
        h = nn.functional.leaky_relu(self.inp(x), 0.2)
        h = nn.functional.leaky_relu(self.down(self.block(h)), 0.2)
        return self.fc(h.flatten(1))


def dcgan_generator(nz: int) -> nn.Module:
    """A DCGAN generator of stock transposed convolutions: noise [bs, NZ, 1, 1] -> [bs, 1, 16, 16]."""
    return nn.Sequential(
        nn.ConvTranspose2d(nz, 32, 4, 1, 0, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.ConvTranspose2d(32, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Tanh())


class NoForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(2))

    @torch.jit.export
    def scale(self, x):
        return x * self.w


def main():
    out, nz = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(0)
    torch.jit.script(ResGenerator(nz)).save(f"{out}/res_generator.pt")
    torch.jit.script(ResCritic()).save(f"{out}/res_critic.pt")
    torch.jit.script(dcgan_generator(nz)).save(f"{out}/dcgan_generator.pt")
    torch.save(ResCritic().state_dict(), f"{out}/state_dict.pt")
    torch.jit.script(NoForward()).save(f"{out}/no_forward.pt")
    print("OK")


if __name__ == "__main__":
    main()
