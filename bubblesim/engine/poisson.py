"""Poisson event counts from uniforms, by inverting the CDF (monotone in the rate).

Common uniforms couple scenarios path by path: a higher rate never gives fewer events.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["poisson_from_uniform", "poisson_pmf", "poisson_ppf", "POISSON_SUM_LIMIT"]

#: Poisson means up to this are inverted by summing the pmf; larger ones use scipy's exact inverse CDF.
POISSON_SUM_LIMIT = 30.0


def poisson_from_uniform(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson counts by inversion of the CDF: the smallest ``n`` with ``u <= F(n; mean)``.

    Monotone in ``mean`` for fixed ``u``, so common uniforms couple scenarios path by path. Means up
    to :data:`POISSON_SUM_LIMIT` sum the pmf term by term; larger means use
    :func:`poisson_ppf` (``scipy.stats.poisson.ppf``'s own formula), which is exact too. The means here are mostly far below 1, so
    nearly every count is 0: as ``exp(-mean) >= 1 - mean``, only paths with ``u`` above
    ``1 - mean`` (less a rounding margin) can have an event, and the exact inversion runs on
    those alone.

    Parameters
    ----------
    u : ndarray
        Uniforms in (0, 1).
    mean : ndarray
        Poisson means (broadcast with ``u``), >= 0.
    """
    u, mean = np.broadcast_arrays(np.asarray(u, float), np.asarray(mean, float))
    count = np.zeros(u.shape)
    if u.size == 0:
        return count
    large = (mean > POISSON_SUM_LIMIT) if mean.max() > POISSON_SUM_LIMIT else None
    flat_u, flat_mean = u.ravel(), mean.ravel()
    maybe = np.flatnonzero(u > (1.0 - mean) - 1e-12)
    if large is not None:
        maybe = maybe[~large.ravel()[maybe]]
    uu, mm = flat_u[maybe], flat_mean[maybe]
    pmf = np.exp(-mm)
    cdf = pmf.copy()
    event = uu > cdf
    where, uu, mm, pmf, cdf = maybe[event], uu[event], mm[event], pmf[event], cdf[event]
    n = np.ones(where.size)
    k = 0
    while where.size:
        k += 1
        pmf = pmf * mm / k
        cdf = cdf + pmf
        more = uu > cdf
        if not more.any() or k > 4 * POISSON_SUM_LIMIT + 100:  # or stuck below u by rounding
            break
        n += more
    count.ravel()[where] = n
    if large is not None:
        count[large] = poisson_ppf(u[large], mean[large])
    return count


def poisson_pmf(k: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``scipy.stats.poisson.pmf`` for ``mu >= 0`` and integer ``k >= 0``, by its own formula
    (``exp(xlogy(k, mu) - gammaln(k + 1) - mu)``), without importing ``scipy.stats``."""
    return np.exp(special.xlogy(k, mu) - special.gammaln(k + 1) - mu)


def poisson_ppf(q: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``scipy.stats.poisson.ppf`` for ``0 < q < 1`` and ``mu > 0``, by its own formula."""
    vals = np.ceil(special.pdtrik(q, mu))
    vals1 = np.maximum(vals - 1, 0)
    return np.where(special.pdtr(vals1, mu) >= q, vals1, vals)
