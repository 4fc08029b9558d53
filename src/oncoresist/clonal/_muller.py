"""Muller (fish) plot layout: nested bands of clone sizes over time.

Each clone's band has the width of its clone *plus all descendants*; its children are stacked in
the middle of the band, with the clone's own cells split evenly above and below them (the layout
of fishplot, Miller et al. 2016, BMC Genomics 17:880, and of Muller plots in general). Bands of
the top-level clones are centred in ``[0, 1]`` when sizes are fractions.

Two size conventions:

* ``own``: cells of the clone itself, not of its descendants (``oncoresist.evolve`` clone tables:
  ``time clone_id parent_id type size``);
* ``cumulative``: the clone and its descendants (CCFs from deconvolution, fishplot's fractions).
  Own sizes are the differences, so a child larger than its parent, or children adding up to more
  than the parent, breaks the sum rule: this is reported (clone, parent, time, values) instead of
  drawn, beyond an absolute ``tolerance`` within which the excess is clipped to 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from oncoresist._core import InputError

ROOT = -1


def _is_root(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    text = str(value).strip().lower()
    return text in ("", "-1", "nan", "none", "na", "root", "<na>")


def _normalise_id(value):
    """Clone ids as ints when they look like ints (so 3, '3' and 3.0 are one clone)."""
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text


def parents_from_table(frame: pd.DataFrame) -> dict:
    """``clone_id -> parent_id`` (``-1`` for roots) from a clone table, checked for conflicts."""
    parents: dict = {}
    for row in frame[["clone_id", "parent_id"]].drop_duplicates().itertuples(index=False):
        clone = _normalise_id(row.clone_id)
        parent = ROOT if _is_root(row.parent_id) else _normalise_id(row.parent_id)
        if clone in parents and parents[clone] != parent:
            msg = f"clone {clone!r} has two parents ({parents[clone]!r} and {parent!r}); a clone has one"
            raise InputError(msg, field="parent_id")
        parents[clone] = parent
    # clone tables list living clones only: a parent that died before every record time is
    # kept as an empty clone under the root, so its descendants still nest together
    for parent in list(parents.values()):
        if parent != ROOT and parent not in parents:
            parents[parent] = ROOT
    return parents


def _order(parents: Mapping) -> list:
    """Clones depth-first (parents before children), siblings in first-seen order."""
    children: dict = {}
    for clone, parent in parents.items():
        children.setdefault(parent, []).append(clone)
    missing = [p for p in children if p != ROOT and p not in parents]
    if missing:
        msg = f"parent {missing[0]!r} is not a clone of the table; add it or use -1 for a root"
        raise InputError(msg, field="parent_id")
    order, stack = [], list(reversed(children.get(ROOT, [])))
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen:
            msg = f"the parents form a cycle through clone {node!r}"
            raise InputError(msg, field="parent_id")
        seen.add(node)
        order.append(node)
        stack.extend(reversed(children.get(node, [])))
    if len(order) != len(parents):
        cyclic = sorted(set(parents) - seen, key=str)
        msg = f"clone(s) {cyclic} are not connected to a root (cycle in parent_id)"
        raise InputError(msg, field="parent_id")
    return order


def muller_bands(
    parents: Mapping,
    sizes: pd.DataFrame,
    *,
    cumulative: bool = False,
    normalize: bool = True,
    tolerance: float = 0.01,
) -> pd.DataFrame:
    """Band limits per time and clone: ``time clone_id parent_id own total lower upper``.

    ``sizes`` has columns ``time clone_id size``; a clone missing at a time has size 0.
    """
    parents = {_normalise_id(k): (ROOT if _is_root(v) else _normalise_id(v)) for k, v in parents.items()}
    order = _order(parents)
    frame = sizes.copy()
    frame["clone_id"] = frame["clone_id"].map(_normalise_id)
    unknown = sorted(set(frame["clone_id"]) - set(parents), key=str)
    if unknown:
        msg = f"clone(s) {unknown} have sizes but no place in the tree; give their parents"
        raise InputError(msg, field="clone_id")
    if frame["size"].isna().any() or (frame["size"] < 0).any():
        bad = frame.loc[frame["size"].isna() | (frame["size"] < 0)].iloc[0]
        msg = f"size of clone {bad['clone_id']!r} at time {bad['time']} is {bad['size']}; sizes must be >= 0"
        raise InputError(msg, field="size")
    wide = frame.pivot_table(index="time", columns="clone_id", values="size", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=order, fill_value=0.0).sort_index()
    times = wide.index.to_numpy()
    values = wide.to_numpy(dtype=np.float64)
    col = {c: i for i, c in enumerate(order)}
    children: dict = {}
    for clone in order:
        children.setdefault(parents[clone], []).append(clone)
    if cumulative:
        total = values
        own = values.copy()
        for clone in order:
            kids = children.get(clone, [])
            if kids:
                kid_sum = values[:, [col[k] for k in kids]].sum(axis=1)
                excess = kid_sum - values[:, col[clone]]
                worst = int(np.argmax(excess))
                if excess[worst] > tolerance:
                    msg = (
                        f"at time {times[worst]} the children {kids} of clone {clone!r} add up to "
                        f"{kid_sum[worst]:.4g}, more than the clone's {values[worst, col[clone]]:.4g} "
                        "(sum rule); fix the fractions or the tree (oncoresist.clonal.trees finds "
                        "trees that respect them)"
                    )
                    raise InputError(msg, field="size")
                own[:, col[clone]] = np.maximum(values[:, col[clone]] - kid_sum, 0.0)
        roots = children.get(ROOT, [])
        top = values[:, [col[r] for r in roots]].sum(axis=1)
        if normalize and np.any(top > 1 + tolerance):
            worst = int(np.argmax(top))
            msg = (
                f"at time {times[worst]} the top-level clones {roots} add up to {top[worst]:.4g} > 1; "
                "fractions of the tumour cannot exceed 1"
            )
            raise InputError(msg, field="size")
        scale = np.ones(len(times))
        space = 1.0 if normalize else None
    else:
        own = values
        total = values.copy()
        for clone in reversed(order):
            parent = parents[clone]
            if parent != ROOT:
                total[:, col[parent]] += total[:, col[clone]]
        roots = children.get(ROOT, [])
        top = total[:, [col[r] for r in roots]].sum(axis=1)
        scale = np.where(top > 0, 1.0 / np.where(top > 0, top, 1.0), 0.0) if normalize else np.ones(len(times))
        space = 1.0 if normalize else None
    own = own * scale[:, None]
    total = total * scale[:, None]
    lower = np.zeros_like(total)
    upper = np.zeros_like(total)
    roots = children.get(ROOT, [])
    top = total[:, [col[r] for r in roots]].sum(axis=1)
    start = (space - top) / 2 if space is not None else np.zeros(len(times))

    def place(nodes: list, begin: np.ndarray) -> None:
        for node in nodes:
            i = col[node]
            lower[:, i] = begin
            upper[:, i] = begin + total[:, i]
            place(children.get(node, []), begin + own[:, i] / 2)
            begin = upper[:, i].copy()

    place(roots, start)
    return pd.DataFrame(
        {
            "time": np.repeat(times, len(order)),
            "clone_id": np.tile(np.asarray(order, dtype=object), len(times)),
            "parent_id": np.tile(np.asarray([parents[c] for c in order], dtype=object), len(times)),
            "own": own.ravel(),
            "total": total.ravel(),
            "lower": lower.ravel(),
            "upper": upper.ravel(),
        }
    )
