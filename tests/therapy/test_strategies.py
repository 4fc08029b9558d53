"""Each strategy's decisions on constructed trajectories (hand-computed expectations beside each)."""

from __future__ import annotations

import math

import pytest

from oncoresist._core.exceptions import InputError
from oncoresist.evolve import Dosing, Observation
from oncoresist.therapy import (
    Adaptive,
    Alternating,
    Combination,
    Continuous,
    CtDNA,
    DoseModulation,
    Imaging,
    Intermittent,
    Monitoring,
    ProgressionRule,
    Sequential,
    controller,
)


def obs(t: float, total: float, sizes: dict | None = None) -> Observation:
    return Observation(time=t, treatment_time=t, sizes=sizes or {"S": total}, total=total, concentrations={},
                       history=())


def drive(ctrl, trajectory):
    """Feed (time, burden) points; return the levels decided and whether the rule fired."""
    out = []
    for t, total in trajectory:
        failed = ctrl.progression_rule(obs(t, total))
        if failed:
            out.append(("failed", t))
            break
        d = ctrl(obs(t, total))
        out.append((t, dict(d.levels), d.duration))
    return out


MON = Monitoring(Imaging(interval=28, threshold=1e8))


def test_continuous_until_recist_progression():
    ctrl = controller(Continuous("a"), MON, rng=1)
    # nadir 2e9 at day 28; 2.3e9 is +15% (not progression), 2.5e9 is +25% >= 20%: failure
    result = drive(ctrl, [(0, 1e10), (28, 2e9), (56, 2.3e9), (84, 2.5e9)])
    assert result[0] == (0, {"a": 1.0}, 28)
    assert result[-1] == ("failed", 84)
    assert ctrl.state.progressions == [84]


def test_undetectable_scans_count_as_threshold_for_the_nadir():
    ctrl = controller(Continuous("a"), MON, rng=1)
    # scans below 1e8 read 0 and the nadir is the threshold: 1.1e8 (+10%) is not progression,
    # 1.3e8 (+30%) is
    result = drive(ctrl, [(0, 1e9), (28, 1e6), (56, 1.1e8), (84, 1.3e8)])
    assert ctrl.state.scans[1] == (28, 0.0)
    assert result[-1] == ("failed", 84)


def test_diameter_rule_needs_a_larger_rise():
    rule = ProgressionRule(rise=0.2, measure="diameter")
    assert rule.factor() == pytest.approx(1.2**3)
    ctrl = controller(Continuous("a"), MON, rng=1, progression=rule)
    result = drive(ctrl, [(0, 1e10), (28, 1e9), (56, 1.5e9), (84, 1.8e9)])  # 1.5x < 1.728x <= 1.8x
    assert result[-1] == ("failed", 84)


def test_sequential_switches_at_progression_then_fails_on_last_line():
    ctrl = controller(Sequential(({"a": 1}, {"b": 1})), MON, rng=1)
    result = drive(ctrl, [(0, 1e10), (28, 1e9), (56, 1.5e9), (84, 1e9), (112, 8e8), (140, 1e9)])
    assert result[2] == (56, {"b": 1.0}, 28)          # +50% over nadir 1e9: switch to line 2
    assert ctrl.state.switches == [56]
    # line 2's nadir is from its own scans (1.5e9, 1e9, 8e8): 1e9 is +25% over 8e8: failure
    assert result[-1] == ("failed", 140)


def test_sequential_switch_at_ctdna_rise():
    mon = Monitoring(Imaging(interval=28, threshold=1e8), CtDNA(interval=28, shedding=1e-6, volume=10))
    ctrl = controller(Sequential(({"a": 1}, {"b": 1}), switch="ctdna", ctdna_threshold=5), mon, rng=1,
                      marker_types=["R"])
    # 0 resistant cells: 0 copies for sure; 1e6 resistant cells: Poisson(10) >= 5 with prob. 0.97
    d0 = ctrl(obs(0, 1e9, {"S": 1e9, "R": 0}))
    d1 = ctrl(obs(28, 1e9, {"S": 1e9, "R": 0}))
    assert d0.levels == d1.levels == {"a": 1.0}
    d2 = ctrl(obs(56, 1e9, {"S": 1e9 - 1e7, "R": 1e7}))   # Poisson(100): certainly >= 5
    assert d2.levels == {"b": 1.0}


def test_sequential_switch_at_fixed_time():
    ctrl = controller(Sequential(({"a": 1}, {"b": 1}), switch="time", after=40), MON, rng=1)
    d0 = ctrl(obs(0, 1e9))
    assert d0.duration == 28
    d1 = ctrl(obs(28, 5e8))
    assert d1.levels == {"a": 1.0}
    assert d1.duration == pytest.approx(12)
    d2 = ctrl(obs(40, 4e8))
    assert d2.levels == {"b": 1.0}


def test_intermittent_cycles():
    ctrl = controller(Intermittent({"a": 1}, on=14, off=7), MON, rng=1)
    seen = [(t, ctrl(obs(t, 1e9))) for t in (0, 14, 21, 28, 35, 42)]
    assert [bool(d.levels) for _, d in seen] == [True, False, True, True, False, True]
    assert [d.duration for _, d in seen] == [14, 7, 7, 7, 7, 14]


def test_alternating_regimens():
    ctrl = controller(Alternating(({"a": 1}, {"b": 1}), period=30), MON, rng=1)
    levels = [ctrl(obs(t, 1e9)).levels for t in (0, 28, 30, 56, 60)]
    assert levels == [{"a": 1.0}, {"a": 1.0}, {"b": 1.0}, {"b": 1.0}, {"a": 1.0}]


def test_adaptive_zhang_stops_below_half_and_restarts_at_baseline():
    ctrl = controller(Adaptive({"a": 1}), MON, rng=1)
    # baseline 1e10; 6e9 > 0.5 B: on; 4e9 <= 0.5 B: off; 8e9 < B: off; 1.05e10 >= B: on again
    result = drive(ctrl, [(0, 1e10), (28, 6e9), (56, 4e9), (84, 8e9), (112, 1.05e10), (140, 9e9)])
    assert [bool(r[1]) for r in result] == [True, True, False, False, True, True]
    # the regrowth to 1.05e10 is not progression: it is judged above the tolerated level B
    assert not ctrl.state.failed


def test_adaptive_progression_is_judged_above_restart_level():
    ctrl = controller(Adaptive({"a": 1}), MON, rng=1)
    result = drive(ctrl, [(0, 1e10), (28, 4e9), (56, 1.1e10), (84, 1.25e10)])   # 1.25e10 >= 1.2 B
    assert result[-1] == ("failed", 84)


def test_dose_modulation_moves_with_the_tumour():
    ctrl = controller(DoseModulation("a", initial=1.0, step=0.5, change=0.2, min_level=0.1), MON, rng=1)
    levels = [ctrl(obs(t, v)).levels["a"] for t, v in [(0, 1e10), (28, 7e9), (56, 5e9), (84, 5.2e9), (112, 7e9)]]
    # -30%: 1 -> 0.5; -29%: 0.5 -> 0.25; +4%: unchanged; +35%: 0.25 -> 0.375
    assert levels == pytest.approx([1.0, 0.5, 0.25, 0.25, 0.375])


def test_user_callable_with_the_simulator_signature():
    def half_when_small(o):
        return {"a": 0.5} if o.total < 1e9 else Dosing(levels={"a": 1.0})

    ctrl = controller(half_when_small, MON, rng=1)
    assert ctrl(obs(0, 2e9)).levels == {"a": 1.0}
    assert ctrl(obs(28, 5e8)).levels == {"a": 0.5}


def test_imaging_noise_is_reproducible_and_unbiased_in_the_mean():
    im = Imaging(interval=28, threshold=0, cv=0.2)
    import numpy as np

    a = [im.measure(1e9, np.random.default_rng(5)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    gen = np.random.default_rng(1)
    values = np.array([im.measure(1e9, gen) for _ in range(20000)])
    # log-normal with mean 1e9 and CV 0.2: the sample mean is within 4 SE (SE = 0.2e9/sqrt(2e4))
    assert abs(values.mean() - 1e9) < 4 * 0.2e9 / math.sqrt(20000)


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (lambda: Intermittent({"a": 1}, on=0, off=7), "on must be a positive time"),
        (lambda: Adaptive({"a": 1}, stop_fraction=1.0, restart_fraction=0.5), "stop_fraction < restart_fraction"),
        (lambda: Sequential(({"a": 1},)), "at least 2 lines"),
        (lambda: Sequential(({"a": 1}, {"b": 1}), switch="time"), "needs 'after'"),
        (lambda: Combination({"a": -1}), "finite dose level >= 0"),
        (lambda: Imaging(interval=0), "monitoring.imaging.interval"),
    ],
)
def test_impossible_strategies_are_refused(make, text):
    with pytest.raises(InputError, match=text):
        make()
