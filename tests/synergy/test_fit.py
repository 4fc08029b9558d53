"""Four-parameter log-logistic fits: known curves, intervals, degenerate data, the batched kernel."""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist._core import InputError
from oncoresist.synergy import fit_dose_response
from oncoresist.synergy._fit import _bounds
from oncoresist.synergy._kernels import hill4, lm_4pl, lm_4pl_reference

DOSES = np.array([0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30])


def curve(dose, e0, emax, ec50, hill):
    dose = np.asarray(dose, float)
    return e0 + (emax - e0) * dose**hill / (dose**hill + ec50**hill)


def test_noise_free_curve_is_recovered_exactly():
    truth = dict(e0=3.0, emax=88.0, ec50=0.4, hill=1.7)
    fit = fit_dose_response(DOSES, curve(DOSES, **truth), drug="x")
    assert fit.status == "ok"
    assert fit.quality == "good"
    for name, value in truth.items():
        assert getattr(fit, name) == pytest.approx(value, rel=1e-5, abs=1e-5)
    assert fit.r2 == pytest.approx(1.0, abs=1e-10)


def test_ic50_closed_form():
    # e0=0, emax=80, hill=1: 50 = 80 x / (x + c)  =>  x = 5c/3.
    fit = fit_dose_response(DOSES, curve(DOSES, 0, 80, 0.3, 1), drug="x")
    assert fit.ic50 == pytest.approx(0.3 * 5 / 3, rel=1e-5)


def test_auc_of_symmetric_curve_is_half_the_span():
    # On a log-dose range centred on ec50 a log-logistic curve is point-symmetric about
    # (ec50, (e0 + emax)/2), so its mean over the range is exactly 50 for e0=0, emax=100.
    doses = np.array([0, 0.01, 0.1, 1, 10, 100])
    fit = fit_dose_response(doses, curve(doses, 0, 100, 1.0, 1.3))
    assert fit.auc == pytest.approx(50.0, abs=1e-4)


def test_noisy_curve_within_interval():
    # Seeded: 3 replicates per dose, noise sd 3. The 95% interval of EC50 must hold the truth,
    # and the estimate must lie within 4 standard errors (log scale) of it.
    rng = np.random.default_rng(20261130)
    dose = np.repeat(DOSES, 3)
    resp = curve(dose, 0, 90, 0.5, 1.2) + rng.normal(0, 3, dose.size)
    fit = fit_dose_response(dose, resp)
    assert fit.ec50_low < 0.5 < fit.ec50_high
    se = (np.log(fit.ec50_high) - np.log(fit.ec50_low)) / (2 * 1.96)
    assert abs(np.log(fit.ec50 / 0.5)) < 4 * se
    assert fit.ic50_low < fit.ic50 < fit.ic50_high


def test_flat_response_is_reported_not_fitted():
    fit = fit_dose_response([0, 1, 2, 3, 4], [5, 5, 5, 5, 5], drug="inert")
    assert fit.status == "flat"
    assert "flat" in fit.message
    assert np.isnan(fit.ec50)


def test_single_dose_is_an_input_error():
    with pytest.raises(InputError, match="only one dose"):
        fit_dose_response([1, 1, 1], [10, 12, 11], drug="x")


def test_all_nan_is_an_input_error():
    with pytest.raises(InputError, match="all 3 responses are NaN"):
        fit_dose_response([0, 1, 2], [np.nan, np.nan, np.nan], drug="x")


def test_too_few_doses_fail_visibly():
    fit = fit_dose_response([0, 1, 10], [0, 40, 80], drug="x")
    assert fit.status == "failed"
    assert fit.quality == "failed"
    assert "at least 4" in fit.message
    assert np.isnan(fit.ec50)


def test_ec50_outside_range_is_flagged():
    fit = fit_dose_response(DOSES, curve(DOSES, 0, 100, 300.0, 1.0))
    assert "ec50_outside_range" in fit.quality


def test_batched_kernel_matches_scipy_reference():
    # Oracle: scipy least_squares per curve. The batched LM must reach the same minimum.
    rng = np.random.default_rng(7)
    x = np.tile(np.repeat(DOSES, 2), (40, 1))
    truths = np.column_stack([
        rng.uniform(-5, 10, 40), rng.uniform(40, 100, 40),
        np.log(rng.uniform(0.02, 5, 40)), rng.uniform(0.5, 3, 40),
    ])
    y = hill4(x, truths) + rng.normal(0, 4, x.shape)
    lowers, uppers, starts = [], [], []
    for row in range(40):
        lo, hi = _bounds(x[row], y[row], None)
        lowers.append(lo)
        uppers.append(hi)
        starts.append([y[row, :2].mean(), y[row, -2:].mean(), 0.0, 1.0])
    lower, upper, p0 = np.array(lowers), np.array(uppers), np.array(starts)
    params, cost, done = lm_4pl(x, y, np.ones_like(x), p0, lower, upper, np.ones((40, 4), bool), max_iter=2000)
    assert done.all()
    for row in range(40):
        _, ref_cost = lm_4pl_reference(x[row], y[row], p0[row], lower[row], upper[row], [True] * 4)
        assert cost[row] <= ref_cost * (1 + 1e-6) + 1e-9
