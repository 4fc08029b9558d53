"""Single-drug dose-response fits: four-parameter log-logistic with bounds and a fallback.

A fit that fails is reported with ``status='failed'`` and NaN parameters; it is never replaced by
another curve without saying so (the fallback is marked ``status='fallback'``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from oncoresist._core import InputError
from oncoresist.synergy._kernels import hill4, lm_4pl

HILL_BOUNDS = (0.1, 10.0)
EC50_RANGE_FACTOR = 1e3  # EC50 may lie this far outside the tested doses
R2_GOOD = 0.8


@dataclass(frozen=True)
class CurveFit:
    """A fitted dose-response curve (responses in % inhibition).

    ``response(x) = e0 + (emax - e0) * x**hill / (x**hill + ec50**hill)``.

    Attributes
    ----------
    drug
        Drug name.
    e0, emax, ec50, hill
        Response without drug, response at saturating dose, dose of half-maximal effect, slope.
    ec50_low, ec50_high
        95% confidence interval of ec50 (profile on log scale from the Jacobian).
    ic50, ic50_low, ic50_high
        Dose giving 50% inhibition, with its 95% interval (delta method); NaN when the curve
        never crosses 50%.
    auc
        Mean fitted % inhibition over the tested log10-dose range (area / width).
    r2, rmse
        Goodness of fit on the points used.
    n, n_doses
        Number of responses and of distinct doses used.
    dose_min, dose_max
        Smallest positive and largest tested dose.
    status
        ``ok``, ``fallback`` (three-parameter fit with e0 fixed at the untreated response),
        ``flat`` (responses do not change with dose: constant model) or ``failed``.
    quality
        ``good`` or a ``;``-separated list of flags: ``fallback``, ``low_r2``,
        ``ec50_outside_range``, ``no_effect``, ``at_bound``, ``failed``.
    message
        Human-readable reason for any flag.
    """

    drug: str
    e0: float
    emax: float
    ec50: float
    hill: float
    ec50_low: float
    ec50_high: float
    ic50: float
    ic50_low: float
    ic50_high: float
    auc: float
    r2: float
    rmse: float
    n: int
    n_doses: int
    dose_min: float
    dose_max: float
    status: str
    quality: str
    message: str = ""

    @property
    def params(self) -> np.ndarray:
        """(e0, emax, ln ec50, hill) as used by the kernels."""
        return np.array([self.e0, self.emax, np.log(self.ec50) if self.ec50 > 0 else np.nan, self.hill])

    @property
    def usable(self) -> bool:
        """True when the curve can be evaluated (ok, fallback or flat)."""
        return self.status != "failed"

    def predict(self, dose) -> np.ndarray:
        """Fitted % inhibition at ``dose``."""
        dose = np.asarray(dose, dtype=float)
        if self.status == "flat":
            return np.full(dose.shape, self.e0)
        return hill4(dose[None, ...].reshape(1, -1), self.params[None, :]).reshape(dose.shape)

    def to_dict(self) -> dict:
        """Plain dict of the fields."""
        return asdict(self)


def _validate(dose, response, drug: str) -> tuple[np.ndarray, np.ndarray]:
    dose = np.asarray(dose, dtype=float).reshape(-1)
    response = np.asarray(response, dtype=float).reshape(-1)
    if dose.size != response.size:
        msg = f"{drug}: {dose.size} doses but {response.size} responses; give one response per dose"
        raise InputError(msg, field="response")
    if not np.isfinite(dose).all() or (dose < 0).any():
        msg = f"{drug}: doses must be finite and >= 0"
        raise InputError(msg, field="dose")
    keep = np.isfinite(response)
    if not keep.any():
        msg = f"{drug}: all {response.size} responses are NaN; there is nothing to fit"
        raise InputError(msg, field="response")
    dose, response = dose[keep], response[keep]
    if np.unique(dose).size < 2:
        msg = (
            f"{drug}: responses at only one dose ({dose[0]:g}); a dose-response curve needs at "
            "least 2 distinct doses (4 or more for a four-parameter fit)"
        )
        raise InputError(msg, field="dose")
    return dose, response


def _bounds(dose: np.ndarray, response: np.ndarray, fixed_e0: float | None):
    positive = dose[dose > 0]
    span = max(float(np.ptp(response)), 1.0)
    ylo, yhi = float(response.min()) - span, float(response.max()) + span
    if fixed_e0 is not None and np.isfinite(fixed_e0):
        ylo, yhi = min(ylo, fixed_e0 - span), max(yhi, fixed_e0 + span)
    lower = np.array([ylo, ylo, np.log(positive.min() / EC50_RANGE_FACTOR), HILL_BOUNDS[0]])
    upper = np.array([yhi, yhi, np.log(positive.max() * EC50_RANGE_FACTOR), HILL_BOUNDS[1]])
    return lower, upper


def _starts(dose: np.ndarray, response: np.ndarray, fixed_e0: float | None) -> np.ndarray:
    positive = np.unique(dose[dose > 0])
    low = response[dose == dose.min()].mean()
    high = response[dose == dose.max()].mean()
    e0 = low if fixed_e0 is None else fixed_e0
    centres = np.log([positive[0], np.sqrt(positive[0] * positive[-1]), positive[-1]])
    return np.array([[e0, high, c, h] for c in centres for h in (1.0, 3.0)])


def _padded(problems):
    width = max(len(p[0]) for p in problems)
    n = len(problems)
    x = np.zeros((n, width))
    y = np.zeros((n, width))
    w = np.zeros((n, width))
    for k, (dose, response, _) in enumerate(problems):
        x[k, : dose.size] = dose
        y[k, : response.size] = response
        w[k, : dose.size] = 1.0
    fixed = np.array([np.nan if f is None else float(f) for _, _, f in problems])
    return x, y, w, fixed


def _batch_bounds_and_starts(x, y, w, fixed, hills):
    """Vectorised version of ``_bounds`` and ``_starts`` over padded problems."""
    valid = w > 0
    positive = valid & (x > 0)
    pmin = np.where(positive, x, np.inf).min(axis=1)
    pmax = np.where(positive, x, -np.inf).max(axis=1)
    ymin = np.where(valid, y, np.inf).min(axis=1)
    ymax = np.where(valid, y, -np.inf).max(axis=1)
    span = np.maximum(ymax - ymin, 1.0)
    ylo, yhi = ymin - span, ymax + span
    has_fixed = np.isfinite(fixed)
    ylo = np.where(has_fixed, np.minimum(ylo, fixed - span), ylo)
    yhi = np.where(has_fixed, np.maximum(yhi, fixed + span), yhi)
    lower = np.column_stack([ylo, ylo, np.log(pmin / EC50_RANGE_FACTOR), np.full_like(ylo, HILL_BOUNDS[0])])
    upper = np.column_stack([yhi, yhi, np.log(pmax * EC50_RANGE_FACTOR), np.full_like(yhi, HILL_BOUNDS[1])])
    dmin = np.where(valid, x, np.inf).min(axis=1, keepdims=True)
    dmax = np.where(valid, x, -np.inf).max(axis=1, keepdims=True)
    at_low = valid & (x == dmin)
    at_high = valid & (x == dmax)
    low = (y * at_low).sum(axis=1) / at_low.sum(axis=1)
    high = (y * at_high).sum(axis=1) / at_high.sum(axis=1)
    e0 = np.where(has_fixed, fixed, low)
    centres = [np.log(pmin), 0.5 * (np.log(pmin) + np.log(pmax)), np.log(pmax)]
    starts = [np.column_stack([e0, high, c, np.full_like(e0, h)]) for c in centres for h in hills]
    free = np.column_stack([~has_fixed, np.ones((len(fixed), 3), bool)])
    return lower, upper, np.stack(starts, axis=1), free


def fit_problems(problems, *, max_iter: int = 1000, hills=(1.0, 3.0)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit many curves at once (multi-start) with the batched kernel.

    ``problems`` is a list of (dose, response, fixed_e0 or None). Returns params (P, 4),
    residual sum of squares (P,) and converged (P,) for the best start of each problem.
    """
    if not problems:
        return np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=bool)
    x, y, w, fixed = _padded(problems)
    lower, upper, starts, free = _batch_bounds_and_starts(x, y, w, fixed, hills)
    n, n_starts = starts.shape[:2]

    def rep(a):
        return np.repeat(a, n_starts, axis=0)

    params, cost, converged = lm_4pl(
        rep(x), rep(y), rep(w), starts.reshape(-1, 4), rep(lower), rep(upper), rep(free), max_iter=max_iter
    )
    cost = np.where(np.isfinite(cost), cost, np.inf).reshape(n, n_starts)
    best = np.argmin(cost, axis=1)  # first start wins ties, as in a sequential loop
    rows = np.arange(n) * n_starts + best
    ok = np.isfinite(cost[np.arange(n), best])
    out = np.where(ok[:, None], params[rows], np.nan)
    return out, np.where(ok, cost[np.arange(n), best], np.nan), converged[rows] & ok


def _covariance(dose, response, params, free) -> np.ndarray | None:
    from oncoresist.synergy._kernels import _residual_and_jacobian

    present = dose > 0
    logx = np.log(np.where(present, dose, 1.0))
    r, jac = _residual_and_jacobian(
        logx[None], present[None], response[None], np.ones((1, dose.size)), params[None]
    )
    jac = jac[0][:, free]
    dof = dose.size - int(free.sum())
    if dof <= 0:
        return None
    s2 = float(np.sum(r**2)) / dof
    try:
        cov_free = np.linalg.inv(jac.T @ jac) * s2
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(cov_free)) or np.any(np.diag(cov_free) < 0):
        return None
    cov = np.zeros((4, 4))
    cov[np.ix_(free, free)] = cov_free
    return cov


def _ic50(params: np.ndarray, level: float = 50.0) -> float:
    e0, emax, lnc, h = params
    if not (min(e0, emax) < level < max(e0, emax)):
        return np.nan
    return float(np.exp(lnc + np.log((level - e0) / (emax - level)) / h))


def _finish(drug, dose, response, params, free, status, messages) -> CurveFit:
    positive = dose[dose > 0]
    dmin, dmax = float(positive.min()), float(positive.max())
    fitted = hill4(dose[None], params[None])[0]
    ssr = float(np.sum((fitted - response) ** 2))
    sst = float(np.sum((response - response.mean()) ** 2))
    r2 = 1.0 - ssr / sst if sst > 0 else np.nan
    rmse = float(np.sqrt(ssr / dose.size))
    dof = dose.size - int(free.sum())
    tq = stats.t.ppf(0.975, dof) if dof > 0 else np.nan
    lower, upper = _bounds(dose, response, params[0] if not free[0] else None)
    edge = free & (np.isclose(params, lower, rtol=0, atol=1e-6) | np.isclose(params, upper, rtol=0, atol=1e-6))
    # Parameters stuck at a bound are held fixed for the intervals (the curvature there is not
    # that of a free minimum).
    cov = None if edge[2] else _covariance(dose, response, params, free & ~edge)
    with np.errstate(over="ignore"):
        return _finish_ci(drug, dose, response, params, free, status, messages, cov, tq, r2, rmse, dmin, dmax, lower, upper)


def _finish_ci(drug, dose, response, params, free, status, messages, cov, tq, r2, rmse, dmin, dmax, lower, upper):
    ec50 = float(np.exp(params[2]))
    if cov is not None:
        half = tq * np.sqrt(cov[2, 2])
        ec50_ci = (float(np.exp(params[2] - half)), float(np.exp(params[2] + half)))
    else:
        ec50_ci = (np.nan, np.nan)
    ic50 = _ic50(params)
    ic50_ci = (np.nan, np.nan)
    if np.isfinite(ic50) and cov is not None:
        grad = np.zeros(4)
        for j in range(4):
            step = 1e-6 * max(1.0, abs(params[j]))
            hi, lo = params.copy(), params.copy()
            hi[j] += step
            lo[j] -= step
            grad[j] = (np.log(_ic50(hi)) - np.log(_ic50(lo))) / (2 * step)
        if np.all(np.isfinite(grad)):
            half = tq * float(np.sqrt(max(grad @ cov @ grad, 0.0)))
            ic50_ci = (float(ic50 * np.exp(-half)), float(ic50 * np.exp(half)))
    grid = np.linspace(np.log10(dmin), np.log10(dmax), 201)
    curve = hill4((10.0**grid)[None], params[None])[0]
    auc = float(np.trapezoid(curve, grid) / (grid[-1] - grid[0])) if dmax > dmin else float(curve[0])
    flags = ["fallback"] if status == "fallback" else []
    if np.isfinite(r2) and r2 < R2_GOOD:
        flags.append("low_r2")
        messages.append(f"R^2 = {r2:.2f} < {R2_GOOD}")
    if not (dmin <= ec50 <= dmax):
        flags.append("ec50_outside_range")
        messages.append(f"EC50 {ec50:.3g} outside the tested doses [{dmin:.3g}, {dmax:.3g}]")
    if abs(params[1] - params[0]) < 2 * rmse:
        flags.append("no_effect")
        messages.append("fitted effect smaller than twice the residual error")
    edge = free & (np.isclose(params, lower, rtol=0, atol=1e-6) | np.isclose(params, upper, rtol=0, atol=1e-6))
    if edge[2:].any():
        flags.append("at_bound")
        names = np.array(["e0", "emax", "ec50", "hill"])[edge]
        messages.append(f"{', '.join(names)} at the fit bound")
    return CurveFit(
        drug=drug,
        e0=float(params[0]),
        emax=float(params[1]),
        ec50=ec50,
        hill=float(params[3]),
        ec50_low=ec50_ci[0],
        ec50_high=ec50_ci[1],
        ic50=ic50,
        ic50_low=ic50_ci[0],
        ic50_high=ic50_ci[1],
        auc=auc,
        r2=float(r2),
        rmse=rmse,
        n=int(dose.size),
        n_doses=int(np.unique(dose).size),
        dose_min=dmin,
        dose_max=dmax,
        status=status,
        quality=";".join(flags) if flags else "good",
        message="; ".join(messages),
    )


def _special(drug, dose, response, status, message) -> CurveFit:
    positive = dose[dose > 0]
    value = float(response.mean()) if status == "flat" else np.nan
    nan = np.nan
    return CurveFit(
        drug=drug, e0=value, emax=value, ec50=nan, hill=nan, ec50_low=nan, ec50_high=nan,
        ic50=nan, ic50_low=nan, ic50_high=nan, auc=value, r2=nan, rmse=0.0 if status == "flat" else nan,
        n=int(dose.size), n_doses=int(np.unique(dose).size),
        dose_min=float(positive.min()) if positive.size else nan,
        dose_max=float(positive.max()) if positive.size else nan,
        status=status, quality="no_effect" if status == "flat" else "failed", message=message,
    )


def fit_curves(items) -> list[CurveFit]:
    """Fit several single-drug curves at once; ``items`` is a list of (drug, dose, response)."""
    prepared, results = [], [None] * len(items)
    for k, (drug, dose, response) in enumerate(items):
        dose, response = _validate(dose, response, drug)
        n_doses = np.unique(dose).size
        if np.ptp(response) <= 1e-9 * max(1.0, float(np.abs(response).max())):
            results[k] = _special(
                drug, dose, response, "flat",
                f"response is flat ({response[0]:g} at every dose): no dose-response to fit; "
                "the drug is treated as having no effect",
            )
        elif n_doses < 4 or not (dose > 0).any():
            results[k] = _special(
                drug, dose, response, "failed",
                f"only {n_doses} distinct doses; a four-parameter fit needs at least 4",
            )
        else:
            prepared.append((k, drug, dose, response))
    if prepared:
        params, _, converged = fit_problems([(d, r, None) for _, _, d, r in prepared])
        retry = [i for i, ok in enumerate(converged) if not ok or not np.all(np.isfinite(params[i]))]
        fallback = {}
        if retry:
            problems = []
            for i in retry:
                _, _, dose, response = prepared[i]
                control = response[dose == 0]
                problems.append((dose, response, float(control.mean()) if control.size else 0.0))
            p_fb, _, conv_fb = fit_problems(problems, max_iter=2000)
            fallback = {i: (p_fb[j], conv_fb[j]) for j, i in enumerate(retry)}
        for i, (k, drug, dose, response) in enumerate(prepared):
            if i not in fallback:
                results[k] = _finish(drug, dose, response, params[i], np.ones(4, bool), "ok", [])
                continue
            p, ok = fallback[i]
            if ok and np.all(np.isfinite(p)):
                results[k] = _finish(
                    drug, dose, response, p, np.array([False, True, True, True]), "fallback",
                    ["four-parameter fit did not converge; e0 fixed at the untreated response"],
                )
            else:
                results[k] = _special(
                    drug, dose, response, "failed",
                    "neither the four-parameter fit nor the fallback (e0 fixed) converged",
                )
    return results


def fit_curve(dose, response, *, drug: str = "drug") -> CurveFit:
    """Fit one single-drug curve (see ``oncoresist.synergy.fit_dose_response``)."""
    return fit_curves([(drug, dose, response)])[0]


def fits_frame(fits) -> pd.DataFrame:
    """Table of fits, one row each."""
    return pd.DataFrame([f.to_dict() for f in fits])
