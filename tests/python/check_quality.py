"""FD, KID, precision/recall and the Inception Score of the C++ quality metrics against numpy/scipy.

FD follows pytorch-fid / TTUR (scipy.linalg.sqrtm of the covariance product); KID is the unbiased
MMD^2 with the cubic polynomial kernel (Binkowski et al. 2018); precision/recall are the k-NN
manifold estimates of Kynkaanniemi et al. 2019; the Inception Score is Salimans et al.'s code
(consecutive splits of softmax predictions, exp of the mean KL to the split's marginal)."""
import sys

import numpy as np
import scipy.linalg
from scipy.spatial.distance import cdist

from common import Checker, load

REL = 1e-6


def fd(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(s1 @ s2, disp=False)
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def kid(x, y):
    d = x.shape[1]
    m = x.shape[0]
    k = lambda p, q: (p @ q.T / d + 1) ** 3
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                 - 2 * kxy.sum() / m**2)


def radii(x, k):
    return np.sort(cdist(x, x), axis=1)[:, k]


def precision_recall(real, fake, k):
    precision = (cdist(fake, real) <= radii(real, k)[None, :]).any(1).mean()
    recall = (cdist(real, fake) <= radii(fake, k)[None, :]).any(1).mean()
    return float(precision), float(recall)


def inception_score(logits, splits):
    e = np.exp(logits - logits.max(1, keepdims=True))
    preds = e / e.sum(1, keepdims=True)
    scores = []
    for k in range(splits):
        part = preds[(k * preds.shape[0] // splits):((k + 1) * preds.shape[0] // splits), :]
        kl = part * (np.log(part) - np.log(np.expand_dims(np.mean(part, 0), 0)))
        scores.append(np.exp(np.mean(np.sum(kl, 1))))
    return float(np.mean(scores)), float(np.std(scores))


def main():
    t = load(sys.argv[1])
    a, b = t["a"].numpy(), t["b"].numpy()
    c = Checker()

    def rel(what, got, want):
        c.true(f"{what}: C++ {got!r} vs numpy/scipy {want!r} (relative tolerance {REL})",
               abs(got - want) <= REL * max(1.0, abs(want)))

    rel("fd", t["fd"].item(), fd(a, b))
    rel("kid", t["kid"].item(), kid(a[:600], b))
    p, r = precision_recall(b, a, 3)  # pred = a (generated), target = b (real)
    rel("precision", t["precision"].item(), p)
    rel("recall", t["recall"].item(), r)
    is_mean, is_std = inception_score(t["logits"].double().numpy(), 7)
    rel("inception score mean", t["is_mean"].item(), is_mean)
    rel("inception score std", t["is_std"].item(), is_std)
    c.finish()


if __name__ == "__main__":
    main()
