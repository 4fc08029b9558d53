"""Assay background error: beta-binomial per locus from a panel of normals, with fallbacks.

Each locus' alt-read count in a healthy donor is modelled as beta-binomial with mean ``mu``
(the error rate) and intra-class correlation ``rho = 1 / (1 + s)``, where ``s = a + b`` is the
beta precision. Two fits are offered:

* ``moments``: the method of moments with weights ``n_i`` (moment estimators of this kind
  for proportions with extra-binomial variance: Kleinman 1973, J Am Stat Assoc 68:46):
  ``mu`` is the pooled rate and, since ``Var(p_i) = mu (1 - mu) (1 + (n_i - 1) rho) / n_i``,
  ``E[S] = mu (1 - mu) [(k - 1) + rho (N - sum n_i^2 / N - (k - 1))]`` for
  ``S = sum n_i (p_i - mu)^2``, ``N = sum n_i``; ``rho`` solves it with ``S`` observed;
* ``mle``: maximum likelihood over (logit mu, log s), started from the moments estimate.

A locus needs ``min_normals`` donors and ``min_alt_reads`` alt reads in total before its own
fit is trusted (a clean locus with no error reads would otherwise get a zero rate, and every
read would look infinitely significant). Otherwise the locus falls back to its substitution
class pooled over loci (when that pool has ``min_alt_reads``), then to all loci pooled; when
even that pool has fewer than ``min_alt_reads`` alt reads, its rate is the one-sided 95% exact
Poisson upper bound (Garwood 1936; about 3 / N for zero reads, the "rule of three"). Without any normals the rate is ``default_error_rate`` and the model is
``assumed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

#: Precision above which the beta-binomial is indistinguishable from the binomial.
BINOMIAL_PRECISION = 1e7


@dataclass(frozen=True)
class Fit:
    """One fitted background: mean error rate, beta precision (inf = binomial), model name."""

    mu: float
    s: float
    model: str
    normals: int = 0
    alt_reads: int = 0
    depth: int = 0

    @property
    def rho(self) -> float:
        return 0.0 if np.isinf(self.s) else 1.0 / (1.0 + self.s)


def fit_moments(x: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """n-weighted moment estimates (mu, s); s = inf when no overdispersion is seen."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    keep = n > 0
    x, n = x[keep], n[keep]
    total = n.sum()
    if total == 0:
        return 0.0, np.inf
    mu = x.sum() / total
    k = len(n)
    if mu <= 0.0 or mu >= 1.0 or k < 2:
        return mu, np.inf
    p = x / n
    spread = np.sum(n * (p - mu) ** 2)
    denominator = total - np.sum(n**2) / total - (k - 1)
    if denominator <= 0:
        return mu, np.inf
    rho = (spread / (mu * (1.0 - mu)) - (k - 1)) / denominator
    if rho <= 1.0 / (1.0 + BINOMIAL_PRECISION):
        return mu, np.inf
    rho = min(rho, 0.999)
    return mu, 1.0 / rho - 1.0


def _bb_loglik(x, n, mu, s):
    if np.isinf(s):
        return float(np.sum(stats.binom.logpmf(x, n, mu)))
    a, b = mu * s, (1.0 - mu) * s
    return float(np.sum(
        special.gammaln(x + a) + special.gammaln(n - x + b) - special.gammaln(n + s)
        + special.gammaln(s) - special.gammaln(a) - special.gammaln(b)
        + special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    ))


def fit_mle(x: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood beta-binomial (mu, s), s = inf when the binomial fits as well."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    mu0, s0 = fit_moments(x, n)
    if mu0 <= 0.0 or mu0 >= 1.0 or len(x) < 2:
        return mu0, np.inf
    s_start = min(s0, 1e6)

    def negative(theta):
        mu = special.expit(theta[0])
        s = np.exp(theta[1])
        return -_bb_loglik(x, n, mu, s)

    start = np.array([special.logit(mu0), np.log(s_start)])
    bounds = [(special.logit(1e-9), special.logit(0.5)), (np.log(1e-1), np.log(BINOMIAL_PRECISION))]
    found = optimize.minimize(negative, start, method="L-BFGS-B", bounds=bounds)
    mu, s = float(special.expit(found.x[0])), float(np.exp(found.x[1]))
    # The binomial is the boundary s -> inf; keep it when it is at least as likely.
    binomial_mu = x.sum() / n.sum()
    if s >= 0.99 * BINOMIAL_PRECISION or -found.fun <= _bb_loglik(x, n, binomial_mu, np.inf):
        return binomial_mu, np.inf
    return mu, s


def _poisson_upper(count: int, exposure: float, level: float = 0.95) -> float:
    # One-sided exact Poisson upper bound (Garwood 1936): chi2 quantile / 2.
    return float(stats.chi2.ppf(level, 2 * (count + 1)) / 2.0 / exposure)


@dataclass
class BackgroundModel:
    """Per-locus, per-substitution-class and global background fits."""

    loci: dict[str, Fit] = field(default_factory=dict)
    classes: dict[str, Fit] = field(default_factory=dict)
    global_fit: Fit = field(default_factory=lambda: Fit(1e-3, np.inf, "assumed"))
    method: str = "mle"

    def lookup(self, loci: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, precision and model name for each row (locus first, then class, then global)."""
        # A locus key determines its substitution class, so factorising the loci is enough.
        codes, uniques = pd.factorize(pd.Index(loci, dtype=object))
        first = np.full(len(uniques), -1, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes))[::-1]
        classes = np.asarray(classes, dtype=object)
        fits = [self.loci.get(lo) or self.classes.get(classes[i]) or self.global_fit
                for lo, i in zip(uniques, first, strict=True)]
        mu = np.array([f.mu for f in fits], dtype=float)[codes]
        s = np.array([f.s for f in fits], dtype=float)[codes]
        model = np.array([f.model for f in fits], dtype=object)[codes]
        return mu, s, model

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for level, items in (("locus", self.loci), ("substitution_class", self.classes)):
            for key, fit in sorted(items.items()):
                rows.append((level, key, fit))
        rows.append(("global", "all", self.global_fit))
        return pd.DataFrame({
            "level": [r[0] for r in rows],
            "key": [r[1] for r in rows],
            "model": [r[2].model for r in rows],
            "error_rate": [r[2].mu for r in rows],
            "rho": [r[2].rho for r in rows],
            "normals": [r[2].normals for r in rows],
            "alt_reads": [r[2].alt_reads for r in rows],
            "depth": [r[2].depth for r in rows],
        })


def _fit(x, n, level: str, method: str, min_alt_reads: int, normals: int) -> Fit | None:
    alt, depth = int(np.sum(x)), int(np.sum(n))
    if depth == 0:
        return None
    if alt < min_alt_reads:
        if level != "global":
            return None
        return Fit(_poisson_upper(alt, depth), np.inf, "global_upper_bound", normals, alt, depth)
    mu, s = fit_mle(x, n) if method == "mle" else fit_moments(x, n)
    return Fit(mu, s, f"{level}_{method}", normals, alt, depth)


def fit_background(
    normals: pd.DataFrame | None,
    *,
    method: str = "mle",
    min_normals: int = 10,
    min_alt_reads: int = 3,
    default_error_rate: float = 1e-3,
) -> BackgroundModel:
    """Fit the background from a normalised panel-of-normals frame (see ``_io.read_normals``)."""
    if method not in ("mle", "moments"):
        msg = f"background method must be 'mle' or 'moments'; got {method!r}"
        raise ValueError(msg)
    if normals is None or len(normals) == 0:
        return BackgroundModel(global_fit=Fit(default_error_rate, np.inf, "assumed"), method=method)
    loci: dict[str, Fit] = {}
    for locus, group in normals.groupby("locus", sort=True):
        donors = group["sample_id"].nunique()
        if donors < min_normals:
            continue
        fit = _fit(group["alt_reads"].to_numpy(), group["depth"].to_numpy(), "locus", method,
                   min_alt_reads, donors)
        if fit is not None:
            loci[str(locus)] = fit
    classes: dict[str, Fit] = {}
    for cls, group in normals.groupby("substitution_class", sort=True):
        if cls == "unknown":
            continue
        fit = _fit(group["alt_reads"].to_numpy(), group["depth"].to_numpy(), "class", method,
                   min_alt_reads, group["sample_id"].nunique())
        if fit is not None:
            classes[str(cls)] = fit
    global_fit = _fit(normals["alt_reads"].to_numpy(), normals["depth"].to_numpy(), "global",
                      method, min_alt_reads, normals["sample_id"].nunique())
    if global_fit is None:
        global_fit = Fit(default_error_rate, np.inf, "assumed")
    return BackgroundModel(loci=loci, classes=classes, global_fit=global_fit, method=method)
