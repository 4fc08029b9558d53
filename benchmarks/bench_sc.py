"""Time and peak memory of the single-cell pipeline on simulated cells (default 100,000).

Usage: .venv/bin/python benchmarks/bench_sc.py [--cells 100000] [--genes 2000] [--umap] [--no-peers]

Each step is timed with perf_counter; "peak" is the largest resident set size seen during the
step (sampled every 20 ms from /proc/self/statm by a thread; tracemalloc slowed the numeric code
tenfold) and "max rss" the process's peak (getrusage).

Peers, on the same data in the same run (after the pipeline; skipped with --no-peers): scanpy
itself, which the project installs, for the three parts oncoresist computes its own way with
the same result: PCA (scanpy's default ARPACK vs our float64 covariance eigendecomposition),
the Gaussian kNN graph (``scanpy.pp.neighbors(method="gauss")`` vs ours; must be identical), and
programme scoring (a loop of ``scanpy.tl.score_genes`` with the seeds we record, vs our batched
scores). Each line prints both times, the ratio and the agreement. Milo's reference
implementations (miloR, pertpy's Milo) need R/edgeR and are not installed here.
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
import warnings


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class _PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _current_rss_mb()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.02):
            self.peak = max(self.peak, _current_rss_mb())

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return max(self.peak, _current_rss_mb())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--genes", type=int, default=2000)
    parser.add_argument("--umap", action="store_true", help="also time UMAP")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peers", action="store_true", help="skip the scanpy comparisons")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from oncoresist import sc as osc

    rows = []

    def step(name, func):
        sampler = _PeakSampler()
        sampler.start()
        t0 = time.perf_counter()
        out = func()
        seconds = time.perf_counter() - t0
        peak = sampler.stop()
        rows.append((name, seconds, peak, _rss_mb()))
        print(f"{name:<28s} {seconds:9.1f} s   peak rss {peak:8.0f} MiB", flush=True)
        return out

    adata = step("simulate", lambda: osc.simulate(args.cells, n_genes=args.genes, rng=args.seed))
    step("pp.normalise", lambda: osc.pp.normalise(adata))
    step("pp.embed (HVG, PCA, kNN)", lambda: osc.pp.embed(adata, drug="erlotinib", umap=args.umap,
                                                          rng=args.seed))
    step("tl.score_programs (all+drug)", lambda: osc.tl.score_programs(adata, drug="erlotinib",
                                                                  rng=args.seed))
    score_seconds = rows[-1][1]
    res = step("tl.resistant_subpopulations", lambda: osc.tl.resistant_subpopulations(
        adata, "condition", control="control", treated="drug", sample_key="sample",
        rng=args.seed))
    step("tl.clones", lambda: osc.tl.clones(adata, "barcode", sample_key="sample",
                                            condition_key="condition", control="control",
                                            treated="drug", time_key="time"))
    called = (adata.obs["resistant"] != "none").to_numpy()
    truth = (adata.obs["true_state"] == "persister").to_numpy()
    total = sum(r[1] for r in rows)
    print(f"{'total':<28s} {total:9.1f} s   max rss {max(r[3] for r in rows):8.0f} MiB")
    print(f"cells {adata.n_obs}, genes {adata.n_vars}, neighbourhoods {len(res.neighbourhoods)}, "
          f"persister precision {(called & truth).sum() / max(1, called.sum()):.3f}, "
          f"recall {(called & truth).sum() / truth.sum():.3f}")
    if not args.no_peers:
        _peers(adata, score_seconds, args.seed)
    return 0


def _timed(func):
    sampler = _PeakSampler()
    sampler.start()
    t0 = time.perf_counter()
    out = func()
    seconds = time.perf_counter() - t0
    return out, seconds, sampler.stop()


def _peers(adata, score_seconds: float, seed: int) -> None:
    """scanpy's own route for PCA, the Gaussian graph and scoring, on the same data."""
    import anndata as ad
    import numpy as np
    import pandas as pd
    import scanpy as sc

    from oncoresist.sc import pp

    print("\npeer comparison (same data, same run)")
    print(f"{'part':<30s} {'oncoresist':>11s} {'scanpy':>10s} {'ratio':>7s}   agreement")
    light = ad.AnnData(X=adata.X, obs=pd.DataFrame(index=adata.obs_names),
                       var=adata.var[["highly_variable"]].copy())
    n_comps = adata.obsm["X_pca"].shape[1]
    theirs = light.copy()
    _, ours_s, _ = _timed(lambda: pp._pca_covariance(light, n_comps))
    _, theirs_s, _ = _timed(lambda: sc.pp.pca(theirs, n_comps=n_comps, mask_var="highly_variable",
                                              svd_solver="arpack", random_state=seed))
    corr = min(abs(np.corrcoef(light.obsm["X_pca"][:, k], theirs.obsm["X_pca"][:, k])[0, 1])
               for k in range(n_comps))
    print(f"{'PCA (cov. eigh vs ARPACK)':<30s} {ours_s:10.1f}s {theirs_s:9.1f}s {theirs_s / ours_s:6.1f}x"
          f"   min |corr| per PC {corr:.7f}")
    graph = ad.AnnData(obs=pd.DataFrame(index=adata.obs_names), obsm={"X_pca": adata.obsm["X_pca"]})
    ref = graph.copy()
    k = adata.uns["neighbors"]["params"]["n_neighbors"]
    graph_seed = adata.uns["neighbors"]["params"]["random_state"]
    _, ours_s, _ = _timed(lambda: pp.gauss_neighbors(graph, n_neighbors=k, use_rep="X_pca",
                                                     seed=graph_seed))
    _, theirs_s, _ = _timed(lambda: sc.pp.neighbors(ref, n_neighbors=k, use_rep="X_pca",
                                                    method="gauss", transformer="sklearn",
                                                    random_state=graph_seed))
    same = all((graph.obsp[key] != ref.obsp[key]).nnz == 0 for key in ("distances", "connectivities"))
    print(f"{'kNN + gauss connectivities':<30s} {ours_s:10.1f}s {theirs_s:9.1f}s {theirs_s / ours_s:6.1f}x"
          f"   identical: {same}")
    info = adata.uns["programs"]
    work = ad.AnnData(X=adata.X, obs=pd.DataFrame(index=adata.obs_names),
                      var=pd.DataFrame(index=adata.var_names))

    def loop():
        worst = 0.0
        for name, genes in info["genes_used"].items():
            sc.tl.score_genes(work, genes, ctrl_size=info["params"]["ctrl_size"],
                              n_bins=info["params"]["n_bins"], score_name="s",
                              random_state=info["seeds"][name])
            ours = adata.obs[info["columns"][name]].to_numpy()
            worst = max(worst, float(np.max(np.abs(work.obs["s"].to_numpy() - ours))))
        return worst

    worst, theirs_s, _ = _timed(loop)
    print(f"{'score_genes x ' + str(len(info['columns'])):<30s} {score_seconds:10.1f}s {theirs_s:9.1f}s "
          f"{theirs_s / score_seconds:6.1f}x   max |score diff| {worst:.1e} (float32 sums in scanpy)")


if __name__ == "__main__":
    sys.exit(main())
