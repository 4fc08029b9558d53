"""Time and peak memory of the single-cell pipeline on simulated cells (default 100,000).

Usage: .venv/bin/python benchmarks/bench_sc.py [--cells 100000] [--genes 2000] [--umap]

Each step is timed with perf_counter; "peak" is the largest resident set size seen during the
step (sampled every 20 ms from /proc/self/statm by a thread; tracemalloc slowed the numeric code
tenfold) and "max rss" the process's peak (getrusage). Peers: scanpy's score_genes is not a peer but the engine of the scoring
step; Milo's reference implementations (miloR, pertpy) need R/edgeR and are not installed here.
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
    step("tl.score_programs (52+3)", lambda: osc.tl.score_programs(adata, drug="erlotinib",
                                                                  rng=args.seed))
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
