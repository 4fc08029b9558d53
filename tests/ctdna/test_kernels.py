"""The numba kernels against slow, obviously correct references (scipy sums, Python loops)."""

import numpy as np
import pytest

from oncoresist.ctdna import _kernels as K

CASES = [
    # (x, n, mu, s): binomial (s = inf) and beta-binomial, lower and upper tails, extremes.
    (0, 100, 1e-3, np.inf),
    (1, 100, 1e-3, np.inf),
    (5, 10_000, 1e-4, np.inf),
    (45, 5420, 0.0021849777953923833, 619538.3),
    (3, 3000, 5e-5, 9999.0),
    (12, 3000, 5e-5, 99.0),
    (600, 2000, 0.2, 50.0),
    (2000, 2000, 0.2, 50.0),
    (2001, 2000, 0.2, 50.0),
]


@pytest.mark.parametrize(("x", "n", "mu", "s"), CASES)
def test_upper_tail_matches_the_scipy_sum(x, n, mu, s):
    fast = K.upper_tail(np.array([x]), np.array([n]), mu, s)[0]
    slow = K.upper_tail_reference(x, n, mu, s) if x <= n else 0.0
    assert fast == pytest.approx(slow, rel=1e-7, abs=1e-15)


def test_upper_tail_random_cases():
    rng = np.random.default_rng(11)
    for _ in range(150):
        n = int(rng.integers(1, 6000))
        mu = float(10 ** rng.uniform(-6, -1))
        s = float(rng.choice([np.inf, 10 ** rng.uniform(1, 6)]))
        x = int(rng.integers(0, min(n, int(n * mu * 6) + 15) + 1))
        fast = K.upper_tail(np.array([x]), np.array([n]), mu, s)[0]
        assert fast == pytest.approx(K.upper_tail_reference(x, n, mu, s), rel=1e-6, abs=1e-14)


def test_critical_count_matches_the_python_loop():
    rng = np.random.default_rng(12)
    for _ in range(60):
        n = int(rng.integers(1, 3000))
        mu = float(10 ** rng.uniform(-5, -1.5))
        s = float(rng.choice([np.inf, 10 ** rng.uniform(1, 5)]))
        alpha = float(rng.choice([0.05, 0.01, 1e-3]))
        assert K.critical_count(np.array([n]), mu, s, alpha)[0] == K.critical_count_reference(n, mu, s, alpha)


def test_critical_count_by_hand():
    # Binomial(10000, 1e-4) is close to Poisson(1): P(X >= 4) = 0.019 > 0.01 >= P(X >= 5) = 0.0037.
    assert K.critical_count(np.array([10_000]), 1e-4, np.inf, 0.01)[0] == 5


def test_lr_grid_matches_scipy_log_pmfs():
    x = np.array([0, 3, 1, 40])
    n = np.array([3000, 2500, 4000, 1000])
    mu = np.array([5e-5, 1e-4, 2e-4, 1e-3])
    s = np.array([np.inf, 1e4, 300.0, np.inf])
    grid = np.array([0.0, 1e-4, 1e-3, 0.05])
    fast = K.lr_grid_kernel(np.zeros(4, dtype=np.int64), x, n, mu, s, grid, 1)[0]
    np.testing.assert_allclose(fast, K.lr_grid_reference(x, n, mu, s, grid), rtol=1e-8, atol=1e-8)
