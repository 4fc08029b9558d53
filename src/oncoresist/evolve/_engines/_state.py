"""Clone records shared by the stochastic engines, with growth and rollback."""

from __future__ import annotations

import numpy as np

from oncoresist.evolve._kernels import KIND_COMPARTMENT, KIND_ROOT, type_totals

_FIELDS = ("size", "ctype", "parent", "lineage", "born", "kind")


def stop_criteria(stop_above, stop_mask) -> tuple[np.ndarray, np.ndarray]:
    """Stopping criteria as the kernels take them: sizes (one per criterion, capped to fit int64
    comparisons) and a criteria x types boolean mask. One size with a 1-d mask is one criterion."""
    if (type(stop_above) is np.ndarray and type(stop_mask) is np.ndarray and stop_mask.ndim == 2
            and stop_mask.dtype == np.bool_ and stop_above.dtype == np.float64):
        return np.minimum(stop_above, 9.2e18), stop_mask  # already in kernel form (the simulation loop)
    sizes = np.minimum(np.atleast_1d(np.asarray(stop_above, dtype=np.float64)), 9.2e18)
    masks = np.atleast_2d(np.asarray(stop_mask, dtype=np.bool_))
    return np.ascontiguousarray(sizes), np.ascontiguousarray(masks)


def crossed_criteria(type_sizes: np.ndarray, sizes: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Which criteria the per-type counts have reached."""
    return (masks.astype(np.float64) @ type_sizes.astype(np.float64)) >= sizes


class CloneState:
    """Parallel arrays of clone records (see ``_kernels`` for their meaning)."""

    def __init__(self, counts: np.ndarray, ntypes: int, t0: float = 0.0, capacity: int = 256):
        cap = max(capacity, 4 * ntypes + 16)
        self.ntypes = ntypes
        self.size = np.zeros(cap, dtype=np.int64)
        self.ctype = np.zeros(cap, dtype=np.int64)
        self.parent = np.full(cap, -1, dtype=np.int64)
        self.lineage = np.zeros(cap, dtype=np.int64)
        self.born = np.zeros(cap, dtype=np.float64)
        self.kind = np.zeros(cap, dtype=np.int64)
        self.comp = np.full((cap, ntypes), -1, dtype=np.int64)
        self.n = 0
        for k, count in enumerate(counts):
            if count > 0:
                i = self.n
                self.size[i] = int(count)
                self.ctype[i] = k
                self.parent[i] = -1
                self.lineage[i] = i
                self.born[i] = t0
                self.kind[i] = KIND_ROOT
                self.comp[i, k] = i
                self.n += 1
        self.queue_capacity = cap

    @property
    def capacity(self) -> int:
        return self.size.shape[0]

    def grow(self, minimum: int | None = None) -> None:
        new = max(2 * self.capacity, minimum or 0)
        for name in _FIELDS:
            old = getattr(self, name)
            arr = np.zeros(new, dtype=old.dtype)
            if name == "parent":
                arr[:] = -1
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        comp = np.full((new, self.ntypes), -1, dtype=np.int64)
        comp[: self.n] = self.comp[: self.n]
        self.comp = comp
        self.queue_capacity = max(self.queue_capacity, new)

    def snapshot(self) -> dict:
        keep = {name: getattr(self, name)[: self.n].copy() for name in _FIELDS}
        keep["comp"] = self.comp[: self.n].copy()
        keep["n"] = self.n
        return keep

    def restore(self, snap: dict) -> None:
        n = snap["n"]
        for name in _FIELDS:
            arr = getattr(self, name)
            arr[:n] = snap[name]
            arr[n:] = -1 if name == "parent" else 0
        self.comp[:n] = snap["comp"]
        self.comp[n:] = -1
        self.n = n

    def type_sizes(self) -> np.ndarray:
        return type_totals(self.size, self.ctype, self.n, self.ntypes)

    def queues(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scratch arrays of the hybrid kernel's work queue, reused between calls."""
        q = getattr(self, "_queues", None)
        if q is None or q[0].shape[0] != self.queue_capacity:
            qlen = self.queue_capacity
            q = (np.empty(qlen, dtype=np.int64), np.empty(qlen, dtype=np.int64), np.empty(qlen, dtype=np.float64))
            self._queues = q
        return q

    def alive_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """clone_id, parent_id, type, size of the clones with cells (new arrays)."""
        n = self.n
        alive = np.flatnonzero(self.size[:n] > 0)
        return alive, self.parent[alive], self.ctype[alive], self.size[alive]

    def records(self) -> dict[str, np.ndarray]:
        n = self.n
        return {
            "clone_id": np.arange(n, dtype=np.int64),
            "parent_id": self.parent[:n].copy(),
            "type": self.ctype[:n].copy(),
            "size": self.size[:n].copy(),
            "born": self.born[:n].copy(),
            "lineage": self.lineage[:n].copy(),
            "compartment": (self.kind[:n] == KIND_COMPARTMENT).copy(),
        }
