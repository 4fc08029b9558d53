"""Clone-tree search results: the best tree, the alternatives within a margin, and checks."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core import InputError, Provenance, atomic_output_dir, write_table
from oncoresist.clonal._fit import ClonalFit
from oncoresist.clonal._io import read_results
from oncoresist.clonal._trees import (
    ROOT,
    Violation,
    enumerate_trees,
    least_violating_tree,
    score_tree,
)


@dataclass(frozen=True)
class CloneTree:
    """One clone tree: each cluster's parent (``-1`` = the germline root) and how well it fits.

    ``score`` is the log-probability that the sum rule holds at every node in every sample;
    ``consistent`` is False when some node breaks it beyond the tolerance, and ``violations``
    then says where.
    """

    parents: Mapping[int, int]
    score: float
    consistent: bool
    violations: tuple[Violation, ...] = ()

    def children(self, node: int = ROOT) -> list[int]:
        """Children of ``node`` (a cluster id, or -1 for the root), in id order."""
        return sorted(c for c, p in self.parents.items() if p == node)

    def to_frame(self) -> pd.DataFrame:
        """One row per cluster: ``cluster_id``, ``parent_id``."""
        return pd.DataFrame(
            {"cluster_id": list(self.parents), "parent_id": list(self.parents.values())}
        ).sort_values("cluster_id", kind="stable").reset_index(drop=True)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_frame` (``cluster_id parent_id``) as a TSV, atomically."""
        return write_table(self.to_frame(), path)

    def to_newick(self) -> str:
        """The tree in Newick form, the germline root named ``root``."""

        def render(node: int) -> str:
            kids = self.children(node)
            name = "root" if node == ROOT else str(node)
            return f"({','.join(render(k) for k in kids)}){name}" if kids else name

        return render(ROOT) + ";"


@dataclass(frozen=True, eq=False)
class TreeSearch:
    """Result of :func:`oncoresist.clonal.trees`: trees ranked by score, best first."""

    trees: tuple[CloneTree, ...]
    clusters: pd.DataFrame
    n_consistent: int
    complete: bool
    margin: float
    tolerance: float
    provenance: Provenance = field(repr=False)

    @property
    def best(self) -> CloneTree:
        """The highest-scoring tree."""
        return self.trees[0]

    def to_frame(self) -> pd.DataFrame:
        """One row per tree and cluster: rank, parent, score, gap to the best, consistency."""
        rows = []
        for rank, tree in enumerate(self.trees):
            for cluster, parent in sorted(tree.parents.items()):
                rows.append(
                    {
                        "tree": rank,
                        "cluster_id": cluster,
                        "parent_id": parent,
                        "score": tree.score,
                        "delta_score": tree.score - self.best.score,
                        "consistent": tree.consistent,
                    }
                )
        return pd.DataFrame(rows)

    def violations_frame(self) -> pd.DataFrame:
        """Every sum-rule violation of every reported tree."""
        rows = [
            {
                "tree": rank,
                "parent_id": v.parent,
                "sample_id": v.sample,
                "children": ",".join(map(str, v.children)),
                "parent_ccf": v.parent_ccf,
                "children_ccf": v.children_ccf,
                "excess_sd": v.excess_sd,
            }
            for rank, tree in enumerate(self.trees)
            for v in tree.violations
        ]
        columns = ["tree", "parent_id", "sample_id", "children", "parent_ccf", "children_ccf", "excess_sd"]
        return pd.DataFrame(rows, columns=columns)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write ``trees.tsv``, ``violations.tsv``, ``trees.nwk``, ``summary.json`` into folder ``path``."""
        with atomic_output_dir(path) as tmp:
            write_table(self.to_frame(), tmp / "trees.tsv", float_format="%.6f")
            write_table(self.violations_frame(), tmp / "violations.tsv", float_format="%.4f")
            (tmp / "trees.nwk").write_text("".join(t.to_newick() + "\n" for t in self.trees), encoding="utf-8")
            summary = {
                "best_tree": self.best.to_newick(),
                "best_consistent": self.best.consistent,
                "trees_reported": len(self.trees),
                "trees_consistent": self.n_consistent,
                "search_complete": self.complete,
                "margin": self.margin,
                "tolerance_sd": self.tolerance,
                "provenance": self.provenance.to_dict(),
            }
            (tmp / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return Path(path)


def cluster_table(source: Any) -> pd.DataFrame:
    """Cluster CCFs as ``cluster_id sample_id cellular_prevalence cellular_prevalence_std``."""
    if isinstance(source, ClonalFit):
        frame = source.clusters_frame()
    elif isinstance(source, str | os.PathLike):
        frame = read_results(source)
    elif isinstance(source, pd.DataFrame):
        frame = source
    else:
        msg = (
            "expected a ClonalFit, a PyClone-VI results table (DataFrame) or its path; "
            f"got {type(source).__name__}"
        )
        raise InputError(msg, field="source")
    needed = ["cluster_id", "sample_id", "cellular_prevalence", "cellular_prevalence_std"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        msg = f"cluster table lacks column(s) {', '.join(missing)}; give PyClone-VI results or ClonalFit.clusters_frame()"
        raise InputError(msg, field="source")
    table = frame[needed].drop_duplicates(["cluster_id", "sample_id"]).reset_index(drop=True)
    counts = table.groupby("cluster_id")["sample_id"].nunique()
    n_samples = table["sample_id"].nunique()
    if (counts < n_samples).any():
        cluster = counts.index[(counts < n_samples).argmax()]
        msg = f"cluster {cluster} has no cellular_prevalence in some samples; each cluster needs one per sample"
        raise InputError(msg, field="source")
    return table


def _matrices(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    wide = table.pivot(index="cluster_id", columns="sample_id", values="cellular_prevalence")
    wide_std = table.pivot(index="cluster_id", columns="sample_id", values="cellular_prevalence_std")
    samples = list(dict.fromkeys(table["sample_id"]))
    wide, wide_std = wide[samples], wide_std[samples]
    return (
        wide.index.to_numpy(dtype=np.int64),
        wide.to_numpy(dtype=np.float64),
        wide_std.to_numpy(dtype=np.float64),
        samples,
    )


def search_trees(
    source: Any,
    *,
    tolerance: float = 2.0,
    margin: float = 2.0,
    floor: float = 0.01,
    max_trees: int = 50,
    max_visits: int = 1_000_000,
) -> TreeSearch:
    table = cluster_table(source)
    ids, ccf, std, samples = _matrices(table)
    if len(ids) > 30:
        msg = f"{len(ids)} clusters are too many for exhaustive tree search (at most 30); merge small clusters first"
        raise InputError(msg, field="source")
    found, complete = enumerate_trees(ccf, std, tolerance=tolerance, floor=floor, max_visits=max_visits)
    scored = [
        (score_tree(p, ccf, std, ids, samples, tolerance=tolerance, floor=floor), p) for p in found
    ]
    n_consistent = len(scored)
    if not scored:
        parents = least_violating_tree(ccf, std, floor=floor, max_visits=max_visits)
        scored = [(score_tree(parents, ccf, std, ids, samples, tolerance=tolerance, floor=floor), parents)]
    scored.sort(key=lambda sp: (-sp[0].score, tuple(sp[1])))
    top = scored[0][0].score
    kept = [sp for sp in scored if sp[0].score >= top - margin][:max_trees]
    trees = tuple(
        CloneTree(
            parents={int(ids[i]): (ROOT if p < 0 else int(ids[p])) for i, p in enumerate(parents)},
            score=s.score,
            consistent=s.consistent,
            violations=s.violations,
        )
        for s, parents in kept
    )
    provenance = Provenance.create(
        "oncoresist.clonal.trees",
        parameters={"tolerance": tolerance, "margin": margin, "floor": floor, "max_trees": max_trees,
                    "max_visits": max_visits},
        inputs=[source] if isinstance(source, str | os.PathLike) else [],
    )
    return TreeSearch(trees, table, n_consistent, complete, margin, tolerance, provenance)


def check_parents(
    parents: Mapping[int, int], source: Any, *, tolerance: float = 2.0, floor: float = 0.01
) -> CloneTree:
    table = cluster_table(source)
    ids, ccf, std, samples = _matrices(table)
    index = {int(c): i for i, c in enumerate(ids)}
    unknown = sorted(set(map(int, parents)) ^ set(index))
    if unknown:
        msg = f"the tree and the clusters differ on cluster(s) {unknown}; give a parent for every cluster and no others"
        raise InputError(msg, field="parents")
    vector = np.full(len(ids), ROOT, dtype=np.int64)
    for child, parent in parents.items():
        if parent != ROOT and int(parent) not in index:
            msg = f"parent {parent} of cluster {child} is not a cluster; use -1 for the germline root"
            raise InputError(msg, field="parents")
        vector[index[int(child)]] = ROOT if parent == ROOT else index[int(parent)]
    _check_acyclic(vector, ids)
    s = score_tree(vector, ccf, std, ids, samples, tolerance=tolerance, floor=floor)
    return CloneTree({int(k): int(v) for k, v in parents.items()}, s.score, s.consistent, s.violations)


def _check_acyclic(vector: np.ndarray, ids: np.ndarray) -> None:
    for start in range(len(vector)):
        seen, node = set(), start
        while node != ROOT:
            if node in seen:
                msg = f"the parents form a cycle through cluster {int(ids[start])}; a clone tree has none"
                raise InputError(msg, field="parents")
            seen.add(node)
            node = int(vector[node])
