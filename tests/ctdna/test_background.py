"""Background fits: recovery of known parameters, the fallback chain, hand-calculated bounds."""

import numpy as np
import pandas as pd
import pytest

from oncoresist.ctdna._background import fit_background, fit_mle, fit_moments


def _betabinomial(rng, mu, rho, n, size):
    s = 1.0 / rho - 1.0
    p = rng.beta(mu * s, (1 - mu) * s, size=size)
    return rng.binomial(n, p)


@pytest.mark.parametrize("fit", [fit_moments, fit_mle])
def test_recovers_mean_and_overdispersion(fit):
    rng = np.random.default_rng(5)
    n = rng.integers(2000, 20000, size=4000)
    x = _betabinomial(rng, 1e-3, 1e-3, n, len(n))
    mu, s = fit(x, n)
    rho = 1.0 / (1.0 + s)
    # Standard error of the pooled rate under beta-binomial sampling:
    # Var(sum x) = sum n mu (1 - mu) (1 + (n - 1) rho).
    se = np.sqrt(np.sum(n * 1e-3 * (1 - 1e-3) * (1 + (n - 1) * 1e-3))) / n.sum()
    assert abs(mu - 1e-3) < 4 * se
    assert rho == pytest.approx(1e-3, rel=0.25)  # 4000 donors: rho within 25%


def test_binomial_data_gives_the_binomial():
    rng = np.random.default_rng(6)
    n = np.full(500, 10_000)
    x = rng.binomial(n, 2e-4)
    mu, s = fit_mle(x, n)
    assert np.isinf(s) or 1.0 / (1.0 + s) < 1e-5
    assert mu == pytest.approx(x.sum() / n.sum())


def _normals(rows):
    frame = pd.DataFrame(rows, columns=["sample_id", "locus", "substitution_class", "alt_reads", "depth"])
    return frame


def test_fallback_chain_locus_class_global():
    rows = []
    for d in range(12):  # locus A: enough donors and reads
        rows.append((f"N{d}", "A", "C>T", 2, 10_000))
    for d in range(5):  # locus B: too few donors -> its class C>T
        rows.append((f"N{d}", "B", "C>T", 1, 10_000))
    for d in range(12):  # locus C: enough donors but no error reads -> class T>G has none -> global
        rows.append((f"N{d}", "C", "T>G", 0, 10_000))
    model = fit_background(_normals(rows), method="moments", min_normals=10, min_alt_reads=3)
    mu, s, names = model.lookup(np.array(["A", "B", "C", "Z"]), np.array(["C>T", "C>T", "T>G", "indel"]))
    assert list(names) == ["locus_moments", "class_moments", "global_moments", "global_moments"]
    assert mu[0] == pytest.approx(2e-4)
    assert mu[1] == pytest.approx((24 + 5) / 170_000)  # the class pools loci A and B
    assert mu[2] == pytest.approx((24 + 5) / (29 * 10_000))


def test_clean_panel_uses_the_rule_of_three():
    rows = [(f"N{d}", "A", "C>T", 0, 10_000) for d in range(30)]
    model = fit_background(_normals(rows), min_alt_reads=3)
    # Zero events in N = 300,000: one-sided 95% Poisson upper bound -ln(0.05)/N = 2.996/N.
    assert model.global_fit.model == "global_upper_bound"
    assert model.global_fit.mu == pytest.approx(-np.log(0.05) / 300_000, rel=1e-9)


def test_no_normals_is_the_assumed_rate():
    model = fit_background(None, default_error_rate=2e-4)
    assert model.global_fit.model == "assumed"
    assert model.global_fit.mu == 2e-4
