"""The numba RRA kernel against its slow pure-Python reference (scipy's beta CDF)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoresist.crispr._kernels import (
    binomial_upper_tail_reference,
    count_at_most,
    rra_scores,
    rra_scores_reference,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("alpha", [0.05, 0.25, 0.5, 1.0])
def test_rra_kernel_matches_reference(seed, alpha):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 12, size=60)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    # Skew towards small percentiles so that many guides fall under alpha.
    percentiles = rng.random(offsets[-1]) ** 2
    scores, good = rra_scores(percentiles, offsets, alpha)
    ref_scores, ref_good = rra_scores_reference(percentiles.tolist(), offsets.tolist(), alpha)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-9, atol=1e-300)
    assert good.tolist() == ref_good


def test_rra_score_by_hand():
    # One gene, guides at percentiles 0.01 and 0.5, alpha 0.1: only k = 1 counts,
    # rho_1 = P(min of 2 uniforms <= 0.01) = 1 - 0.99^2 = 0.0199.
    scores, good = rra_scores(np.array([0.5, 0.01]), np.array([0, 2]), 0.1)
    assert scores[0] == pytest.approx(1 - 0.99**2, rel=1e-12)
    assert good[0] == 1
    # Both under alpha = 0.6: rho_2 = P(max of 2 uniforms <= 0.5) = 0.25 > 0.0199.
    scores, good = rra_scores(np.array([0.5, 0.01]), np.array([0, 2]), 0.6)
    assert scores[0] == pytest.approx(0.0199, rel=1e-12)
    assert good[0] == 2


def test_binomial_tail_reference_is_the_beta_cdf():
    from scipy.stats import beta

    for n, k, x in [(4, 1, 0.1), (10, 3, 0.25), (7, 7, 0.9)]:
        assert binomial_upper_tail_reference(n, k, x) == pytest.approx(beta.cdf(x, k, n - k + 1), rel=1e-10)
    assert binomial_upper_tail_reference(3, 0, 0.2) == 1.0
    assert math.isclose(binomial_upper_tail_reference(1, 1, 0.3), 0.3)


def test_count_at_most():
    null = np.array([0.1, 0.2, 0.2, 0.5])
    assert count_at_most(null, np.array([0.05, 0.2, 0.6])).tolist() == [0, 3, 4]


def test_midranks_match_scipy_rankdata():
    from scipy.stats import rankdata

    from oncoresist.crispr._rra import _midranks

    rng = np.random.default_rng(3)
    values = rng.integers(0, 20, size=300).astype(float)  # many ties
    np.testing.assert_array_equal(_midranks(values), rankdata(values, method="average"))
