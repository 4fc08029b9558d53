"""Reference models on the example screens and on synthetic surfaces with known ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from oncoresist.synergy import block_from_matrix, make_block, read_screen, score
from oncoresist.synergy._kernels import loewe_expected, loewe_reference
from oncoresist.synergy._models import best_window


def hill(dose, e0, emax, ec50, h):
    dose = np.asarray(dose, float)
    return e0 + (emax - e0) * dose**h / (dose**h + ec50**h)


def hand_hsa_bliss(frame: pd.DataFrame, viability: bool) -> dict[int, tuple[float, float]]:
    """HSA and Bliss block scores written out from the formulas (SynergyFinder convention).

    Per well: mean over replicates of % inhibition (100 - viability); y1, y2 the single-drug
    wells at the same doses; HSA expectation max(y1, y2); Bliss y1 + y2 - y1*y2/100; block score
    the mean of observed - expected over wells with both drugs present.
    """
    frame = frame.rename(columns={"conc_r": "conc1", "conc_c": "conc2"})
    frame = frame.assign(y=100 - frame.response if viability else frame.response)
    out = {}
    for block_id, part in frame.groupby("block_id"):
        mean = part.groupby(["conc1", "conc2"]).y.mean()
        hsa, bliss = [], []
        for (c1, c2), y in mean.items():
            if c1 == 0 or c2 == 0:
                continue
            y1, y2 = mean[(c1, 0.0)], mean[(0.0, c2)]
            hsa.append(y - max(y1, y2))
            bliss.append(y - (y1 + y2 - y1 * y2 / 100))
        out[block_id] = (sum(hsa) / len(hsa), sum(bliss) / len(bliss))
    return out


@pytest.mark.parametrize(("fixture", "kind"), [("oneil_path", "inhibition"), ("mathews_path", "viability")])
def test_hsa_bliss_equal_hand_computation(request, fixture, kind):
    path = request.getfixturevalue(fixture)
    expected = hand_hsa_bliss(pd.read_csv(path), viability=kind == "viability")
    result = score(read_screen(path, response=kind), models="hsa,bliss")
    for _, row in result.blocks.iterrows():
        hsa, bliss = expected[int(row.block_id)]
        assert row.hsa == pytest.approx(hsa, abs=1e-9)
        assert row.bliss == pytest.approx(bliss, abs=1e-9)


def test_oneil_signs(oneil_path):
    # O'Neil et al. 2016 as shipped with SynergyFinder: MK-1775 + niraparib synergistic,
    # paclitaxel + L-778123 antagonistic.
    blocks = score(read_screen(oneil_path), models="hsa,bliss,loewe,zip").blocks.set_index("block_id")
    for model in ("hsa", "bliss", "loewe", "zip"):
        assert blocks.loc["1", model] > 0, model
        assert blocks.loc["2", model] < 0, model


def grid_block(d1, d2, surface, *, reps=1, sd=0.0, rng=None):
    g1, g2 = np.meshgrid(d1, d2, indexing="ij")
    truth = surface(g1, g2)
    doses = np.tile(np.column_stack([g1.ravel(), g2.ravel()]), (reps, 1))
    resp = np.tile(truth.ravel(), reps)
    if sd:
        resp = resp + np.random.default_rng(rng).normal(0, sd, resp.size)
    return make_block(doses, resp)


D1 = np.array([0, 0.03, 0.1, 0.3, 1, 3, 10])
D2 = np.array([0, 0.1, 0.3, 1, 3, 10, 30])


def bliss_surface(g1, g2):
    y1, y2 = hill(g1, 0, 100, 0.5, 1.2), hill(g2, 0, 100, 2.0, 0.9)
    return y1 + y2 - y1 * y2 / 100


def test_bliss_surface_scores_zero_noise_free():
    # Bliss and ZIP nulls coincide when both drugs reach 100%: both deltas are 0 by construction.
    res = score(grid_block(D1, D2, bliss_surface), models="bliss,zip")
    combo = res.wells[(res.wells.conc1 > 0) & (res.wells.conc2 > 0)]
    assert np.abs(combo.bliss_synergy).max() < 1e-9
    assert np.abs(combo.zip_synergy).max() < 1e-3


def test_bliss_surface_with_noise_scores_zero_within_4_se():
    # Noise sd s on every well, 3 replicates. The Bliss block score is mean(obs) - mean(ref);
    # ref_ij = y1_i + y2_j - y1_i y2_j/100 moves by at most e1_i + e2_j, so its mean has
    # variance <= s_m^2 (1/n1 + 1/n2) and the observed mean s_m^2/(n1 n2), s_m = s/sqrt(3).
    sd, reps = 4.0, 3
    se = sd / np.sqrt(reps) * np.sqrt(1 / 6 + 1 / 6 + 1 / 36)
    res = score(grid_block(D1, D2, bliss_surface, reps=reps, sd=sd, rng=11), models="bliss,zip")
    assert abs(res.blocks.loc[0, "bliss"]) < 4 * se
    # ZIP's expectation comes from fitted curves, which average the noise at least as well.
    assert abs(res.blocks.loc[0, "zip"]) < 4 * se


def loewe_surface(c1=0.5, h1=1.2, c2=2.0, h2=0.8):
    """Loewe-additive surface, solved in the test with brentq from the isobole equation."""

    def inverse(y, c, h):
        return c * (y / (100 - y)) ** (1 / h)

    def surface(g1, g2):
        out = np.zeros(g1.shape)
        for idx, (x1, x2) in enumerate(zip(g1.ravel(), g2.ravel(), strict=True)):
            if x1 == 0 and x2 == 0:
                continue
            out.flat[idx] = optimize.brentq(
                lambda y, a=x1, b=x2: a / inverse(y, c1, h1) + b / inverse(y, c2, h2) - 1,
                1e-12, 100 - 1e-12, xtol=1e-13,
            )
        return out

    return surface


def test_loewe_surface_scores_zero():
    res = score(grid_block(D1, D2, loewe_surface()), models="loewe")
    combo = res.wells[(res.wells.conc1 > 0) & (res.wells.conc2 > 0)]
    assert np.abs(combo.loewe_synergy).max() < 1e-3
    assert not combo.loewe_fallback.any()
    np.testing.assert_allclose(combo.combination_index, 1.0, atol=1e-4)


def test_loewe_surface_with_noise_scores_zero_within_4_se():
    sd, reps = 4.0, 3
    se = sd / np.sqrt(reps) * np.sqrt(1 / 6 + 1 / 6 + 1 / 36)
    res = score(grid_block(D1, D2, loewe_surface(), reps=reps, sd=sd, rng=12), models="loewe")
    assert abs(res.blocks.loc[0, "loewe"]) < 4 * se


def test_sham_combination_has_ci_one():
    # A drug combined with itself: y(x1, x2) = f(x1 + x2). Loewe's isobole is then exact:
    # x1/X(y) + x2/X(y) = (x1 + x2)/X(f(x1 + x2)) = 1.
    d = np.array([0, 0.1, 0.2, 0.5, 1, 2, 5])
    res = score(grid_block(d, d, lambda a, b: hill(a + b, 0, 90, 1.0, 1.5)), models="loewe")
    combo = res.wells[(res.wells.conc1 > 0) & (res.wells.conc2 > 0)]
    np.testing.assert_allclose(combo.combination_index, 1.0, atol=1e-5)
    assert np.abs(combo.loewe_synergy).max() < 1e-3


def test_loewe_fallback_when_one_drug_never_reaches_the_effect():
    # Drug 2 plateaus at 40%: where drug 1 alone gives more, no y solves the isobole equation
    # and the expectation falls back to the higher fitted single-drug response.
    surface = lambda a, b: np.maximum(hill(a, 0, 100, 0.5, 1.0), hill(b, 0, 40, 1.0, 1.0))  # noqa: E731
    res = score(grid_block(D1, D2, surface), models="loewe")
    wells = res.wells
    high = wells[(wells.conc1 == 10) & (wells.conc2 > 0)]
    assert high.loewe_fallback.all()
    np.testing.assert_allclose(high.loewe_reference, hill(10, 0, 100, 0.5, 1.0), atol=1e-3)
    assert any("no solution" in n for n in res.notes)


def test_loewe_kernel_matches_brentq():
    rng = np.random.default_rng(3)
    p1 = np.column_stack([rng.uniform(-5, 5, 200), rng.uniform(40, 110, 200), np.log(rng.uniform(0.1, 10, 200)), rng.uniform(0.5, 3, 200)])
    p2 = np.column_stack([rng.uniform(-5, 5, 200), rng.uniform(40, 110, 200), np.log(rng.uniform(0.1, 10, 200)), rng.uniform(0.5, 3, 200)])
    x1, x2 = rng.uniform(0, 20, 200), rng.uniform(0, 20, 200)
    fast, solved = loewe_expected(x1, x2, p1, p2)
    slow = np.array([loewe_reference(a, b, p, q) for a, b, p, q in zip(x1, x2, p1, p2, strict=True)])
    assert np.array_equal(np.isfinite(slow), solved)
    np.testing.assert_allclose(fast[solved], slow[solved], rtol=1e-8, atol=1e-8)


def test_three_drug_hsa_bliss_zip():
    d = np.array([0, 0.1, 0.3, 1, 3])
    grids = np.meshgrid(d, d, d, indexing="ij")
    curves = [(0.3, 1.0), (1.0, 1.5), (0.5, 0.8)]
    single = [hill(g, 0, 100, c, h) for g, (c, h) in zip(grids, curves, strict=True)]
    truth = 100 * (1 - np.prod([1 - s / 100 for s in single], axis=0))
    block = make_block(np.column_stack([g.ravel() for g in grids]), truth.ravel())
    res = score(block, models="hsa,bliss,zip")
    wells = res.wells
    combo = wells[(wells.conc1 > 0) & (wells.conc2 > 0) & (wells.conc3 > 0)]
    assert np.abs(combo.bliss_synergy).max() < 1e-9
    assert np.abs(combo.zip_synergy).max() < 1e-3
    # HSA by hand at (1, 1, 1): observed Bliss of three Hill values minus the largest of them.
    y = [hill(1.0, 0, 100, c, h) for c, h in curves]
    obs = 100 * (1 - (1 - y[0] / 100) * (1 - y[1] / 100) * (1 - y[2] / 100))
    row = combo[(combo.conc1 == 1) & (combo.conc2 == 1) & (combo.conc3 == 1)]
    assert row.hsa_synergy.iloc[0] == pytest.approx(obs - max(y), abs=1e-9)
    assert "loewe" not in res.blocks


def test_best_window_finds_the_planted_area():
    d = np.array([0, 1, 2, 3, 4, 5])
    syn = np.zeros((6, 6))
    syn[3:6, 2:5] = 10  # rows conc1 3..5, columns conc2 2..4
    g1, g2 = np.meshgrid(d, d, indexing="ij")
    wells = pd.DataFrame({"conc1": g1.ravel(), "conc2": g2.ravel(), "bliss_synergy": syn.ravel()})
    window = best_window(wells, "bliss")
    assert window == {"bliss_window_score": 10.0, "bliss_window_conc1": "3-5", "bliss_window_conc2": "2-4"}


def test_failed_single_drug_fit_is_reported():
    # Drug 2 tested at two doses only: its curve cannot be fitted; Loewe and ZIP say so.
    d1 = np.array([0, 0.1, 0.3, 1, 3])
    d2 = np.array([0, 1.0])
    block = block_from_matrix(d1, d2, [[0, 30], [20, 45], [40, 60], [60, 75], [80, 90]])
    res = score(block, models="bliss,loewe,zip")
    assert res.fits.set_index("drug").loc["drug2", "status"] == "failed"
    assert np.isnan(res.blocks.loc[0, "loewe"])
    assert any("fit failed" in n for n in res.notes)
    assert np.isfinite(res.blocks.loc[0, "bliss"])
