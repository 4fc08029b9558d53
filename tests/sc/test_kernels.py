"""The vectorised NB GLM against statsmodels, and the FDR procedures against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist.sc._clones import benjamini_hochberg
from oncoresist.sc._kernels import nb_glm_fit, spatial_fdr


def _reference_fit(y, design, offset, alpha):
    """statsmodels' GLM, one row at a time (the slow, obviously correct oracle)."""
    import statsmodels.api as sm

    betas, lls = [], []
    for row in y:
        model = sm.GLM(row, design, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset)
        fit = model.fit(tol=1e-12, maxiter=200)
        betas.append(fit.params)
        lls.append(fit.llf)
    return np.array(betas), np.array(lls)


@pytest.mark.parametrize("alpha", [0.01, 0.3, 2.0])
def test_nb_glm_matches_statsmodels(alpha):
    rng = np.random.default_rng(0)
    design = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    offset = np.log(rng.uniform(500, 1500, 6))
    mu = np.exp(np.log(0.02) + offset + np.outer(rng.normal(0, 1, 40), design[:, 1]))
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)).astype(float)
    beta, _, ll, _ = nb_glm_fit(y, design, offset, alpha)
    ref_beta, ref_ll = _reference_fit(y, design, offset, alpha)
    ok = np.all(y[:, :3].sum(1) > 0) and np.all(y[:, 3:].sum(1) > 0)
    rows = (y[:, :3].sum(1) > 0) & (y[:, 3:].sum(1) > 0)  # finite MLE only
    assert ok or rows.any()
    np.testing.assert_allclose(beta[rows], ref_beta[rows], atol=1e-5)
    np.testing.assert_allclose(ll[rows], ref_ll[rows], rtol=1e-8, atol=1e-6)


def test_spatial_fdr_hand_calculation():
    # p = (0.01, 0.04, 0.03), weights 1/k-distance = (1, 2, 1), total 4.
    # Sorted p: 0.01 (w 1), 0.03 (w 1), 0.04 (w 2); cumulative w: 1, 2, 4.
    # Raw: 4*0.01/1 = 0.04, 4*0.03/2 = 0.06, 4*0.04/4 = 0.04; running min from the end:
    # 0.04, 0.04, 0.04.
    out = spatial_fdr(np.array([0.01, 0.04, 0.03]), np.array([1.0, 2.0, 1.0]))
    np.testing.assert_allclose(out, [0.04, 0.04, 0.04])


def test_spatial_fdr_with_equal_weights_is_benjamini_hochberg():
    p = np.array([0.001, 0.02, 0.03, 0.5, 0.04])
    np.testing.assert_allclose(spatial_fdr(p, np.ones(5)), benjamini_hochberg(p))
    # BH by hand: sorted 0.001, 0.02, 0.03, 0.04, 0.5 -> 0.005, 0.05, 0.05, 0.05, 0.5
    np.testing.assert_allclose(benjamini_hochberg(p), [0.005, 0.05, 0.05, 0.5, 0.05])


def _knn_layout(rng, n, m, *, extreme=False):
    """A kNN distance matrix as scanpy's ``neighbors`` writes it: m neighbours per row, no self."""
    import scipy.sparse as sp

    idx = np.array([rng.choice(np.delete(np.arange(n), i), m, replace=False) for i in range(n)])
    dist = rng.uniform(0.5, 2.0, size=(n, m))
    if extreme:
        dist[rng.integers(n), rng.integers(m)] = 60.0  # weight underflows to 0: not mirrored
        dist[rng.integers(n), rng.integers(m)] = 0.0  # duplicated cells
    return sp.csr_matrix((dist.ravel(), idx.ravel(), np.arange(0, n * m + 1, m)), shape=(n, n))


@pytest.mark.parametrize("seed", range(6))
def test_gauss_connectivities_equal_scanpy_loops(seed):
    # Oracle: scanpy's own per-cell loops (scanpy.neighbors._connectivity.gauss); equal element
    # by element, including stored zeros and the mirrored one-way pairs.
    from scanpy.neighbors._connectivity import gauss

    from oncoresist.sc._kernels import gauss_connectivities

    rng = np.random.default_rng(seed)
    d = _knn_layout(rng, 80, 6, extreme=seed % 2 == 1)
    ours = gauss_connectivities(d, 7)
    ref = gauss(d.copy(), 7, knn=True).tocsr()
    np.testing.assert_array_equal(ours.indptr, ref.indptr)
    np.testing.assert_array_equal(ours.indices, ref.indices)
    np.testing.assert_array_equal(ours.data, ref.data)


def test_gauss_connectivities_declines_other_layouts():
    import scipy.sparse as sp

    from oncoresist.sc._kernels import gauss_connectivities

    uneven = sp.csr_matrix(np.array([[0, 1.0, 2.0], [1.0, 0, 0], [2.0, 1.0, 0]]))
    assert gauss_connectivities(uneven, 3) is None  # rows with 2 and 1 neighbours
    with_self = sp.csr_matrix((np.ones(3), [0, 0, 1], [0, 1, 2, 3]), shape=(3, 3))
    assert gauss_connectivities(with_self, 2) is None  # cell 0 stored as its own neighbour


@pytest.mark.parametrize("as_sparse", [True, False])
def test_pca_covariance_equals_svd_of_centred_matrix(as_sparse):
    # Oracle: numpy's SVD of the dense centred float64 matrix (the definition of PCA), with
    # scikit-learn's sign rule (largest loading positive); explained variance = s^2 / (n - 1).
    import scipy.sparse as sp

    from oncoresist.sc._kernels import pca_covariance

    x = sp.random(700, 60, density=0.3, format="csr", random_state=1)
    x.data = np.log1p(10 * x.data)
    dense = x.toarray()
    scores, comps, var, ratio = pca_covariance(x if as_sparse else dense, 8, chunk=128)
    u, s, vt = np.linalg.svd(dense - dense.mean(axis=0), full_matrices=False)
    signs = np.sign(vt[np.arange(8), np.argmax(np.abs(vt[:8]), axis=1)])
    np.testing.assert_allclose(comps, vt[:8] * signs[:, None], atol=1e-10)
    np.testing.assert_allclose(scores, u[:, :8] * s[:8] * signs, atol=1e-10)
    np.testing.assert_allclose(var, s[:8] ** 2 / 699, rtol=1e-10)
    np.testing.assert_allclose(ratio, s[:8] ** 2 / (s**2).sum(), rtol=1e-10)


def test_pca_covariance_equals_scanpy_covariance_eigh():
    import scanpy as sc
    import scipy.sparse as sp

    from oncoresist.sc._kernels import pca_covariance

    x = sp.random(500, 40, density=0.4, format="csr", random_state=2)
    scores, comps, var, ratio = pca_covariance(x, 5, chunk=64)
    ref_scores, ref_comps, ref_ratio, ref_var = sc.pp.pca(
        x, n_comps=5, svd_solver="covariance_eigh", dtype="float64", return_info=True)
    np.testing.assert_allclose(scores, ref_scores, atol=1e-10)
    np.testing.assert_allclose(comps, ref_comps, atol=1e-10)
    np.testing.assert_allclose(var, ref_var, rtol=1e-10)
    np.testing.assert_allclose(ratio, ref_ratio, rtol=1e-10)
