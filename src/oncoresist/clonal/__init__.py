"""Clonal deconvolution, clone trees and Muller plots from multi-sample bulk sequencing.

* :func:`fit` clusters mutations by their cancer cell fractions (CCFs) across samples with the
  PyClone family's copy-number- and purity-aware likelihood and a variational mixture, choosing
  the number of clusters by the evidence; it reads PyClone-VI input TSVs and Pairtree ``.ssm``
  files and writes PyClone-VI's results TSV.
* :func:`trees` finds the clone trees that respect the sum rule in every sample; :func:`check_tree`
  checks a given tree.
* :func:`muller_layout` and :func:`oncoresist.clonal.pl.muller` draw Muller (fish) plots from a tree
  and clone sizes over time, from deconvolution results or from ``oncoresist.evolve`` clone tables.
* :func:`simulate` draws read counts from a known clone tree, and :func:`evaluate` scores a fit
  against that truth.

A research tool, not for clinical decisions.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core import InputError, as_generator
from oncoresist.clonal import pl
from oncoresist.clonal._fit import ClonalFit, fit_clusters
from oncoresist.clonal._io import ClonalData, read_pairtree_ssm, read_pyclone_input
from oncoresist.clonal._io import read_results as _read_results
from oncoresist.clonal._likelihood import genotype_states, log_likelihood_at
from oncoresist.clonal._metrics import adjusted_rand_index as _ari
from oncoresist.clonal._metrics import v_measure as _v_measure
from oncoresist.clonal._muller import muller_bands, parents_from_table
from oncoresist.clonal._search import CloneTree, TreeSearch, check_parents, search_trees
from oncoresist.clonal._simulate import SimulatedTumour, simulate_tumour
from oncoresist.clonal._trees import Violation

__all__ = [
    "ClonalData",
    "ClonalFit",
    "CloneTree",
    "SimulatedTumour",
    "TreeSearch",
    "Violation",
    "adjusted_rand_index",
    "check_tree",
    "evaluate",
    "expected_vafs",
    "fit",
    "log_likelihood",
    "muller_layout",
    "pl",
    "read_pyclone",
    "read_results",
    "read_ssm",
    "simulate",
    "trees",
    "v_measure",
]


def read_pyclone(
    path: str | os.PathLike[str], *, zero_copy_number: str = "error", incomplete: str = "error"
) -> ClonalData:
    """Read a PyClone-VI input TSV.

    Parameters
    ----------
    path
        Tab-delimited file with columns ``mutation_id sample_id ref_counts alt_counts major_cn
        minor_cn normal_cn`` and optionally ``tumour_content`` (default 1.0) and ``error_rate``
        (default 0.001). Extra columns are ignored.
    zero_copy_number
        ``"error"`` (default) stops at a row with ``major_cn = 0``, naming its line; ``"drop"``
        removes such mutations with a warning that lists the lines (PyClone-VI drops them
        silently).
    incomplete
        ``"error"`` (default) stops at a mutation that lacks a row for some sample, naming its
        line and the samples; ``"drop"`` removes such mutations with a warning (PyClone-VI
        drops them silently).

    Returns
    -------
    ClonalData
        Counts and copy numbers as ``(n_mutations, n_samples)`` arrays.

    Raises
    ------
    InputError
        For a missing column or value, a mutation absent from a sample, negative counts,
        ``minor_cn > major_cn``, a purity outside (0, 1], two purities for one sample or a
        duplicated row; the message names the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "in.tsv"
    >>> _ = p.write_text(
    ...     "mutation_id\\tsample_id\\tref_counts\\talt_counts\\tmajor_cn\\tminor_cn\\tnormal_cn\\n"
    ...     "m1\\tS1\\t60\\t40\\t1\\t1\\t2\\n")
    >>> data = read_pyclone(p)
    >>> data.shape, float(data.tumour_content[0, 0]), float(data.error_rate[0, 0])
    ((1, 1), 1.0, 0.001)
    """
    return read_pyclone_input(path, zero_copy_number=zero_copy_number, incomplete=incomplete)


def read_ssm(
    path: str | os.PathLike[str],
    params: str | os.PathLike[str] | None = None,
    *,
    error_rate: float = 0.001,
) -> ClonalData:
    """Read a Pairtree ``.ssm`` file.

    Parameters
    ----------
    path
        Tab-delimited ``id name var_reads total_reads var_read_prob``, per-sample values
        comma-separated.
    params
        Pairtree's ``.params.json`` whose ``samples`` list names the samples; by default the
        file of the same stem beside ``path`` if there is one, else samples are named ``S0, S1...``.
    error_rate
        Sequencing error rate used by the likelihood (Pairtree has none; PyClone-VI's default).

    Returns
    -------
    ClonalData
        With ``var_read_prob`` set: the likelihood then uses ``VAF = var_read_prob * CCF``
        (tumour content 1, as Pairtree's frequencies are fractions of all cells).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.ssm"
    >>> _ = p.write_text("id\\tname\\tvar_reads\\ttotal_reads\\tvar_read_prob\\n"
    ...                  "s0\\tKRAS\\t10,20\\t100,100\\t0.5,0.5\\n")
    >>> data = read_ssm(p)
    >>> data.samples, data.alt_counts.tolist()
    (('S0', 'S1'), [[10, 20]])
    """
    return read_pairtree_ssm(path, params, error_rate=error_rate)


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a PyClone-VI results TSV (written by PyClone-VI or by :meth:`ClonalFit.write`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.tsv"
    >>> _ = p.write_text("mutation_id\\tsample_id\\tcluster_id\\tcellular_prevalence\\t"
    ...                  "cellular_prevalence_std\\tcluster_assignment_prob\\n"
    ...                  "m1\\tS1\\t0\\t0.95\\t0.02\\t1.0\\n")
    >>> read_results(p)["cellular_prevalence"].tolist()
    [0.95]
    """
    return _read_results(path)


def fit(
    data: ClonalData | str | os.PathLike[str],
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
    rng: int | np.random.Generator | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ClonalFit:
    """Cluster mutations by their cancer cell fractions across samples.

    The likelihood is PyClone's (Roth et al. 2014): genotype states before and after the
    copy-number change, tumour content, sequencing error, binomial or beta-binomial reads,
    evaluated on a grid of CCFs. Clusters are a Dirichlet-weighted finite mixture fitted by
    mean-field variational inference (as PyClone-VI, Gillis & Roth 2020) from ``restarts``
    k-means++ starts; the best ELBO per number of clusters ``K`` is kept.

    The number of clusters is chosen by the evidence: for ``K = 1, 2, ...`` the ELBO plus
    ``log K!`` (the K! equivalent labelings a mean-field fit sees only one of; Bishop 2006,
    §10.2.4) approximates the log marginal likelihood. ``K`` grows until ``patience`` values
    in a row fail to improve it, or ``max_clusters``; the table is ``ClonalFit.evidence``.

    Parameters
    ----------
    data
        A :class:`ClonalData`, or the path of a PyClone-VI TSV or Pairtree ``.ssm``.
    max_clusters
        Largest number of clusters tried.
    restarts
        Random starts per number of clusters.
    density
        ``"binomial"`` or ``"beta-binomial"`` (over-dispersed reads, precision ``precision``).
    precision
        Beta-binomial precision (PyClone-VI's default 200).
    grid_size
        Number of CCF grid points on [0, 1].
    alpha
        Dirichlet prior concentration of the mixture weights.
    max_iter, tol
        Stop a start after ``max_iter`` iterations or when the ELBO changes by less than ``tol``
        relative.
    patience
        Stop adding clusters after this many values of ``K`` without a better evidence.
    rng
        Seed or Generator; the same seed and input give the same result.
    executor
        Runs the restarts of each ``K`` in parallel (e.g. a ``ProcessPoolExecutor``); by default
        they run in this process, since each start is a few BLAS matrix products.
    progress
        Called as ``progress(k, max_clusters)`` after each number of clusters is fitted.

    Returns
    -------
    ClonalFit
        Cluster assignments and CCFs; ``.to_frame()`` is PyClone-VI's results table and
        ``.write(path)`` writes it with per-mutation CCFs and the evidence table beside it.

    Examples
    --------
    >>> truth = simulate(n_clones=3, n_samples=2, n_mutations=60, depth=300, rng=1)
    >>> result = fit(truth.data, max_clusters=5, restarts=3, rng=1)
    >>> result.n_clusters
    3
    >>> evaluate(result, truth)["adjusted_rand_index"] > 0.8
    True
    """
    return fit_clusters(
        data, max_clusters=max_clusters, restarts=restarts, density=density, precision=precision,
        grid_size=grid_size, alpha=alpha, max_iter=max_iter, tol=tol, patience=patience, rng=rng,
        executor=executor, progress=progress,
    )


def trees(
    source: ClonalFit | pd.DataFrame | str | os.PathLike[str],
    *,
    tolerance: float = 2.0,
    margin: float = 2.0,
    floor: float = 0.01,
    max_trees: int = 50,
    max_visits: int = 1_000_000,
) -> TreeSearch:
    """Clone trees of the clusters that respect the sum rule in every sample.

    Every tree whose children's CCFs stay within their parent's (plus ``tolerance`` standard
    deviations of the estimates) in every sample is found by exhaustive search with pruning and
    scored by the log-probability that the rule holds exactly. The best tree and all within
    ``margin`` of its score are reported. If no tree is consistent, a least-violating tree is
    returned with ``consistent=False`` and its violations listed; it is never passed off as
    consistent.

    Parameters
    ----------
    source
        A :class:`ClonalFit`, a PyClone-VI results table (or its path), or any table with
        ``cluster_id sample_id cellular_prevalence cellular_prevalence_std``.
    tolerance
        Allowed excess of children over parent, in standard deviations of the estimates.
    margin
        Report trees whose score is within this many log units of the best.
    floor
        Standard deviation added to every CCF (rounding, model error).
    max_trees
        Most trees reported.
    max_visits
        Search budget; ``TreeSearch.complete`` is False when it ran out.

    Returns
    -------
    TreeSearch
        ``.best``, ``.trees`` (best first), ``.to_frame()``, ``.write(folder)``.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "cluster_id": [0, 0, 1, 1, 2, 2],
    ...     "sample_id": ["A", "B"] * 3,
    ...     "cellular_prevalence": [1.0, 1.0, 0.6, 0.1, 0.3, 0.8],
    ...     "cellular_prevalence_std": [0.01] * 6})
    >>> search = trees(table)
    >>> search.best.to_newick(), search.best.consistent
    ('((1,2)0)root;', True)
    """
    return search_trees(
        source, tolerance=tolerance, margin=margin, floor=floor, max_trees=max_trees, max_visits=max_visits
    )


def check_tree(
    parents: Mapping[int, int] | CloneTree,
    source: ClonalFit | pd.DataFrame | str | os.PathLike[str],
    *,
    tolerance: float = 2.0,
    floor: float = 0.01,
) -> CloneTree:
    """Check a given clone tree against cluster CCFs; violations of the sum rule are listed.

    Parameters
    ----------
    parents
        ``cluster_id -> parent cluster_id`` (``-1`` for the germline root), or a :class:`CloneTree`.
    source
        Cluster CCFs, as for :func:`trees`.
    tolerance, floor
        As for :func:`trees`.

    Returns
    -------
    CloneTree
        With ``consistent`` and ``violations``.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "cluster_id": [0, 1, 2], "sample_id": ["A"] * 3,
    ...     "cellular_prevalence": [1.0, 0.7, 0.6], "cellular_prevalence_std": [0.01] * 3})
    >>> tree = check_tree({0: -1, 1: 0, 2: 0}, table)
    >>> tree.consistent
    False
    >>> tree.violations[0].describe()  # 0.3 / sqrt(3 * 0.01**2 + floor 0.01**2) = 15.0
    'sample A: children 1, 2 of cluster 0 sum to 1.300 > 1.000 (15.0 sd over)'
    """
    if isinstance(parents, CloneTree):
        parents = parents.parents
    return check_parents(parents, source, tolerance=tolerance, floor=floor)


def simulate(
    *,
    n_clones: int = 5,
    n_samples: int = 3,
    n_mutations: int = 100,
    depth: float = 200.0,
    purity: tuple[float, float] = (0.5, 0.95),
    cna_fraction: float = 0.3,
    density: str = "binomial",
    precision: float = 200.0,
    min_separation: float = 0.1,
    rng: int | np.random.Generator | None = None,
) -> SimulatedTumour:
    """Simulate multi-sample read counts from a random clone tree.

    A random recursive tree of ``n_clones`` clones (clone 0 truncal), per-sample clone
    proportions from a flat Dirichlet and CCFs as subtree sums (as in Pairtree's benchmark),
    redrawn until clones differ by ``min_separation`` somewhere; mutations spread over clones;
    a fraction ``cna_fraction`` of them in clonal copy-number-altered segments with a genotype
    drawn from the likelihood's states; per-sample purity uniform in ``purity``; depth Poisson
    with mean ``depth``; binomial or beta-binomial reads.

    Returns
    -------
    SimulatedTumour
        ``.data`` (a :class:`ClonalData`), ``.parents``, ``.clone_ccf``, ``.labels``, ``.purity``.

    Examples
    --------
    >>> sim = simulate(n_clones=4, n_samples=2, n_mutations=40, rng=0)
    >>> sim.data.shape, sim.clone_ccf.shape, int(sim.parents[0])
    ((40, 2), (4, 2), -1)
    """
    return simulate_tumour(
        n_clones=n_clones, n_samples=n_samples, n_mutations=n_mutations, depth=depth, purity=purity,
        cna_fraction=cna_fraction, density=density, precision=precision, min_separation=min_separation,
        rng=as_generator(rng),
    )


def evaluate(result: ClonalFit, truth: SimulatedTumour) -> dict[str, float]:
    """Score a fit against simulated truth.

    Returns the adjusted Rand index and V-measure of the mutation clusters, the mean absolute CCF
    error (each mutation's cluster CCF against its clone's true CCF, over mutations and samples)
    and the numbers of clusters found and true.

    Examples
    --------
    >>> truth = simulate(n_clones=2, n_samples=2, n_mutations=40, depth=500, rng=3)
    >>> scores = evaluate(fit(truth.data, max_clusters=3, restarts=2, rng=3), truth)
    >>> sorted(scores)
    ['adjusted_rand_index', 'ccf_error', 'n_clones', 'n_clusters', 'v_measure']
    """
    error = np.abs(result.cluster_ccf[result.labels] - truth.mutation_ccf).mean()
    return {
        "adjusted_rand_index": adjusted_rand_index(truth.labels, result.labels),
        "v_measure": v_measure(truth.labels, result.labels),
        "ccf_error": float(error),
        "n_clusters": float(result.n_clusters),
        "n_clones": float(truth.clone_ccf.shape[0]),
    }


def adjusted_rand_index(truth: Any, predicted: Any) -> float:
    """Adjusted Rand index of two labelings (Hubert & Arabie 1985).

    Examples
    --------
    >>> adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    >>> round(adjusted_rand_index([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]), 4)
    0.2424
    """
    return _ari(np.asarray(truth), np.asarray(predicted))


def v_measure(truth: Any, predicted: Any) -> float:
    """V-measure of two labelings (Rosenberg & Hirschberg 2007).

    Examples
    --------
    >>> v_measure([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    """
    return _v_measure(np.asarray(truth), np.asarray(predicted))


def expected_vafs(
    ccf: float,
    *,
    purity: float = 1.0,
    major_cn: int = 1,
    minor_cn: int = 1,
    normal_cn: int = 2,
    error_rate: float = 0.0,
) -> np.ndarray:
    """Expected VAF of a mutation at a CCF, one value per genotype state of the likelihood.

    States: mutation before the copy-number change with ``1 .. major_cn`` mutant copies, then
    (when the tumour copy number differs from the normal one) after it with one mutant copy.

    Examples
    --------
    >>> expected_vafs(1.0).tolist()                 # pure, diploid, clonal
    [0.5]
    >>> expected_vafs(1.0, purity=0.5).tolist()     # purity 0.5: p * c / 2
    [0.25]
    >>> [round(float(v), 4) for v in expected_vafs(1.0, major_cn=2, minor_cn=1)]  # gain 2+1
    [0.3333, 0.6667, 0.3333]
    """
    one = np.ones((1, 1), dtype=np.int64)
    states = genotype_states(one * major_cn, one * minor_cn, one * normal_cn, np.full((1, 1), float(error_rate)))
    from oncoresist.clonal._likelihood import expected_vaf

    vaf = expected_vaf(
        np.array([float(ccf)]), np.full((1, 1), float(purity)), one * normal_cn,
        np.full((1, 1), float(error_rate)), *states[:3],
    )[0, 0, :, 0]
    return vaf[np.isfinite(states[3][0, 0])]


def log_likelihood(
    data: ClonalData,
    ccf: Any,
    *,
    density: str = "binomial",
    precision: float = 200.0,
) -> np.ndarray:
    """Log-likelihood of each mutation's counts in each sample at the given CCF(s).

    Parameters
    ----------
    data
        Read counts and copy numbers.
    ccf
        A CCF, or an array broadcastable to ``(n_mutations, n_samples)``.
    density, precision
        As for :func:`fit`.

    Returns
    -------
    numpy.ndarray
        ``(n_mutations, n_samples)`` log-probabilities (the binomial coefficient included),
        averaged over genotype states with a uniform prior.

    Examples
    --------
    >>> import math
    >>> one = np.ones((1, 1), dtype=np.int64)
    >>> data = ClonalData(("m",), ("S",), one * 50, one * 50, one, one, one * 2,
    ...                   np.ones((1, 1)), np.zeros((1, 1)))
    >>> value = float(log_likelihood(data, 1.0)[0, 0])   # binomial(100, 0.5) at 50
    >>> round(value, 6) == round(math.log(math.comb(100, 50) * 0.5**100), 6)
    True
    """
    if density not in ("binomial", "beta-binomial"):
        msg = f"density must be 'binomial' or 'beta-binomial'; got {density!r}"
        raise InputError(msg, field="density")
    return log_likelihood_at(data, ccf, density=density, precision=precision)


def muller_layout(
    sizes: ClonalFit | pd.DataFrame,
    tree: CloneTree | TreeSearch | Mapping | None = None,
    *,
    times: Mapping[str, float] | None = None,
    cumulative: bool | None = None,
    normalize: bool = True,
    tolerance: float = 0.01,
) -> pd.DataFrame:
    """Band limits of a Muller (fish) plot: ``time clone_id parent_id own total lower upper``.

    Parameters
    ----------
    sizes
        An ``oncoresist.evolve`` clone table (``time clone_id parent_id type size``; ``size`` is
        the clone's own cells, roots have an empty or -1 ``parent_id``); or a table ``time
        clone_id size`` with ``tree``; or a :class:`ClonalFit` / PyClone-VI results table, whose
        samples become the time points (cluster CCFs are cumulative).
    tree
        Parents (``clone -> parent``, -1 for a root), a :class:`CloneTree`, or a
        :class:`TreeSearch` (its best tree). Not needed for clone tables.
    times
        ``sample_id -> time`` for deconvolution results (default: 0, 1, 2... in sample order).
    cumulative
        Whether sizes include descendants; default True for deconvolution results, else False.
    normalize
        Scale each time point so that the population spans [0, 1].
    tolerance
        Absolute excess of children over a parent tolerated (clipped) before it is an error.

    Returns
    -------
    pandas.DataFrame
        One row per time and clone, clones depth-first.

    Examples
    --------
    >>> table = pd.DataFrame({"time": [0, 0, 1, 1], "clone_id": [0, 1, 0, 1],
    ...                       "parent_id": [-1, 0, -1, 0], "type": ["S", "R"] * 2,
    ...                       "size": [100.0, 0.0, 50.0, 50.0]})
    >>> bands = muller_layout(table)
    >>> bands.loc[bands.time == 1, ["clone_id", "lower", "upper"]].values.tolist()
    [[0, 0.0, 1.0], [1, 0.25, 0.75]]
    """
    if isinstance(tree, TreeSearch):
        tree = tree.best
    if isinstance(tree, CloneTree):
        tree = tree.parents
    if isinstance(sizes, ClonalFit):
        sizes = sizes.clusters_frame()
    if not isinstance(sizes, pd.DataFrame):
        msg = f"sizes must be a ClonalFit or a DataFrame; got {type(sizes).__name__}"
        raise InputError(msg, field="sizes")
    if "cellular_prevalence" in sizes.columns and "cluster_id" in sizes.columns:
        if tree is None:
            msg = "deconvolution results need a tree: pass trees(results) or a parent mapping"
            raise InputError(msg, field="tree")
        table = sizes.drop_duplicates(["cluster_id", "sample_id"])
        order = list(dict.fromkeys(table["sample_id"]))
        mapping = dict(times) if times is not None else {s: float(i) for i, s in enumerate(order)}
        absent = [s for s in order if s not in mapping]
        if absent:
            msg = f"times gives no time for sample(s) {absent}"
            raise InputError(msg, field="times")
        frame = pd.DataFrame(
            {
                "time": table["sample_id"].map(mapping).astype(float),
                "clone_id": table["cluster_id"],
                "size": table["cellular_prevalence"].astype(float),
            }
        )
        return muller_bands(tree, frame, cumulative=True if cumulative is None else cumulative,
                            normalize=normalize, tolerance=tolerance)
    needed = {"time", "clone_id", "size"}
    if not needed <= set(sizes.columns):
        msg = f"sizes needs columns time, clone_id, size (and parent_id without a tree); found {list(sizes.columns)}"
        raise InputError(msg, field="sizes")
    if tree is None:
        if "parent_id" not in sizes.columns:
            msg = "sizes has no parent_id column; pass the tree"
            raise InputError(msg, field="tree")
        tree = parents_from_table(sizes)
    return muller_bands(tree, sizes, cumulative=bool(cumulative), normalize=normalize, tolerance=tolerance)
