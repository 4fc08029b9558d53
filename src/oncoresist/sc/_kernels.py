"""Hot loops of the single-cell tools, as numpy array operations.

- :func:`nb_glm_fit`: negative-binomial GLM fits for many count rows sharing one design.
- :func:`gauss_connectivities`: scanpy's Gaussian kNN connectivities without its per-cell
  Python loops (oracle in the tests: scanpy's own loops).
- :func:`pca_covariance`: exact PCA from the float64 covariance, accumulated over blocks of
  cells (oracle: numpy's SVD of the centred matrix, and scanpy's ``covariance_eigh``).

Each row ``y`` (one neighbourhood's cell counts across samples) follows
``y_s ~ NB(mu_s, alpha)`` with ``log mu_s = x_s . beta + offset_s`` and variance
``mu + alpha mu^2`` (NB2). The fits run IRLS on all rows at once; ``_reference_fit`` in the
tests checks them against statsmodels' GLM, one row at a time.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln


def _per_row(alpha) -> np.ndarray | float:
    """A dispersion for every row (a column vector) or one for all."""
    a = np.asarray(alpha, dtype=float)
    return a[:, None] if a.ndim == 1 else float(a)


def nb_loglik(y: np.ndarray, mu: np.ndarray, alpha) -> np.ndarray:
    """Row sums of the NB2 log-likelihood (``alpha``: one dispersion, or one per row)."""
    alpha = _per_row(alpha)
    r = 1.0 / alpha
    ll = (
        gammaln(y + r)
        - gammaln(r)
        - gammaln(y + 1.0)
        + y * np.log(alpha * mu / (1.0 + alpha * mu))
        - r * np.log1p(alpha * mu)
    )
    return ll.sum(axis=-1)


def nb_glm_fit(
    y: np.ndarray,
    design: np.ndarray,
    offset: np.ndarray,
    alpha,
    *,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit every row of ``y`` (rows x samples); returns beta, mu, log-likelihood, log det(X'WX).

    ``alpha`` is one dispersion for all rows or one per row.
    """
    y = np.asarray(y, dtype=float)
    dispersion = alpha
    alpha = _per_row(alpha)
    X = np.asarray(design, dtype=float)
    n_rows = y.shape[0]
    # Start from least squares on log((y + 0.5) / exp(offset)).
    start = np.log(y + 0.5) - offset
    beta = np.linalg.lstsq(X, start.T, rcond=None)[0].T
    ridge = 1e-10 * np.eye(X.shape[1])
    for _ in range(max_iter):
        eta = np.clip(beta @ X.T + offset, -30.0, 30.0)
        mu = np.exp(eta)
        w = mu / (1.0 + alpha * mu)
        z = eta - offset + (y - mu) / mu
        xtwx = np.einsum("sp,rs,sq->rpq", X, w, X) + ridge
        xtwz = np.einsum("sp,rs->rp", X, w * z)
        new = np.linalg.solve(xtwx, xtwz[..., None])[..., 0]
        step = np.max(np.abs(new - beta)) if n_rows else 0.0
        beta = new
        if step < tol:
            break
    eta = np.clip(beta @ X.T + offset, -30.0, 30.0)
    mu = np.exp(eta)
    w = mu / (1.0 + alpha * mu)
    xtwx = np.einsum("sp,rs,sq->rpq", X, w, X) + ridge
    logdet = np.linalg.slogdet(xtwx)[1]
    return beta, mu, nb_loglik(y, mu, dispersion), logdet


def spatial_fdr(pvalues: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Benjamini-Hochberg of Milo (Dann et al. 2022): weights are 1 / k-distance."""
    p = np.asarray(pvalues, dtype=float)
    w = np.asarray(weights, dtype=float).copy()
    w[~np.isfinite(w)] = 1.0
    order = np.argsort(p, kind="stable")
    ps, ws = p[order], w[order]
    adj = ws.sum() * ps / np.cumsum(ws)
    adj = np.minimum.accumulate(adj[::-1])[::-1]
    out = np.empty_like(adj)
    out[order] = np.minimum(adj, 1.0)
    return out


def gauss_connectivities(distances: sp.csr_matrix, n_neighbors: int) -> sp.csr_matrix | None:
    """Scanpy's Gaussian kNN connectivities (``method='gauss'``), vectorised.

    Same formula and symmetrisation as ``scanpy.neighbors._connectivity.gauss`` on a sparse
    kNN distance matrix (Haghverdi et al. 2016): sigma_i^2 is the median squared distance to
    the cell's neighbours, w_ij = sqrt(2 s_i s_j / (s_i^2 + s_j^2)) exp(-d_ij^2 / (s_i^2 + s_j^2))
    on every stored pair, and a pair (i, j) whose reverse is not stored gets w_ji = w_ij (a zero
    weight is not stored, as scanpy's LIL assignment does not store it). Scanpy runs both steps
    as Python loops over cells (minutes at 100,000 cells); here they are array operations.
    Returns None when the matrix is not in the layout scanpy's ``neighbors`` writes (the same
    number of stored neighbours in every row, the cell itself not stored, at most
    ``n_neighbors - 1`` per row); the caller then uses scanpy.
    """
    d = sp.csr_matrix(distances)
    n = d.shape[0]
    nnz = np.diff(d.indptr)
    if n == 0 or np.any(nnz != nnz[0]) or nnz[0] == 0 or nnz[0] > n_neighbors - 1:
        return None
    m = int(nnz[0])
    d_sq = d.power(2)
    indices = d_sq.indices.reshape(n, m)
    if np.any(indices[:, 0] == np.arange(n)):
        return None
    sigmas_sq = np.median(d_sq.data.reshape(n, m), axis=1)
    sigmas = np.sqrt(sigmas_sq)
    rows = np.repeat(np.arange(n), m)
    cols = d_sq.indices
    num = 2 * sigmas[rows] * sigmas[cols]
    den = sigmas_sq[rows] + sigmas_sq[cols]
    weights = np.sqrt(num / den) * np.exp(-d_sq.data / den)
    # Pairs stored one way only, (i, j) without (j, i), are mirrored; the kernel is symmetric
    # in (i, j), so the mirrored weight is w_ij.
    keys = rows.astype(np.int64) * n + cols
    reverse = cols.astype(np.int64) * n + rows
    one_way = ~np.isin(reverse, keys) & (weights != 0)
    out = sp.coo_matrix(
        (np.concatenate([weights, weights[one_way]]),
         (np.concatenate([rows, cols[one_way]]), np.concatenate([cols, rows[one_way]]))),
        shape=d.shape,
    ).tocsr()
    out.sort_indices()
    return out


def pca_covariance(
    matrix, n_comps: int, *, columns: np.ndarray | None = None, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact PCA of a cells x genes matrix by eigendecomposition of its covariance (float64).

    The covariance (1 / (n - 1) of the centred Gram matrix) is accumulated over blocks of
    cells with BLAS ``dsyrk`` in float64, so a sparse matrix is never densified whole; its
    top ``n_comps`` eigenvectors are the principal axes (scikit-learn's and scanpy's
    ``svd_solver='covariance_eigh'``, here without scikit-learn's sparse Gram product, which is
    slower than ARPACK). Signs follow scikit-learn's ``svd_flip(u_based_decision=False)``: the
    largest loading of each component is positive. ``columns`` (a boolean mask) restricts the
    PCA to those genes without copying the matrix. Returns scores (cells x n_comps),
    components (n_comps x genes used), explained variance and explained-variance ratio.
    """
    from scipy.linalg import blas, eigh

    n_obs = matrix.shape[0]
    n_genes = matrix.shape[1] if columns is None else int(np.count_nonzero(columns))
    if sp.issparse(matrix):
        matrix = sp.csr_matrix(matrix)
    gram = np.zeros((n_genes, n_genes), order="F")
    total = np.zeros(n_genes)
    blocks = range(0, n_obs, chunk)

    def dense(start: int) -> np.ndarray:
        block = matrix[start : start + chunk]
        if columns is not None:
            block = block[:, columns]
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        return np.ascontiguousarray(block, dtype=np.float64)

    for start in blocks:
        block = dense(start)
        # block is C-ordered, so block.T is Fortran-ordered: dsyrk adds block.T @ block in
        # place (upper triangle only) without a copy.
        gram = blas.dsyrk(1.0, block.T, beta=1.0, c=gram, trans=0, lower=0, overwrite_c=1)
        total += block.sum(axis=0)
    mean = total / n_obs
    # Covariance in place; only the upper triangle is filled and read (eigh(lower=False)).
    gram -= n_obs * np.outer(mean, mean)
    gram /= n_obs - 1
    total_variance = float(np.trace(gram))
    values, vectors = eigh(gram, lower=False, overwrite_a=True, check_finite=False,
                           subset_by_index=[n_genes - n_comps, n_genes - 1])
    del gram
    values, components = values[::-1].copy(), vectors[:, ::-1].T.copy()
    values[values < 0] = 0.0
    largest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(n_comps), largest])
    signs[signs == 0] = 1.0
    components *= signs[:, None]
    ratio = values / total_variance
    shift = mean @ components.T
    scores = np.empty((n_obs, n_comps))
    for start in blocks:
        scores[start : start + chunk] = dense(start) @ components.T - shift
    return scores, components, values, ratio
