"""Vectorised dynamics of the compartment model (numpy), for many parameter sets at once.

Each compartment grows exponentially at a rate that is constant between changes of exposure
(the mean of a linear birth-death process, as in ``oncoresist.evolve``'s ``ode`` engine without
mutation or capacity), so sizes at any day are exact sums of rate x duration. The slow,
obviously correct references are in ``_reference.py``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

# theta columns: growth_sensitive, growth_resistant, kill, fractions..., shedding


def segment_rates(theta: np.ndarray, killed: np.ndarray) -> np.ndarray:
    """Net rates ``(n, segments, types)`` from ``theta (n, p)`` and ``killed (segments, types)``."""
    n_types = killed.shape[1]
    growth = np.empty((theta.shape[0], n_types))
    growth[:, 0] = theta[:, 0]
    growth[:, 1:] = theta[:, [1]]
    return growth[:, None, :] - theta[:, 2, None, None] * killed[None, :, :]


def initial_log_sizes(theta: np.ndarray, n_types: int) -> np.ndarray:
    """Log sizes at day 0 (tumour = 1): resistant fractions, the rest sensitive."""
    fractions = theta[:, 3 : 3 + n_types - 1]
    sensitive = 1.0 - fractions.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.log(np.concatenate([np.clip(sensitive, 1e-300, None), fractions], axis=1))


def overlap_matrix(days: np.ndarray, starts: np.ndarray, ends: np.ndarray, day0: float) -> np.ndarray:
    """Signed time spent in each exposure segment between ``day0`` and each day.

    Segments after ``day0`` count ``[start, end)`` overlaps of ``[day0, day]``; for a day before
    ``day0`` the overlap of ``[day, day0]`` counts negatively (integrating backwards).
    """
    days = np.asarray(days, dtype=float)[:, None]
    fwd = np.clip(np.minimum(days, ends[None, :]) - np.maximum(day0, starts[None, :]), 0.0, None)
    back = np.clip(np.minimum(day0, ends[None, :]) - np.maximum(days, starts[None, :]), 0.0, None)
    return np.where(days >= day0, fwd, -back)


def log_sizes(theta: np.ndarray, killed: np.ndarray, overlap: np.ndarray) -> np.ndarray:
    """Log compartment sizes ``(n, days, types)`` at the days of ``overlap (days, segments)``."""
    rates = segment_rates(theta, killed)
    start = initial_log_sizes(theta, killed.shape[1])
    return start[:, None, :] + np.einsum("ds,nst->ndt", overlap, rates)


def allele_fractions(theta: np.ndarray, logn: np.ndarray, carriers: np.ndarray) -> np.ndarray:
    """Expected AF ``(n, rows)``; ``logn (n, rows, types)``, ``carriers (rows, types)`` boolean.

    Tumour fraction of cfDNA ``TF = s N / (s N + 1 - s)`` with ``s`` the fraction at day 0 and
    ``N`` the tumour relative to day 0; heterozygous variants: ``AF = TF x carriers / N / 2``.
    """
    shift = logn.max(axis=2, keepdims=True)
    sizes = np.exp(logn - shift)
    total = sizes.sum(axis=2)
    carried = (sizes * carriers[None, :, :]).sum(axis=2)
    log_total = np.log(total) + shift[:, :, 0]
    shed = theta[:, -1][:, None]
    # TF = 1 / (1 + (1 - s) / (s N)), computed in logs for huge or tiny N
    tf = 1.0 / (1.0 + np.exp(np.log1p(-shed) - np.log(shed) - log_total))
    return 0.5 * tf * carried / total


def binomial_loglik(af: np.ndarray, alt: np.ndarray, depth: np.ndarray, error: float,
                    rho: float = 0.0) -> np.ndarray:
    """Sum over rows of the (beta-)binomial log-likelihood with a symmetric per-read error rate.

    ``rho = 0``: binomial. ``rho > 0``: beta-binomial with mean ``p`` and intra-class
    correlation ``rho`` (``alpha = p (1 - rho) / rho``, ``beta = (1 - p) (1 - rho) / rho``).
    """
    p = af * (1.0 - error) + (1.0 - af) * error
    p = np.clip(p, 1e-15, 1.0 - 1e-15)
    const = gammaln(depth + 1) - gammaln(alt + 1) - gammaln(depth - alt + 1)
    if rho <= 0:
        return (const[None, :] + alt[None, :] * np.log(p) + (depth - alt)[None, :] * np.log1p(-p)).sum(axis=1)
    scale = (1.0 - rho) / rho
    a, b = p * scale, (1.0 - p) * scale
    terms = (gammaln(alt[None, :] + a) + gammaln((depth - alt)[None, :] + b) - gammaln(depth[None, :] + scale)
             + gammaln(scale) - gammaln(a) - gammaln(b))
    return (const[None, :] + terms).sum(axis=1)


def imaging_loglik(logn: np.ndarray, log_burden: np.ndarray, sd: float) -> np.ndarray:
    """Log-likelihood of log burdens ``log b = c + log(N)/3 + e``, ``e ~ N(0, sd)``, ``c`` marginalised.

    With a flat prior on the unknown scale ``c`` the likelihood integrates to a Gaussian in the
    centred residuals (constant factors dropped).
    """
    if log_burden.size < 2:
        return np.zeros(logn.shape[0])
    total = np.log(np.exp(logn - logn.max(axis=2, keepdims=True)).sum(axis=2)) + logn.max(axis=2)
    resid = log_burden[None, :] - total / 3.0
    resid = resid - resid.mean(axis=1, keepdims=True)
    return -0.5 * (resid**2).sum(axis=1) / sd**2
