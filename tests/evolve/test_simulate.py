"""The simulation loop: clone table, strategies, PK, couplings, ensembles, reproducibility."""

from __future__ import annotations

import filecmp
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from oncoresist._core.exceptions import InputError
from oncoresist.evolve import (
    CellType,
    Dosing,
    Drug,
    DrugResponse,
    Model,
    Mutation,
    OneCompartmentPK,
    Schedule,
    StopRules,
    Switch,
    constant,
    simulate,
    simulate_ensemble,
)


def _two_type(u=1e-3):
    return Model(
        types=(CellType("S", 1.0, 0.3, (DrugResponse("d1", "death", 1.5),)), CellType("R", 0.9, 0.3)),
        mutations=(Mutation("S", "R", u),),
        drugs=(Drug("d1"),),
        initial={"S": 1},
    )


def test_same_seed_same_bytes(tmp_path):
    model = _two_type()
    stop = StopRules(detection_size=5e4, progression_size=5e4, time_limit=200)
    a = simulate(model, constant({"d1": 1}), stop=stop, record_interval=2.0, rng=5)
    b = simulate(model, constant({"d1": 1}), stop=stop, record_interval=2.0, rng=5)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    a.write(tmp_path / "a")
    b.write(tmp_path / "b")
    for name in ("clone_table.tsv", "clones.tsv", "totals.tsv", "dosing.tsv", "summary.json"):
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False), name
    c = simulate(model, constant({"d1": 1}), stop=stop, record_interval=2.0, rng=6)
    assert not c.to_frame().equals(a.to_frame())


def test_clone_table_is_a_consistent_tree():
    model = _two_type(u=5e-3)
    r = simulate(model, constant({"d1": 1}), stop=StopRules(detection_size=2e4, time_limit=30),
                 record_interval=1.0, rng=2)
    clones = r.clones.set_index("clone_id")
    assert set(r.to_frame().columns) == {"time", "clone_id", "parent_id", "type", "size"}
    mutants = clones[clones["parent_id"] >= 0]
    assert len(mutants) > 0
    for cid, row in mutants.iterrows():
        parent = clones.loc[row["parent_id"]]
        assert parent["type"] == "S"
        assert row["type"] == "R"
        assert row["born"] >= parent["born"]
        assert row["lineage"] == cid
    # totals per type equal the clone table summed per time
    table = r.to_frame()
    summed = table.pivot_table(index="time", columns="type", values="size", aggfunc="sum").fillna(0)
    totals = r.totals_frame().set_index("time")
    common = summed.index.intersection(totals.index)
    assert np.allclose(summed.loc[common, "S"], totals.loc[common, "S"])
    assert r.events["detection"] > 0


def test_strategy_sees_observations_at_decision_times():
    seen = []

    def strategy(obs):
        seen.append(obs)
        # give the drug only while the tumour is above half its size at treatment start
        start = obs.history[0].total if obs.history else obs.total
        return Dosing(levels={"d1": 1.0 if obs.total > 0.5 * start else 0.0}, duration=3.0)

    r = simulate(_two_type(u=0), strategy, stop=StopRules(detection_size=1e4, time_limit=30),
                 rng=4, engine="hybrid")
    t0 = r.events["treatment_start"]
    times = [o.treatment_time for o in seen]
    assert times == pytest.approx([3.0 * i for i in range(len(times))])
    assert [len(o.history) for o in seen] == list(range(len(seen)))
    assert all(abs(sum(o.sizes.values()) - o.total) < 1e-6 for o in seen)
    assert seen[0].time == pytest.approx(t0)
    levels = r.dosing["level"].tolist()
    assert 1.0 in levels
    assert 0.0 in levels


def test_schedule_changes_at_exact_times():
    model = Model(types=(CellType("S", 1.0, 0.3, (DrugResponse("d1", "death", 1.5),)),), drugs=(Drug("d1"),),
                  initial={"S": 1000})
    plan = __import__("oncoresist.evolve", fromlist=["Schedule"]).Schedule(
        ((0.0, Dosing(levels={"d1": 1.0})), (2.5, Dosing())), period=4.0)
    r = simulate(model, plan, stop=StopRules(time_limit=12.0), engine="ode")
    changes = r.dosing[["time", "level"]].drop_duplicates()
    assert changes["time"].tolist() == pytest.approx([0, 2.5, 4, 6.5, 8, 10.5])


def test_pk_infusion_matches_closed_form():
    # one type, death raised by an Emax drug whose concentration rises as Css (1 - exp(-k t))
    k, rate, ec50, emax = math.log(2) / 2.0, 1.0, 0.8, 0.6
    css = rate / k
    model = Model(types=(CellType("A", 0.5, 0.1, (DrugResponse("x", "death", emax, ec50, 2.0),)),),
                  drugs=(Drug("x", OneCompartmentPK(k)),), initial={"A": 1000})
    t_end = 10.0
    r = simulate(model, constant({"x": rate}), engine="ode", pk_step=0.002, stop=StopRules(time_limit=t_end))

    def effect(s):
        c = css * (1 - math.exp(-k * s))
        return emax * c**2 / (c**2 + ec50**2)

    integral, _ = integrate.quad(effect, 0, t_end)
    expected = 1000 * math.exp(0.4 * t_end - integral)
    assert r.final_sizes["A"] == pytest.approx(expected, rel=2e-4)


def test_pulsed_and_continuous_differ_with_same_dose():
    k = math.log(2) / 0.5
    model = Model(types=(CellType("A", 0.5, 0.1, (DrugResponse("x", "death", 1.0, 1.0, 3.0),)),),
                  drugs=(Drug("x", OneCompartmentPK(k)),), initial={"A": 1000})
    from oncoresist.evolve import Schedule

    pulsed = Schedule(((0.0, Dosing(boluses={"x": 7.0})),), period=7.0)
    continuous = constant({"x": 1.0})
    opts = {"engine": "ode", "stop": StopRules(time_limit=28.0)}
    a = simulate(model, pulsed, **opts).final_sizes["A"]
    b = simulate(model, continuous, **opts).final_sizes["A"]
    assert b < 0.5 * a  # same amount per week; the steep Hill curve favours steady exposure


class _Recorder:
    max_step = 0.5

    def __init__(self):
        self.calls = []

    def initial_state(self, model):
        return np.zeros(1)

    def modify_rates(self, rates, state, *, sizes, t):
        return rates.replace(birth=np.zeros_like(rates.birth))  # e.g. total growth arrest

    def advance(self, state, *, sizes_start, sizes_end, t0, t1, concentrations):
        self.calls.append((t0, t1))
        return state + (t1 - t0)


def test_coupling_hook_modifies_rates_between_steps():
    coupling = _Recorder()
    model = Model(types=(CellType("A", 1.0, 0.2),), initial={"A": 500})
    r = simulate(model, coupling=coupling, engine="ode", stop=StopRules(time_limit=3.0))
    assert r.final_sizes["A"] == pytest.approx(500 * math.exp(-0.2 * 3.0), rel=1e-6)
    spans = np.diff(np.array(coupling.calls), axis=1).ravel()
    assert spans.max() <= 0.5 + 1e-12
    assert coupling.calls[0][0] == 0
    assert coupling.calls[-1][1] == pytest.approx(3.0)
    assert all(a[1] == pytest.approx(b[0]) for a, b in zip(coupling.calls, coupling.calls[1:], strict=False))


def test_logistic_ode_reaches_capacity_equilibrium():
    model = Model(types=(CellType("A", 1.0, 0.2),), initial={"A": 10}, capacity=1000.0)
    r = simulate(model, engine="ode", stop=StopRules(time_limit=80.0))
    assert r.final_sizes["A"] == pytest.approx(1000 * (1 - 0.2 / 1.0), rel=1e-5)


def test_switching_into_persisters_keeps_one_compartment_per_lineage():
    model = Model(types=(CellType("S", 1.0, 0.5), CellType("P", 0.0, 0.01)),
                  switches=(Switch("S", "P", 0.05), Switch("P", "S", 0.05)), initial={"S": 2000})
    r = simulate(model, stop=StopRules(time_limit=5.0), rng=8)
    clones = r.clones
    assert len(clones) == 2  # the initial lineage and its persister compartment
    assert clones["compartment"].tolist() == [False, True]
    assert r.final_sizes["P"] > 0


def test_ensemble_independent_of_executor_and_chunks():
    model = _two_type()
    kw = {"runs": 24, "rng": 9, "stop": StopRules(detection_size=2e3, progression_size=2e3, time_limit=100)}
    inline = simulate_ensemble(model, constant({"d1": 1}), workers=1, **kw).runs
    with ThreadPoolExecutor(2) as pool:
        threaded = simulate_ensemble(model, constant({"d1": 1}), executor=pool, chunk_size=5, **kw).runs
    pd.testing.assert_frame_equal(inline, threaded)
    pooled = simulate_ensemble(model, constant({"d1": 1}), workers=2, chunk_size=7, **kw).runs
    pd.testing.assert_frame_equal(inline, pooled)
    summary = simulate_ensemble(model, constant({"d1": 1}), workers=1, **kw).summary()
    row = summary.set_index("quantity").loc["P(extinct)"]
    p = (inline["outcome"] == "extinct").mean()
    assert row["estimate"] == pytest.approx(p)
    assert row["se"] == pytest.approx(math.sqrt(p * (1 - p) / 24))


def test_bad_inputs_name_the_problem():
    model = _two_type()
    with pytest.raises(InputError, match="unknown drug 'd9'"):
        simulate(model, lambda obs: {"d9": 1.0}, stop=StopRules(time_limit=1.0))
    with pytest.raises(InputError, match="decision_interval"):
        simulate(model, decision_interval=0)
    with pytest.raises(InputError, match="engine must be one of"):
        simulate(model, engine="tau")
    with pytest.raises(InputError, match="unknown type 'X'"):
        Model(types=(CellType("S", 1, 0),), mutations=(Mutation("S", "X", 0.1),), initial={"S": 1})
    with pytest.raises(InputError, match="add up to"):
        Model(types=(CellType("S", 1, 0), CellType("R", 1, 0)),
              mutations=(Mutation("S", "R", 0.7), Mutation("S", "R", 0.7)), initial={"S": 1})
    with pytest.raises(InputError, match="not among the model's drugs"):
        Model(types=(CellType("S", 1, 0, (DrugResponse("q"),)),), initial={"S": 1})


def test_lotka_volterra_competition_equilibrium():
    # b_k (1 - (sum_j a_kj n_j) / K_k) = d_k at equilibrium. Hand solution:
    # A + 0.5 B = 1000 (1 - 0.2/1.0) = 800 and 0.4 A + B = 800 (1 - 0.1/0.8) = 700
    # -> B = 475, A = 562.5
    model = Model(types=(CellType("A", 1.0, 0.2), CellType("B", 0.8, 0.1)), initial={"A": 10, "B": 10},
                  capacity={"A": 1000.0, "B": 800.0}, competition={"A": {"B": 0.5}, "B": {"A": 0.4}})
    r = simulate(model, engine="ode", stop=StopRules(time_limit=300.0))
    assert r.final_sizes["A"] == pytest.approx(562.5, rel=1e-4)
    assert r.final_sizes["B"] == pytest.approx(475.0, rel=1e-4)
    # the hybrid engine (crowding frozen over short steps) agrees with the exact engine
    kw = {"runs": 150, "rng": 12, "workers": 1, "stop": StopRules(time_limit=20.0)}
    ex = simulate_ensemble(model, engine="exact", **kw).runs[["final_A", "final_B"]].to_numpy(float)
    hy = simulate_ensemble(model, engine="hybrid", **kw).runs[["final_A", "final_B"]].to_numpy(float)
    se = np.sqrt(ex.var(axis=0, ddof=1) / 150 + hy.var(axis=0, ddof=1) / 150)
    assert np.all(np.abs(ex.mean(axis=0) - hy.mean(axis=0)) <= 4 * se)


def test_distribution_and_first_arrival_columns():
    model = _two_type(u=2e-3)
    ens = simulate_ensemble(model, runs=60, rng=4, workers=1,
                            stop=StopRules(detection_size=3e3, stop_at_detection=True))
    dist = ens.distribution("detected_R")
    assert dist["probability"].sum() == pytest.approx(1.0)
    assert dist["count"].sum() == 60
    has_r = ens.runs["detected_R"] > 0
    # a type present at detection arose no later than detection
    assert (ens.runs.loc[has_r, "first_R"] <= ens.runs.loc[has_r, "t_detection"]).all()
    assert (ens.runs["first_S"] == 0).all()
    with pytest.raises(InputError, match="no column"):
        ens.distribution("detected_Q")


def test_run_without_any_end_is_refused():
    # capacity below the detection size: neither detection nor extinction can end the run
    model = Model(types=(CellType("S", 1.0, 0.0),), initial={"S": 5}, capacity=100.0)
    with pytest.raises(InputError, match="no time limit"):
        simulate(model, engine="ode", stop=StopRules(detection_size=1e6))


def test_kept_patients_are_the_ensembles_patients():
    model = _two_type()
    kw = {"runs": 6, "rng": 13, "stop": StopRules(detection_size=2e3, progression_size=2e3, time_limit=100)}
    ens = simulate_ensemble(model, constant({"d1": 1}), workers=1, keep=2, chunk_size=1, **kw)
    assert len(ens.patients) == 2
    for i, patient in enumerate(ens.patients):
        assert patient.outcome == ens.runs.loc[i, "outcome"]
        assert patient.final_sizes["R"] == ens.runs.loc[i, "final_R"]


def test_ode_detection_time_is_exact():
    # deterministic growth n0 exp(r t) reaches M at ln(M / n0) / r (hand calculation)
    model = Model(types=(CellType("S", 0.5, 0.1),), initial={"S": 100})
    r = simulate(model, engine="ode", stop=StopRules(detection_size=1e6, stop_at_detection=True))
    assert r.outcome == "detected"
    assert r.events["detection"] == pytest.approx(math.log(1e4) / 0.4, rel=1e-6)


class _FirstFourDecisions:
    """A stateful strategy: counts its decisions; doses for the first four, then stops."""

    def __init__(self):
        self.decisions = 0

    def __call__(self, obs):
        self.decisions += 1
        return {"d1": 1.0 if self.decisions <= 4 else 0.0}


def test_strategy_factory_gives_each_patient_a_fresh_strategy():
    model = _two_type()
    stop = StopRules(detection_size=2e3, progression_size=2e3, time_limit=60)
    kw = {"runs": 12, "rng": 21, "stop": stop, "decision_interval": 3.0}
    # the oracle: one patient at a time, each with a new strategy and child i of the seed
    children = np.random.SeedSequence(21).spawn(12)
    oracle = [simulate(model, _FirstFourDecisions(), stop=stop, decision_interval=3.0,
                       rng=np.random.default_rng(c)) for c in children]
    expected = pd.DataFrame({"outcome": [r.outcome for r in oracle],
                             "final_S": [float(r.final_sizes["S"]) for r in oracle],
                             "final_R": [float(r.final_sizes["R"]) for r in oracle]})
    inline = simulate_ensemble(model, strategy_factory=_FirstFourDecisions, workers=1, **kw).runs
    with ThreadPoolExecutor(2) as pool:
        threaded = simulate_ensemble(model, strategy_factory=_FirstFourDecisions, executor=pool, chunk_size=5,
                                     **kw).runs
    pooled = simulate_ensemble(model, strategy_factory=_FirstFourDecisions, workers=2, chunk_size=4, **kw).runs
    for runs in (inline, threaded, pooled):
        got = runs[["outcome", "final_S", "final_R"]].astype({"final_S": float, "final_R": float})
        pd.testing.assert_frame_equal(got, expected)
    # the test can fail: one shared object carries patient 0's decision count into the next patients
    shared = simulate_ensemble(model, _FirstFourDecisions(), workers=1, **kw).runs
    assert not shared[["final_S", "final_R"]].astype(float).equals(expected[["final_S", "final_R"]])
    with pytest.raises(InputError, match="either strategy or strategy_factory"):
        simulate_ensemble(model, constant({"d1": 1}), strategy_factory=_FirstFourDecisions, **kw)


class _DrugCapacity:
    """A coupling whose capacity depends on the drug: births x max(0, 1 - N / K(c)), K = 1000 / (1 + 9 c)."""

    max_step = 0.05

    def __init__(self):
        self.seen = []

    def initial_state(self, model):
        return np.zeros(0)

    def modify_rates(self, rates, state, *, sizes, t, concentrations):
        self.seen.append(dict(concentrations))
        k = 1000.0 / (1.0 + 9.0 * concentrations["d1"])
        return rates.replace(birth=rates.birth * max(0.0, 1.0 - float(sizes.sum()) / k))

    def advance(self, state, *, sizes_start, sizes_end, t0, t1, concentrations):
        return state


def test_coupling_receives_drug_concentrations():
    # logistic growth b (1 - N/K) - d with K = 1000 without drug and 100 at c = 1; the drug does not
    # act otherwise. Equilibria (hand calculation): N* = K (1 - d/b) = 800, then 80 under the drug.
    model = Model(types=(CellType("A", 1.0, 0.2),), drugs=(Drug("d1"),), initial={"A": 10})
    coupling = _DrugCapacity()
    strategy = Schedule(((0.0, Dosing(levels={})), (40.0, Dosing(levels={"d1": 1.0}))))
    r = simulate(model, strategy, engine="ode", coupling=coupling, stop=StopRules(time_limit=80.0),
                 record_interval=1.0)
    totals = r.totals
    before = totals.loc[(totals["time"] - 40.0).abs().idxmin(), "A"]  # record nearest day 40 (steps of 0.05)
    # rates frozen over 0.05-day steps: the equilibria are those of the frozen map, within 1%
    assert before == pytest.approx(800.0, rel=0.01)
    assert r.final_sizes["A"] == pytest.approx(80.0, rel=0.01)
    assert {c["d1"] for c in coupling.seen} == {0.0, 1.0}


# ---------------------------------------------------------------------------- max_size guard
def _pure_growth(n0=1000):
    # one type, b = 0.5, d = 0.1: net rate r = 0.4 per day, no mutation
    return Model(types=(CellType("S", 0.5, 0.1),), initial={"S": n0})


def _assert_never_negative(r):
    table = r.to_frame()
    assert (table["size"] >= 0).all()
    assert (r.totals[list(r.type_names)].to_numpy() >= 0).all()
    assert all(v >= 0 for v in r.final_sizes.values())


def test_max_size_stops_ode_at_the_closed_form_time():
    # deterministic growth N0 e^{r t} reaches max_size at ln(max_size / N0) / r (closed form):
    # ln(1e15 / 1e3) / 0.4 = 69.0776 days. Tolerance 1e-5 days: LSODA at rtol 1e-8 puts the located
    # crossing within ~rtol / r = 2.5e-8 days of it.
    r = simulate(_pure_growth(), engine="ode", stop=StopRules(time_limit=1e9, max_size=1e15), record_interval=10)
    expected = math.log(1e15 / 1e3) / 0.4
    assert r.outcome == "max_size"
    assert r.events["max_size"] == pytest.approx(expected, abs=1e-5)
    assert "time_limit" not in r.events
    assert r.final_sizes["S"] == pytest.approx(1e15, rel=1e-6)
    _assert_never_negative(r)
    # an explicit, smaller bound: ln(1e9 / 1e3) / 0.4
    r = simulate(_pure_growth(), engine="ode", stop=StopRules(time_limit=1e9, max_size=1e9))
    assert r.events["max_size"] == pytest.approx(math.log(1e6) / 0.4, abs=1e-5)
    # by default the ode engine (float counts, no overflow) has no bound: 1e3 e^{0.4 * 100} = 2.4e20
    assert StopRules().max_size is None
    r = simulate(_pure_growth(), engine="ode", stop=StopRules(time_limit=100.0))
    assert r.outcome == "time_limit"
    assert r.final_sizes["S"] == pytest.approx(1e3 * math.exp(40.0), rel=1e-6)


def test_max_size_stops_hybrid_at_the_closed_form_time():
    # Hybrid runs from N0 = 1000 cells with a huge time limit end at the default max_size, 1e15.
    # The event is recorded at the end of the step of the crossing, so each run's crossing time is
    # recovered as t_event - ln(N_end / max_size) / r (growth within that last step is deterministic
    # to ~1e-7 at 1e15 cells). Closed form: ln(max_size / N0) / r = 69.0776 days, up to the
    # fluctuation of W = lim N e^{-rt}: T = ln(max_size / W) / r with E[W] = N0, Var W = N0 (b+d)/(b-d)
    # (Kendall 1948), i.e. SD(T) ~ sqrt(1.5e-3) / 0.4 = 0.097 days and a bias Var W / (2 N0^2 r) =
    # 0.0019 days (far below the 4 SE tolerance, 0.027 days with 200 runs).
    b, d, n0, size = 0.5, 0.1, 1000, 1e15
    r_net = b - d
    times, ends, steps = [], [], []
    for seed in range(200):
        r = simulate(_pure_growth(n0), stop=StopRules(time_limit=1e9), rng=seed, record_interval=20)
        assert r.outcome == "max_size"
        total = sum(r.final_sizes.values())
        assert total >= size
        ends.append(total)
        steps.append(math.log(total / size) / r_net)
        times.append(r.events["max_size"] - steps[-1])
        _assert_never_negative(r)
    # the last step is at most the approach floor 0.05 / (b + d) days past the crossing (hybrid_advance)
    assert max(steps) <= 0.05 / (b + d) * 1.001
    assert max(ends) < 2**62
    times = np.asarray(times)
    se = times.std(ddof=1) / math.sqrt(len(times))
    expected = math.log(size / n0) / r_net
    assert abs(times.mean() - expected) < 4 * se, (times.mean(), expected, se)
    # the spread agrees with SD(T) = sqrt((b + d) / ((b - d) N0)) / r within 25 % (200 runs: SE of an
    # SD is ~5 %)
    assert times.std(ddof=1) == pytest.approx(math.sqrt((b + d) / ((b - d) * n0)) / r_net, rel=0.25)


def test_max_size_exact_engine_stops_at_the_event():
    # the exact engine checks after every event: the run ends at the birth that makes max_size
    r = simulate(_pure_growth(10), engine="exact", stop=StopRules(time_limit=1e9, max_size=2000), rng=3)
    assert r.outcome == "max_size"
    assert r.final_sizes["S"] == 2000
    assert r.events["max_size"] == r.totals["time"].iloc[-1]
    _assert_never_negative(r)


def test_runs_that_never_fall_below_progression_size_end_at_max_size():
    # the problem this guard fixes: untreated _two_type (net 0.7 per day) never falls below the
    # progression size after detection, so it used to grow until the time limit into int64 overflow;
    # now it ends at max_size, counts intact and non-negative
    stop = StopRules(detection_size=5e4, progression_size=5e4, time_limit=1e9)
    r = simulate(_two_type(), stop=stop, rng=5)
    assert r.outcome == "max_size"
    assert "progression" not in r.events
    assert r.events["max_size"] > r.events["detection"]
    total = sum(r.final_sizes.values())
    assert 1e15 <= total < 1e15 * math.exp(0.05)
    _assert_never_negative(r)
    # max_size is also watched before detection, and beats a detection in the same step
    r = simulate(_two_type(), stop=StopRules(detection_size=1e4, max_size=1e4, time_limit=1e9), engine="exact", rng=2)
    assert r.outcome == "max_size"
    assert r.events["max_size"] == r.events["detection"]


def test_max_size_is_validated():
    with pytest.raises(InputError, match=r"max_size must be a number of cells in \(0, 1e\+17\]"):
        StopRules(max_size=1e18)
    for bad in (0, -1, math.nan, "big"):
        with pytest.raises(InputError, match="max_size must be"):
            StopRules(max_size=bad)
    with pytest.raises(InputError, match="progression_size 1e\\+16 exceeds max_size 1e\\+15"):
        StopRules(progression_size=1e16, max_size=1e15)
    with pytest.raises(InputError, match="detection_size 1e\\+16 exceeds max_size 1e\\+15"):
        simulate(_pure_growth(), stop=StopRules(detection_size=1e16))  # hybrid's default bound
    assert simulate(_pure_growth(), engine="ode", stop=StopRules(detection_size=1e16, stop_at_detection=True)).outcome \
        == "detected"
    with pytest.raises(InputError, match="thresholds.big 1e\\+14 exceeds max_size 1e\\+12"):
        StopRules(max_size=1e12, thresholds={"big": ("S", 1e14)})
    with pytest.raises(InputError, match="threshold names must be"):
        StopRules(thresholds={"max_size": ("S", 10)})
    with pytest.raises(InputError, match="already reaches stop.max_size"):
        simulate(_pure_growth(5000), stop=StopRules(max_size=5000, time_limit=1.0))
    with pytest.raises(InputError, match="above the largest supported population"):
        Model(types=(CellType("S", 0.5, 0.1),), initial={"S": 10**19})
    assert StopRules(max_size=1e17).max_size == 1e17
