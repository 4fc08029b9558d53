"""The simulators: planted truth, reproducibility, and the laws they are meant to follow."""

from __future__ import annotations

import math

import pytest

from oncoresist import sc as osc
from oncoresist._core import InputError


def test_same_seed_same_counts():
    a = osc.simulate(300, n_genes=500, rng=3)
    b = osc.simulate(300, n_genes=500, rng=3)
    assert (a.X != b.X).nnz == 0
    assert a.obs.equals(b.obs)


def test_planted_fractions_and_truth(simulated):
    obs = simulated.obs
    frac = obs.groupby("condition", observed=True)["true_state"].apply(lambda s: (s == "persister").mean())
    # Beta(200 f, 200 (1 - f)) per sample: sd of one sample's fraction is
    # sqrt(f (1 - f) / 201) ~ 0.032 at f = 0.3; pooled over 3 samples plus binomial sampling of
    # 400 cells, 4 sd is well within 0.08.
    assert abs(frac["control"] - 0.03) < 0.03
    assert abs(frac["drug"] - 0.30) < 0.08
    resistant = set(simulated.uns["simulation"]["resistant_clones"])
    persisters = obs.loc[obs.true_state == "persister", "barcode"].astype(str)
    assert set(persisters) <= resistant  # pre-existing: the state is carried by whole clones


def test_bad_arguments_raise_input_error():
    with pytest.raises(InputError, match="n_genes"):
        osc.simulate(300, n_genes=100)
    with pytest.raises(InputError, match="mode"):
        osc.simulate(300, n_genes=500, mode="lamarckian")


def test_induced_counts_have_poisson_mean():
    # Binomial(5000, m / 5000): mean m, variance m (1 - m / 5000); 4 standard errors.
    counts = osc.simulate_fluctuation(2000, mode="induced", m=2.0, rng=1)
    assert abs(counts.mean() - 2.0) < 4 * math.sqrt(2.0 / 2000)


def test_pre_existing_zero_class_is_exp_minus_m():
    # Lea-Coulson: P(0 mutants) = exp(-m) (no mutation happened); here the number of mutations is
    # Binomial(divisions, m / divisions), so P(0) = (1 - m / d)^d ~ exp(-m). 4 standard errors.
    m, n = 1.5, 4000
    counts = osc.simulate_fluctuation(n, mode="pre-existing", m=m, rng=2)
    p0 = (counts == 0).mean()
    expected = (1 - m / 4900) ** 4900
    assert abs(p0 - expected) < 4 * math.sqrt(expected * (1 - expected) / n)


def test_pre_existing_counts_follow_lea_coulson():
    # The Polya-urn construction should reproduce the Lea-Coulson law for final >> initial:
    # compare the empirical P(k) for k = 0..5 with luria_delbruck_pmf within 4 standard errors.
    from oncoresist.evolve.theory import luria_delbruck_pmf

    m, n = 1.0, 4000
    counts = osc.simulate_fluctuation(n, mode="pre-existing", m=m, initial_size=10,
                                      final_size=20000, rng=5)
    pmf = luria_delbruck_pmf(m, 5)
    for k in range(6):
        observed = (counts == k).mean()
        se = math.sqrt(pmf[k] * (1 - pmf[k]) / n)
        assert abs(observed - pmf[k]) < 4 * se + 0.005, (k, observed, pmf[k])
