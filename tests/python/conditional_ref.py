"""The class-conditional models in PyTorch, written from the papers for cross-checks: conditional
BatchNorm (de Vries et al. 2017; BigGAN's and StudioGAN's cBN), the class embedding joined to the
noise (Mirza & Osindero 2014), and the projection discriminator (Miyato & Koyama 2018) with an
ACGAN head (Odena et al. 2017). They take their layers from fastai_ref and superres_ref, so the state-dict keys
are those of ganflow's modules; weights come from the C++ side. `labels` is set on the module
before a forward (the shared check protocol calls model(x)).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import fastai_ref
import superres_ref


class ConditionalBatchNorm2d(nn.Module):
    """BigGAN's cBN: gain and bias linear in the image's condition vector."""

    def __init__(self, nf, cond_dim):
        super().__init__()
        self.bn = nn.BatchNorm2d(nf, affine=False)
        self.gain = nn.Parameter(torch.zeros(nf, cond_dim))
        self.bias = nn.Parameter(torch.zeros(nf, cond_dim))

    def forward(self, x, c):
        return self.bn(x) * (1 + F.linear(c, self.gain))[:, :, None, None] + F.linear(c, self.bias)[:, :, None, None]


class CbnBlock(nn.Module):
    def __init__(self, ni, nf, ks, stride, padding, class_dim, order):
        super().__init__()
        seq = fastai_ref.conv_layer(ni, nf, ks, stride, padding, bias=False, bn=False, transpose=True, order=order)
        self.conv, self.act = seq[0], seq[1]
        self.cbn = ConditionalBatchNorm2d(nf, class_dim)
        self.order = order

    def forward(self, x, c):
        h = self.conv(x)
        return self.cbn(self.act(h), c) if self.order == "v1" else self.act(self.cbn(h, c))


class CbnGenerator(nn.Module):
    """basic_generator's layout with every BatchNorm conditional on a shared class embedding."""

    def __init__(self, out_size, n_channels, noise_sz, n_features, n_classes, class_dim, n_extra_layers=0, order="v2"):
        super().__init__()
        self.embed = nn.Embedding(n_classes, class_dim)
        plain = fastai_ref.basic_generator(out_size, n_channels, noise_sz, n_features, n_extra_layers, order)
        convs = [m[0] for m in plain if isinstance(m, nn.Sequential)]
        self.blocks = nn.ModuleList(
            CbnBlock(c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0], c.padding[0], class_dim, order)
            for c in convs)
        self.out = plain[-2]
        self.labels = None

    def forward(self, z, y=None):
        y = self.labels if y is None else y
        h, c = z.view(z.shape[0], z.shape[1], 1, 1), self.embed(y)
        for b in self.blocks:
            h = b(h, c)
        return torch.tanh(self.out(h))


class ConcatGenerator(nn.Module):
    def __init__(self, out_size, n_channels, noise_sz, n_features, n_classes, n_extra_layers=0, order="v2"):
        super().__init__()
        self.embed = nn.Embedding(n_classes, n_classes)
        self.net = fastai_ref.basic_generator(out_size, n_channels, noise_sz + n_classes, n_features, n_extra_layers,
                                              order)
        self.order = order
        self.labels = None

    def forward(self, z, y=None):
        y = self.labels if y is None else y
        h = torch.cat([z.flatten(1), self.embed(y)], 1)
        return self.net(h if self.order == "v2" else h[:, :, None, None])  # v2 starts with AddChannels(2)


class ConditionalHead(nn.Module):
    """A critic split before its output conv (its last two modules: the conv and the flatten);
    projection and/or an ACGAN head on the `features` channels that reach it."""

    def __init__(self, plain, features, n_classes, conditioning):
        super().__init__()
        self.body, self.head = nn.Sequential(*plain[:-2]), nn.Sequential(*plain[-2:])
        if conditioning != "acgan":
            self.embed = nn.Embedding(n_classes, features * 16)
        if conditioning != "projection":
            self.aux = nn.Linear(features, n_classes)
        self.labels = None

    def forward(self, x, y=None):
        y = self.labels if y is None else y
        h = self.body(x)
        out = self.head(h)
        if hasattr(self, "embed"):  # each 4x4 window's features . the class embedding
            out = out + (F.unfold(h, 4) * self.embed(y)[:, :, None]).sum(1)
        if hasattr(self, "aux"):
            out = torch.cat([out, self.aux(h.mean((2, 3)))], 1)
        return out


class ConditionalCritic(ConditionalHead):
    """basic_critic made conditional."""

    def __init__(self, in_size, n_channels, n_features, n_classes, conditioning="projection", n_extra_layers=0,
                 order="v2"):
        plain = list(fastai_ref.basic_critic(in_size, n_channels, n_features, n_extra_layers, order=order))
        super().__init__(plain, plain[-2].in_channels, n_classes, conditioning)


class ConditionalGanCritic(ConditionalHead):
    """fastai's superres gan_critic made conditional: its patch logits, one per 4x4 window, each
    with its own projection."""

    def __init__(self, n_channels, nf, n_blocks, n_classes, conditioning="projection", p=0.0):
        plain = list(superres_ref.gan_critic(n_channels, nf, n_blocks, p))
        super().__init__(plain, nf * 2 ** (n_blocks + 1), n_classes, conditioning)
