"""FD, KID and precision/recall of the C++ quality metrics against numpy/scipy on the same features.

FD follows pytorch-fid / TTUR (scipy.linalg.sqrtm of the covariance product); KID is the unbiased
MMD^2 with the cubic polynomial kernel (Binkowski et al. 2018); precision/recall are the k-NN
manifold estimates of Kynkaanniemi et al. 2019."""
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
    c.finish()


if __name__ == "__main__":
    main()
