"""Agreement with the peer `synergy` package (Python, GPL-3; run, never copied).

Numbers below were obtained on 2026-11-30 from synergy 1.0.0 (pip install synergy==1.0.0 into
/work/peers/synergy) with

    /work/peers/synergy/bin/python benchmarks/peer_synergy_run.py BLOCKS.npz

where BLOCKS.npz holds the per-well replicate means of each block (% inhibition; the runner
passes E = 1 - inhibition/100 to the peer and multiplies its synergy by 100) and the peer
models are HSA(), Bliss(), Loewe(mode="delta_HSA"), ZIP(use_jacobian=False). Block score: mean
over wells with both drugs (peer NaN wells skipped). The benchmark (benchmarks/bench_synergy.py)
reruns the comparison live when the peer is installed.
"""

from __future__ import annotations

import pytest

from oncoresist.synergy import read_screen, score

# block -> model -> block score reported by synergy 1.0.0
PEER = {
    "oneil": {
        "1": {"hsa": 40.920164621, "bliss": 35.306966362496766, "loewe": 37.352661902741026, "zip": 35.16762138979739},
        "2": {"hsa": -71.78847577415625, "bliss": -77.67912452770751, "loewe": -73.95357990018852, "zip": -81.37289246916684},
    },
    "mathews": {
        "1": {"hsa": 20.195098920000003, "bliss": 10.856470723005225, "loewe": 96.61834378845904, "zip": 1.597548645084182},
        "2": {"hsa": -41.41755648, "bliss": -13.07269513551825, "loewe": -42.72573914756144, "zip": -3.8877396295966276},
    },
}


@pytest.fixture(scope="module")
def ours():
    from tests.synergy.conftest import DATA

    oneil = score(read_screen(DATA / "ONEIL_screening_data.csv")).blocks.set_index("block_id")
    mathews = score(read_screen(DATA / "mathews_screening_data.csv", response="viability")).blocks.set_index("block_id")
    return {"oneil": oneil, "mathews": mathews}


@pytest.mark.parametrize("screen", ["oneil", "mathews"])
@pytest.mark.parametrize("model", ["hsa", "bliss"])
def test_hsa_bliss_identical_to_peer(ours, screen, model):
    # Both use the observed single-drug wells: the formulas are the same, so agreement is exact.
    for block, values in PEER[screen].items():
        assert ours[screen].loc[block, model] == pytest.approx(values[model], abs=1e-9)


def test_loewe_agrees_with_peer_on_oneil(ours):
    # Same fallback (the stronger drug's fitted effect). Measured |difference| 0.005 and 0.004
    # in % inhibition; bound 0.05 allows for the two fitters' tolerances.
    for block, values in PEER["oneil"].items():
        assert ours["oneil"].loc[block, "loewe"] == pytest.approx(values["loewe"], abs=0.05)


def test_loewe_disagrees_where_peer_fit_degenerates(ours):
    # Mathews block 1 (ispinesib, % viability): the peer's Hill fit of ispinesib degenerates
    # (h = 1e-10, Emax beyond 100% inhibition) and silently drives its Loewe score to 96.6.
    # Ours flags the fit (ec50_outside_range;at_bound) and scores 21.3, near HSA (20.2). Block 2
    # agrees within 0.25 (measured 0.236).
    assert ours["mathews"].loc["1", "loewe"] == pytest.approx(21.33, abs=0.05)
    assert ours["mathews"].loc["2", "loewe"] == pytest.approx(PEER["mathews"]["2"]["loewe"], abs=0.25)


def test_zip_sign_and_size_agree_on_oneil(ours):
    # ZIP implementations differ in the row/column fits (the peer bounds the fitted top at
    # 150% viability and averages E0 over the two drugs; ours follows SynergyFinder: bottom fixed
    # at the other drug's fitted response, top free within the data range). Measured differences:
    # 0.29 (block 1) and 3.44 (block 2, where the peer leaves wells NaN). Signs agree.
    for block, values in PEER["oneil"].items():
        assert ours["oneil"].loc[block, "zip"] == pytest.approx(values["zip"], abs=4.0)
        assert (ours["oneil"].loc[block, "zip"] > 0) == (values["zip"] > 0)


# synergy 1.0.0, MuSyC() with default settings (fit_gamma=True, r1r=r2r=1), fitted to the
# surface of tests/synergy/test_musyc.py::_surface_block(TRUE, sd=1.5, seed=2026) passed as
# E = 1 - inhibition/100 (all 200 replicate wells), with
#   /work/peers/synergy/bin/python -c "m = MuSyC(); m.fit(d1, d2, E)"
# alpha and gamma do not depend on the affine rescaling of E.
PEER_MUSYC = {"alpha12": 1.842750730094765, "alpha21": 0.5244697955991113,
              "gamma12": 1.5221955829507068, "gamma21": 0.7892857173750537,
              "h1": 1.2965307093094753, "h2": 0.8856205656648585,
              "c1": 0.49800811829867186, "c2": 1.8175151727853924}


def test_musyc_agrees_with_peer_on_synthetic_surface():
    from oncoresist.synergy import fit_musyc
    from tests.synergy.test_musyc import TRUE, _surface_block

    fit = fit_musyc(_surface_block(TRUE, sd=1.5, seed=2026))
    # Both are least-squares fits of the same model to the same data: measured relative
    # differences are below 0.25%; allowed 1% for optimiser tolerances.
    for name, value in PEER_MUSYC.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.01), name
