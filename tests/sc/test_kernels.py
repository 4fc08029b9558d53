"""The vectorised NB GLM against statsmodels, and the FDR procedures against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist.sc._clones import benjamini_hochberg
from oncoresist.sc._kernels import nb_glm_fit, spatial_fdr


def _reference_fit(y, design, offset, alpha):
    """statsmodels' GLM, one row at a time (the slow, obviously correct oracle)."""
    import statsmodels.api as sm

    betas, lls = [], []
    for row in y:
        model = sm.GLM(row, design, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset)
        fit = model.fit(tol=1e-12, maxiter=200)
        betas.append(fit.params)
        lls.append(fit.llf)
    return np.array(betas), np.array(lls)


@pytest.mark.parametrize("alpha", [0.01, 0.3, 2.0])
def test_nb_glm_matches_statsmodels(alpha):
    rng = np.random.default_rng(0)
    design = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    offset = np.log(rng.uniform(500, 1500, 6))
    mu = np.exp(np.log(0.02) + offset + np.outer(rng.normal(0, 1, 40), design[:, 1]))
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)).astype(float)
    beta, _, ll, _ = nb_glm_fit(y, design, offset, alpha)
    ref_beta, ref_ll = _reference_fit(y, design, offset, alpha)
    ok = np.all(y[:, :3].sum(1) > 0) and np.all(y[:, 3:].sum(1) > 0)
    rows = (y[:, :3].sum(1) > 0) & (y[:, 3:].sum(1) > 0)  # finite MLE only
    assert ok or rows.any()
    np.testing.assert_allclose(beta[rows], ref_beta[rows], atol=1e-5)
    np.testing.assert_allclose(ll[rows], ref_ll[rows], rtol=1e-8, atol=1e-6)


def test_spatial_fdr_hand_calculation():
    # p = (0.01, 0.04, 0.03), weights 1/k-distance = (1, 2, 1), total 4.
    # Sorted p: 0.01 (w 1), 0.03 (w 1), 0.04 (w 2); cumulative w: 1, 2, 4.
    # Raw: 4*0.01/1 = 0.04, 4*0.03/2 = 0.06, 4*0.04/4 = 0.04; running min from the end:
    # 0.04, 0.04, 0.04.
    out = spatial_fdr(np.array([0.01, 0.04, 0.03]), np.array([1.0, 2.0, 1.0]))
    np.testing.assert_allclose(out, [0.04, 0.04, 0.04])


def test_spatial_fdr_with_equal_weights_is_benjamini_hochberg():
    p = np.array([0.001, 0.02, 0.03, 0.5, 0.04])
    np.testing.assert_allclose(spatial_fdr(p, np.ones(5)), benjamini_hochberg(p))
    # BH by hand: sorted 0.001, 0.02, 0.03, 0.04, 0.5 -> 0.005, 0.05, 0.05, 0.05, 0.5
    np.testing.assert_allclose(benjamini_hochberg(p), [0.005, 0.05, 0.05, 0.5, 0.05])
