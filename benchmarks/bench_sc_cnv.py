"""Time and peak memory of clones from inferred copy number (``oncoresist.sc.tl.cnv_clones``).

Usage: ``python benchmarks/bench_sc_cnv.py [--cells 100000] [--genes 8000]``. Prints seconds
and the process's peak resident memory after each step, and the recovery of the planted clones
(adjusted Rand index over tumour cells). No peer is run: the inference engine is infercnvpy
itself (CopyKAT and inferCNV are R packages); infercnvpy's inference alone is timed last, on a
copy, to show how much of ``tl.cnv_clones`` is inference and how much is clone calling.
"""

from __future__ import annotations

import argparse
import resource
import time


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--genes", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import infercnvpy
    from sklearn.metrics import adjusted_rand_score

    from oncoresist import sc as osc
    from oncoresist.sc._positions import place_genes

    print(f"{args.cells:,} cells x {args.genes:,} genes, seed {args.seed}")
    t0 = time.perf_counter()
    adata = osc.simulate_cnv(args.cells, n_genes=args.genes, rng=args.seed)
    print(f"simulate_cnv      {time.perf_counter() - t0:8.1f} s  peak {peak_mib():8.0f} MiB")
    t0 = time.perf_counter()
    osc.pp.normalise(adata)
    print(f"pp.normalise      {time.perf_counter() - t0:8.1f} s  peak {peak_mib():8.0f} MiB")
    t0 = time.perf_counter()
    result = osc.tl.cnv_clones(adata, "cell_type", "normal", rng=args.seed)
    print(f"tl.cnv_clones     {time.perf_counter() - t0:8.1f} s  peak {peak_mib():8.0f} MiB")
    # infercnvpy alone, on a copy (after the timed step, so its copy does not raise that peak).
    alone = adata.copy()
    alone.var[["chromosome", "start", "end"]] = place_genes(alone.var).to_numpy()
    t0 = time.perf_counter()
    infercnvpy.tl.infercnv(alone, reference_key="cell_type", reference_cat="normal",
                           dynamic_threshold=None, n_jobs=1)
    print(f"  of which infercnvpy's inference alone: {time.perf_counter() - t0:.1f} s")
    del alone
    tumour = (adata.obs["true_cnv_clone"] != "normal").to_numpy()
    ari = adjusted_rand_score(adata.obs["true_cnv_clone"][tumour], result.assignment[tumour])
    print(f"clones: {len(result.clones) - 1} tumour + normal; ARI over tumour cells {ari:.3f}")


if __name__ == "__main__":
    main()
