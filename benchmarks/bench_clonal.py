"""Speed and accuracy of oncoresist.clonal, beside PyClone-VI.

Prints:

1. Time to fit PyClone-VI-sized inputs with PyClone-VI's settings as recorded in PEERS.md
   (beta-binomial, 10 restarts, 40 clusters at most): a 100-mutation x 4-sample synthetic set and
   2,440 mutations x 3 samples. Simulated inputs always; PyClone-VI's own example files too when
   ``--pyclone-examples DIR`` holds ``synthetic.tsv`` and ``tracerx.tsv``. When a PyClone-VI
   executable is found (``--pyclone-vi``, default /work/peers/pyclone-vi/bin/pyclone-vi) it runs
   on the same files in the same run and the ratio is printed; otherwise PEERS.md's figures are
   shown, marked as measured earlier and not in this run.
2. The issue's goal: 2,500 mutations x 3 samples, 10 restarts, default settings (< 10 s on 2 cores).
3. Accuracy over a grid of clones x samples x depth (as Pairtree's benchmark): adjusted Rand index,
   V-measure and mean absolute CCF error, averaged over seeds.

Usage: python benchmarks/bench_clonal.py [--quick] [--pyclone-vi BIN] [--pyclone-examples DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist import InputError, OncoresistWarning, clonal

PEER_FIGURES = {  # /work/shared/PEERS.md: PyClone-VI v0.1.6, 10 restarts, beta-binomial, 40 clusters
    "100 x 4": 7.3,
    "2440 x 3": 84.0,
}
PEER_SETTINGS = {"density": "beta-binomial", "restarts": 10, "max_clusters": 40}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_pyclone_vi(binary: str, path: Path, seed: int) -> tuple[float, float, pd.DataFrame]:
    with tempfile.TemporaryDirectory() as tmp:
        h5 = Path(tmp) / "fit.h5"
        out = Path(tmp) / "results.tsv"
        cpu = _children_cpu()
        start = time.perf_counter()
        subprocess.run(
            [binary, "fit", "-i", str(path), "-o", str(h5), "-c", str(PEER_SETTINGS["max_clusters"]),
             "-d", PEER_SETTINGS["density"], "-r", str(PEER_SETTINGS["restarts"]), "--seed", str(seed)],
            check=True, capture_output=True,
        )
        subprocess.run([binary, "write-results-file", "-i", str(h5), "-o", str(out)], check=True, capture_output=True)
        elapsed = time.perf_counter() - start
        return elapsed, _children_cpu() - cpu, pd.read_csv(out, sep="\t")


def labels_of(frame: pd.DataFrame, mutations) -> np.ndarray:
    first = frame.drop_duplicates("mutation_id").set_index("mutation_id")["cluster_id"]
    return first.reindex(list(mutations)).to_numpy()


def time_ours(path: Path, seed: int) -> tuple[float, float, clonal.ClonalFit]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OncoresistWarning)
        cpu = time.process_time()
        start = time.perf_counter()
        # PyClone-VI drops these silently; we drop them only when asked
        data = clonal.read_pyclone(path, zero_copy_number="drop", incomplete="drop")
        result = clonal.fit(data, rng=seed, **PEER_SETTINGS)
        return time.perf_counter() - start, time.process_time() - cpu, result


def side_by_side(binary: str | None, seed: int, examples: Path | None) -> None:
    print("== 1. PyClone-VI-sized inputs, PyClone-VI's settings (beta-binomial, 10 restarts, <= 40 clusters)")
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, n_mut, n_samples, n_clones in (("100 x 4", 100, 4, 5), ("2440 x 3", 2440, 3, 8)):
            truth = clonal.simulate(n_clones=n_clones, n_samples=n_samples, n_mutations=n_mut, depth=200,
                                    density="beta-binomial", rng=seed)
            path = Path(tmp) / f"simulated_{n_mut}x{n_samples}.tsv"
            truth.data.write(path)
            cases.append((f"simulated {label}", label, path, truth.labels, truth.data.mutations))
        if examples is not None:
            for name, label in (("synthetic.tsv", "100 x 4"), ("tracerx.tsv", "2440 x 3")):
                path = examples / name
                if path.is_file():
                    frame = pd.read_csv(path, sep="\t")
                    truth_labels = None
                    if "cluster" in frame.columns:
                        per = frame.drop_duplicates("mutation_id").set_index("mutation_id")["cluster"]
                        truth_labels = per
                    cases.append((f"PyClone-VI example {name}", label, path, truth_labels, None))
        rows = []
        for name, label, path, truth_labels, _mutations in cases:
            ours_s, ours_cpu, ours = time_ours(path, seed)
            row = {"input": name, "size": label, "oncoresist_s": round(ours_s, 2),
                   "oncoresist_cpu_s": round(ours_cpu, 2), "clusters": ours.n_clusters}
            if truth_labels is not None:
                truth_vec = (truth_labels.reindex(list(ours.mutations)).to_numpy()
                             if isinstance(truth_labels, pd.Series) else truth_labels)
                row["oncoresist_ARI"] = round(clonal.adjusted_rand_index(truth_vec, ours.labels), 3)
            if binary:
                peer_s, peer_cpu, peer = run_pyclone_vi(binary, path, seed)
                row["pyclone_vi_s"] = round(peer_s, 2)
                row["pyclone_vi_cpu_s"] = round(peer_cpu, 2)
                row["ratio_wall"] = round(peer_s / ours_s, 1)
                row["ratio_cpu"] = round(peer_cpu / ours_cpu, 1)
                row["pyclone_vi_clusters"] = peer["cluster_id"].nunique()
                if truth_labels is not None:
                    peer_labels = labels_of(peer, ours.mutations)
                    row["pyclone_vi_ARI"] = round(clonal.adjusted_rand_index(truth_vec, peer_labels), 3)
                row["agreement_ARI"] = round(
                    clonal.adjusted_rand_index(labels_of(peer, ours.mutations), ours.labels), 3
                )
            else:
                row["pyclone_vi_s (PEERS.md, earlier run)"] = PEER_FIGURES[label]
            rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False))
    if binary:
        print(f"PyClone-VI ran in this run: {binary} (installed from its source into /work/peers).")
    else:
        print("PyClone-VI figures are from /work/shared/PEERS.md, measured earlier on this machine type, "
              "NOT in this run (PyClone-VI is not on PyPI and no executable was found).")


def issue_goal(seed: int) -> None:
    print("\n== 2. Issue goal: 2,500 mutations x 3 samples, 10 restarts, defaults (binomial, <= 10 clusters)")
    truth = clonal.simulate(n_clones=8, n_samples=3, n_mutations=2500, depth=200, rng=seed)
    rows = []
    cpu = time.process_time()
    start = time.perf_counter()
    result = clonal.fit(truth.data, restarts=10, rng=seed)
    serial = time.perf_counter() - start
    cpu = time.process_time() - cpu
    scores = clonal.evaluate(result, truth)
    rows.append({"executor": "in process", "seconds": round(serial, 2), "cpu_seconds": round(cpu, 2),
                 **{k: round(v, 3) for k, v in scores.items()}})
    with ProcessPoolExecutor(max_workers=2) as pool:
        start = time.perf_counter()
        result = clonal.fit(truth.data, restarts=10, rng=seed, executor=pool)
        pooled = time.perf_counter() - start
    rows.append({"executor": "2 processes", "seconds": round(pooled, 2),
                 **{k: round(v, 3) for k, v in clonal.evaluate(result, truth).items()}})
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"goal < 10 s: wall {'met' if min(serial, pooled) < 10 else 'NOT met'} "
          f"(load average {os.getloadavg()[0]:.1f}); CPU time in process {cpu:.1f} s "
          f"{'<' if cpu < 10 else '>='} 10 s")


def simulate_separated(k: int, d: int, depth: int, seed: int):
    """Clones at least 0.1 apart in some sample when drawable, else 0.05, else 0.02."""
    for gap in (0.1, 0.05, 0.02):
        try:
            return clonal.simulate(n_clones=k, n_samples=d, n_mutations=40 * k, depth=depth,
                                   min_separation=gap, rng=seed), gap
        except InputError:
            continue
    return clonal.simulate(n_clones=k, n_samples=d, n_mutations=40 * k, depth=depth,
                           min_separation=0.0, rng=seed), 0.0


def accuracy_grid(quick: bool) -> None:
    print("\n== 3. Accuracy grid (binomial reads, purity U(0.5, 0.95), 30% of mutations copy-number altered,"
          " 40 mutations per clone, defaults)")
    clones = (3, 5) if quick else (3, 5, 10)
    samples = (1, 3) if quick else (1, 3, 10)
    depths = (50, 200) if quick else (50, 200, 1000)
    seeds = range(2 if quick else 3)
    rows = []
    for k in clones:
        for d in samples:
            for depth in depths:
                scores, seconds = [], 0.0
                for seed in seeds:
                    truth, gap = simulate_separated(k, d, depth, seed)
                    start = time.perf_counter()
                    result = clonal.fit(truth.data, rng=seed)
                    seconds += time.perf_counter() - start
                    scores.append(clonal.evaluate(result, truth))
                mean = pd.DataFrame(scores).mean()
                rows.append({"clones": k, "samples": d, "depth": depth, "min_sep": gap, "ARI": round(mean["adjusted_rand_index"], 3),
                             "V": round(mean["v_measure"], 3), "CCF_error": round(mean["ccf_error"], 3),
                             "clusters_found": round(mean["n_clusters"], 1), "fit_s": round(seconds / len(seeds), 2)})
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"(means over seeds {list(seeds)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller accuracy grid")
    default_bin = "/work/peers/pyclone-vi/bin/pyclone-vi"
    parser.add_argument("--pyclone-vi", default=default_bin if os.access(default_bin, os.X_OK) else None)
    parser.add_argument("--pyclone-examples", type=Path, default=None,
                        help="folder holding PyClone-VI's examples/synthetic.tsv and tracerx.tsv")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"oncoresist.clonal benchmark; {os.cpu_count()} CPU(s); python {sys.version.split()[0]}; "
          f"load average {os.getloadavg()[0]:.1f} (wall times are inflated on a shared machine; "
          "CPU seconds are less so)")
    side_by_side(args.pyclone_vi, args.seed, args.pyclone_examples)
    issue_goal(args.seed)
    accuracy_grid(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
