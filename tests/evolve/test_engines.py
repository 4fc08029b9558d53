"""Every engine against the theory: seeded statistical tests with stated tolerances.

Tolerances: 4 standard errors for exact results (Kendall's law, engine agreement); the larger
of 4 standard errors and 0.02 for asymptotic formulas (Luria–Delbrück, Iwasa, Bozic eq. (1),
Durrett–Moseley), as the issue specifies. Standard errors of probabilities come from the
theoretical value, sqrt(p (1 - p) / n); of means from the sample.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoresist.evolve import (
    CellType,
    Dosing,
    Drug,
    DrugResponse,
    Model,
    Mutation,
    Schedule,
    StopRules,
    Switch,
    simulate_ensemble,
    theory,
)
from oncoresist.evolve._yaml import load_scenario

EXAMPLES = __import__("pathlib").Path(__file__).parents[2] / "examples" / "bozic2013"

STOCHASTIC = [
    ("exact", {}),
    ("hybrid", {}),
    ("hybrid", {"exact_threshold": 1}),  # every group by the Kendall transition
]


def _runs(model, runs, seed, *, engine="hybrid", options=None, strategy=None, **kwargs):
    ens = simulate_ensemble(model, strategy, runs=runs, rng=seed, workers=1, engine=engine,
                            engine_options=options or {}, **kwargs)
    return ens.runs


def _assert_prob(observed, expected, n, *, asymptotic=False, what=""):
    se = math.sqrt(max(expected * (1 - expected), 1e-12) / n)
    tol = max(4 * se, 0.02) if asymptotic else 4 * se
    assert abs(observed - expected) <= tol, f"{what}: observed {observed:.4f}, expected {expected:.4f}, tol {tol:.4f}"


# ----------------------------------------------------------------------------- Kendall
@pytest.mark.parametrize(("engine", "options"), STOCHASTIC)
@pytest.mark.parametrize("n0", [1, 5])
def test_kendall_law_at_fixed_time(engine, options, n0):
    b, d, t_end, runs = 1.0, 0.6, 2.0, 1500
    model = Model(types=(CellType("A", b, d),), initial={"A": n0})
    final = _runs(model, runs, 11 + n0, engine=engine, options=options,
                  stop=StopRules(time_limit=t_end))["final_A"].to_numpy()
    a, be = theory.kendall_parameters(b, d, t_end)
    p = theory.kendall_pmf(np.arange(4), n0, alpha=a, beta=be)
    for k in range(4):
        _assert_prob(float(np.mean(final == k)), float(p[k]), runs, what=f"P(X={k})")
    mean = n0 * (1 - a) / (1 - be)
    var1 = (1 - a) * (a + be) / (1 - be) ** 2  # one-ancestor variance of the zero-modified geometric
    se = math.sqrt(n0 * var1 / runs)
    assert abs(final.mean() - mean) <= 4 * se


def test_kendall_law_large_population_hybrid():
    # 1e6 cells: the hybrid must move them in a few Kendall steps; mean and variance exact
    b, d, t_end, n0, runs = 0.5, 0.4, 3.0, 10**6, 400
    model = Model(types=(CellType("A", b, d),), initial={"A": n0})
    final = _runs(model, runs, 5, stop=StopRules(time_limit=t_end))["final_A"].to_numpy(float)
    a, be = theory.kendall_parameters(b, d, t_end)
    mean1 = (1 - a) / (1 - be)
    var1 = (1 - a) * (a + be) / (1 - be) ** 2
    assert abs(final.mean() - n0 * mean1) <= 4 * math.sqrt(n0 * var1 / runs)
    # sample variance of a near-normal sum: SE of s^2 is about s^2 sqrt(2 / (n - 1))
    assert abs(final.var(ddof=1) - n0 * var1) <= 4 * n0 * var1 * math.sqrt(2 / (runs - 1))


@pytest.mark.parametrize(("engine", "options"), STOCHASTIC)
def test_kendall_piecewise_constant_rates(engine, options):
    # a drug switched on at t = 1 adds 0.8 to the death rate: rates (1.0, 0.3) then (1.0, 1.1)
    model = Model(types=(CellType("A", 1.0, 0.3, (DrugResponse("x", "death", 0.8),)),),
                  drugs=(Drug("x"),), initial={"A": 2})
    plan = Schedule(((0.0, Dosing()), (1.0, Dosing(levels={"x": 1.0}))))
    runs = 1500
    final = _runs(model, runs, 3, engine=engine, options=options, strategy=plan,
                  stop=StopRules(time_limit=2.5))["final_A"].to_numpy()
    a, be = theory.kendall_piecewise([(1.0, 0.3, 1.0), (1.0, 1.1, 1.5)])
    p = theory.kendall_pmf(np.arange(3), 2, alpha=a, beta=be)
    for k in range(3):
        _assert_prob(float(np.mean(final == k)), float(p[k]), runs, what=f"P(X={k})")


# ----------------------------------------------------------------------------- Luria–Delbrück
def _ld_model(u, n0):
    return Model(types=(CellType("W", 1.0, 0.0), CellType("R", 1.0, 0.0)),
                 mutations=(Mutation("W", "R", u),), initial={"W": n0})


@pytest.mark.parametrize("m", [1.0, 5.0])
@pytest.mark.parametrize(("engine", "n0", "growth"), [("exact", 100, 100), ("hybrid", 1000, 1000)])
def test_luria_delbruck(engine, n0, growth, m):
    # pure-birth wild type from n0 cells for time ln(growth): m = u * n0 * (growth - 1) mutations
    u = m / (n0 * (growth - 1))
    runs = 1200
    final = _runs(_ld_model(u, n0), runs, 21, engine=engine,
                  stop=StopRules(time_limit=math.log(growth)))["final_R"].to_numpy()
    p = theory.luria_delbruck_pmf(m, 30)
    for k in range(5):
        _assert_prob(float(np.mean(final == k)), float(p[k]), runs, asymptotic=True, what=f"P(R={k})")
    _assert_prob(float(np.mean(final <= 30)), float(p.sum()), runs, asymptotic=True, what="P(R<=30)")


# ----------------------------------------------------------------------------- Iwasa 2006
def _iwasa_case(size, u, runs, seed, engine="hybrid", check_mean=True):
    r, d = 1.0, 0.3
    model = Model(types=(CellType("S", r, d), CellType("R", r, d)), mutations=(Mutation("S", "R", u),),
                  initial={"S": 1})
    table = _runs(model, runs, seed, engine=engine,
                  stop=StopRules(detection_size=size, stop_at_detection=True))
    res = table["detected_R"].to_numpy(float)
    kw = {"mutation": u, "birth": r, "death": d, "resistant_birth": r, "resistant_death": d}
    p = theory.iwasa_resistance_probability(size, **kw)
    mean = theory.iwasa_mean_resistant(size, **kw)
    _assert_prob(float(np.mean(res > 0)), p, runs, asymptotic=True, what="P(resistance)")
    if not check_mean:
        return
    se = res.std(ddof=1) / math.sqrt(runs)
    assert abs(res.mean() - mean) <= max(4 * se, 0.02 * mean), (res.mean(), mean, se)


@pytest.mark.parametrize("engine", ["hybrid", "exact"])
def test_iwasa_small_size(engine):
    _iwasa_case(1e4, 5e-5, 1000, 31, engine)


@pytest.mark.slow
def test_iwasa_detection_size_1e9():
    # Only the probability: the resistant count has a Luria–Delbrück tail (sd ~ M sqrt(2u/(r-d)),
    # about 4e4 here against a mean of 15), so no feasible ensemble checks its mean at M = 1e9.
    _iwasa_case(1e9, 5e-10, 2000, 32, check_mean=False)


# ----------------------------------------------------------------------------- Bozic 2013
@pytest.mark.parametrize(("filename", "runs"), [("one_drug.yaml", 1000), ("two_drugs.yaml", 700),
                                                ("two_drugs_no_cross.yaml", 300)])
def test_bozic2013_eq1(filename, runs):
    scenario = load_scenario(EXAMPLES / filename)
    ens = simulate_ensemble(scenario.model, scenario.strategy, runs=runs, rng=41, workers=1,
                            **scenario.simulate_options())
    p_sim, _ = ens.probability("extinct")
    [(_, p_formula, _)] = scenario.reference_values()
    assert ens.probability("time_limit")[0] == 0.0
    _assert_prob(p_sim, p_formula, runs, asymptotic=True, what=filename)


@pytest.mark.slow
@pytest.mark.parametrize("n12", [0, 1])
def test_bozic2013_eq1_many_patients(n12):
    name = "two_drugs.yaml" if n12 else "two_drugs_no_cross.yaml"
    scenario = load_scenario(EXAMPLES / name)
    runs = 4000
    ens = simulate_ensemble(scenario.model, scenario.strategy, runs=runs, rng=42, **scenario.simulate_options())
    [(_, p_formula, _)] = scenario.reference_values()
    _assert_prob(ens.probability("extinct")[0], p_formula, runs, asymptotic=True, what=name)


# ----------------------------------------------------------------------------- Durrett–Moseley
def test_time_to_detection_size():
    b, d, size, runs = 1.0, 0.3, 1e5, 1000
    model = Model(types=(CellType("S", b, d),), initial={"S": 1})
    times = _runs(model, runs, 51, stop=StopRules(detection_size=size, stop_at_detection=True))
    t = times["t_detection"].to_numpy()
    for q in (0.25, 0.5, 0.75):
        # the time at which the Gumbel CDF equals q
        lam = b - d
        tq = (math.log(lam * size / b) - math.log(-math.log(q))) / lam
        _assert_prob(float(np.mean(t <= tq)), q, runs, asymptotic=True, what=f"quantile {q}")


# ----------------------------------------------------------------------------- engines agree
def _rich_model():
    return Model(
        types=(CellType("S", 1.0, 0.2), CellType("P", 0.1, 0.05), CellType("R", 0.8, 0.3)),
        mutations=(Mutation("S", "R", 2e-3),),
        switches=(Switch("S", "P", 0.05), Switch("P", "S", 0.1)),
        initial={"S": 200},
    )


def test_engines_agree_on_means():
    runs, t_end = 600, 3.0
    stop = StopRules(time_limit=t_end)
    means, ses = {}, {}
    for engine, options in STOCHASTIC:
        table = _runs(_rich_model(), runs, 61, engine=engine, options=options, stop=stop)
        key = (engine, options.get("exact_threshold"))
        cols = ["final_S", "final_P", "final_R"]
        means[key] = table[cols].to_numpy(float).mean(axis=0)
        ses[key] = table[cols].to_numpy(float).std(axis=0, ddof=1) / math.sqrt(runs)
    ode = _runs(_rich_model(), 1, 0, engine="ode", stop=stop)[["final_S", "final_P", "final_R"]].to_numpy(float)[0]
    ref = ("exact", None)
    for key in means:
        if key == ref:
            continue
        se = np.sqrt(ses[key] ** 2 + ses[ref] ** 2)
        assert np.all(np.abs(means[key] - means[ref]) <= 4 * se), (key, means[key], means[ref], se)
    # the ODE is the exact mean of this linear model
    assert np.all(np.abs(ode - means[ref]) <= 4 * ses[ref]), (ode, means[ref], ses[ref])


# ---------------------------------------------------------------------------- threshold events
def _yule_mean_var(b, n):
    # pure birth (Yule) from 1 cell: T_n = sum_{k=1}^{n-1} Exp(rate b k), so
    # E T_n = sum 1/(b k) and Var T_n = sum 1/(b k)^2 (hand calculation)
    k = np.arange(1, n)
    return float(np.sum(1.0 / (b * k))), float(np.sum(1.0 / (b * k) ** 2))


@pytest.mark.parametrize(("engine", "options", "resolution"), [
    ("exact", {}, 0.0),  # the event time itself
    # hybrid: the end of the step of the crossing; near the size steps are no longer than the
    # documented floor 0.05 / (b + d) = 0.05, a bias of at most that much
    ("hybrid", {}, 0.05),
])
def test_threshold_event_time_of_yule_process(engine, options, resolution):
    b, n = 1.0, 1000
    model = Model(types=(CellType("S", b, 0.0),), initial={"S": 1})
    # the run ends soon after (at 1100 cells) so that the exact engine's cost stays small
    stop = StopRules(thresholds={"reach": ("S", n)}, detection_size=1100, stop_at_detection=True)
    runs = simulate_ensemble(model, runs=400, rng=31, workers=1, engine=engine, engine_options=options,
                             stop=stop, record_interval=5.0).runs
    times = runs["t_reach"].to_numpy(float)
    assert np.isfinite(times).all()
    assert (times <= runs["t_detection"].to_numpy(float)).all()
    mean, var = _yule_mean_var(b, n)
    se = math.sqrt(var / len(times))
    assert abs(times.mean() - mean) <= 4 * se + resolution
    # not tied to the record grid
    assert np.mean(np.isclose(np.fmod(times, 5.0), 0.0)) < 0.05


def test_threshold_does_not_change_the_exact_engine_path():
    # the exact engine stops at an event and resumes with the next waiting time drawn afresh, which is
    # what it draws anyway: the threshold time equals the detection time of the same seed
    model = Model(types=(CellType("S", 1.0, 0.3), CellType("R", 1.0, 0.3)), mutations=(Mutation("S", "R", 1e-2),),
                  initial={"S": 1})
    from oncoresist.evolve import simulate

    for seed in range(5):
        det = simulate(model, engine="exact", stop=StopRules(detection_size=2000, stop_at_detection=True,
                                                             max_time=1e3), rng=seed)
        thr = simulate(model, engine="exact", stop=StopRules(detection_size=4000, stop_at_detection=True,
                                                             max_time=1e3, thresholds={"half": (["S", "R"], 2000)}),
                       rng=seed)
        if det.outcome == "detected":
            assert thr.events["half"] == det.events["detection"]
            assert thr.attempts == det.attempts


def test_threshold_in_the_ode_engine_is_the_crossing_time():
    # deterministic growth 10 exp(0.4 t) reaches 1e3 at ln(100) / 0.4 and 1e5 at ln(1e4) / 0.4
    model = Model(types=(CellType("S", 0.5, 0.1),), initial={"S": 10})
    from oncoresist.evolve import simulate

    r = simulate(model, engine="ode", record_interval=7.0,
                 stop=StopRules(detection_size=1e5, thresholds={"small": ("S", 1e3)}, time_limit=1.0))
    assert r.events["small"] == pytest.approx(math.log(100) / 0.4, rel=1e-6)
    assert r.events["detection"] == pytest.approx(math.log(1e4) / 0.4, rel=1e-6)


def test_threshold_on_some_types_after_treatment():
    # resistant cells growing at b - d = 0.1 from the cells present: the threshold on R alone
    model = Model(types=(CellType("S", 0.5, 0.1, (DrugResponse("x", "death", 1.0),)), CellType("R", 0.3, 0.2)),
                  drugs=(Drug("x"),), initial={"S": 1000, "R": 100})
    from oncoresist.evolve import constant, simulate

    r = simulate(model, constant({"x": 1.0}), engine="ode",
                 stop=StopRules(time_limit=100.0, thresholds={"emergence": (["R"], 1e3)}))
    assert r.events["emergence"] == pytest.approx(math.log(10) / 0.1, rel=1e-6)
    assert r.outcome == "time_limit"


def test_bad_thresholds_are_refused():
    from oncoresist._core.exceptions import InputError
    from oncoresist.evolve import simulate

    with pytest.raises(InputError, match="size must be a number > 0"):
        StopRules(thresholds={"a": ("S", 0)})
    with pytest.raises(InputError, match="pair"):
        StopRules(thresholds={"a": 5})
    with pytest.raises(InputError, match="other than"):
        StopRules(thresholds={"detection": ("S", 5)})
    model = Model(types=(CellType("S", 1.0, 0.0),), initial={"S": 1})
    with pytest.raises(InputError, match="unknown type 'Q'"):
        simulate(model, stop=StopRules(thresholds={"a": ("Q", 5)}, time_limit=1))


def test_type_totals_kernel_matches_numpy():
    from oncoresist.evolve._kernels import type_totals

    rng = np.random.default_rng(5)
    size = rng.integers(0, 2**40, 50)
    ctype = rng.integers(0, 4, 50)
    expected = np.zeros(4, dtype=np.int64)
    np.add.at(expected, ctype[:37], size[:37])  # the obviously correct reference
    assert np.array_equal(type_totals(size, ctype, 37, 4), expected)
