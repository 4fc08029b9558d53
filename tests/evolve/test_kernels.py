"""The numba kernels against the slow pure-Python references in ``_reference.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoresist.evolve import (
    CellType,
    Model,
    Mutation,
    StopRules,
    Switch,
    simulate_ensemble,
    theory,
)
from oncoresist.evolve import _reference as ref
from oncoresist.evolve._kernels import kendall_ab, kendall_sample


@pytest.mark.parametrize(("b", "d", "h"), [(1.0, 0.5, 1.5), (0.3, 0.9, 2.0), (0.7, 0.7, 1.0), (1.0, 0.0, 0.5)])
def test_kendall_ab_matches_theory(b, d, h):
    assert np.allclose(kendall_ab(b, d, h), theory.kendall_parameters(b, d, h), rtol=1e-12, atol=0)


def test_kendall_sample_matches_event_by_event_reference():
    n0, b, d, h, draws = 3, 1.0, 0.5, 1.5, 3000
    rng = np.random.default_rng(7)
    fast = np.array([kendall_sample(n0, b, d, h, rng) for _ in range(draws)])
    slow = np.array([ref.kendall_sample(n0, b, d, h, seed) for seed in range(draws)])
    for stat in (lambda x: np.mean(x == 0), np.mean):
        a, c = stat(fast), stat(slow)
        se = math.sqrt(np.var(fast == 0 if stat is not np.mean else fast) / draws
                       + np.var(slow == 0 if stat is not np.mean else slow) / draws)
        assert abs(a - c) <= 4 * se


def test_exact_engine_matches_reference_gillespie():
    model = Model(
        types=(CellType("S", 1.0, 0.4), CellType("R", 0.6, 0.2), CellType("P", 0.2, 0.1)),
        mutations=(Mutation("S", "R", 0.01),),
        switches=(Switch("S", "P", 0.1), Switch("P", "S", 0.3)),
        initial={"S": 30},
        capacity=150.0,
    )
    t_end, runs = 4.0, 500
    fast = simulate_ensemble(model, runs=runs, rng=3, workers=1, engine="exact",
                             stop=StopRules(time_limit=t_end)).runs[["final_S", "final_R", "final_P"]].to_numpy(float)
    rates = model.rates()
    slow = np.array([
        ref.gillespie_types([30, 0, 0], rates.birth.tolist(), rates.death.tolist(), rates.mutation.tolist(),
                            rates.switching.tolist(), t_end, seed, capacity=150.0)
        for seed in range(runs)
    ], dtype=float)
    se = np.sqrt(fast.var(axis=0, ddof=1) / runs + slow.var(axis=0, ddof=1) / runs)
    assert np.all(np.abs(fast.mean(axis=0) - slow.mean(axis=0)) <= 4 * se)


def test_lea_coulson_reference_matches_vectorised():
    assert np.allclose(ref.lea_coulson(2.5, 50), theory.luria_delbruck_pmf(2.5, 50), rtol=1e-12)
