"""Hot loops: batched four-parameter log-logistic fits and the Loewe isobole solve.

Both work on many independent problems at once (all curves of all blocks of a chunk), so that a
screen of thousands of blocks costs a few hundred numpy operations rather than one optimiser call
per curve. ``lm_4pl_reference`` and ``loewe_reference`` are the slow, obviously correct versions
(scipy ``least_squares`` and ``brentq`` per problem) the tests use as oracles.

Curve parametrisation (inhibition convention, but nothing here depends on it)::

    f(x) = e0 + (emax - e0) / (1 + exp(-hill * (ln x - ln_ec50)))     for x > 0
    f(0) = e0
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

N_PARAMS = 4  # e0, emax, ln_ec50, hill


def _sigmoid(logx: np.ndarray, present: np.ndarray, p: np.ndarray) -> np.ndarray:
    z = p[..., 3, None] * (logx - p[..., 2, None])
    z = np.clip(z, -700.0, 700.0)
    s = 1.0 / (1.0 + np.exp(-z))
    return np.where(present, s, 0.0)


def hill4(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Evaluate the curve(s) ``p[..., 4]`` at doses ``x[..., n]`` (x may contain 0)."""
    x = np.asarray(x, dtype=float)
    p = np.asarray(p, dtype=float)
    present = x > 0
    logx = np.log(np.where(present, x, 1.0))
    s = _sigmoid(logx, present, p)
    return p[..., 0, None] + (p[..., 1, None] - p[..., 0, None]) * s


def _residual_and_jacobian(logx, present, y, w, p):
    s = _sigmoid(logx, present, p)
    span = p[:, 1, None] - p[:, 0, None]
    f = p[:, 0, None] + span * s
    r = (f - y) * w
    ds = s * (1.0 - s)
    jac = np.empty(r.shape + (N_PARAMS,))
    jac[..., 0] = (1.0 - s) * w
    jac[..., 1] = s * w
    jac[..., 2] = -span * ds * p[:, 3, None] * w
    jac[..., 3] = span * ds * np.where(present, logx - p[:, 2, None], 0.0) * w
    return r, jac


def _cost(logx, present, y, w, p):
    s = _sigmoid(logx, present, p)
    f = p[:, 0, None] + (p[:, 1, None] - p[:, 0, None]) * s
    return np.sum(((f - y) * w) ** 2, axis=1)


def lm_4pl(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    p0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    free: np.ndarray,
    *,
    max_iter: int = 200,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Levenberg-Marquardt least squares on B curves at once, with box bounds by projection.

    Parameters
    ----------
    x, y, w
        Arrays (B, n): doses, responses, weights (0 marks padding or missing values).
    p0, lower, upper
        Arrays (B, 4): start and bounds of (e0, emax, ln_ec50, hill).
    free
        Boolean array (B, 4): which parameters are fitted; the others stay at ``p0``.

    Returns
    -------
    params (B, 4), residual sum of squares (B,), converged (B,) booleans.
    """
    present = x > 0
    logx = np.log(np.where(present, x, 1.0))
    y = np.where(w > 0, y, 0.0)
    p = np.clip(p0, lower, upper).astype(float)
    free = np.broadcast_to(free, p.shape)
    cost = _cost(logx, present, y, w, p)
    lam = np.full(p.shape[0], 1e-3)
    done = np.zeros(p.shape[0], dtype=bool)
    eye = np.eye(N_PARAMS)
    for _ in range(max_iter):
        active = ~done
        if not active.any():
            break
        idx = np.flatnonzero(active)
        pa = p[idx]
        r, jac = _residual_and_jacobian(logx[idx], present[idx], y[idx], w[idx], pa)
        grad = np.einsum("bni,bn->bi", jac, r)
        # Active set: a parameter at a bound whose gradient points outwards is held this step,
        # so that the other parameters move freely instead of the step being clipped away.
        span = upper[idx] - lower[idx]
        held = ((pa <= lower[idx] + 1e-10 * span) & (grad > 0)) | ((pa >= upper[idx] - 1e-10 * span) & (grad < 0))
        fa = free[idx] & ~held
        jac = jac * fa[:, None, :]
        grad = grad * fa
        jtj = np.einsum("bni,bnj->bij", jac, jac)
        diag = np.einsum("bii->bi", jtj)
        scale = np.where(fa, diag + 1e-12 * (1.0 + diag.max(axis=1, keepdims=True)), 1.0)
        a = jtj + (lam[idx, None, None] * scale[:, :, None]) * eye
        a = a + (~fa)[:, :, None] * eye  # fixed parameters: identity rows, zero gradient
        try:
            step = -np.linalg.solve(a, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = -np.stack([np.linalg.lstsq(m, g, rcond=None)[0] for m, g in zip(a, grad, strict=True)])
        step = np.where(fa, step, 0.0)
        trial = np.clip(pa + step, lower[idx], upper[idx])
        trial_cost = _cost(logx[idx], present[idx], y[idx], w[idx], trial)
        better = np.isfinite(trial_cost) & (trial_cost < cost[idx])
        gain = np.where(better, (cost[idx] - trial_cost) / np.maximum(cost[idx], 1e-300), 0.0)
        moved = np.abs(trial - pa).max(axis=1)
        p[idx[better]] = trial[better]
        cost[idx[better]] = trial_cost[better]
        lam[idx] = np.where(better, np.maximum(lam[idx] / 3.0, 1e-12), lam[idx] * 4.0)
        small = better & ((gain < 1e-9) | (moved < 1e-10))
        stuck = lam[idx] > 1e10  # no step downhill at any damping: a (bounded) minimum
        flat = ~fa.any(axis=1) | (np.abs(grad).max(axis=1) < 1e-12 * (1.0 + cost[idx]))
        done[idx[small | stuck | flat | (cost[idx] < 1e-24)]] = True
    return p, cost, done


def lm_4pl_reference(x, y, p0, lower, upper, free):
    """One curve with scipy's bounded trust-region least squares (the oracle for ``lm_4pl``)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    free = np.asarray(free, dtype=bool)
    base = np.clip(np.asarray(p0, dtype=float), lower, upper)

    def residuals(q):
        full = base.copy()
        full[free] = q
        return hill4(x, full) - y

    lo, hi = np.asarray(lower)[free], np.asarray(upper)[free]
    start = np.clip(base[free], lo + 1e-12 * (hi - lo), hi - 1e-12 * (hi - lo))
    res = optimize.least_squares(residuals, start, bounds=(lo, hi), method="trf", xtol=1e-12, ftol=1e-12)
    full = base.copy()
    full[free] = res.x
    return full, float(np.sum(res.fun**2))


def loewe_expected(
    x1: np.ndarray,
    x2: np.ndarray,
    p1: np.ndarray,
    p2: np.ndarray,
    *,
    n_iter: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``x1 / X1(y) + x2 / X2(y) = 1`` for y, vectorised over wells.

    ``X_i(y)`` is the dose of drug i alone giving effect y (the inverse of curve ``p_i``), with
    curves rising from e0 to emax (emax > e0). Returns (y, solved); where no y between the larger
    e0 and the smaller emax satisfies the equation (one drug never reaches the effect the other
    gives), ``solved`` is False and y is NaN: callers apply the fallback.
    """
    x1, x2, p1, p2 = np.broadcast_arrays(
        np.asarray(x1, float)[..., None], np.asarray(x2, float)[..., None], p1, p2
    )
    x1, x2 = x1[..., 0], x2[..., 0]
    lo = np.maximum(p1[..., 0], p2[..., 0])
    hi = np.minimum(p1[..., 1], p2[..., 1])
    valid = (p1[..., 1] > p1[..., 0]) & (p2[..., 1] > p2[..., 0]) & (hi > lo)

    def g(y):
        return x1 * _inverse_ratio(y, p1) + x2 * _inverse_ratio(y, p2) - 1.0

    span = np.where(valid, hi - lo, 1.0)
    a = np.where(valid, lo + 1e-12 * span, 0.0)
    b = np.where(valid, hi - 1e-12 * span, 1.0)
    ga, gb = g(a), g(b)
    solved = valid & (ga > 0) & (gb < 0)
    for _ in range(n_iter):
        mid = 0.5 * (a + b)
        gm = g(mid)
        right = gm > 0  # g decreases in y: the root lies above mid
        a = np.where(right, mid, a)
        b = np.where(right, b, mid)
    y = np.where(solved, 0.5 * (a + b), np.nan)
    return y, solved


def _inverse_ratio(y, p):
    """1 / X(y) for a rising curve, 0 beyond its range (never reached), inf below e0."""
    e0, emax, lnc, h = p[..., 0], p[..., 1], p[..., 2], p[..., 3]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        frac = (y - e0) / (emax - y)
        out = np.exp(-lnc) * np.power(frac, -1.0 / h)
    out = np.where(y >= emax, 0.0, out)
    return np.where(y <= e0, np.inf, out)


def loewe_reference(x1, x2, p1, p2):
    """Per-well brentq solve of the Loewe equation (the oracle for ``loewe_expected``)."""
    lo = max(p1[0], p2[0])
    hi = min(p1[1], p2[1])
    if not (p1[1] > p1[0] and p2[1] > p2[0] and hi > lo):
        return np.nan

    def inverse(y, p):
        return np.exp(p[2]) * ((y - p[0]) / (p[1] - y)) ** (1.0 / p[3])

    def g(y):
        return x1 / inverse(y, p1) + x2 / inverse(y, p2) - 1.0

    a, b = lo + 1e-12 * (hi - lo), hi - 1e-12 * (hi - lo)
    if not (g(a) > 0 > g(b)):
        return np.nan
    return optimize.brentq(g, a, b, xtol=1e-12, rtol=1e-14)
