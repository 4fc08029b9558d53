"""Growth and decline kinetics: log-linear fits of allele fraction over time, with CIs.

Within a phase, the tumour allele fraction is modelled as ``f(t) = exp(a + r (t - t0))`` and
the mutant reads as ``Binomial(n, mu + f(t) (1 - mu))`` where ``mu`` is the locus background.
``a`` and ``r`` are fitted by maximum likelihood (Fisher scoring, all phases at once), so
samples at or below the limit of detection still count, with their background. The standard
error of ``r`` comes from the Fisher information, inflated by the quasi-likelihood dispersion
``phi = max(1, X^2 / (k - 2))`` (Pearson X^2; McCullagh & Nelder 1989, Generalized Linear Models, quasi-likelihood), and the
95% CI uses Student's t with ``k - 2`` degrees of freedom. Doubling time is ``ln 2 / r``
(half-life ``ln 2 / -r`` when falling) with its CI from the ends of the CI of ``r``.

When cfDNA concentration is given, the fit carries the offset ``log(genome equivalents per
mL)`` so that ``r`` is the growth rate of mutant molecules per mL of plasma, which follows the
number of tumour cells, rather than that of the allele fraction, which saturates as the tumour
fraction grows; the ``measure`` column says which.

Phases: for each patient, variant and therapy line (from one drug start to the next), the
series is split at its lowest allele fraction (the nadir, latest if tied); each side with at
least ``min_samples`` samples, ``min_detected`` of them detected, is fitted: ``falling`` before
the nadir, ``rising`` from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

KINETICS_COLUMNS = [
    "patient_id", "gene", "alteration", "variant", "measure", "phase", "drugs", "start_day", "end_day",
    "samples", "detected", "rate_per_day", "rate_ci_low", "rate_ci_high", "doubling_time_days",
    "doubling_ci_low", "doubling_ci_high", "half_life_days", "half_life_ci_low", "half_life_ci_high",
    "dispersion",
]


def fit_loglinear(group: np.ndarray, t: np.ndarray, x: np.ndarray, n: np.ndarray, mu: np.ndarray,
                  *, offset: np.ndarray | None = None, level: float = 0.95,
                  iterations: int = 60) -> pd.DataFrame:
    """Fit every group's log-linear trend at once; returns one row per group code.

    The tumour allele fraction of row i is ``exp(a + r (t_i - t0) - offset_i)``; with
    ``offset = log(genome equivalents per mL)`` the trend is that of mutant molecules per mL.
    """
    group = np.asarray(group, dtype=np.int64)
    t = np.asarray(t, dtype=float)
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    mu = np.clip(np.asarray(mu, dtype=float), 0.0, 0.5)
    off = np.zeros_like(t) if offset is None else np.asarray(offset, dtype=float)
    g = int(group.max()) + 1 if len(group) else 0
    count = np.bincount(group, minlength=g).astype(float)
    t0 = np.bincount(group, weights=t, minlength=g) / np.maximum(count, 1)
    tc = t - t0[group]
    span = np.maximum(np.zeros(g), 1.0)
    np.maximum.at(span, group, np.abs(tc))
    # Start from least squares on log of the background-corrected fraction.
    y = np.log(np.maximum((x + 0.5) / (n + 1.0) - mu, 1e-7)) + off
    sxx = np.bincount(group, weights=tc * tc, minlength=g)
    sxy = np.bincount(group, weights=tc * y, minlength=g)
    r = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1), 0.0)
    a = np.bincount(group, weights=y, minlength=g) / np.maximum(count, 1)
    for _ in range(iterations):
        eta = np.minimum(a[group] + r[group] * tc - off, 0.0)
        f = np.exp(eta)
        p = np.clip(mu + f * (1.0 - mu), 1e-12, 1.0 - 1e-12)
        dp = f * (1.0 - mu)  # dp / d eta
        w = n * dp * dp / (p * (1.0 - p))
        score = (x - n * p) / (p * (1.0 - p)) * dp
        u0 = np.bincount(group, weights=score, minlength=g)
        u1 = np.bincount(group, weights=score * tc, minlength=g)
        i00 = np.bincount(group, weights=w, minlength=g)
        i01 = np.bincount(group, weights=w * tc, minlength=g)
        i11 = np.bincount(group, weights=w * tc * tc, minlength=g)
        det = i00 * i11 - i01 * i01
        ok = det > 0
        safe = np.where(ok, det, 1.0)
        da = np.where(ok, (i11 * u0 - i01 * u1) / safe, 0.0)
        dr = np.where(ok, (i00 * u1 - i01 * u0) / safe, 0.0)
        # Damp long steps: log fractions rarely move more than a few units per iteration.
        step = np.maximum(np.abs(da), np.abs(dr) * span)
        scale = np.minimum(1.0, 2.0 / np.maximum(step, 1e-300))
        a = a + da * scale
        r = r + dr * scale
        if np.all(np.abs(dr * scale) < 1e-10):
            break
    eta = np.minimum(a[group] + r[group] * tc - off, 0.0)
    f = np.exp(eta)
    p = np.clip(mu + f * (1.0 - mu), 1e-12, 1.0 - 1e-12)
    dp = f * (1.0 - mu)
    w = n * dp * dp / (p * (1.0 - p))
    i00 = np.bincount(group, weights=w, minlength=g)
    i01 = np.bincount(group, weights=w * tc, minlength=g)
    i11 = np.bincount(group, weights=w * tc * tc, minlength=g)
    det = i00 * i11 - i01 * i01
    pearson = np.bincount(group, weights=(x - n * p) ** 2 / (n * p * (1.0 - p)), minlength=g)
    df = count - 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(df > 0, np.maximum(1.0, pearson / np.where(df > 0, df, 1.0)), np.nan)
        var_r = np.where(det > 0, i00 / det, np.nan) * phi
        se = np.sqrt(var_r)
        quantile = stats.t.ppf(0.5 + level / 2.0, np.where(df > 0, df, np.nan))
    return pd.DataFrame({
        "rate_per_day": r,
        "rate_ci_low": r - quantile * se,
        "rate_ci_high": r + quantile * se,
        "log_af_at_center": a,
        "center_day": t0,
        "dispersion": phi,
    })


def _doubling(rate, low, high):
    ln2 = np.log(2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        doubling = np.where(rate > 0, ln2 / rate, np.nan)
        d_low = np.where(rate > 0, np.where(high > 0, ln2 / high, np.nan), np.nan)
        d_high = np.where(rate > 0, np.where(low > 0, ln2 / low, np.inf), np.nan)
        half = np.where(rate < 0, ln2 / -rate, np.nan)
        h_low = np.where(rate < 0, np.where(low < 0, ln2 / -low, np.nan), np.nan)
        h_high = np.where(rate < 0, np.where(high < 0, ln2 / -high, np.inf), np.nan)
    return doubling, d_low, d_high, half, h_low, h_high


def kinetics(calls: pd.DataFrame, *, therapy: pd.DataFrame | None = None, min_samples: int = 3,
             min_detected: int = 2, level: float = 0.95) -> pd.DataFrame:
    """One row per fitted phase (see module docstring)."""
    from oncoresist.ctdna._events import TherapyIndex, _group_bounds

    lines = TherapyIndex(therapy)
    ordered = calls.sort_values(["patient_id", "variant", "day"], kind="stable").reset_index(drop=True)
    has_ge = "genome_equivalents_per_ml" in ordered.columns
    pid = ordered["patient_id"].to_numpy(object)
    variant = ordered["variant"].to_numpy(object)
    gene = ordered["gene"].to_numpy(object)
    alteration = ordered["alteration"].to_numpy(object)
    day = ordered["day"].to_numpy(float)
    af = ordered["af"].to_numpy(float)
    detected = ordered["detected"].to_numpy(bool)
    ge_known = (ordered["genome_equivalents_per_ml"].notna().to_numpy(bool) if has_ge
                else np.zeros(len(ordered), dtype=bool))
    rows_index: list[np.ndarray] = []
    meta = []
    bounds = _group_bounds(pid, variant)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        starts = lines.line_starts(pid[lo])
        line_of = np.searchsorted(starts, day[lo:hi], side="right")
        for line in np.unique(line_of):
            block = lo + np.flatnonzero(line_of == line)
            values = af[block]
            nadir = len(values) - 1 - int(np.argmin(values[::-1]))
            for phase, part in (("falling", block[:nadir + 1]), ("rising", block[nadir:])):
                if len(part) < min_samples or detected[part].sum() < min_detected:
                    continue
                rows_index.append(part)
                start_day = float(day[part[0]])
                measure = "mutant_molecules_per_ml" if ge_known[part].all() else "allele_fraction"
                meta.append((pid[lo], gene[lo], alteration[lo], variant[lo], measure, phase,
                             " + ".join(lines.drugs_on(pid[lo], start_day)), start_day,
                             float(day[part[-1]]), len(part), int(detected[part].sum())))
    if not meta:
        return pd.DataFrame(columns=KINETICS_COLUMNS)
    index = np.concatenate(rows_index)
    group = np.repeat(np.arange(len(rows_index)), [len(r) for r in rows_index])
    frame = pd.DataFrame(meta, columns=KINETICS_COLUMNS[:11])
    offset = np.zeros(len(index))
    if has_ge:
        molecules = (frame["measure"] == "mutant_molecules_per_ml").to_numpy()[group]
        ge = ordered.loc[index, "genome_equivalents_per_ml"].to_numpy(float)
        offset = np.where(molecules, np.log(np.where(molecules, ge, 1.0)), 0.0)
    fit = fit_loglinear(
        group, ordered.loc[index, "day"].to_numpy(float), ordered.loc[index, "alt_reads"].to_numpy(float),
        ordered.loc[index, "depth"].to_numpy(float), ordered.loc[index, "background_rate"].to_numpy(float),
        offset=offset, level=level,
    )
    frame["rate_per_day"] = fit["rate_per_day"].to_numpy()
    frame["rate_ci_low"] = fit["rate_ci_low"].to_numpy()
    frame["rate_ci_high"] = fit["rate_ci_high"].to_numpy()
    d, dl, dh, h, hl, hh = _doubling(frame["rate_per_day"].to_numpy(), frame["rate_ci_low"].to_numpy(),
                                     frame["rate_ci_high"].to_numpy())
    frame["doubling_time_days"], frame["doubling_ci_low"], frame["doubling_ci_high"] = d, dl, dh
    frame["half_life_days"], frame["half_life_ci_low"], frame["half_life_ci_high"] = h, hl, hh
    frame["dispersion"] = fit["dispersion"].to_numpy()
    return frame[KINETICS_COLUMNS]
