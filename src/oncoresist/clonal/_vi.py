"""Mean-field variational inference for the finite mixture of CCF profiles.

Model (the PyClone-VI family, Gillis & Roth 2020): mixture weights ``pi ~ Dirichlet(alpha)``;
each cluster ``k`` has, in each sample ``d``, a CCF ``theta_kd`` on a grid with a uniform prior;
mutation ``n`` belongs to cluster ``z_n ~ Categorical(pi)`` and its counts in sample ``d`` have
likelihood ``L[n, d, theta_kd]`` (see ``_likelihood``). The variational family is
``q(pi) q(theta) q(z)`` with ``q(pi)`` Dirichlet, ``q(theta_kd)`` a distribution on the grid and
``q(z_n)`` categorical; coordinate ascent updates each factor in closed form (Bishop 2006, Pattern
Recognition and Machine Learning, ch. 10). The evidence lower bound (ELBO) is computed exactly.

Initialisation is k-means++ style (Arthur & Vassilvitskii 2007) on each mutation's own CCF
estimate: cluster centres are drawn with probability proportional to the squared distance from the
centres already drawn, and each cluster starts at its centre's single-mutation CCF posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from oncoresist.clonal._kernels import expected_loglik, log_normalize, weighted_loglik


@dataclass
class MixtureFit:
    """One converged (or stopped) variational fit."""

    z: np.ndarray  # (N, K) responsibilities
    theta: np.ndarray  # (K, D, G) q(theta) on the grid
    concentration: np.ndarray  # (K,) q(pi) Dirichlet parameters
    elbo: float
    n_iter: int
    converged: bool
    trace: list[float]


def single_mutation_posterior(loglik: np.ndarray) -> np.ndarray:
    """Each mutation's own CCF posterior on the grid under a uniform prior, ``(N, D, G)``."""
    return np.exp(log_normalize(loglik, axis=-1))


def _elbo(e_loglik, z, concentration, theta, alpha, log_prior_grid) -> float:
    k = z.shape[1]
    e_log_pi = digamma(concentration) - digamma(concentration.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        z_entropy = -np.sum(np.where(z > 0, z * np.log(z), 0.0))
        theta_entropy = -np.sum(np.where(theta > 0, theta * np.log(theta), 0.0))
    term_z = float(np.sum(z * (e_loglik + e_log_pi))) + z_entropy
    prior_pi = gammaln(k * alpha) - k * gammaln(alpha) + (alpha - 1) * e_log_pi.sum()
    q_pi = gammaln(concentration.sum()) - gammaln(concentration).sum() + np.sum(
        (concentration - 1) * e_log_pi
    )
    term_theta = float(np.sum(theta * log_prior_grid)) + theta_entropy
    return float(term_z + prior_pi - q_pi + term_theta)


def initial_theta(
    posterior: np.ndarray, n_clusters: int, rng: np.random.Generator, smoothing: float = 0.1
) -> np.ndarray:
    """k-means++ seeding on single-mutation CCF means; returns ``(K, D, G)``."""
    n_mut, _, n_grid = posterior.shape
    grid = np.linspace(0.0, 1.0, n_grid)
    means = posterior @ grid  # (N, D)
    centres = [int(rng.integers(n_mut))]
    dist = np.sum((means - means[centres[0]]) ** 2, axis=1)
    for _ in range(1, n_clusters):
        total = dist.sum()
        pick = int(rng.integers(n_mut)) if total <= 0 else int(rng.choice(n_mut, p=dist / total))
        centres.append(pick)
        dist = np.minimum(dist, np.sum((means - means[pick]) ** 2, axis=1))
    theta = (1 - smoothing) * posterior[centres] + smoothing / n_grid
    return theta / theta.sum(axis=-1, keepdims=True)


def fit_mixture(
    flat: np.ndarray,
    posterior: np.ndarray,
    n_clusters: int,
    rng: np.random.Generator,
    *,
    alpha: float = 1.0,
    max_iter: int = 1000,
    tol: float = 1e-6,
    flat_t: np.ndarray | None = None,
) -> MixtureFit:
    """Coordinate-ascent VI from a k-means++ start until the relative ELBO change is below ``tol``."""
    n_mut, n_samples, n_grid = posterior.shape
    if flat_t is None:
        flat_t = np.ascontiguousarray(flat.T)
    log_prior_grid = np.full(n_grid, -np.log(n_grid))
    theta = initial_theta(posterior, n_clusters, rng)
    concentration = np.full(n_clusters, alpha + n_mut / n_clusters)
    z = np.full((n_mut, n_clusters), 1.0 / n_clusters)
    previous = -np.inf
    elbo = -np.inf
    trace: list[float] = []
    converged = False
    iteration = 0
    e_loglik = expected_loglik(flat, theta)
    for iteration in range(1, max_iter + 1):  # noqa: B007 - reported below
        e_log_pi = digamma(concentration) - digamma(concentration.sum())
        z = np.exp(log_normalize(e_loglik + e_log_pi, axis=1))
        concentration = alpha + z.sum(axis=0)
        theta = np.exp(log_normalize(log_prior_grid + weighted_loglik(flat_t, z, n_samples), axis=-1))
        e_loglik = expected_loglik(flat, theta)
        elbo = _elbo(e_loglik, z, concentration, theta, alpha, log_prior_grid)
        trace.append(elbo)
        if np.isfinite(previous) and abs(elbo - previous) <= tol * abs(elbo):
            converged = True
            break
        previous = elbo
    return MixtureFit(z, theta, concentration, elbo, iteration, converged, trace)
