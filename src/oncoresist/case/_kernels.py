"""Vectorised dynamics of the compartment model (numpy), for many parameter sets at once.

Each compartment grows exponentially at a rate that is constant between changes of exposure
(the mean of a linear birth-death process, as in ``oncoresist.evolve``'s ``ode`` engine without
capacity). From day 0 on, resistant compartment *k* is also fed by mutation from its parent
*k - 1*: ``dx_k/dt = r_k x_k + b u_k x_{k-1}`` with ``b`` the birth (division) rate and ``u_k``
the probability per division that a daughter acquires the resistance, and the parent loses
``b u_k x_{k-1}`` (``evolve``'s convention). Between steps the solution is exact to first order
in the mutational flux of the step: ``x_k(t) = e^{r_k t} x_k + b u_k x_{k-1} (e^{r_{k-1} t} -
e^{r_k t}) / (r_{k-1} - r_k)``; paths with two mutations within one step are left out (steps
are at most 28 days and short enough that ``b u t <= 1e-8``, so what is left out is below
``(b u t)^2 / 2 = 5e-17`` of the grandparent compartment); across steps they compound exactly. Without mutation (and before day 0) sizes are exact sums of rate x
duration. The slow, obviously correct references are in ``_reference.py``.
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


#: Longest step of the mutation-fed propagation (days): keeps ``exp`` arguments moderate.
MAX_STEP = 28.0
#: Largest mutational flux per cell within one step (``b u t``): two-mutation paths within a
#: step, left out, are below half its square.
MAX_FLUX = 1e-8


def phi1(z: np.ndarray) -> np.ndarray:
    """``expm1(z) / z``, 1 at ``z = 0``, without cancellation."""
    z = np.asarray(z, dtype=float)
    small = np.abs(z) < 1e-8
    safe = np.where(small, 1.0, z)
    return np.where(small, 1.0 + 0.5 * z, np.expm1(safe) / safe)


def fed_rates(growth: np.ndarray, kill: np.ndarray, killed: np.ndarray, inflow: np.ndarray) -> np.ndarray:
    """Net rates ``(n, types)``: growth, minus kill where killed, minus the outflow to the child."""
    outflow = np.zeros_like(np.broadcast_to(inflow, growth.shape), dtype=float)
    outflow[..., :-1] = np.broadcast_to(inflow, growth.shape)[..., 1:]
    return growth - kill[:, None] * killed - outflow


def fed_step(x: np.ndarray, rates: np.ndarray, inflow: np.ndarray, tau: float) -> np.ndarray:
    """Sizes ``(n, types)`` after ``tau`` days at constant ``rates``, parents feeding children.

    ``inflow[..., k]`` is ``b u_k``, the per-cell rate at which compartment ``k - 1`` produces
    compartment-``k`` cells (``inflow[..., 0]`` is ignored).
    """
    grow = np.exp(rates * tau)
    out = grow * x
    inflow = np.broadcast_to(inflow, x.shape)
    out[:, 1:] += (inflow[:, 1:] * tau * grow[:, 1:] * phi1((rates[:, :-1] - rates[:, 1:]) * tau)
                   * x[:, :-1])
    return out


def _normalise(x: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    peak = x.max(axis=1)
    peak = np.where(peak > 0, peak, 1.0)
    return x / peak[:, None], offset + np.log(peak)


def timeline_log_sizes(
    theta: np.ndarray,
    killed: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    day0: float,
    days: np.ndarray,
    inflow: np.ndarray,
    *,
    growth: np.ndarray | None = None,
    log_x0: np.ndarray | None = None,
    max_step: float = MAX_STEP,
) -> np.ndarray:
    """Log sizes ``(n, days, types)`` with mutation feeding from ``day0`` on (none before).

    ``killed (segments, types)`` for the exposure segments ``[starts, ends)``; ``inflow`` is
    ``b u`` per compartment (``(types,)`` or ``(n, types)``). ``growth`` and ``log_x0`` default to
    the calibrated model's (``theta``); an extra, unobserved compartment can be passed through
    them (its fraction at day 0 in ``log_x0``, ``-inf`` for none).
    """
    days = np.asarray(days, dtype=float)
    n_types = killed.shape[1]
    if growth is None:
        growth = np.empty((theta.shape[0], n_types))
        growth[:, 0] = theta[:, 0]
        growth[:, 1:] = theta[:, [1]]
    if log_x0 is None:
        log_x0 = initial_log_sizes(theta, n_types)
    kill = theta[:, 2]
    out = np.empty((theta.shape[0], days.size, n_types))
    before = days < day0
    if before.any():
        overlap = overlap_matrix(days[before], starts, ends, day0)
        rates = growth[:, None, :] - kill[:, None, None] * killed[None, :, :]
        out[:, before, :] = log_x0[:, None, :] + np.einsum("ds,nst->ndt", overlap, rates)
    after = np.flatnonzero(~before)
    if after.size == 0:
        return out
    targets = np.unique(days[after])
    inner = [b for b in np.concatenate([starts, ends]) if np.isfinite(b) and day0 < b < targets[-1]]
    points = np.unique(np.concatenate([[day0], targets, inner]))
    step_limit = min(max_step, MAX_FLUX / max(float(np.max(inflow)), 1e-300))
    peak = log_x0.max(axis=1)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    x = np.exp(log_x0 - peak[:, None])
    offset = peak.copy()
    found = {}
    if points[0] in targets:
        with np.errstate(divide="ignore"):
            found[points[0]] = np.log(x) + offset[:, None]
    for a, b in zip(points[:-1], points[1:], strict=True):
        segment = int(np.searchsorted(starts, a, side="right") - 1)
        rates = fed_rates(growth, kill, killed[segment][None, :], inflow)
        pieces = max(1, int(np.ceil((b - a) / step_limit)))
        for _ in range(pieces):
            x = fed_step(x, rates, inflow, (b - a) / pieces)
            x, offset = _normalise(x, offset)
        if b in targets:
            with np.errstate(divide="ignore"):
                found[b] = np.log(x) + offset[:, None]
    for i in after:
        out[:, i, :] = found[days[i]]
    return out
