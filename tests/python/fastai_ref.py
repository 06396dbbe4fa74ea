"""fastai's GAN building blocks, transcribed from fastai 1.0.61 (v1) and 2.7 (v2) for cross-checks.

Only what ganflow re-implements: conv_layer / ConvLayer, basic_generator, basic_critic, the GAN
losses and accuracy_thresh_expand. Weights come from the C++ side, so init code is left out.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_layer(ni, nf, ks=3, stride=1, padding=None, bias=None, bn=True, act="relu", slope=0.01,
               transpose=False, order="v2"):
    """v1 conv_layer (Conv -> act -> BN) or v2 ConvLayer (Conv -> BN -> act), as an nn.Sequential."""
    if padding is None:
        padding = (ks - 1) // 2 if not transpose else 0
    if bias is None:
        bias = not bn
    conv_cls = nn.ConvTranspose2d if transpose else nn.Conv2d
    layers = [conv_cls(ni, nf, kernel_size=ks, bias=bias, stride=stride, padding=padding)]
    act_layer = {"relu": lambda: nn.ReLU(), "leaky_relu": lambda: nn.LeakyReLU(slope), None: None}[act]
    if order == "v1":
        if act_layer:
            layers.append(act_layer())
        if bn:
            layers.append(nn.BatchNorm2d(nf))
    else:
        if bn:
            layers.append(nn.BatchNorm2d(nf))
        if act_layer:
            layers.append(act_layer())
    return nn.Sequential(*layers)


class AddChannels(nn.Module):
    def __init__(self, n_dim):
        super().__init__()
        self.n_dim = n_dim

    def forward(self, x):
        return x.view(*(list(x.shape) + [1] * self.n_dim))


class AvgFlatten(nn.Module):
    def forward(self, x):
        return x.mean(0).view(1)


def basic_generator(out_size, n_channels, noise_sz=100, n_features=64, n_extra_layers=0, order="v2"):
    cur_size, cur_ftrs = 4, n_features // 2
    while cur_size < out_size:
        cur_size *= 2
        cur_ftrs *= 2
    layers = [AddChannels(2)] if order == "v2" else []
    layers.append(conv_layer(noise_sz, cur_ftrs, 4, 1, transpose=True, order=order))
    cur_size = 4
    while cur_size < out_size // 2:
        layers.append(conv_layer(cur_ftrs, cur_ftrs // 2, 4, 2, 1, transpose=True, order=order))
        cur_ftrs //= 2
        cur_size *= 2
    layers += [conv_layer(cur_ftrs, cur_ftrs, 3, 1, 1, transpose=True, order=order) for _ in range(n_extra_layers)]
    layers += [nn.ConvTranspose2d(cur_ftrs, n_channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def basic_critic(in_size, n_channels, n_features=64, n_extra_layers=0, act="leaky_relu", slope=0.2, order="v2",
                 output="flatten"):
    kw = dict(act=act, slope=slope, order=order)
    layers = [conv_layer(n_channels, n_features, 4, 2, 1, bn=False, **kw)]
    cur_size, cur_ftrs = in_size // 2, n_features
    extra = [conv_layer(cur_ftrs, cur_ftrs, 3, 1, **kw) for _ in range(n_extra_layers)]
    if order == "v1":
        layers.append(nn.Sequential(*extra))  # v1 wraps them, even when empty
    else:
        layers += extra
    while cur_size > 4:
        layers.append(conv_layer(cur_ftrs, cur_ftrs * 2, 4, 2, 1, **kw))
        cur_ftrs *= 2
        cur_size //= 2
    layers.append(nn.Conv2d(cur_ftrs, 1, 4, padding=0, bias=(order == "v2")))
    layers.append(AvgFlatten() if output == "batch_mean" else nn.Flatten())
    return nn.Sequential(*layers)


# ---- losses (fastai gan.py, layers.py) ----
class AdaptiveLoss(nn.Module):
    def __init__(self, crit):
        super().__init__()
        self.crit = crit

    def forward(self, output, target):
        return self.crit(output, target[:, None].expand_as(output).float())


def mse_flat(inp, targ):
    return F.mse_loss(inp.contiguous().view(-1), targ.contiguous().view(-1).float())


def l1_flat(inp, targ):
    return F.l1_loss(inp.contiguous().view(-1), targ.contiguous().view(-1).float())


def gan_loss_from_func(loss_gen, loss_crit, weights_gen=None):
    def _loss_G(fake_pred, output, target, weights_gen=weights_gen):
        ones = fake_pred.new_ones(fake_pred.shape[0])
        weights_gen = weights_gen or (1., 1.)
        return weights_gen[0] * loss_crit(fake_pred, ones) + weights_gen[1] * loss_gen(output, target)

    def _loss_C(real_pred, fake_pred):
        ones = real_pred.new_ones(real_pred.shape[0])
        zeros = fake_pred.new_zeros(fake_pred.shape[0])
        return (loss_crit(real_pred, ones) + loss_crit(fake_pred, zeros)) / 2

    return _loss_G, _loss_C


def _tk_mean(fake_pred, output, target):
    return fake_pred.mean()


def _tk_diff(real_pred, fake_pred):
    return real_pred.mean() - fake_pred.mean()


def accuracy_thresh_expand(y_pred, y_true, thresh=0.5, sigmoid=True):
    if sigmoid:
        y_pred = y_pred.sigmoid()
    return ((y_pred > thresh).byte() == y_true[:, None].expand_as(y_pred).byte()).float().mean()
