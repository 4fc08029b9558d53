"""The simulator's model: cell types, drug responses, mutation and switching graphs, capacity.

Everything here is pure mathematics: types are names, drugs are names, rates are per time unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from oncoresist._core.exceptions import InputError
from oncoresist.evolve._pk import OneCompartmentPK, hill_effect

_TARGETS = ("birth", "death")

# Largest population a run may hold or be asked to stop at. Stochastic engines count cells in
# int64 (overflow at 2**63 ~ 9.2e18); stopping sizes above this bound are refused, so the last
# step before a stop (whose expected growth near a stopping size is at most exp(0.05), see
# ``hybrid_advance``) stays ~90x below the overflow. Lethal tumours hold 1e12-1e13 cells.
MAX_CELLS = 1e17


def _check_rate(value: float, what: str, *, allow_zero: bool = True) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"{what} must be a number; got {value!r}"
        raise InputError(msg, field=what) from None
    if not math.isfinite(number) or number < 0.0 or (number == 0.0 and not allow_zero):
        need = ">= 0" if allow_zero else "> 0"
        msg = f"{what} must be a finite number {need}; got {value!r}"
        raise InputError(msg, field=what)
    return number


@dataclass(frozen=True)
class DrugResponse:
    """How one drug changes one rate of one cell type (Emax/Hill in the concentration).

    Attributes
    ----------
    drug
        Drug name, as used in :class:`Drug` and in dosing.
    target
        ``"death"``: ``emax`` is an absolute rate added to the death rate at full effect;
        ``"birth"``: ``emax`` is the fraction (0–1) by which the birth rate is reduced.
    emax, ec50, hill
        Maximal effect, half-maximal concentration (0 = full effect at any positive
        concentration) and Hill coefficient.
    """

    drug: str
    target: str = "death"
    emax: float = 0.0
    ec50: float = 0.0
    hill: float = 1.0

    def __post_init__(self) -> None:
        if self.target not in _TARGETS:
            msg = f"response target must be 'birth' or 'death'; got {self.target!r} for drug {self.drug!r}"
            raise InputError(msg, field="target")
        _check_rate(self.emax, f"emax of drug {self.drug!r}")
        _check_rate(self.ec50, f"ec50 of drug {self.drug!r}")
        _check_rate(self.hill, f"hill of drug {self.drug!r}", allow_zero=False)
        if self.target == "birth" and self.emax > 1.0:
            msg = f"a birth effect is a fraction in [0, 1]; drug {self.drug!r} has emax={self.emax}"
            raise InputError(msg, field="emax")

    def effect(self, concentration: float) -> float:
        """Effect at ``concentration``."""
        return hill_effect(concentration, emax=self.emax, ec50=self.ec50, hill=self.hill)


@dataclass(frozen=True)
class CellType:
    """A cell type: birth and death rates without drug and its responses to drugs."""

    name: str
    birth: float
    death: float
    responses: tuple[DrugResponse, ...] = ()

    def __post_init__(self) -> None:
        _check_rate(self.birth, f"birth rate of type {self.name!r}")
        _check_rate(self.death, f"death rate of type {self.name!r}")


@dataclass(frozen=True)
class Mutation:
    """A daughter of a ``source`` cell becomes ``target`` with ``probability`` per division.

    ``probability`` is usually ``sites * rate``: "50 point mutations at 1e-9 per division".
    """

    source: str
    target: str
    probability: float

    def __post_init__(self) -> None:
        p = _check_rate(self.probability, f"mutation probability {self.source}->{self.target}")
        if p > 1.0:
            msg = f"mutation probability {self.source}->{self.target} must be <= 1; got {p}"
            raise InputError(msg, field="probability")


@dataclass(frozen=True)
class Switch:
    """Phenotype switching: a ``source`` cell turns into ``target`` at ``rate`` per cell.

    ``induced`` responses add a drug-dependent switching rate (``target`` of each response is
    ignored; its ``emax`` is the extra rate at full effect).
    """

    source: str
    target: str
    rate: float = 0.0
    induced: tuple[DrugResponse, ...] = ()

    def __post_init__(self) -> None:
        _check_rate(self.rate, f"switching rate {self.source}->{self.target}")


@dataclass(frozen=True)
class Drug:
    """A drug; without ``pk`` a dosing level is the concentration itself."""

    name: str
    pk: OneCompartmentPK | None = None


@dataclass(frozen=True)
class Rates:
    """Rates of every type frozen at one time (arrays indexed by type).

    ``mutation[i, j]`` is the probability per division that a daughter of an ``i`` cell is a
    ``j`` cell; ``switching[i, j]`` the rate at which an ``i`` cell turns into a ``j`` cell.
    """

    birth: np.ndarray
    death: np.ndarray
    mutation: np.ndarray
    switching: np.ndarray

    def replace(self, **changes: np.ndarray) -> Rates:
        """A copy with some arrays replaced (for couplings that modify rates)."""
        values = {
            "birth": self.birth,
            "death": self.death,
            "mutation": self.mutation,
            "switching": self.switching,
        }
        values.update(changes)
        return Rates(**values)


@dataclass(frozen=True)
class Model:
    """A clonal-evolution model.

    Attributes
    ----------
    types
        Cell types; their order fixes the type index used in arrays and tables.
    mutations, switches
        The mutation graph (per division) and the phenotype-switching graph (per time).
    drugs
        Drugs the model knows (with optional PK). Responses must name drugs listed here.
    capacity
        Optional carrying capacity, one number for all types or one per type: births of type
        ``k`` are multiplied by ``max(0, 1 - sum_j a_kj n_j / K_k)`` (logistic on birth).
    competition
        Optional competition coefficients ``a_kj`` (type -> type -> coefficient; missing pairs
        are 1), for Lotka–Volterra competition between types (e.g. Zhang et al. 2017).
    initial
        Initial number of cells of each type.
    name
        A label for outputs.
    combination
        How several drugs' effects on one rate combine: ``"additive"`` (death effects add,
        birth reductions multiply) or ``"max"`` (the strongest single effect acts, as in
        Bozic et al. 2013, where a cell sensitive to any drug of a combination dies at d').
    """

    types: tuple[CellType, ...]
    mutations: tuple[Mutation, ...] = ()
    switches: tuple[Switch, ...] = ()
    drugs: tuple[Drug, ...] = ()
    capacity: float | Mapping[str, float] | None = None
    initial: Mapping[str, int] = field(default_factory=dict)
    name: str = "model"
    combination: str = "additive"
    competition: Mapping[str, Mapping[str, float]] | None = None

    def __post_init__(self) -> None:
        if self.combination not in ("additive", "max"):
            msg = f"combination must be 'additive' or 'max'; got {self.combination!r}"
            raise InputError(msg, field="combination")
        names = [t.name for t in self.types]
        if not names:
            msg = "a model needs at least one cell type"
            raise InputError(msg, field="types")
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            msg = f"cell type names must be unique; repeated: {', '.join(dup)}"
            raise InputError(msg, field="types")
        drug_names = [d.name for d in self.drugs]
        if len(set(drug_names)) != len(drug_names):
            msg = "drug names must be unique"
            raise InputError(msg, field="drugs")
        known = set(names)
        for t in self.types:
            for r in t.responses:
                if r.drug not in drug_names:
                    msg = (
                        f"type {t.name!r} responds to drug {r.drug!r}, which is not among the "
                        f"model's drugs ({', '.join(drug_names) or 'none'}); add it to drugs"
                    )
                    raise InputError(msg, field=f"types.{t.name}.drugs")
        for kind, edges in (("mutations", self.mutations), ("switches", self.switches)):
            for e in edges:
                for end in (e.source, e.target):
                    if end not in known:
                        msg = f"{kind} entry {e.source}->{e.target} names unknown type {end!r}; types are {', '.join(names)}"
                        raise InputError(msg, field=kind)
                if e.source == e.target:
                    msg = f"{kind} entry {e.source}->{e.target} goes from a type to itself"
                    raise InputError(msg, field=kind)
        for s in self.switches:
            for r in s.induced:
                if r.drug not in drug_names:
                    msg = f"switch {s.source}->{s.target} is induced by unknown drug {r.drug!r}"
                    raise InputError(msg, field="switches")
        total_mut = {}
        for m in self.mutations:
            total_mut[m.source] = total_mut.get(m.source, 0.0) + m.probability
        for src, p in total_mut.items():
            if p > 1.0:
                msg = f"mutation probabilities out of type {src!r} add up to {p} > 1"
                raise InputError(msg, field="mutations")
        if isinstance(self.capacity, Mapping):
            for name, value in self.capacity.items():
                if name not in known:
                    msg = f"capacity names unknown type {name!r}; types are {', '.join(names)}"
                    raise InputError(msg, field="capacity")
                _check_rate(value, f"capacity of {name!r}", allow_zero=False)
        elif self.capacity is not None:
            _check_rate(self.capacity, "capacity", allow_zero=False)
        for row, entries in (self.competition or {}).items():
            for col, value in entries.items():
                for end in (row, col):
                    if end not in known:
                        msg = f"competition names unknown type {end!r}; types are {', '.join(names)}"
                        raise InputError(msg, field="competition")
                _check_rate(value, f"competition {row}<-{col}")
        if self.competition and self.capacity is None:
            msg = "competition coefficients need a capacity"
            raise InputError(msg, field="competition")
        for name, count in self.initial.items():
            if name not in known:
                msg = f"initial population names unknown type {name!r}; types are {', '.join(names)}"
                raise InputError(msg, field="initial")
            if int(count) != count or count < 0:
                msg = f"initial count of {name!r} must be a whole number >= 0; got {count!r}"
                raise InputError(msg, field="initial")
            if count > MAX_CELLS:
                msg = (f"initial count of {name!r} is {count!r}, above the largest supported population "
                       f"{MAX_CELLS:g} cells (counts are 64-bit integers); rescale the model")
                raise InputError(msg, field="initial")
        object.__setattr__(self, "initial", {k: int(v) for k, v in self.initial.items()})

    # ------------------------------------------------------------------ helpers
    @cached_property
    def type_names(self) -> tuple[str, ...]:
        """Type names in index order."""
        return tuple(t.name for t in self.types)

    @cached_property
    def drug_names(self) -> tuple[str, ...]:
        """Drug names in the model's order."""
        return tuple(d.name for d in self.drugs)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.type_names)}

    def type_index(self, name: str) -> int:
        """Index of type ``name``."""
        try:
            return self._index[name]
        except KeyError:
            msg = f"unknown cell type {name!r}; types are {', '.join(self.type_names)}"
            raise InputError(msg, field="type") from None

    def initial_counts(self) -> np.ndarray:
        """Initial counts as an array indexed by type."""
        counts = np.zeros(len(self.types), dtype=np.int64)
        for name, n in self.initial.items():
            counts[self.type_index(name)] = n
        return counts

    def crowding(self) -> tuple[np.ndarray, np.ndarray]:
        """Capacity per type (0 = none) and the competition matrix ``a[k, j]``."""
        k = len(self.types)
        kcap = np.zeros(k)
        if isinstance(self.capacity, Mapping):
            for name, value in self.capacity.items():
                kcap[self.type_index(name)] = float(value)
        elif self.capacity is not None:
            kcap[:] = float(self.capacity)
        crowd = np.ones((k, k))
        for row, entries in (self.competition or {}).items():
            for col, value in entries.items():
                crowd[self.type_index(row), self.type_index(col)] = float(value)
        return kcap, crowd

    def rates(self, concentrations: Mapping[str, float] | None = None) -> Rates:
        """Rates of every type at the given drug concentrations (no capacity applied).

        Drug effects combine multiplicatively on birth (``b * prod(1 - E_birth)``) and
        additively on death (``d + sum(E_death)``); induced switching adds to the base rate.
        """
        conc = dict(concentrations or {})
        k = len(self.types)
        birth = np.empty(k)
        death = np.empty(k)
        strongest = self.combination == "max"
        for i, t in enumerate(self.types):
            keep, extra = 1.0, 0.0
            for r in t.responses:
                e = r.effect(conc.get(r.drug, 0.0))
                if r.target == "birth":
                    keep = min(keep, 1.0 - e) if strongest else keep * (1.0 - e)
                else:
                    extra = max(extra, e) if strongest else extra + e
            birth[i], death[i] = t.birth * keep, t.death + extra
        mutation = np.zeros((k, k))
        for m in self.mutations:
            mutation[self.type_index(m.source), self.type_index(m.target)] += m.probability
        switching = np.zeros((k, k))
        for s in self.switches:
            rate = s.rate + sum(r.effect(conc.get(r.drug, 0.0)) for r in s.induced)
            switching[self.type_index(s.source), self.type_index(s.target)] += rate
        return Rates(birth=birth, death=death, mutation=mutation, switching=switching)
