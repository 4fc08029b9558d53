"""Alterations parsed per second and pattern matches per second, on realistic mixed inputs.

Inputs: the CIViC resistance variant names of the test fixture (gene + free text as CIViC writes
them) mixed with HGVS protein changes as VCF annotators write them (p.Thr790Met, p.Glu746_Ala750del,
p.Arg213Ter, p.Glu23GlyfsTer12, ...), generated with a fixed seed.

Peer: the biocommons ``hgvs`` parser (the tool people use to parse HGVS strings) on the same HGVS
protein strings, run from its own virtual environment if present
(``python3 -m venv /work/peers/hgvs && /work/peers/hgvs/bin/pip install hgvs==1.5.7``).

Run: ``.venv/bin/python benchmarks/bench_variants.py [--records 1000000]``
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from oncoresist.variants import Alteration, PatternIndex, parse_alteration
from oncoresist.variants._parser import _parse_cached

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "variants" / "civic_resistance_variants.tsv"
PEER_PYTHON = Path("/work/peers/hgvs/bin/python")

THREE = ["Ala", "Arg", "Asn", "Asp", "Cys", "Gln", "Glu", "Gly", "His", "Ile", "Leu", "Lys",
         "Met", "Phe", "Pro", "Ser", "Thr", "Trp", "Tyr", "Val"]
ONE = "ARNDCQEGHILKMFPSTWYV"
GENES = ["EGFR", "KRAS", "NRAS", "BRAF", "ALK", "MET", "ERBB2", "PIK3CA", "TP53", "NF1", "PTEN",
         "KIT", "PDGFRA", "ABL1", "ESR1", "AR", "FLT3", "RET", "ROS1", "MAP2K1"]


def civic_names() -> list[tuple[str, str]]:
    with FIXTURE.open(encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")),
                              delimiter="\t")
        return [(r["gene"], r["variant"]) for r in rows if r["expected"] == "parse"]


def hgvs_protein_changes(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(n):
        gene = GENES[rng.integers(len(GENES))]
        pos = int(rng.integers(2, 1200))
        a, b = rng.integers(20, size=2)
        form = rng.random()
        if form < 0.6:
            text = f"p.{THREE[a]}{pos}{THREE[b]}"
        elif form < 0.7:
            text = f"p.{THREE[a]}{pos}Ter"
        elif form < 0.8:
            text = f"p.{THREE[a]}{pos}{THREE[b]}fsTer{int(rng.integers(2, 60))}"
        elif form < 0.9:
            length = int(rng.integers(1, 8))
            text = f"p.{THREE[a]}{pos}_{THREE[b]}{pos + length}del"
        else:
            ins = "".join(THREE[i] for i in rng.integers(20, size=int(rng.integers(1, 4))))
            text = f"p.{THREE[a]}{pos}_{THREE[b]}{pos + 1}ins{ins}"
        out.append((gene, text))
    return out


def time_parse(items: list[tuple[str, str]], *, cached: bool) -> float:
    if not cached:
        _parse_cached.cache_clear()
    start = time.perf_counter()
    for gene, text in items:
        parse_alteration(gene, text)
    return len(items) / (time.perf_counter() - start)


def peer_rate(texts: list[str]) -> float | None:
    if not PEER_PYTHON.exists():
        return None
    script = (
        "import json, sys, time\n"
        "import hgvs.parser\n"
        "texts = json.load(open(sys.argv[1]))\n"
        "parser = hgvs.parser.Parser()\n"
        "start = time.perf_counter()\n"
        "for t in texts:\n"
        "    parser.parse('NP_000000.1:' + t)\n"
        "print(len(texts) / (time.perf_counter() - start))\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.json"
        path.write_text(json.dumps(texts))
        done = subprocess.run([str(PEER_PYTHON), "-c", script, str(path)], capture_output=True,
                              text=True, check=False)
    if done.returncode != 0:
        print("peer hgvs failed:", done.stderr.strip().splitlines()[-1:])
        return None
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000,
                        help="sample alterations streamed through the pattern index")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    civic = civic_names()
    hgvs = hgvs_protein_changes(rng, 20_000)
    mixed = civic + hgvs[:4_000]  # distinct texts: every one is parsed from scratch
    rng.shuffle(mixed)
    print(f"inputs: {len(civic)} CIViC resistance names, {len(hgvs)} HGVS protein changes")

    rate_mixed = time_parse(mixed, cached=False)
    rate_hgvs = time_parse(hgvs, cached=False)
    time_parse(mixed, cached=True)  # fill the cache
    rate_cached = time_parse(mixed * 10, cached=True)
    print(f"parse, mixed CIViC + HGVS (first sight):  {rate_mixed:12,.0f} alterations/s")
    print(f"parse, HGVS protein changes (first sight): {rate_hgvs:12,.0f} alterations/s")
    print(f"parse, repeated inputs (cached):          {rate_cached:12,.0f} alterations/s")

    subset = [text for _, text in hgvs[:2_000]]
    _parse_cached.cache_clear()
    ours = time_parse([(gene, text) for gene, text in hgvs[:2_000]], cached=False)
    peer = peer_rate(subset)
    if peer is None:
        print("peer hgvs (biocommons) not installed: no ratio")
    else:
        print(f"peer hgvs 1.5.7 Parser.parse, same 2,000 HGVS strings: {peer:12,.0f} /s; "
              f"oncoresist is {ours / peer:,.0f}x faster")

    patterns = []
    for gene, text in civic:
        patterns.append(parse_alteration(gene, text))
    targets = [parse_alteration(gene, text) for gene, text in hgvs]
    targets += [parse_alteration(g, t) for g, t in [("EGFR", "E746_A750del"),
                                                    ("KRAS", "G12C"), ("ALK", "EML4-ALK G1202R"),
                                                    ("BRAF", "V600E and AMPLIFICATION")]]
    by_gene: dict[str | None, list[Alteration]] = {}
    for p in patterns:
        by_gene.setdefault(getattr(p, "gene", None), []).append(p)
    pairs = [(p, t) for t in targets[:4_000] for p in by_gene.get(t.gene, [])]
    start = time.perf_counter()
    hits = sum(p.matches(t) for p, t in pairs)
    rate_match = len(pairs) / (time.perf_counter() - start)
    print(f"pattern.matches(alteration), same gene:   {rate_match:12,.0f} matches/s "
          f"({len(pairs):,} pairs, {hits:,} true)")

    index = PatternIndex(patterns)
    stream = rng.integers(len(targets), size=args.records)
    start = time.perf_counter()
    found = 0
    for i in stream:
        found += len(index.find(targets[i]))
    elapsed = time.perf_counter() - start
    print(f"PatternIndex.find over {args.records:,} records ({len(patterns)} patterns, "
          f"{len(targets):,} distinct alterations): {args.records / elapsed:12,.0f} records/s "
          f"({elapsed:.2f} s, {found:,} matches)")


if __name__ == "__main__":
    sys.exit(main())
