"""Vectorised kernels against the pure-Python references, closed forms and evolve's ODE engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoresist.case import Mutation, Plan, tumour_model
from oncoresist.case import _kernels as k
from oncoresist.case import _reference as ref
from oncoresist.case._forecast import project
from oncoresist.case._likelihood import exposures, loglik, patient_data


@pytest.fixture(scope="module")
def model():
    # sensitive (EGFR ex19del), T790M (erlotinib-resistant), T790M+C797S (resistant to both)
    return tumour_model(["EGFR exon 19 deletion", "EGFR p.T790M", "EGFR p.C797S"],
                        ["erlotinib", "osimertinib", "brigatinib"],
                        first_seen={"EGFR p.T790M": 100, "EGFR p.C797S": 400})


@pytest.fixture(scope="module")
def fast_mutating():
    # mutation 1000x the default so that the feeding is visible in every compartment
    return tumour_model(["EGFR exon 19 deletion", "EGFR p.T790M", "EGFR p.C797S"],
                        ["erlotinib", "osimertinib", "brigatinib"],
                        first_seen={"EGFR p.T790M": 100, "EGFR p.C797S": 400}, mutation=Mutation(rate=1e-6))


@pytest.fixture(scope="module")
def no_mutation():
    return tumour_model(["EGFR exon 19 deletion", "EGFR p.T790M", "EGFR p.C797S"],
                        ["erlotinib", "osimertinib", "brigatinib"],
                        first_seen={"EGFR p.T790M": 100, "EGFR p.C797S": 400}, mutation=Mutation(rate=0.0))


HISTORY = [(("erlotinib",), 0, 279), (("osimertinib",), 280, 399), ((), 400, None)]


def test_model_from_kb(model):
    assert model.types == ("sensitive", "EGFR p.T790M", "EGFR p.C797S")
    # curated rules: T790M resists erlotinib, not osimertinib; C797S resists osimertinib
    assert model.killed_by(["erlotinib"]).tolist() == [True, False, False]
    assert model.killed_by(["osimertinib"]).tolist() == [True, True, False]
    assert model.carriers("EGFR p.T790M").tolist() == [False, True, True]
    assert model.carriers("EGFR exon 19 deletion").tolist() == [True, True, True]


def test_exposures_cover_all_time():
    segs = exposures([(("a",), 0, 9), (("b",), 20, None)])
    assert [(s.start, s.end, s.drugs) for s in segs] == [
        (-math.inf, 0.0, ()), (0.0, 10.0, ("a",)), (10.0, 20.0, ()), (20.0, math.inf, ("b",))]


def _thetas(n, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(0.001, 0.05, n), rng.uniform(0.001, 0.05, n),
                            rng.uniform(0.005, 0.2, n), 10 ** rng.uniform(-8, -2, n),
                            10 ** rng.uniform(-9, -3, n), rng.uniform(0.01, 0.5, n)])


def _segments():
    segs = exposures(HISTORY)
    return segs, np.array([s.start for s in segs]), np.array([s.end for s in segs])


@pytest.mark.parametrize(("which", "rtol"), [("model", 2e-7), ("fast_mutating", 1e-5)])
def test_log_sizes_match_reference(which, rtol, request):
    # The kernel keeps first-order mutation paths per step (b u t <= 1e-8); the reference is the
    # exact matrix exponential. Left out: two-mutation paths within a step, in all at most
    # (b u)^2 t_step T / 2 of the grandparent over T days. Default u = 1e-9: (1.4e-10)^2 x 28 x
    # 600 / 2 = 1.6e-16, times grandparent / child (< 1e9 here) < 2e-7. u = 1e-6 (steps of
    # 0.07 days): (1.4e-7)^2 x 0.07 x 600 / 2 = 4e-13, times grandparent / child (< 1e7) < 1e-5.
    model = request.getfixturevalue(which)
    theta = _thetas(12)
    days = np.array([-30.0, 0, 50, 279, 280, 281, 399.5, 400, 600])
    segs, starts, ends = _segments()
    killed = np.array([model.killed_by(s.drugs) for s in segs])
    logn = k.timeline_log_sizes(theta, killed, starts, ends, 0.0, days, model.inflow)
    for i in range(theta.shape[0]):
        for d, day in enumerate(days):
            expected = ref.sizes_at(model, theta[i], segs, day)
            np.testing.assert_allclose(np.exp(logn[i, d]), expected, rtol=rtol)
            for alt in ("EGFR exon 19 deletion", "EGFR p.T790M", "EGFR p.C797S"):
                af = k.allele_fractions(theta[i : i + 1], logn[i : i + 1, d : d + 1],
                                        model.carriers(alt)[None, :])[0, 0]
                assert af == pytest.approx(ref.allele_fraction(model, theta[i], expected, alt), rel=rtol)


def test_mutation_feeding_matters_and_vanishes_without_mutation(no_mutation, fast_mutating):
    theta = _thetas(12)
    days = np.array([50.0, 300, 600])
    segs, starts, ends = _segments()
    killed = np.array([no_mutation.killed_by(s.drugs) for s in segs])
    closed = k.log_sizes(theta, killed, k.overlap_matrix(days, starts, ends, 0.0))
    without = k.timeline_log_sizes(theta, killed, starts, ends, 0.0, days, no_mutation.inflow)
    np.testing.assert_allclose(without, closed, rtol=1e-11, atol=1e-11)
    fed = k.timeline_log_sizes(theta, killed, starts, ends, 0.0, days, fast_mutating.inflow)
    # feeding only adds resistant cells (and takes a 1e-7 share of the parents' divisions)
    assert (fed[:, :, 1:] >= closed[:, :, 1:] - 1e-9).all()
    assert (fed[:, :, 1:] - closed[:, :, 1:]).max() > 1e-3


def test_de_novo_closed_form():
    # hand calculation: no resistant cells at day 0; R is made at b u S(t), S(t) = e^{a t}
    # (a = g_s - kill - b u), R(t) = b u (e^{a t} - e^{g_r t}) / (a - g_r)
    m = tumour_model(["EGFR exon 19 deletion", "EGFR p.T790M"], ["erlotinib"], mutation=Mutation(rate=1e-9))
    theta = np.array([[0.01, 0.03, 0.05, 0.0, 0.2]])
    segs = exposures([(("erlotinib",), 0, None)])
    b, u = 0.14, 1e-9
    a = 0.01 - 0.05 - b * u
    days = np.array([10.0, 100.0, 365.0])
    logn = k.timeline_log_sizes(theta, np.array([m.killed_by(s.drugs) for s in segs]), np.array([s.start for s in segs]),
                                np.array([s.end for s in segs]), 0.0, days, m.inflow)
    expected = b * u * (np.exp(a * days) - np.exp(0.03 * days)) / (a - 0.03)
    np.testing.assert_allclose(np.exp(logn[0, :, 1]), expected, rtol=1e-12)
    np.testing.assert_allclose(np.exp(logn[0, :, 0]), np.exp(a * days), rtol=1e-12)


def test_log_sizes_closed_form(model):
    # hand calculation: day 100 on erlotinib: sensitive (1 - f1 - f2) e^{(g_s - kill) 100},
    # T790M f1 e^{g_r 100}
    theta = np.array([[0.01, 0.03, 0.05, 1e-3, 1e-6, 0.2]])
    segs = exposures(HISTORY)
    logn = k.log_sizes(theta, np.array([model.killed_by(s.drugs) for s in segs]),
                       k.overlap_matrix(np.array([100.0]), np.array([s.start for s in segs]),
                                        np.array([s.end for s in segs]), 0.0))
    expected = [(1 - 1e-3 - 1e-6) * math.exp(-0.04 * 100), 1e-3 * math.exp(3.0), 1e-6 * math.exp(3.0)]
    np.testing.assert_allclose(np.exp(logn[0, 0]), expected, rtol=1e-12)


def test_likelihood_matches_reference(model):
    theta = np.array([0.01, 0.03, 0.05, 1e-3, 1e-6, 0.2])
    import pandas as pd

    rows = pd.DataFrame({"day": [0, 56, 300, 420], "alteration": ["EGFR exon 19 deletion", "EGFR p.T790M",
                                                                  "EGFR p.T790M", "EGFR p.C797S"],
                         "alt_reads": [480, 3, 150, 2], "depth": [5000, 4000, 5000, 4500]})
    segs = exposures(HISTORY)
    data = patient_data(model, segs, rows, None, error_rate=1e-4, imaging_sd=0.1)
    got = loglik(theta[None, :], data)[0]
    expected = 0.0
    for row in rows.itertuples():
        sizes = ref.sizes_at(model, theta, segs, row.day)
        af = ref.allele_fraction(model, theta, sizes, row.alteration)
        p = af * (1 - 1e-4) + (1 - af) * 1e-4
        expected += ref.binomial_logpmf(row.alt_reads, row.depth, p)
    assert got == pytest.approx(expected, rel=1e-10)


def test_beta_binomial_reduces_to_binomial():
    af = np.array([[0.01, 0.2]])
    alt, depth = np.array([3.0, 40.0]), np.array([500.0, 200.0])
    binom = k.binomial_loglik(af, alt, depth, 0.0)
    near = k.binomial_loglik(af, alt, depth, 0.0, rho=1e-9)
    assert near[0] == pytest.approx(binom[0], rel=1e-5)
    from scipy.stats import betabinom

    rho = 0.01
    a, b = af[0] * (1 - rho) / rho, (1 - af[0]) * (1 - rho) / rho
    expected = betabinom.logpmf(alt, depth, a, b).sum()
    assert k.binomial_loglik(af, alt, depth, 0.0, rho=rho)[0] == pytest.approx(expected, rel=1e-10)


def test_sizes_agree_with_evolve_ode_engine():
    """The same compartments, with mutation S -> R, simulated by oncoresist.evolve's ODE engine."""
    from oncoresist.evolve import CellType, Drug, DrugResponse, Model, StopRules, simulate
    from oncoresist.evolve import Mutation as EvoMutation

    g_s, g_r, kill, f1 = 0.01, 0.03, 0.05, 1e-6
    birth, u = 0.14, 1e-5  # a fast mutation rate, so that de novo R is a large share of R
    size0 = 1e9
    evo = Model(
        types=(CellType("S", birth, birth - g_s, (DrugResponse("erlotinib", "death", kill),)),
               CellType("R", birth, birth - g_r)),
        drugs=(Drug("erlotinib"),),
        mutations=(EvoMutation("S", "R", u),),
        initial={"S": size0 * (1 - f1), "R": size0 * f1},
    )
    result = simulate(evo, lambda obs: {"erlotinib": 1.0}, engine="ode",
                      stop=StopRules(time_limit=200), record_interval=50, rng=1)
    totals = result.totals_frame().set_index("time")
    two = tumour_model(["EGFR exon 19 deletion", "EGFR p.T790M"], ["erlotinib"], mutation=Mutation(rate=u))
    segs = exposures([(("erlotinib",), 0, None)])
    theta = np.array([[g_s, g_r, kill, f1, 0.2]])
    days = np.array([50.0, 100.0, 200.0])
    logn = k.timeline_log_sizes(theta, np.array([two.killed_by(s.drugs) for s in segs]),
                                np.array([s.start for s in segs]), np.array([s.end for s in segs]), 0.0, days,
                                two.inflow)
    without = f1 * np.exp(g_r * days)
    assert (np.exp(logn[0, :, 1]) > 2 * without).all()  # mutation matters here
    for d, day in enumerate(days):
        np.testing.assert_allclose(np.exp(logn[0, d]) * size0, totals.loc[day, ["S", "R"]].to_numpy(float),
                                   rtol=1e-4)  # LSODA's relative tolerance


@pytest.mark.parametrize(
    "plan",
    [
        Plan("c", "continuous", (("osimertinib",),)),
        Plan("e", "continuous", (("erlotinib",),)),
        Plan("s", "sequential", (("erlotinib",), ("osimertinib",))),
        Plan("i", "intermittent", (("osimertinib",),), on_days=21, off_days=14),
        Plan("a", "adaptive", (("erlotinib",),), stop_fraction=0.5, restart_fraction=1.0),
        Plan("b", "combination", (("erlotinib", "brigatinib"),)),
    ],
)
def test_projection_matches_reference(model, fast_mutating, plan):
    rng = np.random.default_rng(3)
    n = 12
    theta = np.column_stack([rng.uniform(0.005, 0.04, n), rng.uniform(0.005, 0.04, n), rng.uniform(0.01, 0.15, n),
                             10 ** rng.uniform(-5, -1, n), 10 ** rng.uniform(-8, -3, n), np.full(n, 0.2)])
    logn0 = k.initial_log_sizes(theta, 3)
    for m in (model, fast_mutating):
        out = project(m, theta, logn0, plan, horizon=400, increase=0.2, majority=0.5)
        for i in range(n):
            expected = ref.project_one(m, theta[i], np.exp(logn0[i]).tolist(), plan, horizon=400, increase=0.2)
            assert out["ttp"][i] == expected
    # with an unknown-resistance compartment (no cells at the start, b u = 0.14 x 1e-8 per day)
    unknown = np.full(n, 0.14e-8)
    logn0_u = np.concatenate([logn0, np.full((n, 1), -np.inf)], axis=1)
    out = project(model, theta, logn0_u, plan, horizon=400, increase=0.2, majority=0.5, unknown_inflow=unknown)
    for i in range(n):
        expected = ref.project_one(model, theta[i], np.exp(logn0_u[i]).tolist(), plan, horizon=400, increase=0.2,
                                   unknown=float(unknown[i]))
        assert out["ttp"][i] == expected


def test_unknown_resistance_makes_a_killing_combination_progress(model):
    # brigatinib kills every observed compartment: without unknown resistance it never
    # progresses; with it, the unknown compartment (growth_resistant, killed by nothing) grows
    # from b u x_last per day and the tumour progresses within the horizon
    theta = np.array([[0.02, 0.03, 0.08, 1e-3, 1e-4, 0.2]])
    logn0 = k.initial_log_sizes(theta, 3)
    plan = Plan("b", "continuous", (("brigatinib",),))
    alone = project(model, theta, logn0, plan, horizon=2000, increase=0.2, majority=0.5)
    assert np.isinf(alone["ttp"][0])
    with_unknown = project(model, theta, np.concatenate([logn0, [[-np.inf]]], axis=1), plan, horizon=2000,
                           increase=0.2, majority=0.5, unknown_inflow=np.array([0.14 * 5e-8]))
    assert np.isfinite(with_unknown["ttp"][0])
    assert with_unknown["ttp"][0] == ref.project_one(model, theta[0], [*np.exp(logn0[0]), 0.0], plan, horizon=2000,
                                                      increase=0.2, unknown=0.14 * 5e-8)


def test_projection_closed_form(model):
    # Only T790M (g_r) escapes erlotinib; the sensitive part decays at g_s - kill.
    # N(t) = (1 - f) e^{-a t} + f e^{b t}; nadir at t* = log(a (1 - f) / (b f)) / (a + b);
    # progression: first whole day with N(t) >= 1.2^3 N(t*) (RECIST +20% diameter).
    a, b, f = 0.04, 0.02, 1e-3
    theta = np.array([[0.01, b, a + 0.01, f, 0.0, 0.2]])  # no C797S cells
    theta[0, 4] = 1e-300
    logn0 = k.initial_log_sizes(theta, 3)
    out = project(model, theta, logn0, Plan("e", "continuous", (("erlotinib",),)), horizon=2000,
                  increase=0.2, majority=0.5)

    def n(t):
        return (1 - f) * math.exp(-a * t) + f * math.exp(b * t)

    t_star = math.log(a * (1 - f) / (b * f)) / (a + b)
    nadir = min(n(math.floor(t_star)), n(math.ceil(t_star)))
    expected = next(t for t in range(math.ceil(t_star), 2000) if n(t) >= 1.2**3 * nadir)
    assert out["ttp"][0] == expected
    # resistance emergence: f e^{bt} >= (1 - f) e^{-at}, i.e. t >= log((1 - f) / f) / (a + b)
    assert out["emergence"][0] == math.ceil(math.log((1 - f) / f) / (a + b))


def test_model_agrees_with_therapy_model_from_kb(model):
    """Two derivations from the knowledge base: which drug acts on which genotype."""
    therapy = pytest.importorskip("oncoresist.therapy")
    if not hasattr(therapy, "model_from_kb"):
        pytest.skip("oncoresist.therapy.model_from_kb is not available")
    other = therapy.model_from_kb(["erlotinib", "osimertinib"], ["EGFR T790M", "EGFR C797S"])
    acts = {t.name: {r.drug for r in t.responses if r.emax > 0} for t in other.types}
    ours = {name: {d for d in ("erlotinib", "osimertinib") if model.killed_by([d])[i]}
            for i, name in enumerate(model.types)}
    assert ours["sensitive"] == acts["sensitive"]
    assert ours["EGFR p.T790M"] == acts["T790M"]
    assert ours["EGFR p.C797S"] == acts["T790M+C797S"]  # our nested compartment carries both
