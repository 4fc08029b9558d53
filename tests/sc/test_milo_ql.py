"""The quasi-likelihood F-test of the neighbourhood/clone GLM (edgeR's glmQLFTest, as Milo).

Expected values: the NB deviance by hand (below); the empirical-Bayes prior recovered from
data drawn from its own model (Smyth 2004: s2 ~ s0^2 F(d, d0)); the QL test's false-positive
rate under the null at its nominal level when rows vary in dispersion, which a likelihood-ratio
test with one common dispersion does not keep.
"""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist.sc._milo import fit_neighbourhoods, nb_deviance, squeeze_variances


def test_nb_deviance_by_hand():
    # y=3, mu=2, alpha=0.5 (1/alpha = 2): 2 [3 ln(3/2) - 5 ln(5/4)] = 2 (1.2163953 - 1.1157178)
    # = 0.2013550; y=0: 2 [-2 ln(2/4)] = 4 ln 2 = 2.7725887.
    assert nb_deviance(np.array([[3.0]]), np.array([[2.0]]), 0.5)[0] == pytest.approx(0.2013550, abs=1e-6)
    assert nb_deviance(np.array([[0.0]]), np.array([[2.0]]), 0.5)[0] == pytest.approx(2.7725887, abs=1e-6)
    assert nb_deviance(np.array([[4.0]]), np.array([[4.0]]), 0.3)[0] == 0.0  # perfect fit


def test_squeeze_recovers_the_prior_it_was_drawn_from():
    rng = np.random.default_rng(3)
    d, d0, s0 = 4, 8.0, 0.5
    sigma2 = s0 * d0 / rng.chisquare(d0, 50_000)      # scaled inverse chi-square prior
    s2 = sigma2 * rng.chisquare(d, 50_000) / d         # sampling with d degrees of freedom
    post, d0_hat, s0_hat = squeeze_variances(s2, d)
    assert d0_hat == pytest.approx(d0, rel=0.10)
    assert s0_hat == pytest.approx(s0, rel=0.03)
    assert np.all((post - s0_hat) * (s2 - s0_hat) >= 0)  # shrunk towards the prior, not past it


def test_equal_variances_give_an_infinite_prior():
    # log s2 does not vary at all, less than sampling with 4 df alone would make it: d0 is
    # infinite and s0^2 is the bias-corrected mean, exp(mean log s2 - digamma(2) + ln 2) =
    # 0.7 * 2 * exp(-(1 - 0.5772157)) = 0.7 * 2 * 0.6552199 = 0.9173079 (limma's fitFDist).
    post, d0, s0 = squeeze_variances(np.full(100, 0.7), 4)
    assert np.isinf(d0)
    assert s0 == pytest.approx(0.9173079, abs=1e-6)
    assert np.allclose(post, s0)


def test_ql_keeps_its_level_when_rows_differ_in_dispersion():
    # 3 + 3 samples, no effect; each row's NB dispersion is log-normal around 0.1 (sd 1 on
    # the log scale), so one common dispersion fits no row well. The QL test keeps its level
    # overall, and in the most dispersed quarter of rows (where the common dispersion is too
    # small) it rejects less often than the LR test, because it scales each row's statistic
    # by that row's own (shrunk) deviance.
    rng = np.random.default_rng(11)
    n_rows, level = 3000, 0.05
    means = rng.lognormal(np.log(40), 0.8, n_rows)[:, None] * np.ones(6)
    alpha = rng.lognormal(np.log(0.1), 1.0, n_rows)[:, None]
    counts = rng.poisson(rng.gamma(1.0 / alpha, means * alpha))
    treated = np.array([False] * 3 + [True] * 3)
    ql, _ = fit_neighbourhoods(counts.astype(float), treated, test="ql")
    lr, _ = fit_neighbourhoods(counts.astype(float), treated, test="lr")
    bound = level + 3 * np.sqrt(level * (1 - level) / n_rows)
    assert (ql["PValue"] < level).mean() <= bound
    dispersed = alpha.ravel() > np.quantile(alpha, 0.75)
    assert (ql["PValue"][dispersed] < level).mean() < (lr["PValue"][dispersed] < level).mean()


def test_unknown_test_is_refused():
    from oncoresist._core import InputError

    with pytest.raises(InputError, match="test must be"):
        fit_neighbourhoods(np.ones((3, 4)), np.array([0, 0, 1, 1], bool), test="wald")


def _trend_data(rng, n_rows=3000):
    """Counts whose NB dispersion falls with abundance: alpha = 0.05 + 2 / mean (true trend)."""
    means = np.exp(rng.uniform(np.log(5), np.log(500), n_rows))
    alpha = 0.05 + 2.0 / means
    mu = means[:, None] * np.ones(6)
    counts = rng.poisson(rng.gamma(1.0 / alpha[:, None], mu * alpha[:, None])).astype(float)
    return counts, means, alpha


def test_trended_dispersion_follows_a_planted_trend():
    from oncoresist.sc._milo import trended_dispersion

    counts, means, alpha = _trend_data(np.random.default_rng(5))
    design = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    offset = np.zeros(6)
    estimate = trended_dispersion(counts, design, offset)
    # Within 30% of the true dispersion across the abundance range (bins of 150 rows x 6
    # samples; the Cox-Reid estimate of one bin has a relative error of about 10%).
    for lo, hi in [(5, 15), (40, 80), (200, 500)]:
        rows = (means > lo) & (means < hi)
        assert np.median(estimate[rows] / alpha[rows]) == pytest.approx(1.0, abs=0.30)
    # Few rows: one common dispersion for all.
    few = trended_dispersion(counts[:60], design, offset)
    assert np.all(few == few[0])


def test_trended_dispersion_keeps_the_level_at_every_abundance():
    counts, means, _ = _trend_data(np.random.default_rng(9), n_rows=4000)
    treated = np.array([False] * 3 + [True] * 3)
    table, _ = fit_neighbourhoods(counts, treated, dispersion="trended")
    low = means < np.median(means)     # the more dispersed half
    for half in (low, ~low):
        n = int(half.sum())
        bound = 0.05 + 3 * np.sqrt(0.05 * 0.95 / n)
        assert (table["PValue"][half] < 0.05).mean() <= bound
