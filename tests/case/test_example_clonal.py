"""The example case's clonal input: reproducible, and deconvolved into the tree it was drawn from."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from oncoresist.clonal import fit, read_pyclone, trees

EXAMPLE = Path(__file__).parents[2] / "examples" / "egfr_nsclc"


def _script():
    spec = importlib.util.spec_from_file_location("make_clonal", EXAMPLE / "make_clonal.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_file_is_what_the_script_writes():
    table = _script().clonal_table()
    text = table.to_csv(sep="\t", index=False, lineterminator="\n")
    assert text == (EXAMPLE / "data" / "clonal_pyclone.tsv").read_text()


def test_deconvolution_recovers_the_story():
    # truth (make_clonal.py): trunk (ex19del, TP53, 18 passengers) -> t790m (T790M + 10)
    # -> c797s (C797S + 8); and a branch dx-sub (10) off the trunk, present only at diagnosis
    data = read_pyclone(EXAMPLE / "data" / "clonal_pyclone.tsv")
    result = fit(data, max_clusters=8, rng=np.random.default_rng(20261130))
    labels = dict(zip(result.mutations_frame()["mutation_id"], result.mutations_frame()["cluster_id"], strict=True))
    clone_of = {m: m.split("-p")[0] if "-p" in m else {"EGFR:p.T790M": "t790m", "EGFR:p.C797S": "c797s"}.get(m, "trunk")
                for m in labels}
    clusters = {}
    for mutation, clone in clone_of.items():
        clusters.setdefault(clone, set()).add(labels[mutation])
    assert all(len(c) == 1 for c in clusters.values()), clusters  # each clone is one cluster
    assert len({next(iter(c)) for c in clusters.values()}) == 4  # and the four are distinct
    cid = {clone: next(iter(c)) for clone, c in clusters.items()}
    best = trees(result).best
    assert best.consistent
    assert best.parents[cid["trunk"]] == -1
    assert best.parents[cid["t790m"]] == cid["trunk"]
    assert best.parents[cid["c797s"]] == cid["t790m"]
    assert best.parents[cid["dx-sub"]] == cid["trunk"]
