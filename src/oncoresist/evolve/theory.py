"""Closed forms of the theory of resistance, used to check the simulator.

Notation: a linear birth–death process has birth rate ``b`` and death rate ``d`` per cell;
mutation probabilities are per division (a daughter is a mutant with probability ``u``).

Sources
-------
- Kendall, D. G. (1948). On the generalized "birth-and-death" process. Ann. Math. Statist.
  19:1–15. Transition law of the linear birth–death process, also for time-varying rates.
- Lea, D. E. & Coulson, C. A. (1949). The distribution of the numbers of mutants in bacterial
  populations. J. Genet. 49:264–285; recursion of Ma, Sandri & Sarkar (1992), J. Appl. Prob.
  29:255–267.
- Iwasa, Y., Nowak, M. A. & Michor, F. (2006). Evolution of resistance during clonal
  expansion. Genetics 172:2557–2566.
- Bozic, I. et al. (2013). Evolutionary dynamics of cancer in response to targeted
  combination therapy. eLife 2:e00747, equation (1) and its four factors.
- Durrett, R. & Moseley, S. (2010). Evolution of resistance and progression to disease during
  clonal expansion of cancer. Theor. Popul. Biol. 77:42–48.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import integrate, stats

from oncoresist._core.exceptions import InputError

__all__ = [
    "BozicEradication",
    "bozic2013_eradication",
    "iwasa_mean_resistant",
    "iwasa_resistance_probability",
    "kendall_parameters",
    "kendall_piecewise",
    "kendall_pmf",
    "luria_delbruck_pmf",
    "time_to_size_cdf",
    "time_to_size_mean",
]

EULER_GAMMA = 0.5772156649015329


def _positive(value: float, name: str, *, allow_zero: bool = True) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        need = ">= 0" if allow_zero else "> 0"
        msg = f"{name} must be a finite number {need}; got {value}"
        raise InputError(msg, field=name)
    return value


# ----------------------------------------------------------------------------- Kendall
def kendall_parameters(birth: float, death: float, time: float) -> tuple[float, float]:
    """Kendall's (alpha, beta) for one ancestor of a linear birth–death process.

    After ``time`` the descendants number 0 with probability ``alpha`` and ``k >= 1`` with
    probability ``(1 - alpha)(1 - beta) beta**(k - 1)`` (Kendall 1948), where, with
    ``E = exp((b - d) t)``, ``alpha = d (E - 1) / (b E - d)`` and
    ``beta = b (E - 1) / (b E - d)`` (``alpha = beta = b t / (1 + b t)`` when ``b = d``).

    Examples
    --------
    >>> a, b = kendall_parameters(1.0, 0.0, math.log(2))   # Yule: geometric with mean 2
    >>> round(a, 12), round(b, 12)
    (0.0, 0.5)
    """
    b = _positive(birth, "birth")
    d = _positive(death, "death")
    t = _positive(time, "time")
    if t == 0 or (b == 0 and d == 0):
        return 0.0, 0.0
    r = b - d
    em1 = t if abs(r * t) < 1e-12 else math.expm1(r * t) / r  # (E - 1) / r, stable
    denom = b * em1 + 1.0
    return d * em1 / denom, b * em1 / denom


def kendall_piecewise(segments: Sequence[tuple[float, float, float]]) -> tuple[float, float]:
    """Kendall's (alpha, beta) over consecutive intervals of constant rates.

    The one-ancestor generating function ``(alpha + (1 - alpha - beta) s) / (1 - beta s)`` is
    a linear fractional map; composing the maps of successive intervals (first interval
    outermost) keeps that form, which is Kendall's (1948) result for time-varying rates
    restricted to piecewise-constant ones.

    Parameters
    ----------
    segments
        ``(birth, death, duration)`` for each interval, in time order.

    Examples
    --------
    >>> one = kendall_parameters(0.5, 0.2, 3.0)
    >>> two = kendall_piecewise([(0.5, 0.2, 1.0), (0.5, 0.2, 2.0)])
    >>> bool(np.allclose(one, two))
    True
    """
    matrix = np.eye(2)
    for birth, death, duration in segments:
        a, b = kendall_parameters(birth, death, duration)
        # f(s) = ((1 - a - b) s + a) / (-b s + 1)  <->  [[1 - a - b, a], [-b, 1]]
        matrix = matrix @ np.array([[1.0 - a - b, a], [-b, 1.0]])
    matrix = matrix / matrix[1, 1]
    return float(matrix[0, 1]), float(-matrix[1, 0])


def kendall_pmf(k: int | np.ndarray, initial: int, *, alpha: float, beta: float) -> np.ndarray:
    """Probability of ``k`` cells descending from ``initial`` cells, given Kendall's parameters.

    Each ancestor independently leaves 0 cells with probability ``alpha``, else a geometric
    number; with ``m`` surviving ancestors the total is ``m`` plus a negative binomial.

    Examples
    --------
    >>> a, b = kendall_parameters(1.0, 0.5, 2.0)
    >>> p = kendall_pmf(np.arange(2000), 3, alpha=a, beta=b)
    >>> round(float(p.sum()), 9)
    1.0
    """
    ks = np.atleast_1d(np.asarray(k, dtype=np.int64))
    n0 = int(initial)
    if n0 < 0:
        msg = f"initial must be >= 0; got {initial}"
        raise InputError(msg, field="initial")
    out = np.zeros(ks.shape, dtype=float)
    for m in range(0, n0 + 1):
        weight = stats.binom.pmf(m, n0, 1.0 - alpha)
        if weight == 0:
            continue
        if m == 0:
            out += weight * (ks == 0)
        elif beta == 0:
            out += weight * (ks == m)
        else:
            out += weight * stats.nbinom.pmf(ks - m, m, 1.0 - beta)
    return out


# ----------------------------------------------------------------------------- Luria–Delbrück
def luria_delbruck_pmf(m: float, n_max: int) -> np.ndarray:
    """Lea–Coulson distribution of the number of mutants, P(0) ... P(n_max).

    ``m`` is the expected number of mutations. Uses the recursion of Ma, Sandri & Sarkar
    (1992): ``p0 = exp(-m)``, ``p_n = (m / n) * sum_{i<n} p_i / (n - i + 1)``.

    Examples
    --------
    >>> p = luria_delbruck_pmf(1.0, 3)
    >>> round(float(p[0]), 6), round(float(p[1]), 6)   # exp(-1), exp(-1)/2
    (0.367879, 0.18394)
    """
    m = _positive(m, "m")
    n_max = int(n_max)
    p = np.zeros(n_max + 1)
    p[0] = math.exp(-m)
    for n in range(1, n_max + 1):
        i = np.arange(n)
        p[n] = m / n * float(np.sum(p[:n] / (n - i + 1)))
    return p


# ----------------------------------------------------------------------------- Iwasa 2006
def _iwasa_check(size: float, mutation: float, birth: float, death: float) -> float:
    _positive(size, "size", allow_zero=False)
    _positive(mutation, "mutation")
    if not birth > death:
        msg = f"the sensitive population must grow (birth > death); got birth={birth}, death={death}"
        raise InputError(msg, field="birth")
    return birth - death


def iwasa_resistance_probability(
    size: float, *, mutation: float, birth: float, death: float, resistant_birth: float, resistant_death: float
) -> float:
    """Probability that resistant cells exist when a tumour grown from one cell reaches ``size``.

    Setting of Iwasa, Nowak & Michor (2006): sensitive cells divide at ``birth`` (r) and die at
    ``death`` (d); a division gives a resistant daughter with probability ``mutation`` (u);
    resistant cells divide at ``resistant_birth`` (a) and die at ``resistant_death`` (b). With
    the sensitive population growing deterministically to M, resistant lineages founded at
    population ``M x`` survive to detection with probability
    ``(a - b) / (a - b x**alpha)``, ``alpha = (a - b) / (r - d)``, so the number of
    resistant lineages alive at detection is Poisson with mean

    ``Lambda = (M u r / (r - d)) * integral_{1/M}^{1} (1 - b/a) / (1 - (b/a) x**alpha) dx``

    and ``P = 1 - exp(-Lambda)``. This is the integral form of their result in the same
    approximation (derived here; it reduces to ``1 - exp(-M u r / (r - d))`` when ``b = 0``
    and to Luria–Delbrück's ``1 - exp(-M u)`` when also ``d = 0``).

    Examples
    --------
    >>> p = iwasa_resistance_probability(1e5, mutation=1e-5, birth=1.0, death=0.0,
    ...                                  resistant_birth=1.0, resistant_death=0.0)
    >>> round(p, 6) == round(1 - math.exp(-1.0 * (1 - 1e-5)), 6)
    True
    """
    lam = _iwasa_check(size, mutation, birth, death)
    a, b = _positive(resistant_birth, "resistant_birth"), _positive(resistant_death, "resistant_death")
    alpha = (a - b) / lam
    ratio = b / a if a > 0 else math.inf

    def integrand(y: float) -> float:  # x = exp(-y), dx = x dy
        x = math.exp(-y)
        if a == b:
            surv = 1.0 / (1.0 + a * (y / lam))  # critical: 1 / (1 + a tau), tau = y / lam
        else:
            surv = (1.0 - ratio) / (1.0 - ratio * x**alpha)
        return surv * x

    upper = math.log(size)
    value, _ = integrate.quad(integrand, 0.0, upper, limit=200)
    lam_total = size * mutation * birth / lam * value
    return -math.expm1(-lam_total)


def iwasa_mean_resistant(
    size: float, *, mutation: float, birth: float, death: float, resistant_birth: float, resistant_death: float
) -> float:
    """Return the expected number of resistant cells when the tumour reaches ``size``.

    Same setting as :func:`iwasa_resistance_probability`:

    ``E[R] = (M u r / (r - d)) * integral_{1/M}^{1} x**(-alpha) dx``, i.e.
    ``(M u r / (r - d)) (M**(alpha - 1) - 1) / (alpha - 1)`` (``ln M`` when ``alpha = 1``):
    proportional to ``ln M`` for neutral resistance, as Iwasa et al. (2006) state.

    Examples
    --------
    >>> e = iwasa_mean_resistant(1e4, mutation=1e-4, birth=1.0, death=0.0,
    ...                          resistant_birth=1.0, resistant_death=0.0)
    >>> round(e, 4) == round(1e4 * 1e-4 * math.log(1e4), 4)
    True
    """
    lam = _iwasa_check(size, mutation, birth, death)
    a, b = _positive(resistant_birth, "resistant_birth"), _positive(resistant_death, "resistant_death")
    alpha = (a - b) / lam
    log_m = math.log(size)
    integral = log_m if abs(alpha - 1.0) < 1e-12 else math.expm1((alpha - 1.0) * log_m) / (alpha - 1.0)
    return size * mutation * birth / lam * integral


# ----------------------------------------------------------------------------- Bozic 2013
@dataclass(frozen=True)
class BozicEradication:
    """Eq. (1) of Bozic et al. (2013): ``p_erad = p1_up * p1_down * p2_up * p2_down``.

    ``p1_*``: no one-step (cross-resistance) lineage arising and surviving before (up) or
    during (down) treatment; ``p2_*``: the same for two-step lineages.
    """

    p1_up: float
    p1_down: float
    p2_up: float
    p2_down: float

    @property
    def probability(self) -> float:
        """The eradication probability."""
        return self.p1_up * self.p1_down * self.p2_up * self.p2_down


def bozic2013_eradication(
    size: float,
    *,
    b: float = 0.14,
    d: float = 0.13,
    d_treated: float = 0.17,
    b_treated: float | None = None,
    u: float = 1e-9,
    n1: int = 50,
    n2: int = 50,
    n12: int = 0,
    drugs: int = 2,
) -> BozicEradication:
    """Eradication probability of a lesion of ``size`` cells, Bozic et al. (2013) eq. (1).

    With ``s = 1 - d/b`` and ``s' = 1 - d'/b'`` (``s' < 0``):

    - ``p1_up = exp(-M u n12)``
    - ``p1_down = exp(M u n12 s / s')``
    - ``p2_up = exp(M u^2 (s'-s)/(s s') [n1 (n2+n12) log(1/(sM) + u (n2+n12) (s'-s)/(s s'))
      + n2 (n1+n12) log(1/(sM) + u (n1+n12) (s'-s)/(s s'))])``
    - ``p2_down = exp(-M u^2 (2 n1 n2 + n12 (n1 + n2)) s / s'^2)``

    For one drug (``drugs=1``) the ``n1`` resistance mutations are one-step paths: the
    formula is used with ``n12 = n1`` and no two-step terms (the paper's monotherapy curve).

    Examples
    --------
    >>> r = bozic2013_eradication(1e7, n1=50, drugs=1)
    >>> round(r.probability, 4)   # exp(-0.5) * exp(-0.5/3)
    0.5134
    """
    m = _positive(size, "size", allow_zero=False)
    bt = b if b_treated is None else b_treated
    s = 1.0 - d / b
    s_t = 1.0 - d_treated / bt
    if not (s > 0 and s_t < 0):
        msg = f"eq. (1) needs growth before treatment and decline under it; got s={s:.4g}, s'={s_t:.4g}"
        raise InputError(msg, field="d_treated")
    if drugs == 1:
        n12, n1, n2 = n1, 0, 0
    elif drugs != 2:
        msg = f"drugs must be 1 or 2; got {drugs}"
        raise InputError(msg, field="drugs")
    p1_up = math.exp(-m * u * n12)
    p1_down = math.exp(m * u * n12 * s / s_t)
    q = (s_t - s) / (s * s_t)
    if n1 or n2:
        term = 0.0
        if n1:
            term += n1 * (n2 + n12) * math.log(1.0 / (s * m) + u * (n2 + n12) * q)
        if n2:
            term += n2 * (n1 + n12) * math.log(1.0 / (s * m) + u * (n1 + n12) * q)
        p2_up = math.exp(m * u * u * q * term)
        p2_down = math.exp(-m * u * u * (2 * n1 * n2 + n12 * (n1 + n2)) * s / s_t**2)
    else:
        p2_up = p2_down = 1.0
    return BozicEradication(p1_up=p1_up, p1_down=p1_down, p2_up=p2_up, p2_down=p2_down)


# ----------------------------------------------------------------------------- Durrett–Moseley
def time_to_size_cdf(t: float | np.ndarray, size: float, *, birth: float, death: float) -> np.ndarray:
    """P(T_M <= t) for a surviving linear birth–death process from one cell.

    ``Z_t exp(-(b-d) t) -> W`` with ``W`` exponential of mean ``b / (b - d)`` given survival,
    so ``T_M ~ (log M - log W) / (b - d)`` (Durrett & Moseley 2010): a Gumbel law,
    ``P(T_M <= t) = exp(-(b - d) M exp(-(b - d) t) / b)``.

    Examples
    --------
    >>> float(time_to_size_cdf(1e9, 1e6, birth=1.0, death=0.5))
    1.0
    """
    lam = _iwasa_check(size, 0.0, birth, death)
    tt = np.asarray(t, dtype=float)
    return np.exp(-lam * size * np.exp(-lam * tt) / birth)


def time_to_size_mean(size: float, *, birth: float, death: float) -> float:
    """Mean time for a surviving birth–death process from one cell to reach ``size``.

    ``E[T_M] = (log(M (b - d) / b) + gamma) / (b - d)`` with Euler's gamma (mean of the Gumbel
    law in :func:`time_to_size_cdf`; Durrett & Moseley 2010).

    Examples
    --------
    >>> round(time_to_size_mean(1e6, birth=1.0, death=0.0), 4)
    14.3927
    """
    lam = _iwasa_check(size, 0.0, birth, death)
    return (math.log(size * lam / birth) + EULER_GAMMA) / lam
