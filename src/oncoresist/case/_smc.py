"""Sequential Monte Carlo with likelihood tempering (an SMC sampler for a posterior).

Particles start from the prior and move through ``prior x likelihood^beta`` for beta rising
from 0 to 1 (Del Moral, Doucet & Jasra 2006, J R Stat Soc B 68:411; adaptive tempering keeping
the effective sample size at half the particles, Jasra et al. 2011, Scand J Stat 38:1). After
each reweighting, particles are resampled (systematic) and moved by random-walk Metropolis
with the proposal covariance scaled from the particle cloud (2.38^2/d, Roberts & Rosenthal
2001) for as many steps as needed to move most particles (R = log(0.01)/log(1 - acceptance),
Drovandi & Pettitt 2011, Biometrics 67:225). Likelihoods are computed in chunks through an
``Executor``; the log of the marginal likelihood is accumulated from the incremental weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from oncoresist.case._likelihood import PatientData, loglik_chunk


@dataclass(frozen=True)
class Box:
    """A prior that is uniform on a box in transformed coordinates (log for loguniform)."""

    low: np.ndarray
    high: np.ndarray
    log_scale: np.ndarray  # bool per parameter

    def to_natural(self, z: np.ndarray) -> np.ndarray:
        """Transformed -> natural scale."""
        return np.where(self.log_scale, np.exp(z), z)

    def inside(self, z: np.ndarray) -> np.ndarray:
        """Rows of ``z`` inside the prior's support."""
        return np.all((z >= self.low) & (z <= self.high), axis=1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws from the prior, transformed coordinates."""
        return self.low + (self.high - self.low) * rng.random((n, self.low.size))


@dataclass(frozen=True)
class SMCTrace:
    """One tempering stage."""

    beta: float
    ess: float
    acceptance: float
    mcmc_steps: int


def _evaluate(z: np.ndarray, box: Box, data: PatientData, executor: Executor | None, chunks: int) -> np.ndarray:
    out = np.full(z.shape[0], -np.inf)
    ok = box.inside(z)
    theta = box.to_natural(z[ok])
    # resistant fractions summing past 1 leave no sensitive cells: outside the support
    n_frac = theta.shape[1] - 4
    valid = theta[:, 3 : 3 + n_frac].sum(axis=1) < 1.0
    idx = np.flatnonzero(ok)[valid]
    theta = theta[valid]
    if not theta.shape[0]:
        return out
    if executor is None or chunks <= 1:
        out[idx] = loglik_chunk((theta, data))
        return out
    parts = np.array_split(np.arange(theta.shape[0]), chunks)
    results = list(executor.map(loglik_chunk, [(theta[p], data) for p in parts if p.size]))
    out[idx] = np.concatenate(results)
    return out


def _ess(logw: np.ndarray) -> float:
    w = np.exp(logw - logw.max())
    return float(w.sum() ** 2 / (w**2).sum())


def _next_beta(beta: float, ll: np.ndarray, target: float) -> float:
    finite = np.where(np.isfinite(ll), ll, -np.inf)
    if _ess((1.0 - beta) * finite) >= target:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _ess((mid - beta) * finite) >= target:
            lo = mid
        else:
            hi = mid
    return max(lo, beta + 1e-12)


def _systematic(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = weights.size
    positions = (rng.random() + np.arange(n)) / n
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, positions)


def smc(
    box: Box,
    data: PatientData,
    *,
    particles: int,
    min_steps: int,
    rng: np.random.Generator,
    executor: Executor | None = None,
    chunks: int = 1,
    max_steps: int = 50,
    on_stage: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, float, list[SMCTrace]]:
    """Posterior draws (natural scale, equally weighted), log evidence, and the stage trace."""
    d = box.low.size
    z = box.sample(particles, rng)
    ll = _evaluate(z, box, data, executor, chunks)
    beta, log_evidence, trace = 0.0, 0.0, []
    scale = 2.38 / math.sqrt(d)
    while beta < 1.0:
        new_beta = _next_beta(beta, ll, 0.5 * particles)
        logw = (new_beta - beta) * np.where(np.isfinite(ll), ll, -np.inf)
        top = logw.max()
        log_evidence += float(top + np.log(np.mean(np.exp(logw - top))))
        weights = np.exp(logw - top)
        weights /= weights.sum()
        ess = float(1.0 / (weights**2).sum())
        beta = new_beta
        pick = _systematic(weights, rng)
        z, ll = z[pick], ll[pick]
        cov = np.cov(z, rowvar=False) + 1e-12 * np.eye(d)
        chol = np.linalg.cholesky(cov)
        steps, accepted, total = 0, 0, 0
        target_steps = min_steps
        while steps < target_steps:
            proposal = z + scale * rng.standard_normal(z.shape) @ chol.T
            ll_new = _evaluate(proposal, box, data, executor, chunks)
            with np.errstate(invalid="ignore"):
                log_ratio = beta * (ll_new - ll)
            log_ratio = np.where(np.isfinite(ll_new), log_ratio, -np.inf)
            log_ratio = np.where(np.isfinite(ll) | ~np.isfinite(ll_new), log_ratio, np.inf)
            accept = np.log(rng.random(particles)) < log_ratio
            z[accept], ll[accept] = proposal[accept], ll_new[accept]
            accepted += int(accept.sum())
            total += particles
            steps += 1
            if steps == min_steps:
                rate = accepted / total
                need = math.ceil(math.log(0.01) / math.log(1.0 - rate)) if 0 < rate < 1 else min_steps
                target_steps = int(min(max(min_steps, need), max_steps))
        rate = accepted / total
        # keep the acceptance near the optimal 0.234 for the next stage
        scale *= math.exp(rate - 0.234)
        trace.append(SMCTrace(beta=beta, ess=ess, acceptance=rate, mcmc_steps=steps))
        if on_stage is not None:
            on_stage(beta)
    return box.to_natural(z), log_evidence, trace
