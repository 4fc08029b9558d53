"""Speed of ``oncoresist crispr test`` against ``mageck2 test`` on the same inputs, same run.

Inputs: MAGeCK's demo1 (999 guides, 2 vs 2) and the genome-wide HAP1 TKOv3 screen of Hart et al.
(71,090 guides; T18 A/B/C vs T0), both copied into tests/data/crispr. MAGeCK2 is looked up at
``$MAGECK2`` or /work/peers/mageck2/bin/mageck2 (``pip install mageck2==0.3.0`` in its own venv);
without it only our figures are printed.

Usage: python benchmarks/bench_crispr.py [--skip-hap1] [--repeats N]
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "crispr"
ONCORESIST = [sys.executable, "-m", "oncoresist"]


def _mageck2() -> Path | None:
    candidate = Path(os.environ.get("MAGECK2", "/work/peers/mageck2/bin/mageck2"))
    return candidate if candidate.is_file() else None


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the command and its children) of a command.

    The machine is shared, so wall-clock time depends on the load; CPU time much less.
    """
    cpu0 = _cpu_of_children()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    cpu = _cpu_of_children() - cpu0
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
        msg = f"command failed ({done.returncode}): {' '.join(cmd)}"
        raise SystemExit(msg)
    return elapsed, cpu


def _top(path: Path, direction: str, n: int) -> list[str]:
    frame = pd.read_csv(path, sep="\t")
    return frame.sort_values(f"{direction}|rank")["id"].astype(str).iloc[:n].tolist()


def compare(name: str, counts: Path, treated: str, control: str, work: Path, repeats: int) -> None:
    ours_prefix = work / f"{name}_oncoresist"
    cmd = [*ONCORESIST, "crispr", "test", "-k", str(counts), "-t", treated, "-c", control,
           "-o", str(ours_prefix)]  # fmt: skip
    _run(cmd, work)  # warm numba's on-disk cache, as any second use would find it
    runs = [_run(cmd, work) for _ in range(repeats)]
    ours_wall = min(r[0] for r in runs)
    ours = min(r[1] for r in runs)
    print(f"{name}: oncoresist crispr test  {ours_wall:8.2f} s wall  {ours:8.2f} s CPU "
          f"(best of {repeats}, whole CLI process)")  # fmt: skip

    from oncoresist.crispr import read_counts, rra_test

    table = read_counts(counts)
    rra_test(table, treated.split(","), control.split(","), rng=0)  # loads numba's cache
    start, cpu0 = time.perf_counter(), time.process_time()
    rra_test(table, treated.split(","), control.split(","), rng=0)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    print(f"{name}: rra_test in-process     {wall:8.2f} s wall  {cpu:8.2f} s CPU")

    mageck2 = _mageck2()
    if mageck2 is None:
        print(f"{name}: mageck2 not installed; no ratio (see /work/shared/PEERS.md)")
        return
    env = dict(os.environ, PATH=f"{mageck2.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    local = work / counts.name.removesuffix(".gz")
    if counts.suffix == ".gz":
        with gzip.open(counts, "rb") as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        shutil.copy(counts, local)
    theirs_wall, theirs = _run([str(mageck2), "test", "-k", local.name, "-t", treated,
                                "-c", control, "-n", f"{name}_mageck2"], work, env)  # fmt: skip
    print(f"{name}: mageck2 test            {theirs_wall:8.2f} s wall  {theirs:8.2f} s CPU (one run)")
    print(f"{name}: speed ratio mageck2 / oncoresist = {theirs / ours:.1f}x CPU, "
          f"{theirs_wall / ours_wall:.1f}x wall")  # fmt: skip
    for direction in ("neg", "pos"):
        for n in (10, 100):
            a = _top(Path(f"{ours_prefix}.gene_summary.txt"), direction, n)
            b = _top(work / f"{name}_mageck2.gene_summary.txt", direction, n)
            print(f"{name}: top-{n} {direction} genes shared with mageck2: {len(set(a) & set(b))}/{n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-hap1", action="store_true", help="only the small demo")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        compare("demo1", DATA / "mageck_demo" / "demo1" / "sample.txt",
                "HL60.final,KBM7.final", "HL60.initial,KBM7.initial", work, args.repeats)  # fmt: skip
        if not args.skip_hap1:
            compare("hap1", DATA / "bagel_hap1_tkov3" / "reads_hap1.txt.gz",
                    "HAP1_T18A,HAP1_T18B,HAP1_T18C", "HAP1_T0", work, args.repeats)  # fmt: skip

        from oncoresist.crispr import count_reads, drugz_test, read_counts

        demo2 = DATA / "mageck_demo" / "demo2"
        start = time.perf_counter()
        count_reads(demo2 / "library.txt", [demo2 / "test1.fastq", demo2 / "test2.fastq"])
        print(f"demo2: count_reads (2 x 2,500 reads)  {time.perf_counter() - start:6.3f} s")
        if not args.skip_hap1:
            hap1 = read_counts(DATA / "bagel_hap1_tkov3" / "reads_hap1.txt.gz")
            start = time.perf_counter()
            drugz_test(hap1, ["HAP1_T18B", "HAP1_T18C"], ["HAP1_T0", "HAP1_T18A"])
            print(f"hap1: drugz_test (2 pairs, 71,090 guides) {time.perf_counter() - start:6.2f} s "
                  "(timing only: the pairs are not a drug screen)")  # fmt: skip


if __name__ == "__main__":
    main()
