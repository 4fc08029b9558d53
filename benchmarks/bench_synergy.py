"""Benchmark of oncoresist.synergy: blocks per second, and side by side with the `synergy` package.

Usage::

    .venv/bin/python benchmarks/bench_synergy.py [--blocks 10000] [--peer-blocks 200]
        [--peer-python /work/peers/synergy/bin/python] [--seed 1]

Generates seeded 6x6 dose matrices (0 plus 5 doses per drug, Hill single drugs with random
EC50, slope and Emax, a Bliss-independent surface plus a random synergy bump, noise sd 3), scores
all of them with HSA, Bliss, Loewe and ZIP and prints blocks per second. If the peer `synergy`
(PyPI, GPL-3; run in its own venv, never imported here) is installed, the first --peer-blocks
blocks are scored by both in the same run: the speed ratio and the agreement of the block scores
(mean and max |difference|, Pearson r, sign agreement) are printed for each model.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from oncoresist.synergy import make_block, score

MODELS = ("hsa", "bliss", "loewe", "zip")
PEER_RUNNER = Path(__file__).with_name("peer_synergy_run.py")


def hill(dose, emax, ec50, h):
    return emax * dose**h / (dose**h + ec50**h)


def make_blocks(n: int, seed: int):
    rng = np.random.default_rng(seed)
    d = np.array([0.0, 0.01, 0.04, 0.16, 0.64, 2.56])
    g1, g2 = np.meshgrid(d, d, indexing="ij")
    doses = np.column_stack([g1.ravel(), g2.ravel()])
    blocks = []
    for i in range(n):
        e1, e2 = rng.uniform(50, 100, 2)
        c1, c2 = np.exp(rng.uniform(np.log(0.02), np.log(2), 2))
        h1, h2 = rng.uniform(0.7, 2.5, 2)
        y1, y2 = hill(doses[:, 0], e1, c1, h1), hill(doses[:, 1], e2, c2, h2)
        bliss = y1 + y2 - y1 * y2 / 100
        bump = rng.normal(0, 10) * (y1 / 100) * (y2 / 100) * 4  # synergy (+) or antagonism (-)
        response = bliss + bump + rng.normal(0, 3, bliss.size)
        blocks.append(make_block(doses, response, block_id=str(i + 1), check=False))
    return blocks


def run_peer(python: str, blocks) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "blocks.npz"
        parts = [(i, *b.wells()[:2]) for i, b in enumerate(blocks)]
        np.savez(
            path,
            block=np.concatenate([np.full(len(k), i) for i, k, _ in parts]),
            d1=np.concatenate([k[:, 0] for _, k, _ in parts]),
            d2=np.concatenate([k[:, 1] for _, k, _ in parts]),
            inhibition=np.concatenate([m for _, _, m in parts]),
        )
        done = subprocess.run([python, str(PEER_RUNNER), str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"peer failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--peer-blocks", type=int, default=200)
    parser.add_argument("--peer-python", default="/work/peers/synergy/bin/python")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    blocks = make_blocks(args.blocks, args.seed)
    print(f"oncoresist.synergy: {args.blocks} blocks of 6x6, models {','.join(MODELS)}")
    start, cpu = time.perf_counter(), time.process_time()
    result = score(blocks, models=MODELS, chunk_size=len(blocks), window=False)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"  in one process: {elapsed:.1f} s wall, {cpu:.1f} s CPU; "
          f"{args.blocks / elapsed:,.0f} blocks/s (wall), {args.blocks / cpu:,.0f} blocks/s (CPU)")
    for model in MODELS:
        values = result.blocks[model].to_numpy(dtype=float)
        print(f"  {model}: {np.isfinite(values).sum()} blocks scored, mean score {np.nanmean(values):+.2f}")
    failed = int((result.fits["status"] == "failed").sum())
    print(f"  single-drug fits: {len(result.fits)}, failed {failed}, fallback {(result.fits['status'] == 'fallback').sum()}")

    if not Path(args.peer_python).exists():
        print(f"peer `synergy` not found at {args.peer_python}; install with pip install synergy==1.0.0 in its own venv")
        return 0
    subset = blocks[: args.peer_blocks]
    start = time.perf_counter()
    ours = score(subset, models=MODELS, chunk_size=len(subset), window=False).blocks
    ours_time = time.perf_counter() - start
    peer = run_peer(args.peer_python, subset)
    if peer is None:
        return 1
    peer_time = sum(peer["seconds"].values())
    print(f"side by side on the first {len(subset)} blocks (synergy {peer['version']}):")
    print(f"  oncoresist {ours_time:.2f} s ({len(subset) / ours_time:,.0f} blocks/s), "
          f"synergy {peer_time:.2f} s ({len(subset) / peer_time:,.1f} blocks/s): ratio {peer_time / ours_time:.1f}x")
    for model in MODELS:
        a = ours[model].to_numpy(dtype=float)
        b = np.array([np.nan if v is None else v for v in peer["scores"][model]], dtype=float)
        ok = np.isfinite(a) & np.isfinite(b)
        diff = np.abs(a[ok] - b[ok])
        r = np.corrcoef(a[ok], b[ok])[0, 1] if ok.sum() > 2 else np.nan
        signs = np.mean(np.sign(a[ok]) == np.sign(b[ok])) if ok.any() else np.nan
        print(f"  {model:6s} peer {peer['seconds'][model]:7.2f} s | |diff| mean {diff.mean():.3f} max {diff.max():.3f}"
              f" | r {r:.4f} | same sign {signs:.1%} | compared {ok.sum()}/{len(subset)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
