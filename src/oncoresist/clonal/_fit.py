"""Fitting the clone mixture: restarts, the number of clusters, and the result object."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core import InputError, Provenance, spawn_seed_sequences, write_table
from oncoresist._core.rng import seed_of
from oncoresist.clonal._io import (
    ClonalData,
    read_pairtree_ssm,
    read_pyclone_input,
    results_frame,
    write_results,
)
from oncoresist.clonal._kernels import flatten_loglik, single_threaded_blas
from oncoresist.clonal._likelihood import DENSITIES, ccf_grid, log_likelihood_grid
from oncoresist.clonal._vi import MixtureFit, fit_mixture, single_mutation_posterior


@dataclass(frozen=True, eq=False)
class ClonalFit:
    """Result of :func:`oncoresist.clonal.fit`.

    Clusters are numbered ``0 .. K-1`` by decreasing mean cellular prevalence, so cluster 0 is
    the most prevalent (usually the truncal clone). ``cluster_ccf`` holds the posterior mean CCF
    of each cluster in each sample, ``cluster_ccf_std`` its posterior standard deviation.
    """

    mutations: tuple[str, ...]
    samples: tuple[str, ...]
    labels: np.ndarray
    assignment_prob: np.ndarray
    responsibilities: np.ndarray
    cluster_ccf: np.ndarray
    cluster_ccf_std: np.ndarray
    mutation_ccf: np.ndarray
    mutation_ccf_std: np.ndarray
    single_ccf: np.ndarray
    evidence: pd.DataFrame
    elbo: float
    converged: bool
    provenance: Provenance = field(repr=False)

    @property
    def n_clusters(self) -> int:
        """Number of clusters reported."""
        return int(self.cluster_ccf.shape[0])

    def to_frame(self) -> pd.DataFrame:
        """PyClone-VI's results table (one row per mutation and sample)."""
        return results_frame(
            self.mutations, self.samples, self.labels, self.assignment_prob,
            self.cluster_ccf, self.cluster_ccf_std,
        )

    def mutations_frame(self) -> pd.DataFrame:
        """Per-mutation CCFs: cluster-informed (``ccf``) and from the mutation alone (``ccf_single``)."""
        n, d = len(self.mutations), len(self.samples)
        return pd.DataFrame(
            {
                "mutation_id": np.repeat(np.asarray(self.mutations, dtype=object), d),
                "sample_id": np.tile(np.asarray(self.samples, dtype=object), n),
                "cluster_id": np.repeat(self.labels, d),
                "ccf": self.mutation_ccf.ravel(),
                "ccf_std": self.mutation_ccf_std.ravel(),
                "ccf_single": self.single_ccf.ravel(),
            }
        )

    def clusters_frame(self) -> pd.DataFrame:
        """One row per cluster and sample: size, mean CCF and its standard deviation."""
        k, d = self.cluster_ccf.shape
        sizes = np.bincount(self.labels, minlength=k)
        return pd.DataFrame(
            {
                "cluster_id": np.repeat(np.arange(k), d),
                "sample_id": np.tile(np.asarray(self.samples, dtype=object), k),
                "size": np.repeat(sizes, d),
                "cellular_prevalence": self.cluster_ccf.ravel(),
                "cellular_prevalence_std": self.cluster_ccf_std.ravel(),
            }
        )

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the PyClone-VI results TSV at ``path`` and, beside it, ``<stem>.mutations.tsv``,
        ``<stem>.clusters.tsv``, ``<stem>.evidence.tsv`` and ``<path>.provenance.json``.

        The results file is written last, so its presence means the set is complete.
        """
        path = Path(path)
        stem = path.name.removesuffix(".gz").removesuffix(".tsv")
        write_table(self.mutations_frame(), path.with_name(f"{stem}.mutations.tsv"), float_format="%.4f")
        write_table(self.clusters_frame(), path.with_name(f"{stem}.clusters.tsv"), float_format="%.4f")
        write_table(self.evidence, path.with_name(f"{stem}.evidence.tsv"), float_format="%.6f")
        return write_results(self.to_frame(), path, provenance=self.provenance)


def load_data(source: Any) -> ClonalData:
    if isinstance(source, ClonalData):
        return source
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.suffix == ".ssm":
            return read_pairtree_ssm(path)
        return read_pyclone_input(path)
    msg = f"data must be a ClonalData or the path of a PyClone-VI TSV or Pairtree .ssm file; got {type(source).__name__}"
    raise InputError(msg, field="data")


def _run_restarts(loglik: np.ndarray, k: int, seeds: list, options: dict) -> list[MixtureFit]:
    flat = flatten_loglik(loglik)
    flat_t = np.ascontiguousarray(flat.T)
    posterior = single_mutation_posterior(loglik)
    with single_threaded_blas():
        return [
            fit_mixture(flat, posterior, k, np.random.default_rng(s), flat_t=flat_t, **options)
            for s in seeds
        ]


def _run_one(args: tuple) -> MixtureFit:
    loglik, k, seed, options = args
    return _run_restarts(loglik, k, [seed], options)[0]


def _check_options(max_clusters: int, restarts: int, density: str, grid_size: int, precision: float) -> None:
    checks = [
        (max_clusters >= 1, "max_clusters", f"must be >= 1; got {max_clusters}"),
        (restarts >= 1, "restarts", f"must be >= 1; got {restarts}"),
        (density in DENSITIES, "density", f"must be one of {DENSITIES}; got {density!r}"),
        (grid_size >= 11, "grid_size", f"must be >= 11 grid points; got {grid_size}"),
        (precision > 0, "precision", f"must be > 0; got {precision}"),
    ]
    for ok, name, rule in checks:
        if not ok:
            msg = f"{name} {rule}"
            raise InputError(msg, field=name)


def fit_clusters(
    data: Any,
    *,
    max_clusters: int = 10,
    restarts: int = 10,
    density: str = "binomial",
    precision: float = 200.0,
    grid_size: int = 101,
    alpha: float = 1.0,
    max_iter: int = 1000,
    tol: float = 1e-6,
    patience: int = 2,
    rng: Any = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ClonalFit:
    data = load_data(data)
    _check_options(max_clusters, restarts, density, grid_size, precision)
    n_mut = len(data.mutations)
    max_clusters = min(max_clusters, n_mut)
    loglik = log_likelihood_grid(data, grid_size, density=density, precision=precision)
    options = {"alpha": alpha, "max_iter": max_iter, "tol": tol}
    seeds = spawn_seed_sequences(rng, max_clusters)
    rows, best, best_score, since_best = [], None, -np.inf, 0
    for k in range(1, max_clusters + 1):
        children = seeds[k - 1].spawn(restarts)
        if executor is None:
            fits = _run_restarts(loglik, k, children, options)
        else:
            fits = list(executor.map(_run_one, [(loglik, k, s, options) for s in children]))
        if progress is not None:
            progress(k, max_clusters)
        top = max(range(restarts), key=lambda i: (fits[i].elbo, -i))
        chosen = fits[top]
        used = len(np.unique(chosen.z.argmax(axis=1)))
        score = chosen.elbo + math.lgamma(k + 1)  # label-switching correction, Bishop 2006 §10.2.4
        rows.append(
            {
                "n_clusters": k,
                "clusters_used": used,
                "elbo": chosen.elbo,
                "log_evidence": score,
                "restarts": restarts,
                "restarts_converged": sum(f.converged for f in fits),
            }
        )
        if score > best_score:
            best, best_score, since_best = chosen, score, 0
        else:
            since_best += 1
            if since_best >= patience:
                break
    evidence = pd.DataFrame(rows)
    evidence["selected"] = evidence["log_evidence"] == best_score
    return _summarise(data, best, loglik, evidence, rng, locals_for_provenance(
        max_clusters=max_clusters, restarts=restarts, density=density, precision=precision,
        grid_size=grid_size, alpha=alpha, max_iter=max_iter, tol=tol, patience=patience,
    ))


def locals_for_provenance(**kwargs: Any) -> dict[str, Any]:
    return dict(kwargs)


def _summarise(data, best: MixtureFit, loglik, evidence, rng, parameters) -> ClonalFit:
    grid = ccf_grid(loglik.shape[-1])
    z = best.z
    hard = z.argmax(axis=1)
    used = np.unique(hard)
    theta = best.theta[used]
    mean = theta @ grid
    std = np.sqrt(np.maximum(theta @ grid**2 - mean**2, 0.0))
    order = np.argsort(-mean.mean(axis=1), kind="stable")
    theta, mean, std = theta[order], mean[order], std[order]
    z = z[:, used[order]]
    z = z / z.sum(axis=1, keepdims=True)
    labels = z.argmax(axis=1)
    mutation_ccf = np.einsum("nk,kd->nd", z, mean)
    second = np.einsum("nk,kdg,g->nd", z, theta, grid**2)
    mutation_std = np.sqrt(np.maximum(second - mutation_ccf**2, 0.0))
    single = single_mutation_posterior(loglik) @ grid
    inputs = [data.source] if data.source and Path(data.source).is_file() else []
    provenance = Provenance.create(
        "oncoresist.clonal.fit", parameters=parameters, seed=seed_of(rng), inputs=inputs
    )
    return ClonalFit(
        mutations=data.mutations,
        samples=data.samples,
        labels=labels,
        assignment_prob=z.max(axis=1),
        responsibilities=z,
        cluster_ccf=mean,
        cluster_ccf_std=std,
        mutation_ccf=mutation_ccf,
        mutation_ccf_std=mutation_std,
        single_ccf=single,
        evidence=evidence,
        elbo=best.elbo,
        converged=best.converged,
        provenance=provenance,
    )
