"""The tumour microenvironment coupling (oncoresist.evolve.tme): references, limits, strategies.

Reference model: Kuznetsov, Makalkin, Taylor & Perelson (1994) Bull Math Biol 56:295-321
(DOI 10.1007/BF02460644; also BioModels BIOMD0000000762), BCL1 lymphoma in chimeric mice:

    dE/dt = s + p E T/(g + T) - m E T - d E,     dT/dt = a T (1 - b T) - n E T

with s = 1.3e4 cells/day, p = 0.1245 /day, g = 2.019e7 cells, m = 3.422e-10 /cell/day,
d = 0.0412 /day, a = 0.18 /day, b = 2.0e-9 /cell, n = 1.101e-7 /cell/day (the paper's
estimates, checked against the BioModels entry). Its equilibria follow by hand from the
nullclines: on dT/dt = 0, E = a (1 - b T)/n; substituting into dE/dt = 0 leaves one equation in
T, solved below by bracketing. They are (E, T) = (1.608e6, 8.186e6), the stable "dormant" focus
((1.61, 8.19) in units of 1e6 cells, the scale of the paper's dimensionless variables), a
saddle (7.59e5, 2.680e8) and the stable "escape" node (1.73e5, 4.470e8): the bistability the
paper describes, where small tumours are held dormant and large ones escape.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from oncoresist._core.exceptions import InputError
from oncoresist.evolve import (
    CellType,
    Drug,
    DrugResponse,
    Model,
    Mutation,
    StopRules,
    constant,
    load_scenario,
    simulate,
)
from oncoresist.evolve.tme import (
    TME,
    DrugEffect,
    Fibroblasts,
    HGFBypass,
    Hypoxia,
    HypoxicSwitch,
    ImmuneKilling,
    Macrophages,
    NKCells,
    StromalProtection,
    TCells,
    couple,
)

S, P, G, M, D, A, B, N = 1.3e4, 0.1245, 2.019e7, 3.422e-10, 0.0412, 0.18, 2.0e-9, 1.101e-7


def _kuznetsov_equilibria() -> list[tuple[float, float]]:
    def on_nullcline(t: float) -> float:
        e = A * (1 - B * t) / N
        return S + P * e * t / (G + t) - M * e * t - D * e

    grid = np.logspace(0, math.log10(1 / B) - 1e-9, 4000)
    values = [on_nullcline(t) for t in grid]
    roots = [brentq(on_nullcline, grid[i], grid[i + 1], xtol=1e-6)
             for i in range(len(grid) - 1) if np.sign(values[i]) != np.sign(values[i + 1])]
    return [(A * (1 - B * t) / N, t) for t in roots]


def _kuznetsov_ode(t_eval, t0_cells):
    def rhs(_t, y):
        e, t = y
        return [S + P * e * t / (G + t) - M * e * t - D * e, A * t * (1 - B * t) - N * e * t]

    return solve_ivp(rhs, (0, max(t_eval)), [S / D, t0_cells], method="LSODA", rtol=1e-10, atol=1e-6,
                     t_eval=t_eval).y


def _kuznetsov_model(t0_cells: int, **tme_options):
    model = Model(types=(CellType("T", A, 0.0),), capacity=1 / B, initial={"T": t0_cells}, name="kuznetsov1994")
    return couple(model, TME([TCells(), ImmuneKilling()], **tme_options))


def test_kuznetsov_equilibria_by_hand():
    eq = _kuznetsov_equilibria()
    assert len(eq) == 3
    (e1, t1), (e2, t2), (e3, t3) = eq
    assert t1 == pytest.approx(8.186e6, rel=1e-3)
    assert e1 == pytest.approx(1.608e6, rel=1e-3)
    assert t2 == pytest.approx(2.680e8, rel=1e-3)
    assert e2 == pytest.approx(7.585e5, rel=1e-3)
    assert t3 == pytest.approx(4.470e8, rel=1e-3)
    assert e3 == pytest.approx(1.732e5, rel=1e-3)


@pytest.mark.parametrize(("t0_cells", "which"), [(10**7, 0), (2 * 10**8, 2)])
def test_kuznetsov_in_ode_engine_dormancy_or_escape(t0_cells, which):
    """From E = s/d: 1e7 cells settle on the dormant focus, 2e8 cells escape to the upper node.

    Tolerances: the coupled ODE freezes the kill rate over steps chosen for a 5% relative
    change of the compartments, with mid-step rates (second-order splitting): 1% along the
    trajectory against the one-piece solution of the same equations, 0.1% at the equilibrium
    (which the splitting leaves unchanged).
    """
    times = [100.0, 300.0, 1000.0]
    reference = _kuznetsov_ode(times + [4000.0], float(t0_cells))
    run = _kuznetsov_model(t0_cells).simulate(stop=StopRules(time_limit=4000.0), engine="ode", record_interval=100)
    totals = run.result.totals.set_index("time")["T"]
    for i, t in enumerate(times):
        assert totals.loc[t] == pytest.approx(reference[1][i], rel=0.01)
    e_star, t_star = _kuznetsov_equilibria()[which]
    assert totals.loc[4000.0] == pytest.approx(t_star, rel=1e-3)
    assert run.compartments["effector"].iloc[-1] == pytest.approx(e_star, rel=1e-3)


def test_hybrid_agrees_with_ode_in_large_populations():
    """10^7 cells: demographic noise is below 1e-3 relative (sd ~ sqrt((b+d) T t)/T), so one
    hybrid patient follows the deterministic trajectory; tolerance 3% (splitting 1% + noise)."""
    times = [100.0, 300.0, 1000.0]
    reference = _kuznetsov_ode(times, 1e7)
    run = _kuznetsov_model(10**7).simulate(stop=StopRules(time_limit=1000.0), engine="hybrid", record_interval=100,
                                           rng=11)
    totals = run.result.totals.set_index("time")["T"]
    for i, t in enumerate(times):
        assert totals.loc[t] == pytest.approx(reference[1][i], rel=0.03)


# ------------------------------------------------------------------------------------------ limits
def _two_type_model(**extra) -> Model:
    return Model(
        types=(CellType("S", 0.3, 0.1, (DrugResponse("tki", "death", 0.4),)), CellType("R", 0.3, 0.1)),
        mutations=(Mutation("S", "R", 1e-4),), drugs=(Drug("tki"), Drug("anti_pd1")), initial={"S": 200},
        **extra,
    )


def _table(result):
    return result.to_frame(), result.totals_frame()


@pytest.mark.parametrize("engine", ["hybrid", "exact"])
def test_every_term_off_is_bit_for_bit_the_plain_model(engine):
    model = _two_type_model()
    stop = StopRules(detection_size=2000, time_limit=60.0)
    plain = simulate(model, constant({"tki": 1.0}), engine=engine, stop=stop, record_interval=5, rng=7)
    off = TME([TCells(enabled=False), ImmuneKilling(enabled=False), Fibroblasts(0.1, 0.1, enabled=False),
               StromalProtection(2.0, enabled=False), NKCells(enabled=False)])
    for tme in (TME(), off, TME([NKCells(enabled=False)])):
        coupled = couple(model, tme).simulate(constant({"tki": 1.0}), engine=engine, stop=stop, record_interval=5,
                                              rng=7).result
        for a, b in zip(_table(plain), _table(coupled), strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert coupled.events == plain.events
        assert coupled.final_sizes == plain.final_sizes


def _bound(tme: TME, model: Model):
    coupled = couple(model, tme)
    coupling = coupled.coupling()
    state = coupling.initial_state(coupled)
    return coupled, coupling, state


def test_stromal_protection_divides_the_drug_effect_and_gamma_zero_removes_it():
    model = _two_type_model()
    fib = Fibroblasts(activation=0.2, deactivation=0.2, induced_by={"tki": DrugEffect(emax=0.6)}, initial=0.5)
    sizes = np.array([1e3, 0.0])
    for gamma in (0.0, 3.0):
        coupled, coupling, state = _bound(TME([fib, StromalProtection(gamma, drugs=["tki"])]), model)
        coupling._deriv[:] = 0.0  # rates at the state itself (no mid-step prediction)
        rates = coupling.modify_rates(coupled.rates({"tki": 1.0}), state, sizes=sizes, t=0.0)
        # hand calculation: death = d + emax / (1 + gamma F) with F = 0.5
        assert rates.death[0] == 0.1 + 0.4 / (1 + gamma * 0.5)
        if gamma == 0.0:
            plain = model.rates({"tki": 1.0})
            assert np.array_equal(rates.birth, plain.birth)
            assert np.array_equal(rates.death, plain.death)


def test_gamma_to_zero_gives_the_drug_without_stroma_in_a_run():
    """ODE engine: with gamma = 1e-9 the protected run matches the run without stroma to 1e-6."""
    model = _two_type_model()
    stop = StopRules(time_limit=40.0)
    fib = Fibroblasts(activation=0.05, deactivation=0.1, induced_by={"tki": DrugEffect(emax=0.5)})
    plain = simulate(model, constant({"tki": 1.0}), engine="ode", stop=stop, record_interval=10)
    tiny = couple(model, TME([fib, StromalProtection(1e-9)])).simulate(
        constant({"tki": 1.0}), engine="ode", stop=stop, record_interval=10).result
    strong = couple(model, TME([fib, StromalProtection(5.0)])).simulate(
        constant({"tki": 1.0}), engine="ode", stop=stop, record_interval=10).result
    np.testing.assert_allclose(tiny.totals["S"], plain.totals["S"], rtol=1e-6)
    assert strong.final_sizes["S"] > 10 * plain.final_sizes["S"]  # protection delays the response


def test_infinite_checkpoint_blockade_reaches_the_maximal_kill():
    model = _two_type_model()
    kill = ImmuneKilling(rate=1e-7, antigenicity={"S": 2.0}, pd_l1={"S": 1.0, "R": 3.0}, checkpoint=4.0,
                         blockade={"anti_pd1": DrugEffect(emax=1.0, ec50=1.0)})
    coupled, coupling, state = _bound(TME([TCells(initial=1e6), kill]), model)
    coupling._deriv[:] = 0.0
    base = coupled.rates({})
    sizes = np.array([1e3, 1e3])

    def extra(c):
        return coupling.modify_rates(coupled.rates({"anti_pd1": c}), state, sizes=sizes, t=0.0).death - base.death

    # no blockade: n a E / (1 + kappa L); blockade -> 1: n a E (hand calculation)
    np.testing.assert_allclose(extra(0.0), [1e-7 * 2 * 1e6 / 5, 1e-7 * 1e6 / 13], rtol=1e-12)
    np.testing.assert_allclose(extra(1e15), [1e-7 * 2 * 1e6, 1e-7 * 1e6], rtol=1e-12)
    assert np.all(np.diff([extra(c)[1] for c in (0.0, 0.5, 2.0, 100.0)]) > 0)


def test_hgf_bypass_is_clone_specific_and_met_inhibition_lifts_it():
    model = _two_type_model()
    hgf = HGFBypass(secretion=1.0, clearance=0.5, gamma=4.0, half_saturation=2.0, met={"S": 1.0},
                    inhibitors={"anti_pd1": DrugEffect(emax=1.0)}, initial=2.0)
    coupled, coupling, state = _bound(TME([hgf]), model)
    coupling._deriv[:] = 0.0
    sizes = np.array([1e3, 0.0])
    rates = coupling.modify_rates(coupled.rates({"tki": 1.0}), state, sizes=sizes, t=0.0)
    assert rates.death[0] == pytest.approx(0.1 + 0.4 / (1 + 4.0 * 2.0 / (2.0 + 2.0)), rel=1e-14)
    blocked = coupling.modify_rates(coupled.rates({"tki": 1.0, "anti_pd1": 1.0}), state, sizes=sizes, t=0.0)
    assert blocked.death[0] == pytest.approx(0.5, rel=1e-14)


@pytest.mark.parametrize("engine", ["ode", "hybrid"])
def test_compartment_steady_states_match_closed_forms(engine):
    """A static tumour (b = d = 0): F*, H*, O*, phi* and E* from setting each ODE to zero."""
    n_cells = 1e6
    model = Model(types=(CellType("S", 0.0, 0.0), CellType("P", 0.0, 0.0)), drugs=(Drug("x"),),
                  initial={"S": int(n_cells)})
    terms = [
        TCells(), Fibroblasts(0.1, 0.3, induced_by={"x": DrugEffect(emax=0.2)}),
        HGFBypass(secretion=2.0, clearance=0.5, gamma=1.0, half_saturation=1.0),
        Hypoxia(normoxic=40.0, half_burden=1e6, relaxation=0.5, birth_half_saturation=5.0,
                switches=[HypoxicSwitch("S", "P", 0.01, half_oxygen=10.0, hill=2.0)]),
        Macrophages(polarisation=0.2, half_burden=1e6, repolarisation=0.1, growth=0.5),
    ]
    run = couple(model, TME(terms)).simulate(constant({"x": 1.0}), engine=engine, stop=StopRules(time_limit=400.0),
                                             rng=2)
    last = run.compartments.iloc[-1]
    f_star = 0.3 / 0.6
    assert last["fibroblasts"] == pytest.approx(f_star, rel=1e-4)
    assert last["hgf"] == pytest.approx(2.0 * f_star / 0.5, rel=1e-4)
    assert last["oxygen"] == pytest.approx(40.0 / (1 + 1.0), rel=1e-4)  # the tumour barely changes
    assert last["m2_fraction"] == pytest.approx(0.1 / (0.1 + 0.1), rel=1e-3)
    e_star = S / (D - P * n_cells / (G + n_cells) + M * n_cells)
    assert last["effector"] == pytest.approx(e_star, rel=1e-4)
    # switching S -> P at rate 0.01 * 10^2 / (10^2 + 20^2) = 0.002 per day (b = d = 0): S(t) = S0 e^{-0.002 t}
    # (oxygen reaches 20 mmHg within ~10 days; tolerance 2% covers that transient, and for the
    # hybrid engine the binomial noise, sd/mean ~ 1e-3 at 1e6 cells)
    sizes = run.result.final_sizes
    assert sizes["S"] / n_cells == pytest.approx(math.exp(-0.002 * 400), rel=0.02)


def test_bad_terms_are_refused():
    model = _two_type_model()
    with pytest.raises(InputError, match="needs the t_cells term"):
        TME([ImmuneKilling()])
    with pytest.raises(InputError, match="unknown drug 'nivolumab'"):
        couple(model, [TCells(), ImmuneKilling(blockade={"nivolumab": {"emax": 1}})]).simulate(
            stop=StopRules(time_limit=1.0))
    with pytest.raises(InputError, match="fraction blocked"):
        ImmuneKilling(blockade={"anti_pd1": {"emax": 2}})
    with pytest.raises(InputError, match="two t_cells terms"):
        TME([TCells(), TCells()])


# ------------------------------------------------------------------------------------------ YAML
def test_model_file_declares_the_terms(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent("""\
        drugs: [tki, anti_pd1]
        types:
          S: {birth: 0.3, death: 0.1, drugs: {tki: {death: 0.4}}}
          R: {birth: 0.3, death: 0.1}
        mutations: [{from: S, to: R, probability: 1.0e-4}]
        initial: {S: 200}
        stop: {time_limit: 30}
        tme:
          tolerance: 0.02
          t_cells: {}
          immune_killing: {rate: 1.0e-7, pd_l1: {S: 1}, checkpoint: 3, blockade: {anti_pd1: {emax: 1, ec50: 0.5}}}
          fibroblasts: {activation: 0.1, deactivation: 0.2, induced_by: {tki: {emax: 0.3}}}
          stromal_protection: {gamma: 2, drugs: [tki], types: [S]}
          macrophages: {polarisation: 0.1, half_burden: 1e6, repolarisation: 0.1, enabled: false}
        """))
    sc = load_scenario(path)
    assert sc.model.tme.tolerance == 0.02
    assert sorted(sc.model.coupling().compartment_names) == ["effector", "fibroblasts"]
    res = simulate(sc.model, constant({"tki": 1.0, "anti_pd1": 1.0}), rng=1, **sc.simulate_options())
    assert res.outcome in ("time_limit", "extinct")
    bad = tmp_path / "bad.yaml"
    bad.write_text(path.read_text().replace("pd_l1: {S: 1}", "pd_l1: {Q: 1}"))
    with pytest.raises(InputError, match="unknown type 'Q'") as err:
        load_scenario(bad)
    assert err.value.line == 11


# ------------------------------------------------------------------------------------------ therapy
def test_therapy_strategies_run_unchanged_with_an_immunotherapy():
    from oncoresist.therapy import (
        Combination,
        Continuous,
        Imaging,
        Monitoring,
        Sequential,
        Settings,
        compare,
    )

    model = Model(
        types=(CellType("S", 0.2, 0.1, (DrugResponse("braf", "death", 0.3),)), CellType("R", 0.2, 0.1)),
        mutations=(Mutation("S", "R", 1e-6),), drugs=(Drug("braf"), Drug("anti_pd1")), initial={"S": 1000},
    )
    tme = TME([TCells(source=1e3, initial=1e4), ImmuneKilling(rate=2e-6, pd_l1={"S": 1.0, "R": 1.0}, checkpoint=9.0,
                                                              blockade={"anti_pd1": DrugEffect(emax=1.0)})])
    coupled = couple(model, tme)
    settings = Settings(stop=StopRules(detection_size=1e6, time_limit=300.0),
                        monitoring=Monitoring(Imaging(interval=28, threshold=1e5)))
    strategies = {
        "braf": Continuous("braf"),
        "braf+pd1": Combination({"braf": 1.0, "anti_pd1": 1.0}),
        "pd1_at_progression": Sequential([{"braf": 1.0}, {"braf": 1.0, "anti_pd1": 1.0}]),
    }
    one = compare(coupled, strategies, settings, n_patients=3, rng=5)
    two = compare(coupled, strategies, settings, n_patients=3, rng=5)
    pd.testing.assert_frame_equal(one.patients, two.patients)
    # common random numbers: the same tumour at treatment start in every arm
    detected = one.patients.pivot(index="patient", columns="strategy", values="detected_S")
    assert (detected.nunique(axis=1) == 1).all()
    assert set(one.outcomes["strategy"]) == set(strategies)


def test_plain_model_with_drug_terms_is_refused_with_the_fix():
    model = _two_type_model()
    tme = TME([TCells(), ImmuneKilling(blockade={"anti_pd1": DrugEffect()})])
    with pytest.raises(InputError, match="simulate a TMEModel"):
        simulate(model, constant({"anti_pd1": 1.0}), coupling=tme, stop=StopRules(time_limit=5.0), rng=1)


def test_exact_engine_runs_with_the_terms_on():
    """Exact engine, T-cell killing on a small tumour: the kill term is the only death, so the
    population can only shrink below its killing-free growth (b = 0.3, d = 0.1 from 200 cells)."""
    model = _two_type_model()
    tme = TME([TCells(initial=1e6), ImmuneKilling(rate=1e-6)])  # extra death 1 per day per cell
    run = couple(model, tme).simulate(engine="exact", stop=StopRules(time_limit=20.0), rng=3)
    assert run.result.outcome == "extinct"  # net rate 0.2 - 1.0 < 0 from 200 cells: P(survive 20 days) ~ 0
    assert run.compartments["time"].iloc[-1] == pytest.approx(run.result.events["extinction"])


# ------------------------------------------------------------------------------------------ NK cells
# de Pillis, Radunskaya & Wiseman (2005) Cancer Res 65:7950 (doi:10.1158/0008-5472.CAN-05-0564),
# NK equation dN/dt = sigma - f N + g N T^2/(h + T^2) - p N T, kill c N T; mouse estimates of the
# paper (the NKCells defaults): sigma = 1.3e4 /day, f = 4.12e-2 /day, g = 2.5e-2 /day,
# h = 2.02e7 cells^2, p = 1.0e-7 /cell/day, c = 3.23e-7 /cell/day.
SIG, F_NK, G_NK, H_NK, P_NK, C_NK = 1.3e4, 4.12e-2, 2.5e-2, 2.02e7, 1.0e-7, 3.23e-7


def test_nk_alone_at_zero_tumour_relaxes_to_source_over_death():
    """T = 0: dN/dt = sigma - f N, so from N(0) = 0, N(t) = (sigma/f)(1 - e^{-f t}) and the
    equilibrium is sigma/f = 1.3e4/0.0412 = 3.155e5 cells. Integrated through the coupling's own
    step control (steps from max_step); tolerance 1e-4 relative (LSODA rtol 1e-6 per step)."""
    model = Model(types=(CellType("S", 0.1, 0.1),), initial={"S": 0})
    coupled = couple(model, [NKCells(initial=0.0)])
    coupling = coupled.coupling()
    state = coupling.initial_state(coupled)
    zero = np.zeros(1)
    t = 0.0
    checks = {}
    while t < 400.0:
        t1 = min(t + coupling.max_step, 400.0)
        state = coupling.advance(state, sizes_start=zero, sizes_end=zero, t0=t, t1=t1, concentrations={})
        t = t1
        checks[t] = state[0]
    for time, value in list(checks.items())[:: max(len(checks) // 10, 1)]:
        assert value == pytest.approx(SIG / F_NK * (1 - math.exp(-F_NK * time)), rel=1e-4)
    assert SIG / F_NK == pytest.approx(3.155e5, rel=1e-3)
    assert checks[400.0] == pytest.approx(SIG / F_NK, rel=1e-6 + math.exp(-F_NK * 400.0))


@pytest.mark.parametrize("engine", ["ode", "hybrid"])
def test_nk_steady_state_and_kill_on_a_constant_tumour(engine):
    """Tumour held constant: type S with b = d = 0 and NK sensitivity 0 (so it is not killed),
    T = 1e6 cells. Hand calculation: g T^2/(h + T^2) = 0.025 * 1e12/(1e12 + 2.02e7) = 0.0249995,
    p T = 0.1, so N* = sigma / (f - 0.0249995 + 0.1) = 1.3e4 / 0.1162005 = 1.11876e5 cells.
    Kill of a type with sensitivity 2 at N*: c * 2 * N* = 3.23e-7 * 2 * 1.11876e5 = 0.072272 /day."""
    n_cells = 1e6
    model = Model(types=(CellType("S", 0.0, 0.0), CellType("P", 0.0, 0.0)), initial={"S": int(n_cells)})
    nk = NKCells(sensitivity={"S": 0.0, "P": 2.0})
    run = couple(model, TME([nk])).simulate(engine=engine, stop=StopRules(time_limit=400.0), rng=4)
    n_star = SIG / (F_NK - G_NK * n_cells**2 / (H_NK + n_cells**2) + P_NK * n_cells)
    assert n_star == pytest.approx(1.11876e5, rel=1e-5)
    last = run.compartments["nk"].iloc[-1]
    assert last == pytest.approx(n_star, rel=1e-4)
    assert run.result.final_sizes["S"] == int(n_cells)  # not killed, no births or deaths
    coupled, coupling, _ = _bound(TME([nk]), model)
    coupling._deriv[:] = 0.0
    rates = coupling.modify_rates(coupled.rates({}), np.array([n_star]), sizes=np.array([n_cells, 0.0]), t=0.0)
    np.testing.assert_allclose(rates.death, [0.0, C_NK * 2 * n_star], rtol=1e-14)
    assert rates.death[1] == pytest.approx(0.072272, rel=1e-4)


def test_nk_kill_ignores_the_checkpoint_and_adds_to_t_cell_killing():
    """PD-L1 and blockade change only the T-cell kill; the NK kill c N stays (hand calculation)."""
    model = _two_type_model()
    kill = ImmuneKilling(rate=1e-7, pd_l1={"S": 1.0, "R": 3.0}, checkpoint=4.0,
                         blockade={"anti_pd1": DrugEffect(emax=1.0)})
    coupled, coupling, state = _bound(TME([TCells(initial=1e6), kill, NKCells(initial=2e5)]), model)
    coupling._deriv[:] = 0.0
    assert coupling.compartment_names == ("effector", "nk")
    base = coupled.rates({}).death
    sizes = np.array([1e3, 1e3])
    none = coupling.modify_rates(coupled.rates({}), state, sizes=sizes, t=0.0).death - base
    full = coupling.modify_rates(coupled.rates({"anti_pd1": 1.0}), state, sizes=sizes, t=0.0).death - base
    nk = C_NK * 2e5
    np.testing.assert_allclose(none, [1e-7 * 1e6 / 5 + nk, 1e-7 * 1e6 / 13 + nk], rtol=1e-12)
    np.testing.assert_allclose(full, [1e-7 * 1e6 + nk, 1e-7 * 1e6 + nk], rtol=1e-12)


def _de_pillis_tumour_nk(t_eval, t0_cells, a, b):
    def rhs(_t, y):
        t, n = y
        return [a * t * (1 - b * t) - C_NK * n * t,
                SIG - F_NK * n + G_NK * n * t**2 / (H_NK + t**2) - P_NK * n * t]

    return solve_ivp(rhs, (0, max(t_eval)), [t0_cells, SIG / F_NK], method="LSODA", rtol=1e-10, atol=1e-6,
                     t_eval=t_eval).y


@pytest.mark.parametrize(("engine", "tolerance"), [("ode", 0.01), ("hybrid", 0.03)])
def test_nk_hybrid_and_ode_agree_with_the_one_piece_solution(engine, tolerance):
    """Tumour with the paper's mouse growth (a = 0.514 /day, b = 1.02e-9 /cell) plus NK cells from
    sigma/f, 1e6 cells at time 0, against the one-piece (T, N) solution (LSODA, rtol 1e-10).
    Tolerances as for Kuznetsov: 1% for the splitting in the ode engine; 3% for one hybrid
    patient (splitting + demographic noise, sd/mean < 1e-3 at >= 1e6 cells). Tumour at 5, 10,
    20, 30 days; NK cells at 5 and 10 days (after that the burden drives them towards 0, where
    a relative comparison means nothing)."""
    a, b = 0.514, 1.02e-9
    times = [5.0, 10.0, 20.0, 30.0]
    reference = _de_pillis_tumour_nk(times, 1e6, a, b)
    model = Model(types=(CellType("T", a, 0.0),), capacity=1 / b, initial={"T": 10**6})
    run = couple(model, [NKCells()]).simulate(engine=engine, stop=StopRules(time_limit=30.0), record_interval=5,
                                             rng=13)
    totals = run.result.totals.set_index("time")["T"]
    nk = run.compartments.set_index("time")["nk"]
    for i, t in enumerate(times):
        assert totals.loc[t] == pytest.approx(reference[0][i], rel=tolerance)
    for i, t in enumerate(times[:2]):
        got = float(np.interp(t, nk.index, nk.to_numpy()))
        assert got == pytest.approx(reference[1][i], rel=tolerance)


def test_model_file_declares_nk_cells_and_names_bad_fields(tmp_path):
    path = tmp_path / "nk.yaml"
    path.write_text(textwrap.dedent("""\
        types:
          S: {birth: 0.3, death: 0.1}
          M: {birth: 0.3, death: 0.1}
        initial: {S: 200}
        stop: {time_limit: 10}
        tme:
          nk_cells: {kill: 3.23e-7, sensitivity: {M: 2}}
        """))
    sc = load_scenario(path)
    assert sc.model.coupling().compartment_names == ("nk",)
    (term,) = sc.model.tme.terms
    assert term.kill == 3.23e-7
    assert dict(term.sensitivity) == {"M": 2.0}
    assert term.source == SIG
    bad = tmp_path / "bad.yaml"
    bad.write_text(path.read_text().replace("kill: 3.23e-7", "kil: 3.23e-7"))
    with pytest.raises(InputError, match="kil") as err:
        load_scenario(bad)
    assert err.value.line == 7
    bad.write_text(path.read_text().replace("{M: 2}", "{Q: 2}"))
    with pytest.raises(InputError, match="unknown type 'Q'"):
        load_scenario(bad)
    off = tmp_path / "off.yaml"
    off.write_text(path.read_text().replace("sensitivity: {M: 2}", "sensitivity: {M: 2}, enabled: false"))
    assert load_scenario(off).model.coupling().compartment_names == ()
