"""Multi-sample read counts simulated from a known clone tree.

The design follows the simulations of Pairtree's benchmark (Wintersinger et al. 2022, Blood
Cancer Discovery, doi:10.1158/2643-3230.BCD-21-0092): a random clone tree, per-sample clone
proportions from a flat Dirichlet, cancer cell fractions (CCFs) as subtree sums, mutations
assigned to clones, read counts drawn around the expected VAF. On top of that, each mutation may
sit in a copy-number-altered segment (clonal, as in PyClone's model) and each sample has a tumour
content below 1, so the copy-number- and purity-aware likelihood is exercised.

Two choices the benchmark leaves open are made explicit: clone CCF profiles are redrawn until
every pair of clones differs by at least ``min_separation`` in some sample (and every clone
reaches ``min_separation`` somewhere), since clones that no data can tell apart make clustering
scores meaningless; and the first ``n_clones`` mutations are spread one per clone so no clone is
empty.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, write_table
from oncoresist.clonal._io import ClonalData
from oncoresist.clonal._likelihood import reference_states

#: Copy-number states (major, minor) of altered segments, drawn uniformly.
ALTERED_STATES = ((2, 1), (2, 0), (1, 0), (2, 2), (3, 1))


@dataclass(frozen=True, eq=False)
class SimulatedTumour:
    """Simulated data with the truth it was drawn from."""

    data: ClonalData
    parents: np.ndarray  # (K,) parent clone of each clone, -1 for the root
    clone_ccf: np.ndarray  # (K, D)
    labels: np.ndarray  # (N,) true clone of each mutation
    purity: np.ndarray  # (D,)

    @property
    def mutation_ccf(self) -> np.ndarray:
        """True CCF of each mutation in each sample, ``(N, D)``."""
        return self.clone_ccf[self.labels]

    def to_frame(self) -> pd.DataFrame:
        """PyClone-VI's input layout plus the truth: ``clone``, ``parent_clone``, ``ccf``.

        Extra columns are ignored by PyClone-VI and by :func:`oncoresist.clonal.read_pyclone`
        (PyClone-VI's own synthetic example carries its truth the same way).
        """
        frame = self.data.to_frame()
        d = len(self.data.samples)
        clone = np.repeat(self.labels, d)
        frame["clone"] = clone
        frame["parent_clone"] = self.parents[clone]
        frame["ccf"] = self.mutation_ccf.ravel()
        return frame

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_frame` as a TSV (atomically)."""
        return write_table(self.to_frame(), path, float_format="%.6g")


def random_tree(n_clones: int, rng: np.random.Generator) -> np.ndarray:
    """A random recursive tree: clone ``i`` attaches to a uniformly chosen earlier clone."""
    parents = np.full(n_clones, -1, dtype=np.int64)
    for i in range(1, n_clones):
        parents[i] = rng.integers(i)
    return parents


def subtree_sums(parents: np.ndarray, own: np.ndarray) -> np.ndarray:
    """CCF of each clone = its own fraction plus all its descendants' (``own`` is ``(K, D)``)."""
    ccf = own.copy()
    # parents always precede children in a recursive tree, so one backward pass suffices
    order = _topological(parents)
    for child in reversed(order):
        if parents[child] >= 0:
            ccf[parents[child]] += ccf[child]
    return ccf


def _topological(parents: np.ndarray) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, parent in enumerate(parents):
        children.setdefault(int(parent), []).append(child)
    order, stack = [], list(children.get(-1, []))
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(children.get(node, []))
    return order


def _separated(ccf: np.ndarray, gap: float) -> bool:
    profiles = np.vstack([ccf, np.zeros((1, ccf.shape[1]))])
    diff = np.abs(profiles[:, None, :] - profiles[None, :, :]).max(axis=-1)
    np.fill_diagonal(diff, np.inf)
    return bool(diff.min() >= gap)


def simulate_tumour(
    *,
    n_clones: int = 5,
    n_samples: int = 3,
    n_mutations: int = 100,
    depth: float = 200.0,
    purity: tuple[float, float] = (0.5, 0.95),
    cna_fraction: float = 0.3,
    density: str = "binomial",
    precision: float = 200.0,
    error_rate: float = 1e-3,
    min_separation: float = 0.1,
    rng: np.random.Generator,
) -> SimulatedTumour:
    """Draw one simulated tumour (see the module docstring)."""
    if n_clones < 1 or n_samples < 1 or n_mutations < n_clones:
        msg = (
            "need n_clones >= 1, n_samples >= 1 and n_mutations >= n_clones; got "
            f"n_clones={n_clones}, n_samples={n_samples}, n_mutations={n_mutations}"
        )
        raise InputError(msg, field="n_clones")
    for _ in range(10_000):
        parents = random_tree(n_clones, rng)
        own = rng.dirichlet(np.ones(n_clones), size=n_samples).T  # (K, D)
        ccf = subtree_sums(parents, own)
        if _separated(ccf, min_separation):
            break
    else:
        msg = f"could not draw {n_clones} clones separated by {min_separation} in {n_samples} samples; lower min_separation"
        raise InputError(msg, field="min_separation")
    labels = np.concatenate([rng.permutation(n_clones), rng.integers(n_clones, size=n_mutations - n_clones)])
    sample_purity = rng.uniform(purity[0], purity[1], size=n_samples)
    major = np.ones(n_mutations, dtype=np.int64)
    minor = np.ones(n_mutations, dtype=np.int64)
    altered = rng.random(n_mutations) < cna_fraction
    picks = rng.integers(len(ALTERED_STATES), size=n_mutations)
    for i in np.flatnonzero(altered):
        major[i], minor[i] = ALTERED_STATES[picks[i]]
    vaf = np.empty((n_mutations, n_samples))
    for i in range(n_mutations):
        states = reference_states(int(major[i]), int(minor[i]), 2, error_rate)
        cn_ref, cn_var, mu = states[rng.integers(len(states))]
        f = ccf[labels[i]]
        t = sample_purity
        num = (1 - t) * 2 * error_rate + t * (1 - f) * cn_ref * error_rate + t * f * cn_var * mu
        den = (1 - t) * 2 + t * (1 - f) * cn_ref + t * f * cn_var
        vaf[i] = num / den
    total = rng.poisson(depth, size=(n_mutations, n_samples))
    if density == "beta-binomial":
        p = rng.beta(vaf * precision, (1 - vaf) * precision)
    else:
        p = vaf
    alt = rng.binomial(total, p)
    shape = (n_mutations, n_samples)
    data = ClonalData(
        mutations=tuple(f"m{i}" for i in range(n_mutations)),
        samples=tuple(f"s{j}" for j in range(n_samples)),
        ref_counts=(total - alt).astype(np.int64),
        alt_counts=alt.astype(np.int64),
        major_cn=np.repeat(major[:, None], n_samples, axis=1),
        minor_cn=np.repeat(minor[:, None], n_samples, axis=1),
        normal_cn=np.full(shape, 2, dtype=np.int64),
        tumour_content=np.broadcast_to(sample_purity, shape).copy(),
        error_rate=np.full(shape, error_rate),
        source="simulated",
    )
    return SimulatedTumour(data=data, parents=parents, clone_ccf=ccf, labels=labels, purity=sample_purity)
