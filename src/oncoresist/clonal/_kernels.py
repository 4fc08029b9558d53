"""Hot loops of the variational fit, as matrix products, with plain-Python references.

The two expensive quantities of each iteration are contractions of the log-likelihood grid
``L[n, d, g]`` (mutation, sample, CCF grid point):

* ``expected_loglik(L, theta)[n, k] = sum_{d,g} theta[k, d, g] * L[n, d, g]``, the expected
  log-likelihood of mutation ``n`` under cluster ``k``'s CCF distribution;
* ``weighted_loglik(L, z)[k, d, g] = sum_n z[n, k] * L[n, d, g]``, the responsibility-weighted
  log-likelihood that updates cluster ``k``'s CCF distribution.

Flattening ``(d, g)`` turns both into one BLAS matrix product. ``-inf`` entries (impossible
counts) are clipped to a large negative finite value first so that ``0 * -inf`` does not arise.
"""

from __future__ import annotations

import numpy as np

LOG_FLOOR = -1e6


def flatten_loglik(loglik: np.ndarray) -> np.ndarray:
    """``(N, D, G)`` -> ``(N, D*G)``, finite, C-contiguous float64."""
    flat = np.ascontiguousarray(loglik, dtype=np.float64).reshape(loglik.shape[0], -1)
    return np.maximum(flat, LOG_FLOOR)


def expected_loglik(flat: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``(N, D*G) x (K, D, G) -> (N, K)``."""
    return flat @ theta.reshape(theta.shape[0], -1).T


def weighted_loglik(flat_t: np.ndarray, z: np.ndarray, n_samples: int) -> np.ndarray:
    """``(D*G, N) x (N, K) -> (K, D, G)``.

    Takes the *transposed* flat grid (C-contiguous): OpenBLAS is several times faster on
    ``flat.T @ z`` laid out this way than on ``z.T @ flat``.
    """
    return (flat_t @ z).T.reshape(z.shape[1], n_samples, -1)


def log_normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Subtract the log-sum-exp along ``axis`` (stable)."""
    top = np.max(x, axis=axis, keepdims=True)
    return x - (top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)))


# --- plain-Python references (oracles for the tests) ------------------------------------------


def expected_loglik_reference(loglik: np.ndarray, theta: np.ndarray) -> np.ndarray:
    n_mut, n_samples, n_grid = loglik.shape
    out = np.zeros((n_mut, theta.shape[0]))
    for n in range(n_mut):
        for k in range(theta.shape[0]):
            total = 0.0
            for d in range(n_samples):
                for g in range(n_grid):
                    total += theta[k, d, g] * max(loglik[n, d, g], LOG_FLOOR)
            out[n, k] = total
    return out


def weighted_loglik_reference(loglik: np.ndarray, z: np.ndarray) -> np.ndarray:
    n_mut, n_samples, n_grid = loglik.shape
    out = np.zeros((z.shape[1], n_samples, n_grid))
    for k in range(z.shape[1]):
        for d in range(n_samples):
            for g in range(n_grid):
                total = 0.0
                for n in range(n_mut):
                    total += z[n, k] * max(loglik[n, d, g], LOG_FLOOR)
                out[k, d, g] = total
    return out


def single_threaded_blas():
    """Context manager limiting BLAS to one thread, if threadpoolctl is installed.

    The matrices here are small (thousands x hundreds): BLAS threads cost more in start-up and
    contention than they save, and one thread makes the summation order, hence the output,
    independent of the machine's core count. Parallelism comes from running restarts in an
    executor instead.
    """
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scipy/scikit-learn stacks
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
