"""MuSyC surface (closed forms) and parameter recovery; the simulator hand-off (effect_model)."""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist.synergy import (
    CombinationEffect,
    effect_model,
    fit_musyc,
    make_block,
    musyc_surface,
    read_screen,
)

TRUE = dict(e0=0.0, e1=70.0, e2=50.0, e3=95.0, h1=1.3, h2=0.9, c1=0.5, c2=2.0,
            alpha12=2.0, alpha21=0.5, gamma12=1.5, gamma21=0.8)


def test_no_interaction_is_independent_occupancy():
    # alpha = gamma = 1: the two drugs act independently, so occupancies factorise:
    # E = E0 (1-f1)(1-f2) + E1 f1 (1-f2) + E2 (1-f1) f2 + E3 f1 f2, f_i = a_i / (1 + a_i).
    p = dict(TRUE, alpha12=1.0, alpha21=1.0, gamma12=1.0, gamma21=1.0)
    d1, d2 = np.meshgrid([0, 0.1, 0.5, 2, 10], [0, 0.3, 2, 5, 40], indexing="ij")
    a1, a2 = (d1 / p["c1"]) ** p["h1"], (d2 / p["c2"]) ** p["h2"]
    f1, f2 = a1 / (1 + a1), a2 / (1 + a2)
    expected = (p["e0"] * (1 - f1) * (1 - f2) + p["e1"] * f1 * (1 - f2)
                + p["e2"] * (1 - f1) * f2 + p["e3"] * f1 * f2)
    np.testing.assert_allclose(musyc_surface(d1, d2, p), expected, rtol=1e-10, atol=1e-10)


def test_alpha21_and_gamma21_act_on_drug_1_when_drug_2_saturates():
    # With drug 2 saturating, only A2 <-> A12 is occupied: E = E2 + (E3 - E2) b / (1 + b),
    # b = (alpha21 d1 / c1) ** (h1 * gamma21) (rates r = 1).
    d1 = np.array([0.01, 0.1, 1.0, 10.0])
    b = (TRUE["alpha21"] * d1 / TRUE["c1"]) ** (TRUE["h1"] * TRUE["gamma21"])
    expected = TRUE["e2"] + (TRUE["e3"] - TRUE["e2"]) * b / (1 + b)
    np.testing.assert_allclose(musyc_surface(d1, 1e12, TRUE), expected, rtol=1e-6)


def _surface_block(params, *, sd, seed, reps=2):
    d1 = np.concatenate([[0], params["c1"] * np.logspace(-2, 2, 9)])
    d2 = np.concatenate([[0], params["c2"] * np.logspace(-2, 2, 9)])
    g1, g2 = np.meshgrid(d1, d2, indexing="ij")
    doses = np.tile(np.column_stack([g1.ravel(), g2.ravel()]), (reps, 1))
    y = musyc_surface(doses[:, 0], doses[:, 1], params)
    y = y + np.random.default_rng(seed).normal(0, sd, y.size)
    return make_block(doses, y, drugs=("a", "b"))


def test_musyc_parameters_recovered():
    # 10 x 10 log grid spanning c/100..100c, 2 replicates, noise sd 1.5 (seeded). Tolerances
    # fixed beforehand: log alpha and log gamma within 4 of their standard errors, and within a
    # factor 1.5; efficacies within 3 percentage points.
    fit = fit_musyc(_surface_block(TRUE, sd=1.5, seed=2026))
    for name in ("alpha12", "alpha21", "gamma12", "gamma21"):
        error = abs(np.log(getattr(fit, name) / TRUE[name]))
        assert error < 4 * fit.log_se[name], name
        assert error < np.log(1.5), name
    for name in ("e0", "e1", "e2", "e3"):
        assert getattr(fit, name) == pytest.approx(TRUE[name], abs=3.0)
    assert fit.beta == pytest.approx((95 - 70) / (70 - 0), abs=0.05)


def test_effect_model_hands_hill_parameters_and_interaction():
    params = dict(TRUE, gamma12=1.0, gamma21=1.0, alpha12=3.0, alpha21=3.0)
    effect = effect_model(_surface_block(params, sd=0.0, seed=0))
    assert isinstance(effect, CombinationEffect)
    first, second = effect.drugs
    assert (first.drug, second.drug) == ("a", "b")
    assert first.e0 == pytest.approx(0.0, abs=1e-4)
    assert first.emax == pytest.approx(0.70, abs=1e-4)
    assert first.ec50 == pytest.approx(0.5, rel=1e-3)
    assert first.hill == pytest.approx(1.3, rel=1e-3)
    assert second.ec50 == pytest.approx(2.0, rel=1e-3)
    assert effect.interaction == pytest.approx(3.0, rel=1e-3)
    assert effect.e_combined == pytest.approx(0.95, abs=1e-4)
    # The callable is the surface on the fraction scale; drug 1 alone is its Hill curve.
    assert float(effect(0.5, 0.0)) == pytest.approx(0.35, abs=1e-4)
    assert float(effect(1.0, 4.0)) == pytest.approx(musyc_surface(1.0, 4.0, params) / 100, abs=1e-4)
    assert effect.to_dict()["drugs"][0]["ec50"] == pytest.approx(0.5, rel=1e-3)


def test_effect_model_on_oneil_blocks(oneil_path):
    screen = read_screen(oneil_path)
    effect = effect_model(screen.blocks["2"])
    # Paclitaxel + L-778123 is antagonistic: the combined maximum falls below either drug's.
    assert effect.e_combined < min(effect.drugs[0].emax, effect.drugs[1].emax)
    assert effect.drugs[0].conc_unit == "uM"


def test_parameters_at_bounds_are_flagged(oneil_path):
    # MK-1775 + niraparib: the potency parameters run to the fit bounds on these noisy replicates;
    # the result must say so rather than present them as estimates.
    effect = effect_model(read_screen(oneil_path).blocks["1"])
    assert effect.at_bound
    assert set(effect.at_bound) <= {"alpha12", "alpha21", "h1", "h2", "c1", "c2", "e0", "e1", "e2", "e3"}


def test_effect_model_from_a_musyc_fit_keeps_gamma():
    fit = fit_musyc(_surface_block(TRUE, sd=0.0, seed=0))
    effect = effect_model(fit, conc_unit="uM")
    assert effect.gamma12 == pytest.approx(TRUE["gamma12"], rel=1e-3)
    # The callable reproduces the generating surface (fraction scale) at an off-grid point.
    assert float(effect(0.7, 1.3)) == pytest.approx(musyc_surface(0.7, 1.3, TRUE) / 100, abs=1e-4)
