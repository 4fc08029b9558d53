"""The PyClone-family likelihood of read counts given a cancer cell fraction.

Model (Roth et al. 2014, PyClone, Nat Methods 11:396; Gillis & Roth 2020, PyClone-VI,
BMC Bioinformatics 21:571, doi:10.1186/s12859-020-03919-2). A sample is a mixture of three
populations: normal cells (fraction ``1 - t``, ``t`` = tumour content), tumour cells without the
mutation (``t (1 - f)``) and tumour cells with it (``t f``), ``f`` being the cancer cell fraction
(CCF). Each population has a copy number ``c`` at the locus and a probability ``mu`` that a read
from it shows the variant. The expected variant allele fraction is

    vaf(f) = sum_i w_i c_i mu_i / sum_i w_i c_i,   w = (1 - t, t (1 - f), t f).

The genotype of the mutant population is not observed, so the likelihood averages over the states
allowed by the tumour's major/minor copy numbers, with a uniform prior (PyClone's "major copy
number" prior):

* the mutation happened before the copy-number change: all tumour cells have ``T = major + minor``
  copies, the reference tumour population has the normal copy number, and the mutant cells carry
  ``x`` mutant copies for ``x = 1 .. major`` (``mu = x / T``);
* the mutation happened after the change: the reference tumour population also has ``T`` copies
  and the mutant cells carry one mutant copy (``mu = 1 / T``); added when ``T`` differs from the
  normal copy number (otherwise it repeats the first state).

Reads from non-mutant copies show the variant with the sequencing error rate ``e``; ``mu`` is
capped at ``1 - e``. Emissions are binomial, or beta-binomial with precision ``s`` (mean ``vaf``,
shape parameters ``vaf s`` and ``(1 - vaf) s``).

For Pairtree data the probability ``omega`` of a variant read from a mutant cell is given: one state
with copy number 1 everywhere and ``mu = omega``, and tumour content 1 (Pairtree's frequencies are
fractions of all cells sampled).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import betaln, gammaln

DENSITIES = ("binomial", "beta-binomial")


def ccf_grid(n_points: int) -> np.ndarray:
    """``n_points`` evenly spaced cancer cell fractions from 0 to 1 inclusive."""
    return np.linspace(0.0, 1.0, n_points)


def genotype_states(
    major: np.ndarray, minor: np.ndarray, normal: np.ndarray, error: np.ndarray,
    omega: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Copy numbers and variant-read probabilities of the allowed genotype states.

    Returns ``(cn_ref, cn_var, mu_var, log_prior)``, each of shape ``(*major.shape, S)``; states
    that do not exist for an entry have ``log_prior = -inf``. The normal population always has the
    normal copy number and ``mu = error``; so has the reference tumour population's ``mu``.
    """
    major = np.asarray(major, dtype=np.int64)
    minor = np.asarray(minor, dtype=np.int64)
    normal = np.asarray(normal, dtype=np.int64)
    error = np.asarray(error, dtype=np.float64)
    shape = major.shape
    if omega is not None:
        one = np.ones((*shape, 1))
        mu = np.minimum(1.0 - error, np.asarray(omega, dtype=np.float64))[..., None]
        return one, one.copy(), mu, np.zeros((*shape, 1))
    total = major + minor
    n_states = int(major.max(initial=1)) + 1
    x = np.arange(1, n_states + 1)  # state k < major: x = k + 1 copies (before the change)
    before = x[None] <= major.reshape(-1, 1)  # (M, S)
    before = before.reshape(*shape, n_states)
    after_slot = major.reshape(*shape, 1) == (x - 1)  # the slot right after the last "before" state
    has_after = (total != normal)[..., None] & after_slot
    safe_total = np.maximum(total, 1)[..., None]
    cn_ref = np.where(has_after, total[..., None], normal[..., None]).astype(np.float64)
    cn_var = np.broadcast_to(total[..., None], (*shape, n_states)).astype(np.float64)
    copies = np.where(has_after, 1, x)
    mu_var = np.minimum(1.0 - error[..., None], copies / safe_total)
    valid = before | has_after
    n_valid = valid.sum(axis=-1, keepdims=True)
    log_prior = np.where(valid, -np.log(np.maximum(n_valid, 1)), -np.inf)
    return cn_ref, cn_var, mu_var, log_prior


def expected_vaf(
    ccf: np.ndarray, purity: np.ndarray, normal: np.ndarray, error: np.ndarray,
    cn_ref: np.ndarray, cn_var: np.ndarray, mu_var: np.ndarray,
) -> np.ndarray:
    """Expected VAF for each state and CCF; broadcasts ``(..., S, 1)`` against ``ccf`` ``(G,)``."""
    t = purity[..., None, None]
    c_n = normal[..., None, None].astype(np.float64)
    e = error[..., None, None]
    f = ccf
    r = cn_ref[..., None]
    v = cn_var[..., None]
    m = mu_var[..., None]
    num = (1 - t) * c_n * e + t * (1 - f) * r * e + t * f * v * m
    den = (1 - t) * c_n + t * (1 - f) * r + t * f * v
    return num / den


def log_likelihood_grid(
    data, n_points: int = 101, *, density: str = "binomial", precision: float = 200.0
) -> np.ndarray:
    """``log p(counts of mutation n in sample d | CCF = grid[g])``, shape ``(N, D, G)``."""
    grid = ccf_grid(n_points)
    states = genotype_states(data.major_cn, data.minor_cn, data.normal_cn, data.error_rate, data.var_read_prob)
    return _log_likelihood(
        data.ref_counts, data.alt_counts, data.tumour_content, data.normal_cn, data.error_rate,
        states, grid, density, precision,
    )


def _log_likelihood(ref, alt, purity, normal, error, states, grid, density, precision) -> np.ndarray:
    """Log-likelihood on the grid, summed over each entry's valid genotype states only.

    Entries (mutation, sample) have between 1 and ``major + 1`` states; the valid
    (entry, state) pairs are listed flat, so a single locus with a high copy number does not
    inflate the work for all the others.
    """
    cn_ref, cn_var, mu_var, log_prior = states
    shape = np.shape(ref)
    n_states = log_prior.shape[-1]
    n_entries = int(np.prod(shape))
    out = np.full((n_entries, grid.size), -np.inf)
    flat = {
        "a": np.asarray(ref, dtype=np.float64).reshape(-1),
        "b": np.asarray(alt, dtype=np.float64).reshape(-1),
        "t": np.asarray(purity, dtype=np.float64).reshape(-1),
        "c": np.asarray(normal, dtype=np.float64).reshape(-1),
        "e": np.asarray(error, dtype=np.float64).reshape(-1),
    }
    per_state = [np.asarray(x, dtype=np.float64).reshape(n_entries, n_states) for x in (cn_ref, cn_var, mu_var, log_prior)]
    block = 50_000
    for first in range(0, n_entries, block):
        rows = slice(first, min(first + block, n_entries))
        entry, state = np.nonzero(np.isfinite(per_state[3][rows]))
        if entry.size == 0:
            continue
        index = entry + first
        a, b = flat["a"][index][:, None], flat["b"][index][:, None]
        t, c_n, e = flat["t"][index][:, None], flat["c"][index][:, None], flat["e"][index][:, None]
        r, v, m, prior = (x[index, state][:, None] for x in per_state)
        num = (1 - t) * c_n * e + t * (1 - grid) * r * e + t * grid * v * m
        den = (1 - t) * c_n + t * (1 - grid) * r + t * grid * v
        vaf = num / den
        log_choose = gammaln(a + b + 1) - gammaln(a + 1) - gammaln(b + 1)
        if density == "binomial":
            with np.errstate(divide="ignore", invalid="ignore"):
                ll = log_choose + _xlog(b, vaf) + _xlog(a, 1 - vaf)
        else:
            alpha = vaf * precision
            beta = (1 - vaf) * precision
            ll = log_choose + betaln(b + alpha, a + beta) - betaln(alpha, beta)
        ll += prior
        starts = np.flatnonzero(np.r_[True, entry[1:] != entry[:-1]])
        top = np.maximum.reduceat(ll, starts, axis=0)
        top = np.where(np.isfinite(top), top, 0.0)
        owner = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, entry.size]))
        with np.errstate(divide="ignore"):
            total = top + np.log(np.add.reduceat(np.exp(ll - top[owner]), starts, axis=0))
        out[index[starts]] = total
    return out.reshape(*shape, grid.size)


def _xlog(count: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``count * log(p)`` with ``0 * log(0) = 0``."""
    return np.where(count > 0, count * np.log(np.where(p > 0, p, 1.0)), 0.0) + np.where(
        (count > 0) & (p <= 0), -np.inf, 0.0
    )


# --- slow, obviously correct reference used by the tests as an oracle -------------------------


def reference_states(major: int, minor: int, normal: int, error: float) -> list[tuple[int, int, float]]:
    """The genotype states as ``(cn_ref_tumour, cn_mutant, mu_mutant)``, listed one by one."""
    total = major + minor
    states = [(normal, total, min(1 - error, x / total)) for x in range(1, major + 1)]
    if total != normal:
        states.append((total, total, min(1 - error, 1 / total)))
    return states


def reference_log_likelihood(
    ref: int, alt: int, *, major: int, minor: int, normal: int, purity: float, ccf: float,
    error: float = 1e-3, density: str = "binomial", precision: float = 200.0,
    omega: float | None = None,
) -> float:
    """One mutation in one sample, with plain loops and ``math``."""
    if omega is not None:
        states = [(1, 1, min(1 - error, omega))]
        normal = 1
    else:
        states = reference_states(major, minor, normal, error)
    n = ref + alt
    log_choose = math.lgamma(n + 1) - math.lgamma(ref + 1) - math.lgamma(alt + 1)
    terms = []
    for cn_ref, cn_var, mu in states:
        weights = (1 - purity, purity * (1 - ccf), purity * ccf)
        copies = (normal, cn_ref, cn_var)
        probs = (error, error, mu)
        num = sum(w * c * p for w, c, p in zip(weights, copies, probs, strict=True))
        den = sum(w * c for w, c in zip(weights, copies, strict=True))
        vaf = num / den
        if density == "binomial":
            ll = log_choose
            ll += alt * math.log(vaf) if alt else 0.0
            ll += ref * math.log(1 - vaf) if ref else 0.0
        else:
            a, b = vaf * precision, (1 - vaf) * precision
            ll = log_choose + _lbeta(alt + a, ref + b) - _lbeta(a, b)
        terms.append(ll - math.log(len(states)))
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def _lbeta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def log_likelihood_at(data, ccf: np.ndarray, *, density: str = "binomial", precision: float = 200.0) -> np.ndarray:
    """``log p(counts | CCF)`` at one CCF per mutation and sample (``ccf`` broadcast to ``(N, D)``)."""
    shape = data.ref_counts.shape
    ccf = np.broadcast_to(np.asarray(ccf, dtype=np.float64), shape)
    states = genotype_states(data.major_cn, data.minor_cn, data.normal_cn, data.error_rate, data.var_read_prob)
    out = np.empty(shape)
    for value in np.unique(ccf):
        mask = ccf == value
        ll = _log_likelihood(
            data.ref_counts, data.alt_counts, data.tumour_content, data.normal_cn, data.error_rate,
            states, np.array([value]), density, precision,
        )
        out[mask] = ll[..., 0][mask]
    return out
