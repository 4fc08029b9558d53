"""Closed forms against hand calculations and the papers' own numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoresist._core.exceptions import InputError
from oncoresist.evolve import theory


def test_kendall_yule_is_geometric():
    # pure birth at rate 1 for time t: geometric with success probability exp(-t) (hand result)
    t = 1.3
    a, b = theory.kendall_parameters(1.0, 0.0, t)
    assert a == 0.0
    assert b == pytest.approx(1 - math.exp(-t), rel=1e-12)


def test_kendall_pure_death_is_binomial():
    a, b = theory.kendall_parameters(0.0, 0.7, 2.0)
    assert a == pytest.approx(1 - math.exp(-1.4), rel=1e-12)
    assert b == 0.0


def test_kendall_critical_limit():
    # b = d: alpha = beta = b t / (1 + b t) (Kendall 1948)
    a, b = theory.kendall_parameters(0.5, 0.5, 4.0)
    assert a == pytest.approx(2.0 / 3.0, rel=1e-9)
    assert b == pytest.approx(2.0 / 3.0, rel=1e-9)


def test_kendall_mean_and_extinction():
    # mean exp((b-d)t) and P(0) -> d/b as t -> inf (textbook limits)
    b, d, t = 1.0, 0.4, 3.0
    a, be = theory.kendall_parameters(b, d, t)
    mean = (1 - a) / (1 - be)
    assert mean == pytest.approx(math.exp((b - d) * t), rel=1e-12)
    a_inf, _ = theory.kendall_parameters(b, d, 200.0)
    assert a_inf == pytest.approx(d / b, rel=1e-9)


def test_kendall_piecewise_mean_is_product_of_growth():
    segs = [(1.0, 0.2, 1.0), (0.3, 0.9, 2.0), (0.5, 0.5, 0.5)]
    a, b = theory.kendall_piecewise(segs)
    expected = math.exp(sum((bb - dd) * h for bb, dd, h in segs))
    assert (1 - a) / (1 - b) == pytest.approx(expected, rel=1e-12)


def test_kendall_pmf_sums_to_one_and_mean():
    a, b = theory.kendall_parameters(1.0, 0.3, 2.0)
    k = np.arange(5000)
    p = theory.kendall_pmf(k, 5, alpha=a, beta=b)
    assert p.sum() == pytest.approx(1.0, abs=1e-10)
    assert (k * p).sum() == pytest.approx(5 * math.exp(0.7 * 2.0), rel=1e-9)


def test_luria_delbruck_first_terms():
    # p0 = exp(-m), p1 = m exp(-m) / 2, p2 = (m/2)(p0/3 + p1/2) from the recursion (hand)
    m = 5.0
    p = theory.luria_delbruck_pmf(m, 2)
    assert p[0] == pytest.approx(math.exp(-m))
    assert p[1] == pytest.approx(m * math.exp(-m) / 2)
    assert p[2] == pytest.approx(m / 2 * (p[0] / 3 + p[1] / 2))


def test_luria_delbruck_tail_is_m_over_n():
    # the Lea-Coulson tail P(X >= n) ~ m / n (Luria-Delbrück heavy tail)
    m = 1.0
    p = theory.luria_delbruck_pmf(m, 4000)
    assert 1 - p.sum() == pytest.approx(m / 4001, rel=0.05)


def test_bozic_table1_single_lesion_patient_n22():
    # Bozic et al. 2013 Table 1, patient N22 (one lesion, 8.5e8 cells):
    # failure probability 0.677 with n12 = 1 and 0.001 with n12 = 0 (table gives 3 decimals)
    fail1 = 1 - theory.bozic2013_eradication(8.5e8, n12=1).probability
    fail0 = 1 - theory.bozic2013_eradication(8.5e8, n12=0).probability
    assert fail1 == pytest.approx(0.677, abs=0.0015)
    assert fail0 == pytest.approx(0.001, abs=0.0005)


def test_bozic_components_hand_values():
    # M u n12 = 1 at M = 1e9: p1_up = exp(-1); s = 1/14, s' = 1 - 0.17/0.14 = -3/14: p1_down = exp(-1/3)
    r = theory.bozic2013_eradication(1e9, n12=1)
    assert r.p1_up == pytest.approx(math.exp(-1))
    assert r.p1_down == pytest.approx(math.exp(-1 / 3))
    mono = theory.bozic2013_eradication(1e7, n1=50, drugs=1)
    assert mono.probability == pytest.approx(math.exp(-0.5 - 0.5 / 3))


def test_bozic_rejects_growth_under_treatment():
    with pytest.raises(InputError, match="decline under it"):
        theory.bozic2013_eradication(1e9, d_treated=0.1)


def test_iwasa_reduces_to_closed_forms():
    # no resistant death: every resistant lineage survives, Lambda = M u r / (r - d)
    p = theory.iwasa_resistance_probability(1e6, mutation=1e-7, birth=1.0, death=0.5,
                                            resistant_birth=1.0, resistant_death=0.0)
    lam = 1e6 * 1e-7 * 1.0 / 0.5 * (1 - 1e-6)
    assert p == pytest.approx(1 - math.exp(-lam), rel=1e-6)


def test_iwasa_neutral_mean_grows_like_log_m():
    e4 = theory.iwasa_mean_resistant(1e4, mutation=1e-6, birth=1.0, death=0.3, resistant_birth=1.0, resistant_death=0.3)
    assert e4 == pytest.approx(1e4 * 1e-6 / 0.7 * math.log(1e4), rel=1e-12)


def test_time_to_size_mean_matches_gumbel_integral():
    b, d, m = 1.0, 0.25, 1e5
    t = np.linspace(0, 60, 200001)
    cdf = theory.time_to_size_cdf(t, m, birth=b, death=d)
    mean_numeric = float(np.trapezoid(1 - cdf, t))
    assert theory.time_to_size_mean(m, birth=b, death=d) == pytest.approx(mean_numeric, rel=1e-4)
