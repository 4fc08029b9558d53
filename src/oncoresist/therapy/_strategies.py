"""Treatment strategies: what to give, decided at decision times from what the clinic can see.

A :class:`Strategy` is a frozen, picklable description (a specification). For each virtual
patient :func:`controller` turns it into a :class:`Controller`, a callable with the simulator's
strategy signature (``Observation -> Dosing``) that owns the patient's monitoring record and
random stream. The same controller also answers the simulator's ``progression_rule``, so a run
ends when the strategy has no answer left to progression (treatment failure).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oncoresist._core.exceptions import InputError
from oncoresist.evolve import Dosing, Observation
from oncoresist.therapy._monitoring import Monitoring, ProgressionRule

_EPS = 1e-9


def _levels(value: Mapping[str, float], where: str) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        msg = f"{where} must be a non-empty mapping drug -> level; got {value!r}"
        raise InputError(msg, field=where)
    out = {}
    for drug, level in value.items():
        try:
            number = float(level)
        except (TypeError, ValueError):
            number = math.nan
        if not (number >= 0 and math.isfinite(number)):
            msg = f"{where}.{drug} must be a finite dose level >= 0; got {level!r}"
            raise InputError(msg, field=f"{where}.{drug}")
        out[str(drug)] = number
    return out


def _duration(value: float, where: str, *, allow_inf: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not number > 0 or (math.isinf(number) and not allow_inf):
        msg = f"{where} must be a positive time (days); got {value!r}"
        raise InputError(msg, field=where)
    return number


# ----------------------------------------------------------------------------- patient state
@dataclass
class PatientState:
    """What a strategy knows about one patient at a decision time (from monitoring only).

    Times are treatment times (days since treatment start).
    """

    time: float = 0.0
    scans: list[tuple[float, float]] = field(default_factory=list)
    ctdna: list[tuple[float, float]] = field(default_factory=list)
    baseline: float = math.nan
    threshold: float = 0.0
    line: int = 0
    line_start: float = 0.0
    levels: dict[str, float] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    new_scan: bool = False
    new_ctdna: bool = False
    progressions: list[float] = field(default_factory=list)
    switches: list[float] = field(default_factory=list)
    failed: bool = False
    failure_reason: str = ""

    @property
    def last_scan(self) -> float:
        """The latest scan value (0: not seen; NaN: none yet)."""
        return self.scans[-1][1] if self.scans else math.nan

    def line_scans(self) -> list[tuple[float, float]]:
        """Scans since the current line of therapy started."""
        return [(t, v) for t, v in self.scans if t >= self.line_start - _EPS]

    def line_ctdna(self) -> list[tuple[float, float]]:
        """ctDNA samples since the current line started."""
        return [(t, v) for t, v in self.ctdna if t >= self.line_start - _EPS]

    def switch_line(self) -> None:
        """Move to the next line of therapy (new nadir from now)."""
        self.line += 1
        self.line_start = self.time
        self.switches.append(self.time)


# ----------------------------------------------------------------------------- strategies
class Strategy:
    """Base of every strategy: override :meth:`decide`, and where needed the other hooks."""

    name: str = "strategy"

    def drugs(self) -> set[str]:
        """Drugs the strategy may give (checked against the model)."""
        return set()

    def decide(self, state: PatientState) -> dict[str, float]:
        """Levels from now until the next decision."""
        raise NotImplementedError

    def on_progression(self, state: PatientState) -> bool:
        """Called when imaging shows progression; True if the strategy carries on (switches)."""
        return False

    def tolerated(self, state: PatientState) -> float:
        """Burden the strategy lets the tumour regrow to on purpose (adaptive therapy)."""
        return 0.0

    def next_change(self, state: PatientState) -> float:
        """Treatment time of the strategy's next scheduled change (inf: none)."""
        return math.inf


@dataclass(frozen=True)
class Continuous(Strategy):
    """One drug at a constant level until progression.

    Examples
    --------
    >>> Continuous("osimertinib").decide(PatientState())
    {'osimertinib': 1.0}
    """

    drug: str
    level: float = 1.0

    def __post_init__(self) -> None:
        _levels({self.drug: self.level}, "level")

    def drugs(self) -> set[str]:
        return {self.drug}

    def decide(self, state: PatientState) -> dict[str, float]:
        return {self.drug: float(self.level)}


@dataclass(frozen=True)
class Combination(Strategy):
    """Several drugs together from the start (upfront combination) until progression."""

    levels: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", _levels(self.levels, "drugs"))

    def drugs(self) -> set[str]:
        return set(self.levels)

    def decide(self, state: PatientState) -> dict[str, float]:
        return dict(self.levels)


@dataclass(frozen=True)
class Sequential(Strategy):
    """Lines of therapy one after the other.

    ``switch`` says when to move to the next line: ``"progression"`` (imaging shows
    progression), ``"ctdna"`` (a ctDNA sample of the marker types reaches ``ctdna_threshold``
    copies, or imaging progression, whichever first) or ``"time"`` (every ``after`` days).
    Progression on the last line is treatment failure.
    """

    lines: tuple[Mapping[str, float], ...]
    switch: str = "progression"
    after: float | None = None
    ctdna_threshold: float = 1.0

    def __post_init__(self) -> None:
        lines = tuple(_levels(line, f"lines[{i}]") for i, line in enumerate(self.lines))
        if len(lines) < 2:
            msg = f"a sequential strategy needs at least 2 lines of therapy; got {len(lines)}"
            raise InputError(msg, field="lines")
        object.__setattr__(self, "lines", lines)
        if self.switch not in ("progression", "ctdna", "time"):
            msg = f"switch must be 'progression', 'ctdna' or 'time'; got {self.switch!r}"
            raise InputError(msg, field="switch")
        if self.switch == "time":
            if self.after is None:
                msg = "switch: time needs 'after' (days on each line before switching)"
                raise InputError(msg, field="after")
            _duration(self.after, "after")
        if self.switch == "ctdna" and not self.ctdna_threshold > 0:
            msg = f"ctdna_threshold must be > 0 copies; got {self.ctdna_threshold!r}"
            raise InputError(msg, field="ctdna_threshold")

    def drugs(self) -> set[str]:
        return set().union(*(set(line) for line in self.lines))

    def _last(self, state: PatientState) -> bool:
        return state.line >= len(self.lines) - 1

    def decide(self, state: PatientState) -> dict[str, float]:
        if not self._last(state):
            if self.switch == "time" and state.time >= state.line_start + float(self.after) - _EPS:
                state.switch_line()
            elif self.switch == "ctdna" and state.new_ctdna and state.ctdna[-1][1] >= self.ctdna_threshold:
                state.switch_line()
        return dict(self.lines[state.line])

    def on_progression(self, state: PatientState) -> bool:
        if self._last(state):
            return False
        state.switch_line()
        return True

    def next_change(self, state: PatientState) -> float:
        if self.switch == "time" and not self._last(state):
            return state.line_start + float(self.after)
        return math.inf


@dataclass(frozen=True)
class Intermittent(Strategy):
    """On/off cycles: ``on`` days of treatment then ``off`` days without, repeated."""

    levels: Mapping[str, float]
    on: float
    off: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", _levels(self.levels, "drugs"))
        _duration(self.on, "on")
        _duration(self.off, "off")

    def drugs(self) -> set[str]:
        return set(self.levels)

    def _phase(self, t: float) -> float:
        return math.fmod(t + _EPS, self.on + self.off) - _EPS

    def decide(self, state: PatientState) -> dict[str, float]:
        return dict(self.levels) if self._phase(state.time) < self.on - _EPS else {}

    def next_change(self, state: PatientState) -> float:
        phase = self._phase(state.time)
        start = state.time - phase
        return start + (self.on if phase < self.on - _EPS else self.on + self.off)


@dataclass(frozen=True)
class Alternating(Strategy):
    """Regimens in turn, each for ``period`` days, cycling until progression."""

    lines: tuple[Mapping[str, float], ...]
    period: float

    def __post_init__(self) -> None:
        lines = tuple(_levels(line, f"lines[{i}]") for i, line in enumerate(self.lines))
        if len(lines) < 2:
            msg = f"an alternating strategy needs at least 2 regimens; got {len(lines)}"
            raise InputError(msg, field="lines")
        object.__setattr__(self, "lines", lines)
        _duration(self.period, "period")

    def drugs(self) -> set[str]:
        return set().union(*(set(line) for line in self.lines))

    def decide(self, state: PatientState) -> dict[str, float]:
        index = int(math.floor((state.time + _EPS) / self.period)) % len(self.lines)
        return dict(self.lines[index])

    def next_change(self, state: PatientState) -> float:
        return (math.floor((state.time + _EPS) / self.period) + 1) * self.period


@dataclass(frozen=True)
class Adaptive(Strategy):
    """Adaptive therapy of Zhang et al. (2017) Nat Commun 8:1816.

    Treat until the burden falls below ``stop_fraction`` of its pre-treatment level (the
    first scan), then stop; restart when it returns to ``restart_fraction`` of it.
    Progression is judged above the restart level (the regrowth it tolerates).
    """

    levels: Mapping[str, float]
    stop_fraction: float = 0.5
    restart_fraction: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", _levels(self.levels, "drugs"))
        if not 0 < self.stop_fraction < self.restart_fraction:
            msg = (f"adaptive therapy needs 0 < stop_fraction < restart_fraction; got "
                   f"stop_fraction={self.stop_fraction}, restart_fraction={self.restart_fraction}")
            raise InputError(msg, field="stop_fraction")

    def drugs(self) -> set[str]:
        return set(self.levels)

    def decide(self, state: PatientState) -> dict[str, float]:
        on = state.memory.setdefault("on", True)
        if state.new_scan and math.isfinite(state.baseline):
            value = max(state.last_scan, 0.0)
            if on and value <= self.stop_fraction * state.baseline:
                on = False
            elif not on and value >= self.restart_fraction * state.baseline:
                on = True
            state.memory["on"] = on
        return dict(self.levels) if on else {}

    def tolerated(self, state: PatientState) -> float:
        return self.restart_fraction * state.baseline if math.isfinite(state.baseline) else 0.0


@dataclass(frozen=True)
class DoseModulation(Strategy):
    """Dose-modulation adaptive therapy after Gatenby et al. (2009) Cancer Res 69:4894.

    At each scan the dose moves with the tumour: up by ``step`` (a fraction) when the burden rose
    by more than ``change`` since the previous scan, down by ``step`` when it fell by more than
    ``change``, between ``min_level`` and ``max_level``; no drug while the burden is below
    ``holiday_fraction`` of the pre-treatment burden (0 disables holidays).
    """

    drug: str
    initial: float = 1.0
    step: float = 0.5
    change: float = 0.2
    min_level: float = 0.1
    max_level: float = 1.0
    holiday_fraction: float = 0.0

    def __post_init__(self) -> None:
        _levels({self.drug: self.initial}, "initial")
        if not 0 < self.step < 1:
            msg = f"step must be a fraction in (0, 1); got {self.step!r}"
            raise InputError(msg, field="step")
        if not 0 <= self.change:
            msg = f"change must be >= 0; got {self.change!r}"
            raise InputError(msg, field="change")
        if not 0 <= self.min_level <= self.initial <= self.max_level:
            msg = (f"dose levels must satisfy 0 <= min_level <= initial <= max_level; got "
                   f"{self.min_level}, {self.initial}, {self.max_level}")
            raise InputError(msg, field="min_level")

    def drugs(self) -> set[str]:
        return {self.drug}

    def decide(self, state: PatientState) -> dict[str, float]:
        level = state.memory.setdefault("level", float(self.initial))
        scans = state.scans
        if state.new_scan and len(scans) >= 2:
            prev = max(scans[-2][1], state.threshold)
            now = max(scans[-1][1], state.threshold)
            if now > prev * (1 + self.change):
                level = min(self.max_level, level * (1 + self.step))
            elif now < prev * (1 - self.change):
                level = max(self.min_level, level * (1 - self.step))
            state.memory["level"] = level
        if (self.holiday_fraction > 0 and math.isfinite(state.baseline)
                and state.scans and state.last_scan < self.holiday_fraction * state.baseline):
            return {}
        return {self.drug: level}

    def tolerated(self, state: PatientState) -> float:
        return state.baseline if (self.holiday_fraction > 0 and math.isfinite(state.baseline)) else 0.0


@dataclass(frozen=True)
class Custom(Strategy):
    """Any user function with the simulator's strategy signature.

    ``function(observation) -> Dosing | Mapping[str, float]`` receives the simulator's
    :class:`~oncoresist.evolve.Observation` (true cell counts). Progression on imaging is
    treatment failure. The function must be picklable (module level) for process pools.
    """

    function: Callable[[Observation], Any]
    drug_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not callable(self.function):
            msg = f"a custom strategy needs a callable; got {type(self.function).__name__}"
            raise InputError(msg, field="function")

    def drugs(self) -> set[str]:
        return set(self.drug_names)

    def decide(self, state: PatientState) -> dict[str, float]:  # pragma: no cover - routed by Controller
        raise NotImplementedError


# ----------------------------------------------------------------------------- the controller
class Controller:
    """One patient's strategy at work: monitoring, progression, decisions.

    It is the ``strategy`` passed to :func:`oncoresist.evolve.simulate`; its
    :meth:`progression_rule` is the ``StopRules.progression_rule``.
    """

    def __init__(self, strategy: Strategy, monitoring: Monitoring, progression: ProgressionRule,
                 marker_types: Sequence[str], rng: np.random.Generator, *, max_burden: float = math.inf):
        self.strategy = strategy
        self.monitoring = monitoring
        self.progression = progression
        self.marker_types = tuple(marker_types)
        self.rng = rng
        self.max_burden = max_burden
        self.state = PatientState(threshold=monitoring.imaging.threshold)
        self._seen: float | None = None
        self._next_scan = 0.0
        self._next_ctdna = 0.0 if monitoring.ctdna is not None else math.inf
        self._dosing: Dosing | None = None

    # monitoring and progression ---------------------------------------------------------
    def _update(self, obs: Observation) -> None:
        if self._seen is not None and abs(obs.treatment_time - self._seen) < _EPS:
            return
        self._seen = obs.treatment_time
        state = self.state
        state.time = t = float(obs.treatment_time)
        state.new_scan = state.new_ctdna = False
        if obs.total >= self.max_burden:
            state.failed, state.failure_reason = True, "burden above max_burden"
            return
        if t >= self._next_scan - _EPS:
            value = self.monitoring.imaging.measure(obs.total, self.rng)
            line_before = state.line_scans()
            state.scans.append((t, value))
            state.new_scan = True
            self._next_scan = t + self.monitoring.imaging.interval
            if not math.isfinite(state.baseline):
                state.baseline = value if value > 0 else state.threshold
            elif self._progressed(value, line_before):
                state.progressions.append(t)
                if not self.strategy.on_progression(state):
                    state.failed, state.failure_reason = True, "progression"
        ctdna = self.monitoring.ctdna
        if ctdna is not None and t >= self._next_ctdna - _EPS:
            state.ctdna.append((t, ctdna.measure(obs.sizes, self.marker_types, self.rng)))
            state.new_ctdna = True
            self._next_ctdna = t + ctdna.interval

    def _progressed(self, value: float, line_scans: list[tuple[float, float]]) -> bool:
        if value <= 0 or not line_scans:
            return False
        if self.progression.reference == "baseline":
            reference = self.state.baseline
        else:
            reference = min(max(v, self.state.threshold) for _, v in line_scans)
        reference = max(reference, self.strategy.tolerated(self.state))
        return value >= self.progression.factor() * reference

    def progression_rule(self, obs: Observation) -> bool:
        """True when the strategy has failed (the simulator then ends the run)."""
        self._update(obs)
        return self.state.failed

    # decisions ----------------------------------------------------------------------------
    def __call__(self, obs: Observation) -> Dosing:
        self._update(obs)
        state = self.state
        if isinstance(self.strategy, Custom):
            value = self.strategy.function(obs)
            levels = dict(value.levels) if isinstance(value, Dosing) else dict(value or {})
        else:
            levels = self.strategy.decide(state)
        state.levels = levels
        t = state.time
        until = min(self._next_scan, self._next_ctdna, self.strategy.next_change(state))
        duration = until - t if until > t + _EPS else None
        return Dosing(levels=levels, duration=duration)


def controller(strategy: Strategy | Callable, monitoring: Monitoring | None = None,
               rng: np.random.Generator | int | None = None, *,
               progression: ProgressionRule | None = None, marker_types: Sequence[str] = (),
               max_burden: float = math.inf) -> Controller:
    """A fresh per-patient :class:`Controller` for ``strategy``.

    Parameters
    ----------
    strategy
        A :class:`Strategy`, or any callable ``f(observation) -> Dosing | mapping`` (wrapped
        in :class:`Custom`).
    monitoring
        Imaging and ctDNA plan (default: imaging every 8 weeks, threshold 1e9 cells).
    rng
        The patient's monitoring random stream (measurement noise).
    progression
        The RECIST-like rule (default 20% over nadir).
    marker_types
        Cell types seen by ctDNA (the resistant ones).
    max_burden
        Burden at which the run ends as failure whatever the scans say.

    Returns
    -------
    Controller

    Examples
    --------
    >>> from oncoresist.evolve import Observation
    >>> c = controller(Continuous("drug1"), rng=1)
    >>> obs = Observation(time=0.0, treatment_time=0.0, sizes={"S": 2e9}, total=2e9,
    ...                   concentrations={}, history=())
    >>> d = c(obs)
    >>> d.levels, d.duration
    ({'drug1': 1.0}, 56.0)
    """
    from oncoresist._core.rng import as_generator

    if not isinstance(strategy, Strategy):
        strategy = as_strategy(strategy)
    return Controller(strategy, monitoring or Monitoring(), progression or ProgressionRule(),
                      marker_types, as_generator(rng), max_burden=max_burden)


def as_strategy(value: Any) -> Strategy:
    """A :class:`Strategy` from a Strategy or a user callable (wrapped in :class:`Custom`)."""
    if isinstance(value, Strategy):
        return value
    if callable(value) and not inspect.isclass(value):
        return Custom(value)
    msg = f"a strategy must be a therapy Strategy or a callable(observation); got {type(value).__name__}"
    raise InputError(msg, field="strategies")
