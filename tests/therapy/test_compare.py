"""compare(): common random numbers, reproducibility, and the published claims it reproduces."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from oncoresist.evolve import theory
from oncoresist.therapy import Settings, compare, load_therapy_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _bozic(n: int, seed: int):
    sc = load_therapy_scenario(EXAMPLES / "bozic2013" / "combination_vs_sequential.yaml")
    settings = dataclasses.replace(sc.settings, record_interval=200.0)
    return compare(sc.model, sc.strategies, settings, n_patients=n, rng=seed)


def _check_bozic(result):
    # Bozic et al. (2013) eq. (1), n1 = n2 = 50, n12 = 1, M = 1e9: 0.2632 (paper: ~26.3%, Fig. 5B)
    expected = theory.bozic2013_eradication(1e9, n1=50, n2=50, n12=1).probability
    assert expected == pytest.approx(0.2632, abs=5e-4)
    n = int(result.outcomes["patients"].iloc[0])
    p, se = result.eradication("simultaneous")
    tol = max(4 * math.sqrt(expected * (1 - expected) / n), 0.02)   # asymptotic formula: 4 SE or 0.02
    assert abs(p - expected) < tol
    # Fig. 5A: sequential therapy 'always' fails
    assert result.eradication("sequential")[0] == 0.0
    # Fig. 5A: ~73.7% of sequential failures come from cells that would defeat the combination
    # too (cross-resistant cells present before treatment, or made from sensitive cells by the
    # single cross-resistance mutation); ~26.3% from drug-1-resistant cells during drug 1.
    # That share is 1 - eq.(1) = 0.7368.
    seq = result.patients[result.patients["strategy"] == "sequential"]
    share = float(seq["dominant_origin"].isin(["pre-existing", "from S"]).mean())
    target = 1 - expected
    assert abs(share - target) < max(4 * math.sqrt(target * (1 - target) / len(seq)), 0.02)
    return p, share


def test_bozic2013_simultaneous_vs_sequential_small():
    _check_bozic(_bozic(40, seed=11))


@pytest.mark.slow
def test_bozic2013_simultaneous_vs_sequential_1000_patients():
    _check_bozic(_bozic(1000, seed=2))


def test_common_random_numbers_identical_patients_across_strategies():
    sc = load_therapy_scenario(EXAMPLES / "egfr_nsclc" / "strategies.yaml")
    result = compare(sc.model, sc.strategies, sc.settings, n_patients=3, rng=4)
    p = result.patients
    cols = [c for c in p.columns if c.startswith("detected_")]
    first = p[p["strategy"] == "erlotinib_then_osimertinib"].set_index("patient")[cols]
    for name in ("osimertinib_first", "adaptive_osimertinib"):
        other = p[p["strategy"] == name].set_index("patient")[cols]
        assert other.equals(first)   # the same tumour at treatment start, cell for cell
    assert first.nunique().max() > 1   # and patients differ from one another


def test_same_seed_same_bytes(tmp_path):
    sc = load_therapy_scenario(EXAMPLES / "zhang2017" / "adaptive_abiraterone.yaml")
    a = compare(sc.model, sc.strategies, sc.settings, n_patients=1, rng=3).write(tmp_path / "a", figures=False)
    b = compare(sc.model, sc.strategies, sc.settings, n_patients=1, rng=3).write(tmp_path / "b", figures=False)
    for name in ("outcomes.tsv", "patients.tsv", "km.tsv", "logrank.tsv", "provenance.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_zhang2017_adaptive_beats_continuous_with_less_drug():
    # Reference (Zhang et al. 2017 Nat Commun 8:1816, abstract): with standard dosing the
    # median time to progression is ~16.5 months; in the adaptive pilot trial 10 of 11 patients
    # kept stable oscillations, median TTP at least 27 months, with 47% of the standard
    # cumulative dose. The model's claim tested here is qualitative, as in the paper's
    # simulations: adaptive therapy cycles (several on/off phases), progresses later than
    # continuous therapy and uses a fraction of its dose.
    sc = load_therapy_scenario(EXAMPLES / "zhang2017" / "adaptive_abiraterone.yaml")
    result = compare(sc.model, sc.strategies, sc.settings, n_patients=1, rng=1)
    rows = result.patients.set_index("strategy")
    assert bool(rows.loc["continuous", "progressed"])
    assert rows.loc["adaptive", "ttp"] > rows.loc["continuous", "ttp"]
    dose = result.traces[("adaptive", 0)]["dosing"]
    on_phases = int(((dose["level"] > 0) & (dose["level"].shift(fill_value=0) == 0)).sum())
    assert on_phases >= 2
    horizon_dose = rows.loc["continuous", "dose_abiraterone"] / rows.loc["continuous", "ttp"]   # dose per day
    assert rows.loc["adaptive", "dose_abiraterone"] / rows.loc["adaptive", "ttp"] < horizon_dose


def test_unknown_drug_in_python_api():
    from oncoresist._core.exceptions import InputError
    from oncoresist.evolve import StopRules
    from oncoresist.therapy import Continuous, Zhang2017

    with pytest.raises(InputError, match="strategy 'x' gives unknown drug 'docetaxel'"):
        compare(Zhang2017(), {"x": Continuous("docetaxel")}, Settings(stop=StopRules(time_limit=100)), n_patients=1)
    with pytest.raises(InputError, match="a comparison needs a finite follow-up"):
        compare(Zhang2017(), {"x": Continuous("abiraterone")}, Settings(), n_patients=1)


def test_results_do_not_depend_on_workers():
    from oncoresist.evolve import StopRules
    from oncoresist.therapy import Combination, Imaging, Monitoring, model_from_kb

    model = model_from_kb(["erlotinib", "osimertinib"], ["EGFR T790M"])
    settings = Settings(stop=StopRules(detection_size=1e6, time_limit=400),
                        monitoring=Monitoring(Imaging(interval=28, threshold=1e5)))
    strategies = {"both": Combination({"erlotinib": 1, "osimertinib": 1})}
    one = compare(model, strategies, settings, n_patients=4, rng=9, workers=1)
    two = compare(model, strategies, settings, n_patients=4, rng=9, workers=2)
    assert one.patients.equals(two.patients)


def test_time_to_emergence_is_the_simulator_event_not_a_record_time():
    # deterministic (ode) model: resistant R grows at b - d = 0.1/day from 100 cells under the drug,
    # so it reaches 1e4 cells at ln(100) / 0.1 = 46.05 days after treatment start (hand calculation)
    # whatever the record interval
    from oncoresist.evolve import CellType, Drug, DrugResponse, Model, StopRules
    from oncoresist.therapy import Continuous, Imaging, Monitoring

    model = Model(types=(CellType("S", 0.5, 0.1, (DrugResponse("x", "death", 1.0),)), CellType("R", 0.3, 0.2)),
                  drugs=(Drug("x"),), initial={"S": 1000, "R": 100})
    expected = math.log(100) / 0.1
    for record in (30.0, 7.0, None):
        settings = Settings(stop=StopRules(time_limit=80), engine="ode", record_interval=record,
                            monitoring=Monitoring(Imaging(interval=28, threshold=1e9)),
                            resistant_types=("R",), emergence_size=1e4)
        res = compare(model, {"on": Continuous("x")}, settings, n_patients=1, rng=1)
        assert res.patients["t_emergence"].iloc[0] == pytest.approx(expected, rel=1e-6)


def test_zhang2017_emergence_is_the_crossing_time():
    # the Zhang model's own solver records the crossing by event location: the same time from a
    # coarse and a fine record grid (equal to 1e-6 relative, the solver tolerance is 1e-8)
    from oncoresist.evolve import StopRules
    from oncoresist.therapy import Continuous, Zhang2017

    times = []
    for record in (90.0, 3.0):
        settings = Settings(stop=StopRules(time_limit=1500), record_interval=record, decision_interval=28,
                            resistant_types=("T-",), emergence_size=20.0)
        res = compare(Zhang2017(), {"on": Continuous("abiraterone")}, settings, n_patients=1, rng=1)
        times.append(float(res.patients["t_emergence"].iloc[0]))
    assert math.isfinite(times[0])
    assert times[0] == pytest.approx(times[1], rel=1e-6)
    assert abs(times[0] - round(times[0] / 90.0) * 90.0) > 1e-3  # not on the coarse record grid


def test_zhang2017_on_the_evolve_ode_engine_matches_its_own_solver():
    # the same model through oncoresist.evolve: a coupling imposes the state- and drug-dependent
    # capacities (K_T+ = 1.5 or 0.5 x_TP, K_TP = 1e4 or 1e2) by reading the drug concentration.
    # The coupling freezes the per-cell rates over steps of max_step days, a first-order splitting:
    # the deviation from therapy's LSODA solution (rtol 1e-8) must halve with the step (ratio
    # 0.5 +- 0.1) and stay below 5% of max(cells, 1) per type at 0.5-day steps, under an intermittent
    # schedule (drug on 280 days, off 280 days) that switches the capacities four times.
    from oncoresist.evolve import Dosing, Schedule, StopRules, simulate
    from oncoresist.therapy import Zhang2017

    x0 = Zhang2017().initial_sizes
    z = Zhang2017(initial_cells=(round(x0["T+"]), round(x0["TP"]), 1))
    schedule = Schedule(((0.0, Dosing(levels={"abiraterone": 1.0})), (280.0, Dosing(levels={}))), period=560.0)
    stop = StopRules(time_limit=1120.0)
    ref = z.simulate_controlled(schedule, stop=stop, decision_interval=28.0, record_interval=28.0).totals
    errors = []
    for step in (1.0, 0.5):
        model, coupling = z.as_evolve(max_step=step)
        run = simulate(model, schedule, engine="ode", coupling=coupling, stop=stop, decision_interval=28.0,
                       record_interval=28.0)
        ev = run.totals.assign(time=run.totals["time"].round(6))
        both = ref.merge(ev, on="time", suffixes=("_ref", "_ev"))
        assert len(both) == len(ref) == 41
        errors.append(max(float(np.max(np.abs(both[f"{k}_ev"] - both[f"{k}_ref"]) / np.maximum(both[f"{k}_ref"], 1.0)))
                          for k in ("T+", "TP", "T-")))
    assert errors[1] < 0.05
    assert 0.4 < errors[1] / errors[0] < 0.6
