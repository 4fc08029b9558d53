"""Clone trees that respect the sum rule in every sample.

A clone tree is rooted at the germline (normal cells, CCF 1 in every sample). The *sum rule*
(also "sum condition", El-Kebir et al. 2015, Bioinformatics 31:i62; Jiao et al. 2014, BMC
Bioinformatics 15:35): in every sample, the CCFs of a clone's children add up to at most the
clone's own CCF. With one child it is the *crossing rule*: a child never exceeds its parent.

CCFs are estimates, so each rule is checked with uncertainty. For node ``u`` in sample ``s`` the
excess ``e = sum_children CCF - CCF_u`` has standard deviation
``sd = sqrt(std_u^2 + sum_children std^2 + floor^2)``; the rule holds when ``e <= tolerance * sd``
(``tolerance`` in standard deviations). A tree's score is ``sum log Phi(-e / sd)`` over nodes and
samples: the log-probability, under independent normal errors, that every true excess is <= 0.

Search: clusters are ordered by decreasing total CCF (ties by id); a cluster may only descend from
one earlier in that order, which makes every parent choice a tree. Depth-first search assigns
parents and prunes a branch as soon as some excess exceeds ``tolerance`` times the largest
standard deviation it could still reach, so every consistent tree is visited, then scored. If none
is consistent, a least-violating tree is built greedily and its violations are reported with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr

ROOT = -1


@dataclass(frozen=True)
class Violation:
    """The sum rule broken at one node in one sample."""

    parent: int  # cluster id, or -1 for the germline root
    sample: str
    children: tuple[int, ...]
    parent_ccf: float
    children_ccf: float
    excess_sd: float  # excess in standard deviations

    def describe(self) -> str:
        """One line for people."""
        who = "the germline root" if self.parent == ROOT else f"cluster {self.parent}"
        kids = ", ".join(map(str, self.children))
        return (
            f"sample {self.sample}: children {kids} of {who} sum to {self.children_ccf:.3f} "
            f"> {self.parent_ccf:.3f} ({self.excess_sd:.1f} sd over)"
        )


@dataclass(frozen=True)
class TreeScore:
    score: float
    consistent: bool
    violations: tuple[Violation, ...]


def node_table(ccf: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prepend the germline root (CCF 1, std 0) as row 0."""
    d = ccf.shape[1]
    return np.vstack([np.ones((1, d)), ccf]), np.vstack([np.zeros((1, d)), std])


def score_tree(
    parents: np.ndarray, ccf: np.ndarray, std: np.ndarray, cluster_ids, samples, *,
    tolerance: float, floor: float,
) -> TreeScore:
    """Score one parent vector (parents[i] is an index into clusters, or -1 for the root)."""
    k, d = ccf.shape
    full_ccf, full_std = node_table(ccf, std)
    child_sum = np.zeros((k + 1, d))
    child_var = np.zeros((k + 1, d))
    children: dict[int, list[int]] = {}
    for i, p in enumerate(parents):
        slot = int(p) + 1
        child_sum[slot] += ccf[i]
        child_var[slot] += std[i] ** 2
        children.setdefault(slot, []).append(i)
    excess = child_sum - full_ccf
    sd = np.sqrt(full_std**2 + child_var + floor**2)
    score = float(np.sum(log_ndtr(-excess / sd)[list(children)]))
    violations = []
    for slot in sorted(children):
        for s in range(d):
            if excess[slot, s] > tolerance * sd[slot, s]:
                violations.append(
                    Violation(
                        parent=ROOT if slot == 0 else int(cluster_ids[slot - 1]),
                        sample=str(samples[s]),
                        children=tuple(int(cluster_ids[c]) for c in children[slot]),
                        parent_ccf=float(full_ccf[slot, s]),
                        children_ccf=float(child_sum[slot, s]),
                        excess_sd=float(excess[slot, s] / sd[slot, s]),
                    )
                )
    return TreeScore(score, not violations, tuple(violations))


def search_order(ccf: np.ndarray) -> np.ndarray:
    """Clusters by decreasing total CCF, ties by position (stable)."""
    return np.argsort(-ccf.sum(axis=1), kind="stable")


def enumerate_trees(
    ccf: np.ndarray, std: np.ndarray, *, tolerance: float, floor: float, max_visits: int
) -> tuple[list[np.ndarray], bool]:
    """All parent vectors that pass the sum rule within ``tolerance``; and whether search finished."""
    k, d = ccf.shape
    order = search_order(ccf)
    full_ccf, full_std = node_table(ccf, std)
    # candidate parents (node slots: 0 = root, i + 1 = cluster i) for each cluster
    candidates: list[list[int]] = []
    for pos, child in enumerate(order):
        allowed = [0]
        for parent in order[:pos]:
            gap = ccf[child] - ccf[parent]
            sd = np.sqrt(std[child] ** 2 + std[parent] ** 2 + floor**2)
            if np.all(gap <= tolerance * sd):
                allowed.append(int(parent) + 1)
        candidates.append(allowed)
    # the largest sd each node's excess could reach: all its possible children attached
    max_var = full_std**2 + floor**2
    for pos, child in enumerate(order):
        for slot in candidates[pos]:
            max_var[slot] += std[child] ** 2
    limit = tolerance * np.sqrt(max_var)
    child_sum = np.zeros((k + 1, d))
    parents = np.full(k, ROOT, dtype=np.int64)
    found: list[np.ndarray] = []
    visits = 0
    complete = True

    def descend(pos: int) -> None:
        nonlocal visits, complete
        if visits >= max_visits:
            complete = False
            return
        visits += 1
        if pos == k:
            found.append(parents.copy())
            return
        child = order[pos]
        for slot in candidates[pos]:
            child_sum[slot] += ccf[child]
            if np.all(child_sum[slot] - full_ccf[slot] <= limit[slot]):
                parents[child] = slot - 1
                descend(pos + 1)
            child_sum[slot] -= ccf[child]
            if not complete:
                return

    descend(0)
    return found, complete


def greedy_tree(ccf: np.ndarray, std: np.ndarray, *, floor: float) -> np.ndarray:
    """Attach each cluster, in search order, where it raises the sum-rule penalty least."""
    k, d = ccf.shape
    order = search_order(ccf)
    full_ccf, full_std = node_table(ccf, std)
    child_sum = np.zeros((k + 1, d))
    child_var = np.zeros((k + 1, d))
    parents = np.full(k, ROOT, dtype=np.int64)
    for pos, child in enumerate(order):
        best_slot, best_cost = 0, -math.inf
        for slot in [0] + [int(p) + 1 for p in order[:pos]]:
            before = log_ndtr(
                (full_ccf[slot] - child_sum[slot]) / np.sqrt(full_std[slot] ** 2 + child_var[slot] + floor**2)
            ).sum()
            after = log_ndtr(
                (full_ccf[slot] - child_sum[slot] - ccf[child])
                / np.sqrt(full_std[slot] ** 2 + child_var[slot] + std[child] ** 2 + floor**2)
            ).sum()
            gain = after - before
            if gain > best_cost:
                best_slot, best_cost = slot, gain
        parents[child] = best_slot - 1
        child_sum[best_slot] += ccf[child]
        child_var[best_slot] += std[child] ** 2
    return parents


def least_violating_tree(
    ccf: np.ndarray, std: np.ndarray, *, floor: float, max_visits: int
) -> np.ndarray:
    """The tree (in search order) with the highest sum-rule score when none is consistent.

    Exhaustive over all ``k!`` ordered parent choices when that is within ``max_visits``,
    otherwise the greedy tree.
    """
    k, d = ccf.shape
    if math.factorial(k) > min(max_visits, 50_000):  # k <= 8
        return greedy_tree(ccf, std, floor=floor)
    order = search_order(ccf)
    full_ccf, full_std = node_table(ccf, std)
    best_parents, best_score = greedy_tree(ccf, std, floor=floor), -math.inf
    parents = np.full(k, ROOT, dtype=np.int64)
    for choice in np.ndindex(*[pos + 1 for pos in range(k)]):
        child_sum = np.zeros((k + 1, d))
        child_var = np.zeros((k + 1, d))
        used = np.zeros(k + 1, dtype=bool)
        for pos, pick in enumerate(choice):
            slot = 0 if pick == 0 else int(order[pick - 1]) + 1
            child = order[pos]
            parents[child] = slot - 1
            child_sum[slot] += ccf[child]
            child_var[slot] += std[child] ** 2
            used[slot] = True
        sd = np.sqrt(full_std**2 + child_var + floor**2)
        score = float(log_ndtr((full_ccf - child_sum) / sd)[used].sum())
        if score > best_score:
            best_parents, best_score = parents.copy(), score
    return best_parents
