"""Per variant and sample: detection test, allele fraction with CI, limit of detection, molecules.

* Detection: one-sided p-value ``P(X >= alt_reads)`` under the locus background
  (beta-binomial, see ``_background``); detected when ``p <= alpha``.
* Allele fraction: ``alt_reads / depth`` with the exact Clopper-Pearson interval
  (Clopper & Pearson 1934, Biometrika 26:404).
* Limit of detection (LoD95) at that depth: the smallest tumour allele fraction ``f`` that is
  detected with probability 0.95. With ``c`` the smallest alt count significant at ``alpha``
  and mutant reads ``~ Binomial(n, f + (1 - f) mu)``, ``f`` solves
  ``P(X >= c) = 0.95``, i.e. ``bdtr(c - 1, n, q) = 0.05`` (``scipy.special.bdtri``).
  When ``umi_families`` is given, ``n`` is the number of unique molecules (the sampling limit).
* Mutant molecules per mL plasma: ``AF x cfDNA (ng/mL) x 1000 / 3.3``, since one haploid human
  genome weighs about 3.3 pg, so 1 ng of cfDNA holds about 303 haploid genome equivalents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from oncoresist.ctdna._background import BackgroundModel
from oncoresist.ctdna._kernels import critical_count, upper_tail

#: Mass of one haploid human genome in picograms.
PG_PER_HAPLOID_GENOME = 3.3


def clopper_pearson(x: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial confidence interval for x successes in n trials."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    tail = (1.0 - level) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(x > 0, special.betaincinv(x, n - x + 1.0, tail), 0.0)
        high = np.where(x < n, special.betaincinv(x + 1.0, n - x, 1.0 - tail), 1.0)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return low, high


def limit_of_detection(n: np.ndarray, mu: np.ndarray, s: np.ndarray, *, alpha: float,
                       power: float = 0.95) -> np.ndarray:
    """Smallest allele fraction detected with probability ``power`` at depth ``n``."""
    n = np.asarray(n, dtype=np.int64)
    mu = np.broadcast_to(np.asarray(mu, dtype=float), n.shape)
    s = np.broadcast_to(np.asarray(s, dtype=float), n.shape)
    if n.size == 0:
        return np.empty(0)
    # Many rows share depth and background: solve each distinct case once.
    mu_code, mu_values = pd.factorize(mu)
    s_code, s_values = pd.factorize(s)
    key = (n * len(mu_values) + mu_code) * len(s_values) + s_code
    inverse, unique_keys = pd.factorize(key)
    first = np.full(len(unique_keys), -1, dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    un = n[first]
    umu = mu[first]
    critical = critical_count(un, umu, s[first], alpha)
    reachable = (critical <= un) & (un > 0)
    with np.errstate(invalid="ignore"):
        # bdtr(k, n, q) = P(X <= k); we need P(X <= c - 1) = 1 - power.
        q = special.bdtri(np.maximum(critical - 1, 0), np.maximum(un, 1), 1.0 - power)
    f = (q - umu) / (1.0 - umu)
    lod = np.where(reachable, np.clip(f, 0.0, 1.0), np.nan)
    return lod[inverse]


def genome_equivalents_per_ml(cfdna_ng_per_ml: np.ndarray) -> np.ndarray:
    """Haploid genome equivalents per mL of plasma from cfDNA concentration in ng/mL.

    One haploid human genome weighs about 3.3 pg, so 1 ng holds about 303 genome equivalents.

    Parameters
    ----------
    cfdna_ng_per_ml
        cfDNA concentration(s) in ng per mL of plasma.

    Returns
    -------
    numpy.ndarray
        Genome equivalents per mL.

    Examples
    --------
    >>> genome_equivalents_per_ml([3.3]).round(1).tolist()
    [1000.0]
    """
    return np.asarray(cfdna_ng_per_ml, dtype=float) * 1000.0 / PG_PER_HAPLOID_GENOME


def call_frame(samples: pd.DataFrame, background: BackgroundModel, *, alpha: float,
               columns: list[str], ci_level: float = 0.95) -> pd.DataFrame:
    """The calls table: the sample columns named in ``columns`` plus the per-variant statistics.

    Rows are sorted by patient, day, sample and variant; the frame is assembled once (adding
    columns one at a time to a million-row frame costs more than the statistics).
    """
    x = samples["alt_reads"].to_numpy(dtype=np.int64)
    n = samples["depth"].to_numpy(dtype=np.int64)
    mu, s, model = background.lookup(samples["locus"].to_numpy(), samples["substitution_class"].to_numpy())
    p_value = upper_tail(x, n, mu, s)
    with np.errstate(invalid="ignore", divide="ignore"):
        af = np.where(n > 0, x / np.maximum(n, 1), np.nan)
    low, high = clopper_pearson(x, n, ci_level)
    lod_n = n
    if "umi_families" in samples.columns:
        families = samples["umi_families"].to_numpy(dtype=float)
        lod_n = np.where(np.isnan(families), n, np.minimum(n, np.nan_to_num(families))).astype(np.int64)
    lod = limit_of_detection(lod_n, mu, s, alpha=alpha)
    computed = {
        "af": af,
        "af_ci_low": low,
        "af_ci_high": high,
        "background_rate": mu,
        "background_rho": np.where(np.isinf(s), 0.0, 1.0 / (1.0 + s)),
        "background_model": model,
        "p_value": p_value,
        "detected": p_value <= alpha,
        "lod95": lod,
    }
    if "cfdna_ng_per_ml" in samples.columns:
        ge = genome_equivalents_per_ml(samples["cfdna_ng_per_ml"].to_numpy(dtype=float))
        computed["genome_equivalents_per_ml"] = ge
        computed["mutant_molecules_per_ml"] = af * ge
        computed["mutant_molecules_per_ml_ci_low"] = low * ge
        computed["mutant_molecules_per_ml_ci_high"] = high * ge
    keys = [pd.factorize(samples[c], sort=True)[0] for c in ("variant", "sample_id")]
    patient = pd.factorize(samples["patient_id"], sort=True)[0]
    order = np.lexsort((keys[0], keys[1], samples["day"].to_numpy(float), patient))
    data = {}
    for column in columns:
        if column in computed:
            data[column] = computed[column][order]
        elif column in samples.columns:
            data[column] = samples[column].to_numpy()[order]
    data["locus"] = samples["locus"].to_numpy()[order]
    return pd.DataFrame(data)
