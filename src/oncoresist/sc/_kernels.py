"""Vectorised negative-binomial GLM fits for many count rows sharing one design (numpy).

Each row ``y`` (one neighbourhood's cell counts across samples) follows
``y_s ~ NB(mu_s, alpha)`` with ``log mu_s = x_s . beta + offset_s`` and variance
``mu + alpha mu^2`` (NB2). The fits run IRLS on all rows at once; ``_reference_fit`` in the
tests checks them against statsmodels' GLM, one row at a time.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln


def nb_loglik(y: np.ndarray, mu: np.ndarray, alpha: float) -> np.ndarray:
    """Row sums of the NB2 log-likelihood."""
    r = 1.0 / alpha
    ll = (
        gammaln(y + r)
        - gammaln(r)
        - gammaln(y + 1.0)
        + y * np.log(alpha * mu / (1.0 + alpha * mu))
        - r * np.log1p(alpha * mu)
    )
    return ll.sum(axis=-1)


def nb_glm_fit(
    y: np.ndarray,
    design: np.ndarray,
    offset: np.ndarray,
    alpha: float,
    *,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit every row of ``y`` (rows x samples); returns beta, mu, log-likelihood, log det(X'WX)."""
    y = np.asarray(y, dtype=float)
    X = np.asarray(design, dtype=float)
    n_rows = y.shape[0]
    # Start from least squares on log((y + 0.5) / exp(offset)).
    start = np.log(y + 0.5) - offset
    beta = np.linalg.lstsq(X, start.T, rcond=None)[0].T
    ridge = 1e-10 * np.eye(X.shape[1])
    for _ in range(max_iter):
        eta = np.clip(beta @ X.T + offset, -30.0, 30.0)
        mu = np.exp(eta)
        w = mu / (1.0 + alpha * mu)
        z = eta - offset + (y - mu) / mu
        xtwx = np.einsum("sp,rs,sq->rpq", X, w, X) + ridge
        xtwz = np.einsum("sp,rs->rp", X, w * z)
        new = np.linalg.solve(xtwx, xtwz[..., None])[..., 0]
        step = np.max(np.abs(new - beta)) if n_rows else 0.0
        beta = new
        if step < tol:
            break
    eta = np.clip(beta @ X.T + offset, -30.0, 30.0)
    mu = np.exp(eta)
    w = mu / (1.0 + alpha * mu)
    xtwx = np.einsum("sp,rs,sq->rpq", X, w, X) + ridge
    logdet = np.linalg.slogdet(xtwx)[1]
    return beta, mu, nb_loglik(y, mu, alpha), logdet


def spatial_fdr(pvalues: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Benjamini-Hochberg of Milo (Dann et al. 2022): weights are 1 / k-distance."""
    p = np.asarray(pvalues, dtype=float)
    w = np.asarray(weights, dtype=float).copy()
    w[~np.isfinite(w)] = 1.0
    order = np.argsort(p, kind="stable")
    ps, ws = p[order], w[order]
    adj = ws.sum() * ps / np.cumsum(ws)
    adj = np.minimum.accumulate(adj[::-1])[::-1]
    out = np.empty_like(adj)
    out[order] = np.minimum(adj, 1.0)
    return out
