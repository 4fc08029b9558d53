"""One virtual patient: the simulation loop, dosing, strategies, stopping rules, results."""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from oncoresist._core.atomic import atomic_output_dir
from oncoresist._core.exceptions import InputError, OncoresistError
from oncoresist._core.provenance import Provenance
from oncoresist._core.rng import as_generator
from oncoresist.evolve._engines import make_engine
from oncoresist.evolve._kernels import STATUS_DONE, STATUS_EXTINCT, STATUS_STOP
from oncoresist.evolve._model import MAX_CELLS, Model, Rates

_EPS = 1e-12
MAX_RESTARTS = 1_000_000
NO_DETECTION_HORIZON = 1e8
# StopRules.max_size of the engines that count whole cells in int64 (hybrid, exact) when none
# is given; see StopRules for why this number
DEFAULT_MAX_SIZE = 1e15


# ---------------------------------------------------------------------------- dosing & strategies
@dataclass(frozen=True)
class Dosing:
    """What is given from one decision time to the next.

    Attributes
    ----------
    levels
        Per drug: the concentration for drugs without PK, the infusion rate (amount per time
        unit) for drugs with PK. Drugs not named get 0.
    boluses
        Per PK drug: an amount given at once at the start of the interval.
    duration
        Time until the next decision; None uses the simulation's ``decision_interval``.
    """

    levels: Mapping[str, float] = field(default_factory=dict)
    boluses: Mapping[str, float] = field(default_factory=dict)
    duration: float | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One past decision: when, what was seen, what was given."""

    time: float
    treatment_time: float
    sizes: Mapping[str, float]
    total: float
    dosing: Dosing


@dataclass(frozen=True)
class Observation:
    """What a strategy sees at a decision time.

    ``sizes`` are true cell counts per type; a strategy that models imperfect monitoring
    (imaging thresholds, ctDNA noise) derives its measurements from them.
    """

    time: float
    treatment_time: float
    sizes: Mapping[str, float]
    total: float
    concentrations: Mapping[str, float]
    history: tuple[HistoryEntry, ...]
    external: np.ndarray | None = None


Strategy = Callable[[Observation], "Dosing | Mapping[str, float]"]


@dataclass(frozen=True)
class Schedule:
    """Piecewise-constant dosing in treatment time, optionally repeated with a period.

    ``segments`` are ``(start, Dosing)`` pairs with increasing starts, the first at 0. A
    schedule is itself a strategy: it ignores observations and asks to be consulted again at
    its next change point, so pulses and breaks happen at their exact times.
    """

    segments: tuple[tuple[float, Dosing], ...]
    period: float | None = None

    def __post_init__(self) -> None:
        if not self.segments:
            msg = "a schedule needs at least one segment"
            raise InputError(msg, field="schedule")
        starts = [s for s, _ in self.segments]
        if starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
            msg = f"schedule segment starts must increase from 0; got {starts}"
            raise InputError(msg, field="schedule")
        if self.period is not None and self.period <= starts[-1]:
            msg = f"schedule period {self.period} must exceed the last segment start {starts[-1]}"
            raise InputError(msg, field="schedule.period")

    def __call__(self, observation: Observation) -> Dosing:
        tt = observation.treatment_time
        if self.period is not None:
            tt = math.fmod(tt, self.period)
            if self.period - tt < 1e-9:
                tt = 0.0
        index = 0
        for i, (start, _) in enumerate(self.segments):
            if start <= tt + 1e-9:
                index = i
        dosing = self.segments[index][1]
        if index + 1 < len(self.segments):
            until = self.segments[index + 1][0] - tt
        elif self.period is not None:
            until = self.period - tt
        else:
            until = math.inf  # the last segment lasts for ever
        # a bolus is given once, when its segment starts
        start = self.segments[index][0]
        boluses = dosing.boluses if abs(tt - start) < 1e-9 else {}
        return Dosing(levels=dosing.levels, boluses=boluses, duration=until)


def constant(levels: Mapping[str, float]) -> Schedule:
    """Constant exposure from the start of treatment.

    Examples
    --------
    >>> constant({"drug1": 1.0}).segments[0][1].levels["drug1"]
    1.0
    """
    return Schedule(((0.0, Dosing(levels=dict(levels))),))


# ---------------------------------------------------------------------------- couplings (TME hook)
class Coupling(Protocol):
    """External state integrated between the stochastic steps (e.g. ODE compartments).

    The simulation calls ``modify_rates`` at the start of every step (of length at most
    ``max_step``) with the external state and the per-type sizes, then advances the clones with
    the returned rates frozen, then calls ``advance`` to move the external state over the step.

    ``modify_rates`` also receives ``concentrations`` (drug -> concentration over the step, the
    same mapping the model's rates were computed from) when its signature accepts that keyword
    (or ``**kwargs``), so capacities and rates can depend on the state and on the drugs together.
    Couplings written without it keep working: the signature is inspected once per run.
    """

    max_step: float

    def initial_state(self, model: Model) -> np.ndarray: ...

    def modify_rates(
        self, rates: Rates, state: np.ndarray, *, sizes: np.ndarray, t: float,
        concentrations: Mapping[str, float] = ...,
    ) -> Rates: ...

    def advance(
        self, state: np.ndarray, *, sizes_start: np.ndarray, sizes_end: np.ndarray, t0: float, t1: float,
        concentrations: Mapping[str, float],
    ) -> np.ndarray: ...


# ---------------------------------------------------------------------------- stopping rules
@dataclass(frozen=True)
class StopRules:
    """When a simulated patient's story ends, and when treatment starts.

    Attributes
    ----------
    detection_size
        Treatment starts when the total first reaches this size ("detection" event). None:
        treatment (the strategy) starts at time 0.
    restart_if_extinct
        Before detection, a population that dies out is started again (so results are
        conditioned on the tumour reaching detection size, as in Iwasa et al. 2006 and
        Bozic et al. 2013). The number of attempts is reported.
    stop_at_detection
        End the run at detection (for questions about the tumour at detection).
    progression_size
        After treatment starts, the run ends with "progression" when the total of
        ``progression_types`` (all types if None) reaches this size, having been below it
        since treatment started (a burden that never falls below it runs to ``time_limit``).
    progression_rule
        Optional callable ``rule(observation) -> bool`` checked at every decision time after
        treatment start (e.g. a RECIST-like rise over nadir); True ends the run as progression.
    time_limit
        Longest time after treatment start (or after 0 without detection).
    max_time
        Longest time overall (bounds the pre-treatment growth too).
    thresholds
        Named size events that do not end the run: ``{"name": (types, size)}`` records
        ``events["name"]``, the first time the cells of ``types`` (a type name or a sequence
        of them) together reach ``size`` (at time 0 if they start there). The ``exact`` engine
        records the event time, ``ode`` the crossing found by event location, ``hybrid`` the
        end of the step in which the crossing happened (steps shrink as the size nears, as for
        detection). Watching a threshold cuts the stochastic steps there, so a run with
        thresholds uses its random numbers differently from one without (same law, other
        draws). Stored normalised as a tuple of ``(name, types, size)``. A restart before
        detection forgets the thresholds reached by the attempt that died out.
    max_size
        Largest total population (all types, cells): a run whose total reaches it ends at once
        with outcome ``"max_size"`` (event ``max_size``), in every phase (before detection too),
        whatever the other rules say; it takes precedence over everything but a progression
        reached in the same step. It is a guard, not a model of anything: the stochastic
        engines count cells in 64-bit integers, which overflow at 2**63 ~ 9.2e18 cells, and a
        supercritical run whose burden never falls below ``progression_size`` would otherwise
        grow until ``time_limit`` into that range. None (the default) means 1e15 cells
        (``DEFAULT_MAX_SIZE``) for the ``hybrid`` and ``exact`` engines and no bound for
        ``ode``, whose expected counts are floats and cannot overflow (projections scaled to
        large numbers keep working). 1e15 cells (about a kilogram of tissue, ~1e12 cells,
        times a thousand) is 100-1000 times a lethal tumour burden (1e12-1e13 cells), so no
        clinically meaningful run reaches it, and ~9,000 times below the overflow. A given
        value applies to every engine; values above 1e17 (``MAX_CELLS``) are refused with an
        ``InputError``, so that the last step before the stop (the hybrid engine shortens its
        steps as the size nears; expected growth of that step at most ``exp(0.05)``) stays
        far from overflow; ``detection_size``, ``progression_size`` and threshold sizes must
        not exceed it. The ``exact`` engine records the event time, ``ode`` the located
        crossing, ``hybrid`` the end of the step of the crossing (the total may then exceed
        ``max_size`` by that step's growth).
    """

    detection_size: float | None = None
    restart_if_extinct: bool = True
    stop_at_detection: bool = False
    progression_size: float | None = None
    progression_types: tuple[str, ...] | None = None
    progression_rule: Callable[[Observation], bool] | None = None
    time_limit: float = math.inf
    max_time: float = math.inf
    thresholds: Any = ()
    max_size: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "thresholds", _normalise_thresholds(self.thresholds))
        if self.max_size is not None:
            try:
                max_size = float(self.max_size)
            except (TypeError, ValueError):
                max_size = math.nan
            if not 0 < max_size <= MAX_CELLS:
                msg = (f"max_size must be a number of cells in (0, {MAX_CELLS:g}]; got {self.max_size!r}. Cell "
                       f"counts are 64-bit integers (overflow at ~9.2e18); lethal tumours hold 1e12-1e13 cells")
                raise InputError(msg, field="max_size")
            object.__setattr__(self, "max_size", max_size)
            self._check_below(max_size)

    def _check_below(self, max_size: float) -> None:
        sizes = [("detection_size", self.detection_size), ("progression_size", self.progression_size)]
        sizes += [(f"thresholds.{name}", size) for name, _types, size in self.thresholds]
        for name, value in sizes:
            if value is not None and value > max_size:
                msg = (f"{name} {value:g} exceeds max_size {max_size:g}, so it could never be reached; "
                       f"lower it or raise max_size (at most {MAX_CELLS:g})")
                raise InputError(msg, field=name)
        for name in ("detection_size", "progression_size"):
            value = getattr(self, name)
            if value is not None and not (value > 0):
                msg = f"{name} must be > 0; got {value}"
                raise InputError(msg, field=name)
        for name in ("time_limit", "max_time"):
            if not getattr(self, name) > 0:
                msg = f"{name} must be > 0; got {getattr(self, name)}"
                raise InputError(msg, field=name)


_BUILTIN_EVENTS = ("detection", "treatment_start", "extinction", "progression", "time_limit", "max_size")


def _normalise_thresholds(value: Any) -> tuple[tuple[str, tuple[str, ...], float], ...]:
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else [(v[0], (v[1], v[2])) for v in value]
    out = []
    for name, spec in items:
        where = f"thresholds.{name}"
        if not isinstance(name, str) or not name or name in _BUILTIN_EVENTS:
            msg = (f"threshold names must be non-empty strings other than {', '.join(_BUILTIN_EVENTS)}; "
                   f"got {name!r}")
            raise InputError(msg, field="thresholds")
        if not (isinstance(spec, Sequence) and not isinstance(spec, str) and len(spec) == 2):
            msg = f"{where} must be a pair (types, size), e.g. (['R'], 1e6); got {spec!r}"
            raise InputError(msg, field=where)
        types, size = spec
        types = (types,) if isinstance(types, str) else tuple(types)
        if not types or not all(isinstance(x, str) for x in types):
            msg = f"{where}: types must be a type name or a non-empty list of them; got {spec[0]!r}"
            raise InputError(msg, field=where)
        try:
            size = float(size)
        except (TypeError, ValueError):
            size = math.nan
        if not size > 0:
            msg = f"{where}: size must be a number > 0; got {spec[1]!r}"
            raise InputError(msg, field=where)
        out.append((name, types, size))
    names = [n for n, _, _ in out]
    if len(set(names)) != len(names):
        msg = f"threshold names must be unique; got {names}"
        raise InputError(msg, field="thresholds")
    return tuple(out)


# ---------------------------------------------------------------------------- result
@dataclass
class SimulationResult:
    """One simulated patient.

    Attributes
    ----------
    outcome
        ``"extinct"`` (eradicated after treatment start, or extinct without treatment),
        ``"progressed"``, ``"detected"`` (with ``stop_at_detection``), ``"time_limit"``,
        ``"max_size"`` (the total reached ``StopRules.max_size``).
    events
        Event name -> time: ``detection``, ``treatment_start``, ``extinction``,
        ``progression``, ``time_limit``, ``max_size``, and the named thresholds.
    sizes_at_detection, final_sizes
        Cells per type at detection (None if none) and at the end.
    attempts
        Growth attempts before detection (1 + restarts after early extinction).
    clone_table
        Rows (time, clone_id, parent_id, type, size) of every clone alive at each record time.
    clones
        One row per clone: clone_id, parent_id, type, born, lineage, compartment.
    totals
        Cells per type at each record time.
    dosing
        (time, drug, level, bolus) rows of every decision.
    """

    model_name: str
    type_names: tuple[str, ...]
    engine: str
    outcome: str
    events: dict[str, float]
    sizes_at_detection: dict[str, float] | None
    final_sizes: dict[str, float]
    attempts: int
    seed: int | None
    _rows: list = field(repr=False, default_factory=list)
    _totals: list = field(repr=False, default_factory=list)
    _records: dict = field(repr=False, default_factory=dict)
    _dosing: list = field(repr=False, default_factory=list)

    @property
    def n_clones(self) -> int:
        """Number of clone records (living and extinct)."""
        return int(len(self._records.get("clone_id", ())))

    @property
    def clone_table(self) -> pd.DataFrame:
        """Rows (time, clone_id, parent_id, type, size) at each record time."""
        columns = ["time", "clone_id", "parent_id", "type", "size"]
        blocks = [b for b in self._rows if len(b[1])]
        if not blocks:
            table = pd.DataFrame([], columns=columns)
        else:
            names = np.array(self.type_names, dtype=object)
            sizes = np.concatenate([b[4] for b in blocks])
            if sizes.dtype.kind == "f":  # the ode engine: expected counts as floats
                sizes = sizes.astype(np.float64)
            table = pd.DataFrame({
                "time": np.concatenate([np.full(len(b[1]), float(b[0])) for b in blocks]),
                "clone_id": np.concatenate([b[1] for b in blocks]).astype(np.int64),
                "parent_id": np.concatenate([b[2] for b in blocks]).astype(np.int64),
                "type": names[np.concatenate([b[3] for b in blocks]).astype(np.int64)],
                "size": sizes,
            })
        return table.drop_duplicates(subset=["time", "clone_id"], keep="last").reset_index(drop=True)

    @property
    def clones(self) -> pd.DataFrame:
        """One row per clone: clone_id, parent_id, type, born, lineage, compartment."""
        rec = self._records
        return pd.DataFrame(
            {
                "clone_id": rec["clone_id"],
                "parent_id": rec["parent_id"],
                "type": [self.type_names[int(k)] for k in rec["type"]],
                "born": rec["born"],
                "lineage": rec["lineage"],
                "compartment": rec["compartment"],
            }
        )

    @property
    def totals(self) -> pd.DataFrame:
        """Cells per type at each record time."""
        frame = pd.DataFrame(self._totals, columns=["time", *self.type_names])
        return frame.drop_duplicates("time", keep="last").reset_index(drop=True)

    @property
    def dosing(self) -> pd.DataFrame:
        """Every decision's dosing: time, drug, level, bolus."""
        return pd.DataFrame(self._dosing, columns=["time", "drug", "level", "bolus"])

    def to_frame(self) -> pd.DataFrame:
        """The clone table (time, clone_id, parent_id, type, size), for Muller plots."""
        return self.clone_table.copy()

    def totals_frame(self) -> pd.DataFrame:
        """Cells per type (columns) at each record time."""
        return self.totals.copy()

    def summary(self) -> dict[str, Any]:
        """Outcome, event times and sizes as plain values."""
        return {
            "model": self.model_name,
            "engine": self.engine,
            "outcome": self.outcome,
            "events": dict(self.events),
            "sizes_at_detection": self.sizes_at_detection,
            "final_sizes": self.final_sizes,
            "attempts": self.attempts,
            "n_clones": self.n_clones,
        }

    def write(self, path: str | Path, *, provenance: Provenance | None = None) -> Path:
        """Write ``clones.tsv``, ``clone_table.tsv``, ``totals.tsv``, ``dosing.tsv``,
        ``summary.json`` (with provenance) into the folder ``path``, atomically."""
        prov = provenance or Provenance.create("oncoresist.evolve.simulate", seed=self.seed)
        with atomic_output_dir(path) as tmp:
            self.clone_table.to_csv(tmp / "clone_table.tsv", sep="\t", index=False, lineterminator="\n",
                                    float_format="%.10g")
            self.clones.to_csv(tmp / "clones.tsv", sep="\t", index=False, lineterminator="\n")
            self.totals.to_csv(tmp / "totals.tsv", sep="\t", index=False, lineterminator="\n")
            self.dosing.to_csv(tmp / "dosing.tsv", sep="\t", index=False, lineterminator="\n")
            payload = {"result": _jsonable(self.summary()), "provenance": prov.to_dict()}
            (tmp / "summary.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
        return Path(path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return v if math.isfinite(v) else None
    return value


# ---------------------------------------------------------------------------- the loop
def _as_dosing(value: Any, drug_names: Sequence[str]) -> Dosing:
    if value is None:
        return Dosing()
    if isinstance(value, Dosing):
        dosing = value
    elif isinstance(value, Mapping):
        dosing = Dosing(levels=dict(value))
    else:
        msg = f"a strategy must return a Dosing or a mapping drug -> level; got {type(value).__name__}"
        raise InputError(msg, field="strategy")
    for name, level in list(dosing.levels.items()) + list(dosing.boluses.items()):
        if name not in drug_names:
            msg = f"strategy doses unknown drug {name!r}; the model's drugs are {', '.join(drug_names) or 'none'}"
            raise InputError(msg, field="strategy")
        if not (float(level) >= 0 and math.isfinite(float(level))):
            msg = f"dose of {name!r} must be a finite number >= 0; got {level!r}"
            raise InputError(msg, field="strategy")
    if dosing.duration is not None and not dosing.duration > 0:
        msg = f"dosing duration must be > 0; got {dosing.duration}"
        raise InputError(msg, field="strategy")
    return dosing


class _Recorder:
    def __init__(self, type_names: Sequence[str]):
        self.type_names = list(type_names)
        self.rows: list[tuple] = []
        self.totals: list[list] = []

    def take(self, t: float, state) -> None:
        # one block of arrays per record time; rows are made only when the clone table is asked for
        if hasattr(state, "alive_rows"):
            cid, par, typ, size = state.alive_rows()
        else:
            rec = state.records()
            alive = rec["size"] > 0
            cid, par, typ, size = rec["clone_id"][alive], rec["parent_id"][alive], rec["type"][alive], rec["size"][alive]
        self.rows.append((t, cid, par, typ, size))
        self.totals.append([t, *state.type_sizes().tolist()])

    def clear(self) -> None:
        self.rows.clear()
        self.totals.clear()


def simulate(
    model: Model,
    strategy: Strategy | None = None,
    *,
    engine: str = "hybrid",
    stop: StopRules | None = None,
    decision_interval: float = 7.0,
    record_interval: float | None = None,
    pk_step: float | None = None,
    coupling: Coupling | None = None,
    engine_options: Mapping[str, Any] | None = None,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> SimulationResult:
    """Simulate one patient.

    Parameters
    ----------
    model
        The model.
    strategy
        Called at every decision time from treatment start with an :class:`Observation`;
        returns the :class:`Dosing` (or a mapping drug -> level) until the next decision.
        None: no drug.
    engine
        ``"hybrid"`` (default), ``"exact"`` or ``"ode"``.
    stop
        Detection, progression, extinction and time limits (:class:`StopRules`).
    decision_interval
        Time between decisions when the strategy does not say.
    record_interval
        Clone table snapshots every this much time (always at start, detection, end).
    pk_step
        Longest step over which PK concentrations are held at their interval mean
        (default: a tenth of the shortest half-life).
    coupling
        External state integrated between steps; it can modify the rates (see
        :class:`Coupling`).
    engine_options
        Options of the engine (hybrid: ``exact_threshold``, ``max_step``, ``growth_tol``).
    rng
        Seed or Generator.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from oncoresist.evolve import CellType, Model, simulate, StopRules
    >>> m = Model(types=(CellType("S", 1.0, 0.0),), initial={"S": 10})
    >>> r = simulate(m, stop=StopRules(time_limit=1.0), rng=1)
    >>> r.outcome, r.final_sizes["S"] > 10
    ('time_limit', True)
    """
    stop = stop or StopRules()
    if not decision_interval > 0:
        msg = f"decision_interval must be > 0; got {decision_interval}"
        raise InputError(msg, field="decision_interval")
    if record_interval is not None and not record_interval > 0:
        msg = f"record_interval must be > 0; got {record_interval}"
        raise InputError(msg, field="record_interval")
    eng = make_engine(engine, **dict(engine_options or {}))
    gen = as_generator(rng)
    names = model.type_names
    drug_names = model.drug_names
    pk = {d.name: d.pk for d in model.drugs if d.pk is not None}
    if pk_step is None:
        pk_step = min((0.1 * math.log(2) / p.elimination_rate for p in pk.values()), default=math.inf)
    counts = model.initial_counts()
    if counts.sum() == 0:
        msg = "the initial population is empty; give at least one cell in initial"
        raise InputError(msg, field="initial")
    # the int64 guard (see StopRules.max_size); the ode engine's float counts need none by default
    if stop.max_size is not None:
        max_size = stop.max_size
    else:
        max_size = DEFAULT_MAX_SIZE if eng.stochastic else math.inf
        stop._check_below(max_size)
    if counts.sum() >= max_size:
        msg = (f"the initial population ({int(counts.sum()):d} cells) already reaches stop.max_size "
               f"({max_size:g}); raise max_size (at most {MAX_CELLS:g}) or start smaller")
        raise InputError(msg, field="max_size")
    all_mask = np.ones(len(names), dtype=np.bool_)
    if stop.progression_types is None:
        prog_mask = all_mask
    else:
        prog_mask = np.zeros(len(names), dtype=np.bool_)
        for name in stop.progression_types:
            prog_mask[model.type_index(name)] = True

    # named thresholds: one stopping criterion each until reached
    threshold_masks = []
    for name, types, _size in stop.thresholds:
        tmask = np.zeros(len(names), dtype=np.bool_)
        for tname in types:
            if tname not in names:
                msg = f"threshold {name!r} names unknown type {tname!r}; the model's types are {', '.join(names)}"
                raise InputError(msg, field=f"thresholds.{name}")
            tmask[model.type_index(tname)] = True
        threshold_masks.append(tmask)
    pending = list(range(len(stop.thresholds)))
    mask_cache: dict[tuple, np.ndarray] = {}

    crowding = model.crowding()
    state = eng.init(counts)
    recorder = _Recorder(names)
    external = coupling.initial_state(model) if coupling is not None else None
    coupling_takes_conc = coupling is not None and _accepts_keyword(coupling.modify_rates, "concentrations")
    t = 0.0
    treating = stop.detection_size is None
    t_treat0 = 0.0 if treating else math.nan
    conc = dict.fromkeys(drug_names, 0.0)
    infusion = dict.fromkeys(drug_names, 0.0)
    next_decision = 0.0 if treating else math.inf
    next_record = record_interval if record_interval else math.inf
    history: list[HistoryEntry] = []
    rate_cache: dict[tuple, Rates] = {}
    dosing_rows: list[tuple] = []
    events: dict[str, float] = {}
    if treating:
        events["treatment_start"] = 0.0
    sizes_at_detection = None
    attempts = 1
    outcome = "time_limit"
    # progression is a return to progression_size: it counts once the burden has been below it
    armed = False
    recorder.take(t, state)

    def sizes_dict() -> dict[str, float]:
        return {n: _num(v) for n, v in zip(names, state.type_sizes(), strict=True)}

    while True:
        if treating and t >= next_decision - _EPS:
            sizes = sizes_dict()
            obs = Observation(
                time=t, treatment_time=t - t_treat0, sizes=sizes, total=float(sum(sizes.values())),
                concentrations=dict(conc), history=tuple(history), external=external,
            )
            if stop.progression_rule is not None and history and stop.progression_rule(obs):
                events["progression"] = t
                outcome = "progressed"
                break
            dosing = _as_dosing(strategy(obs) if strategy is not None else None, drug_names)
            for name in drug_names:
                level = float(dosing.levels.get(name, 0.0))
                if name in pk:
                    infusion[name] = level
                    conc[name] += float(dosing.boluses.get(name, 0.0)) / pk[name].volume
                else:
                    if dosing.boluses.get(name):
                        msg = f"drug {name!r} has no PK model, so it cannot take a bolus; give a level"
                        raise InputError(msg, field="strategy")
                    conc[name] = level
                dosing_rows.append((t, name, level, float(dosing.boluses.get(name, 0.0))))
            history.append(HistoryEntry(t, t - t_treat0, sizes, obs.total, dosing))
            if strategy is None:
                wait = math.inf  # nothing to decide
            else:
                wait = dosing.duration if dosing.duration is not None else decision_interval
            if stop.progression_rule is not None:
                wait = min(wait, decision_interval)  # the rule is checked at decision times
            next_decision = t + wait
        t_limit = min(stop.max_time, t_treat0 + stop.time_limit) if treating else stop.max_time
        seg_end = min(next_decision, next_record, t_limit)
        if treating and not armed and stop.progression_size is not None:
            seg_end = min(seg_end, t + decision_interval)  # look again for the fall below
        if any(conc[d] > 0 or infusion[d] > 0 for d in pk):
            seg_end = min(seg_end, t + pk_step)
        if coupling is not None:
            seg_end = min(seg_end, t + coupling.max_step)
        if not math.isfinite(seg_end):
            if t > NO_DETECTION_HORIZON:
                msg = (f"nothing ended the run by time {t:g} (no extinction, detection or progression) "
                       "and there is no time limit; set stop.time_limit or stop.max_time")
                raise InputError(msg, field="stop")
            seg_end = t + 1e6  # no clock-driven stop: advance in long stretches
        effective = dict(conc)
        for d, p in pk.items():
            effective[d] = p.mean_concentration(conc[d], infusion[d], seg_end - t)
        key = tuple(effective.values())
        rates = rate_cache.get(key)
        if rates is None:
            rates = rate_cache[key] = model.rates(effective)
        sizes_start = state.type_sizes()
        if coupling is not None:
            if coupling_takes_conc:
                rates = coupling.modify_rates(rates, external, sizes=sizes_start, t=t, concentrations=effective)
            else:
                rates = coupling.modify_rates(rates, external, sizes=sizes_start, t=t)
        if treating:
            if not armed and stop.progression_size is not None:
                armed = float(sizes_start[prog_mask].sum()) < stop.progression_size
            stop_above = stop.progression_size if (armed and stop.progression_size is not None) else math.inf
            mask = prog_mask
        else:
            stop_above, mask = float(stop.detection_size), all_mask
        # stopping criteria in the engines' form: the run's own stop first, then pending thresholds
        mask_key = (treating, tuple(pending))
        stop_masks = mask_cache.get(mask_key)
        if stop_masks is None:
            stop_masks = mask_cache[mask_key] = np.vstack([mask, all_mask] + [threshold_masks[i] for i in pending])
        stop_sizes = np.array([stop_above, max_size, *(stop.thresholds[i][2] for i in pending)],
                              dtype=np.float64)
        t_new, status = eng.advance(
            state, rates, t, seg_end, crowding=crowding, stop_above=stop_sizes, stop_mask=stop_masks, rng=gen
        )
        for d, p in pk.items():
            conc[d] = p.concentration(conc[d], infusion[d], t_new - t)
            if infusion[d] == 0.0 and conc[d] < 1e-12:
                conc[d] = 0.0  # washed out: stop sub-stepping for PK
        if coupling is not None:
            external = coupling.advance(
                external, sizes_start=sizes_start, sizes_end=state.type_sizes(), t0=t, t1=t_new,
                concentrations=effective,
            )
        t = t_new
        too_big = False
        if status == STATUS_STOP:
            crossed = eng.crossed
            for i, hit in zip(list(pending), crossed[2:], strict=True):
                if hit:
                    events[stop.thresholds[i][0]] = t
                    pending.remove(i)
            too_big = bool(crossed[1])
            if too_big:
                events["max_size"] = t
            if not crossed[0]:
                # only max_size or thresholds: the run ends at max_size, goes on from here otherwise
                status = STATUS_DONE
        if status == STATUS_EXTINCT:
            if not treating and stop.restart_if_extinct:
                for name, _types, _size in stop.thresholds:
                    events.pop(name, None)
                pending = list(range(len(stop.thresholds)))
                attempts += 1
                if attempts > MAX_RESTARTS:
                    msg = f"the population died out {MAX_RESTARTS} times before detection; check the rates"
                    raise OncoresistError(msg)
                state = eng.init(counts)
                recorder.clear()
                t = 0.0
                next_record = record_interval if record_interval else math.inf
                external = coupling.initial_state(model) if coupling is not None else None
                recorder.take(t, state)
                continue
            events["extinction"] = t
            outcome = "extinct"
            break
        if status == STATUS_STOP:
            if not treating:
                events["detection"] = t
                events["treatment_start"] = t
                sizes_at_detection = sizes_dict()
                recorder.take(t, state)
                if stop.stop_at_detection:
                    outcome = "detected"
                    break
                if too_big:
                    outcome = "max_size"
                    break
                treating = True
                t_treat0 = t
                next_decision = t
                continue
            events["progression"] = t
            outcome = "progressed"
            break
        if too_big:
            outcome = "max_size"
            break
        if t >= t_limit - _EPS:
            events["time_limit"] = t
            outcome = "time_limit"
            break
        if t >= next_record - _EPS:
            recorder.take(t, state)
            next_record += record_interval
    recorder.take(t, state)
    seed = int(rng) if isinstance(rng, int | np.integer) and not isinstance(rng, bool) else None
    return SimulationResult(
        model_name=model.name, type_names=names, engine=eng.name, outcome=outcome, events=events,
        sizes_at_detection=sizes_at_detection, final_sizes=sizes_dict(), attempts=attempts, seed=seed,
        _rows=recorder.rows, _totals=recorder.totals, _records=state.records(), _dosing=dosing_rows,
    )


def _accepts_keyword(func: Callable, name: str) -> bool:
    """Whether ``func`` takes the keyword ``name`` (by name or through ``**kwargs``)."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: call the old way
        return False
    return any(p.name == name and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) or p.kind == p.VAR_KEYWORD
               for p in params)


def _num(value: Any) -> float:
    return int(value) if isinstance(value, np.integer) else float(value)
