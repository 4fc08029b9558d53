"""Therapy scenario files (YAML): a model, strategies, monitoring and outcome settings.

Every message names the file, the line and the field, says what was expected and what was found.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oncoresist._core.exceptions import InputError
from oncoresist._core.yamldoc import YamlDocument, load_yaml_document
from oncoresist.evolve import StopRules, load_scenario
from oncoresist.therapy._compare import Settings, _check
from oncoresist.therapy._monitoring import CtDNA, Imaging, Monitoring, ProgressionRule
from oncoresist.therapy._strategies import (
    Adaptive,
    Alternating,
    Combination,
    Continuous,
    DoseModulation,
    Intermittent,
    Sequential,
    Strategy,
)

_TOP = {"name", "description", "model", "patients", "seed", "monitoring", "progression", "outcome", "stop",
        "prices", "simulation", "strategies", "reference"}

_KINDS: dict[str, tuple[Callable[..., Strategy], dict[str, str]]] = {
    # type -> (class, yaml field -> constructor argument)
    "continuous": (Continuous, {"drug": "drug", "level": "level"}),
    "combination": (Combination, {"drugs": "levels"}),
    "sequential": (Sequential, {"lines": "lines", "switch": "switch", "after": "after",
                                "ctdna_threshold": "ctdna_threshold"}),
    "intermittent": (Intermittent, {"drugs": "levels", "on": "on", "off": "off"}),
    "alternating": (Alternating, {"lines": "lines", "period": "period"}),
    "adaptive": (Adaptive, {"drugs": "levels", "stop_fraction": "stop_fraction",
                            "restart_fraction": "restart_fraction"}),
    "dose_modulation": (DoseModulation, {"drug": "drug", "initial": "initial", "step": "step", "change": "change",
                                         "min_level": "min_level", "max_level": "max_level",
                                         "holiday_fraction": "holiday_fraction"}),
}


@dataclass
class TherapyScenario:
    """A therapy scenario: model, strategies and settings, ready for :func:`compare`."""

    name: str
    model: Any
    strategies: dict[str, Strategy]
    settings: Settings
    patients: int = 100
    seed: int = 1
    path: str | None = None
    reference: dict[str, Any] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)


class _Doc(YamlDocument):
    """A scenario file: plain data with the line of every field (at its key), and typed getters.

    Keys are kept as written, so YAML 1.1 does not read 'on'/'off' (intermittent cycles) as booleans.
    """

    @classmethod
    def load(cls, path: Path) -> _Doc:
        return load_yaml_document(path, what="scenario file", empty_hint="it needs 'model' and 'strategies'",
                                  document_type=cls)

    def number(self, value: Any, where: str, *, strict: bool = False, allow_inf: bool = False) -> float:
        if isinstance(value, str):
            try:
                value = float(value)  # YAML 1.1 reads 1e9 (no dot) as a string
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, f"expected a number, found {value!r}")
        value = float(value)
        bad = math.isnan(value) or value < 0 or (strict and value == 0) or (math.isinf(value) and not allow_inf)
        if bad:
            self.fail(where, f"expected a number {'> 0' if strict else '>= 0'}, found {value!r}")
        return value

    def numbers(self, value: Any, where: str) -> Any:
        """Numbers inside nested mappings/lists converted (strings like 1e9 too)."""
        if isinstance(value, dict):
            return {k: self.numbers(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.numbers(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value


def _strategy(doc: _Doc, name: str, spec: Any, drugs: tuple[str, ...]) -> Strategy:
    where = f"strategies.{name}"
    spec = doc.mapping(spec, where)
    kind = spec.get("type")
    if kind not in _KINDS:
        doc.fail(f"{where}.type", f"expected one of {', '.join(_KINDS)}, found {kind!r}")
    cls, fields = _KINDS[kind]
    doc.only(spec, {"type", "description", *fields}, where)
    kwargs = {}
    for key, arg in fields.items():
        if key in spec:
            value = doc.numbers(spec[key], f"{where}.{key}")
            if key == "lines":
                if not isinstance(value, list):
                    doc.fail(f"{where}.lines", "expected a list of regimens ({drug: level})")
                value = tuple(value)
            kwargs[arg] = value
    for key, value in spec.items():  # unknown drugs, with the line of the offending entry
        if key in ("drugs",) and isinstance(value, dict):
            for drug in value:
                if drug not in drugs:
                    doc.fail(f"{where}.drugs.{drug}", f"unknown drug {drug!r}; the model's drugs are {', '.join(drugs)}")
        if key == "drug" and value not in drugs:
            doc.fail(f"{where}.drug", f"unknown drug {value!r}; the model's drugs are {', '.join(drugs)}")
        if key == "lines" and isinstance(value, list):
            for i, line in enumerate(value):
                for drug in line if isinstance(line, dict) else ():
                    if drug not in drugs:
                        doc.fail(f"{where}.lines[{i}].{drug}",
                                 f"unknown drug {drug!r}; the model's drugs are {', '.join(drugs)}")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        doc.fail(where, f"missing or wrong fields for type {kind!r} ({exc}); fields: {', '.join(fields)}")
    except InputError as exc:
        sub = f"{where}.{exc.field.split('.')[0]}" if exc.field else where
        doc.fail(sub if doc.line_of(sub) else where, exc.message)
    raise AssertionError  # pragma: no cover


def _model(doc: _Doc, spec: Any, base: Path) -> tuple[Any, StopRules, dict, list[str]]:
    if isinstance(spec, str):
        target = (base / spec).resolve()
        if not target.is_file():
            doc.fail("model", f"model file {spec!r} not found (looked at {target}); give a path relative to this file")
        sc = load_scenario(target)
        sim = {"engine": sc.engine, "engine_options": dict(sc.engine_options), "record_interval": sc.record_interval}
        return sc.model, sc.stop, sim, [str(target)]
    spec = doc.mapping(spec, "model")
    doc.only(spec, {"zhang2017", "from_kb"}, "model")
    if len(spec) != 1:
        doc.fail("model", "give exactly one of: a model file path, zhang2017, from_kb")
    if "zhang2017" in spec:
        from oncoresist.therapy._zhang2017 import Zhang2017

        opts = doc.numbers(doc.mapping(spec["zhang2017"] or {}, "model.zhang2017"), "model.zhang2017")
        try:
            model = Zhang2017(**opts)
        except TypeError as exc:
            doc.fail("model.zhang2017", f"unknown parameter ({exc})")
        except InputError as exc:
            doc.fail(f"model.zhang2017.{exc.field}" if exc.field else "model.zhang2017", exc.message)
        return model, StopRules(time_limit=5000.0), {}, []
    from oncoresist.therapy._from_kb import model_from_kb

    opts = doc.numbers(doc.mapping(spec["from_kb"], "model.from_kb"), "model.from_kb")
    detection = opts.pop("detection_size", 1e9)
    try:
        model = model_from_kb(**opts)
    except TypeError as exc:
        doc.fail("model.from_kb", f"unknown parameter ({exc})")
    except InputError as exc:
        doc.fail(f"model.from_kb.{exc.field}" if exc.field else "model.from_kb", exc.message)
    return model, StopRules(detection_size=float(detection), time_limit=3650.0), {}, []


def load_therapy_scenario(path: str | Path) -> TherapyScenario:
    """Read and validate a therapy scenario file.

    Parameters
    ----------
    path
        A YAML file (see ``docs/therapy.md``): ``model`` (a model file path relative to this
        file, ``zhang2017: {...}`` or ``from_kb: {...}``), ``strategies``, and optional
        ``monitoring``, ``progression``, ``outcome``, ``stop``, ``prices``, ``simulation``,
        ``patients``, ``seed``.

    Returns
    -------
    TherapyScenario

    Raises
    ------
    InputError
        Naming the file, line and field of the first problem found.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "m.yaml").write_text("drugs: [a]\\ntypes:\\n  S: {birth: 1, death: 0.5, drugs: {a: {death: 1}}}\\n"
    ...                              "initial: {S: 10}\\ndetection: {size: 1000}\\n")
    >>> _ = (d / "s.yaml").write_text("model: m.yaml\\nstop: {time_limit: 365}\\n"
    ...                              "strategies:\\n  mono: {type: continuous, drug: a}\\n")
    >>> sorted(load_therapy_scenario(d / "s.yaml").strategies)
    ['mono']
    """
    path = Path(path)
    doc = _Doc.load(path)
    data = doc.mapping(doc.data, "")
    doc.only(data, _TOP, "")
    for key in ("model", "strategies"):
        if key not in data:
            doc.fail("", f"missing required field {key!r}")
    model, stop, sim, inputs = _model(doc, data["model"], path.parent)
    drugs = tuple(model.drug_names)

    strategies = {}
    raw = doc.mapping(data["strategies"], "strategies")
    if not raw:
        doc.fail("strategies", "give at least one strategy")
    for name, spec in raw.items():
        strategies[str(name)] = _strategy(doc, str(name), spec, drugs)

    mon = doc.mapping(data.get("monitoring") or {}, "monitoring")
    doc.only(mon, {"imaging", "ctdna"}, "monitoring")
    imaging_spec = doc.mapping(mon.get("imaging") or {}, "monitoring.imaging")
    doc.only(imaging_spec, {"interval", "threshold", "cv"}, "monitoring.imaging")
    imaging = Imaging(**{k: doc.number(v, f"monitoring.imaging.{k}", strict=(k == "interval"))
                         for k, v in imaging_spec.items()})
    ctdna = None
    if mon.get("ctdna") is not None:
        spec = doc.mapping(mon["ctdna"], "monitoring.ctdna")
        doc.only(spec, {"interval", "shedding", "volume", "types", "cv"}, "monitoring.ctdna")
        kwargs = {k: doc.number(v, f"monitoring.ctdna.{k}", strict=(k in ("interval", "volume")))
                  for k, v in spec.items() if k != "types"}
        if "types" in spec:
            for t in spec["types"]:
                if t not in model.type_names:
                    doc.fail("monitoring.ctdna.types", f"unknown type {t!r}; types are {', '.join(model.type_names)}")
            kwargs["types"] = tuple(spec["types"])
        ctdna = CtDNA(**kwargs)
    prog = doc.mapping(data.get("progression") or {}, "progression")
    doc.only(prog, {"rise", "reference", "measure"}, "progression")
    try:
        progression = ProgressionRule(**{k: (doc.number(v, f"progression.{k}") if k == "rise" else v)
                                         for k, v in prog.items()})
    except InputError as exc:
        doc.fail(exc.field or "progression", exc.message)
    out = doc.mapping(data.get("outcome") or {}, "outcome")
    doc.only(out, {"resistant_types", "emergence_size"}, "outcome")
    resistant = None
    if "resistant_types" in out:
        if not isinstance(out["resistant_types"], list):
            doc.fail("outcome.resistant_types", "expected a list of type names")
        for t in out["resistant_types"]:
            if t not in model.type_names:
                doc.fail("outcome.resistant_types", f"unknown type {t!r}; types are {', '.join(model.type_names)}")
        resistant = tuple(out["resistant_types"])
    stop_spec = doc.mapping(data.get("stop") or {}, "stop")
    doc.only(stop_spec, {"time_limit", "max_burden"}, "stop")
    if "time_limit" in stop_spec:
        stop = dataclasses.replace(stop, time_limit=doc.number(stop_spec["time_limit"], "stop.time_limit", strict=True))
    if not math.isfinite(stop.time_limit):
        doc.fail("stop.time_limit", "a comparison needs a finite time_limit (days after treatment start)")
    if imaging.interval >= stop.time_limit:
        doc.fail("monitoring.imaging.interval", f"scans every {imaging.interval:g} days never happen within "
                 f"stop.time_limit = {stop.time_limit:g} days; scan more often or follow patients longer")
    prices = None
    if data.get("prices") is not None:
        prices = {str(k): doc.number(v, f"prices.{k}") for k, v in doc.mapping(data["prices"], "prices").items()}
        for drug in prices:
            if drug not in drugs:
                doc.fail(f"prices.{drug}", f"unknown drug {drug!r}; the model's drugs are {', '.join(drugs)}")
    simulation = doc.mapping(data.get("simulation") or {}, "simulation")
    doc.only(simulation, {"record_interval", "decision_interval", "engine"}, "simulation")
    settings = Settings(
        stop=stop,
        monitoring=Monitoring(imaging=imaging, ctdna=ctdna),
        progression=progression,
        resistant_types=resistant,
        emergence_size=doc.number(out.get("emergence_size", 1e6), "outcome.emergence_size", strict=True),
        max_burden=doc.number(stop_spec.get("max_burden", 1e13), "stop.max_burden", strict=True),
        prices=prices,
        engine=str(simulation.get("engine", sim.get("engine", "hybrid"))),
        engine_options=sim.get("engine_options", {}),
        decision_interval=doc.number(simulation.get("decision_interval", imaging.interval),
                                     "simulation.decision_interval", strict=True),
        record_interval=doc.number(simulation.get("record_interval", sim.get("record_interval") or 30.0),
                                   "simulation.record_interval", strict=True),
    )
    try:
        _check(model, strategies, settings)
    except InputError as exc:
        doc.fail(exc.field or "strategies", exc.message)
    patients = data.get("patients", 100)
    if isinstance(patients, bool) or not isinstance(patients, int) or patients < 1:
        doc.fail("patients", f"expected a whole number >= 1, found {patients!r}")
    seed = data.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        doc.fail("seed", f"expected a whole number >= 0, found {seed!r}")
    return TherapyScenario(name=str(data.get("name", path.stem)), model=model, strategies=strategies,
                           settings=settings, patients=patients, seed=seed, path=str(path),
                           reference=dict(doc.mapping(data.get("reference") or {}, "reference")),
                           inputs=[str(path), *inputs])
