"""The PyClone-family likelihood against values computed by hand.

Hand calculations (written beside each test) use the mixture of normal cells (1 - t), tumour
cells without the mutation t (1 - f) and with it t f, each weighted by its copy number:
VAF = sum w_i c_i mu_i / sum w_i c_i (Roth et al. 2014, PyClone).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from oncoresist import clonal
from oncoresist.clonal._likelihood import (
    log_likelihood_grid,
    reference_log_likelihood,
)


def one(major=1, minor=1, normal=2, purity=1.0, error=0.0, ref=50, alt=50, omega=None):
    cell = np.ones((1, 1), dtype=np.int64)
    return clonal.ClonalData(
        ("m",), ("S",), cell * ref, cell * alt, cell * major, cell * minor, cell * normal,
        np.full((1, 1), purity), np.full((1, 1), error),
        None if omega is None else np.full((1, 1), omega),
    )


def log_binom(n, k, p):
    return math.log(math.comb(n, k)) + k * math.log(p) + (n - k) * math.log(1 - p)


def test_pure_diploid_clonal_is_half():
    assert clonal.expected_vafs(1.0).tolist() == [0.5]
    value = clonal.log_likelihood(one(), 1.0)[0, 0]
    assert value == pytest.approx(log_binom(100, 50, 0.5), abs=1e-10)


def test_purity_half_gives_quarter():
    # (0.5 * 1 * 2 * 1/2) / (0.5 * 2 + 0.5 * 2) = 0.25
    assert clonal.expected_vafs(1.0, purity=0.5).tolist() == [0.25]
    value = clonal.log_likelihood(one(purity=0.5, ref=75, alt=25), 1.0)[0, 0]
    assert value == pytest.approx(log_binom(100, 25, 0.25), abs=1e-10)


@pytest.mark.parametrize("purity", [0.2, 0.45, 0.7, 1.0])
@pytest.mark.parametrize("ccf", [0.0, 0.1, 0.35, 0.8, 1.0])
def test_diploid_heterozygous_vaf_is_purity_times_ccf_over_two(purity, ccf):
    assert clonal.expected_vafs(ccf, purity=purity)[0] == pytest.approx(purity * ccf / 2, abs=1e-12)


def test_gain_before_and_after_the_mutation():
    # 2+1 gain, normal 2, pure, clonal: before the gain with 1 or 2 mutant copies of 3 -> 1/3, 2/3;
    # after the gain, 1 mutant copy of 3 -> 1/3.
    vafs = clonal.expected_vafs(1.0, major_cn=2, minor_cn=1)
    assert vafs == pytest.approx([1 / 3, 2 / 3, 1 / 3], abs=1e-12)
    # CCF 0.5: before: 0.5*3*(x/3) / (0.5*2 + 0.5*3) = x/5; after: 0.5*3*(1/3) / (0.5*3 + 0.5*3) = 1/6
    vafs = clonal.expected_vafs(0.5, major_cn=2, minor_cn=1)
    assert vafs == pytest.approx([0.2, 0.4, 1 / 6], abs=1e-12)
    # likelihood = mean of the state likelihoods (uniform prior over the 3 states)
    value = clonal.log_likelihood(one(major=2, minor=1, ref=70, alt=30), 0.5)[0, 0]
    expected = math.log(
        (math.exp(log_binom(100, 30, 0.2)) + math.exp(log_binom(100, 30, 0.4))
         + math.exp(log_binom(100, 30, 1 / 6))) / 3
    )
    assert value == pytest.approx(expected, abs=1e-10)


def test_loss_of_heterozygosity():
    # 1+0 (LOH), normal 2, pure, CCF 0.5: before: 0.5*1*1 / (0.5*2 + 0.5*1) = 1/3; after: 0.5/1 = 1/2
    assert clonal.expected_vafs(0.5, major_cn=1, minor_cn=0) == pytest.approx([1 / 3, 0.5], abs=1e-12)


def test_copy_neutral_loh_has_no_after_state():
    # 2+0 with normal 2: total equals normal, so the "after" state repeats x = 1 and is not added
    assert clonal.expected_vafs(1.0, major_cn=2, minor_cn=0) == pytest.approx([0.5, 1.0], abs=1e-12)


def test_error_rate_is_the_vaf_of_absent_mutations():
    assert clonal.expected_vafs(0.0, error_rate=0.001)[0] == pytest.approx(0.001, abs=1e-15)


def test_beta_binomial_matches_scipy():
    # beta-binomial with mean vaf and precision s: shape parameters vaf*s, (1 - vaf)*s
    value = clonal.log_likelihood(one(purity=0.6, ref=70, alt=30), 0.9, density="beta-binomial", precision=50)
    vaf = 0.6 * 0.9 / 2
    assert value[0, 0] == pytest.approx(stats.betabinom.logpmf(30, 100, vaf * 50, (1 - vaf) * 50), abs=1e-9)


def test_pairtree_omega_is_vaf_per_unit_ccf():
    # Pairtree: VAF = omega * phi
    value = clonal.log_likelihood(one(omega=1 / 3, ref=80, alt=20), 0.6)[0, 0]
    assert value == pytest.approx(log_binom(100, 20, 0.2), abs=1e-10)


def test_grid_matches_the_plain_python_reference():
    rng = np.random.default_rng(0)
    n, d = 25, 3
    major = rng.integers(1, 9, size=(n, d))  # up to 8 copies: entries with 1 to 9 states
    minor = np.minimum(rng.integers(0, 3, size=(n, d)), major)
    data = clonal.ClonalData(
        tuple(f"m{i}" for i in range(n)), ("a", "b", "c"),
        rng.integers(0, 300, size=(n, d)), rng.integers(0, 120, size=(n, d)),
        major, minor, rng.choice([1, 2], size=(n, d)),
        np.broadcast_to(rng.uniform(0.2, 1.0, size=d), (n, d)).copy(),
        np.full((n, d), 0.001),
    )
    for density in ("binomial", "beta-binomial"):
        grid = log_likelihood_grid(data, 11, density=density, precision=150.0)
        for i in range(n):
            for j in range(d):
                for g, f in enumerate(np.linspace(0, 1, 11)):
                    expected = reference_log_likelihood(
                        int(data.ref_counts[i, j]), int(data.alt_counts[i, j]),
                        major=int(major[i, j]), minor=int(minor[i, j]), normal=int(data.normal_cn[i, j]),
                        purity=float(data.tumour_content[i, j]), ccf=float(f), error=0.001,
                        density=density, precision=150.0,
                    )
                    assert grid[i, j, g] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_likelihood_peaks_at_the_true_ccf():
    # 25 of 100 reads, diploid, purity 0.5: VAF 0.25 is reached at CCF 1 (p c / 2)
    grid = log_likelihood_grid(one(purity=0.5, ref=75, alt=25), 101)
    assert int(np.argmax(grid[0, 0])) == 100
