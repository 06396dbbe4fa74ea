"""fastai v1's superres layers rebuilt in PyTorch (fastai/layers.py, fastai/vision/gan.py, v1.0.61):
spectral-normed conv_layer, SelfAttention, res_block(dense=True) and gan_critic."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm


def conv1d(ni, no, ks=1, stride=1, padding=0, bias=False):
    conv = nn.Conv1d(ni, no, ks, stride=stride, padding=padding, bias=bias)
    nn.init.kaiming_normal_(conv.weight)
    if bias:
        conv.bias.data.zero_()
    return spectral_norm(conv)


class SelfAttention(nn.Module):
    def __init__(self, n_channels):
        super().__init__()
        self.query = conv1d(n_channels, n_channels // 8)
        self.key = conv1d(n_channels, n_channels // 8)
        self.value = conv1d(n_channels, n_channels)
        self.gamma = nn.Parameter(torch.tensor([0.]))

    def forward(self, x):
        size = x.size()
        x = x.view(*size[:2], -1)
        f, g, h = self.query(x), self.key(x), self.value(x)
        beta = F.softmax(torch.bmm(f.transpose(1, 2), g), dim=1)
        o = self.gamma * torch.bmm(h, beta) + x
        return o.view(*size).contiguous()


def spectral_conv_layer(ni, nf, ks=3, stride=1, padding=None, bias=True, use_activ=True, self_attention=False):
    """conv_layer(..., norm_type=NormType.Spectral, leaky=0.2)."""
    if padding is None:
        padding = (ks - 1) // 2
    conv = nn.Conv2d(ni, nf, ks, stride=stride, padding=padding, bias=bias)
    nn.init.kaiming_normal_(conv.weight)
    if bias:
        conv.bias.data.zero_()
    layers = [spectral_norm(conv)]
    if use_activ:
        layers.append(nn.LeakyReLU(0.2, inplace=True))
    if self_attention:
        layers.append(SelfAttention(nf))
    return nn.Sequential(*layers)


class DenseResBlock(nn.Module):
    """res_block(nf, dense=True, leaky=0.2, norm_type=Spectral): SequentialEx + MergeLayer(dense)."""
    def __init__(self, nf):
        super().__init__()
        self.layers = nn.ModuleList([spectral_conv_layer(nf, nf), spectral_conv_layer(nf, nf)])

    def forward(self, x):
        h = x
        for l in self.layers:
            h = l(h)
        return torch.cat([h, x], dim=1)


def gan_critic(n_channels=3, nf=128, n_blocks=3, p=0.15):
    layers = [spectral_conv_layer(n_channels, nf, ks=4, stride=2), nn.Dropout2d(p / 2), DenseResBlock(nf)]
    nf *= 2
    for i in range(n_blocks):
        layers += [nn.Dropout2d(p), spectral_conv_layer(nf, nf * 2, ks=4, stride=2, self_attention=(i == 0))]
        nf *= 2
    layers += [spectral_conv_layer(nf, 1, ks=4, bias=False, padding=0, use_activ=False), nn.Flatten()]
    return nn.Sequential(*layers)


def spectral_conv(dims, ni, nf, ks, stride=1, padding=0, bias=True):
    """A bare torch.nn.utils.spectral_norm(Conv{1,2}d)."""
    conv = (nn.Conv1d if dims == 1 else nn.Conv2d)(ni, nf, ks, stride=stride, padding=padding, bias=bias)
    return spectral_norm(conv)
