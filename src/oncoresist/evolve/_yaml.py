"""Model files (YAML): a model, its treatment, stopping rules and engine, validated field by field.

Every message names the file, the line and the field, says what was expected and what was found.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oncoresist._core.exceptions import InputError
from oncoresist._core.yamldoc import YamlDocument, load_yaml_document
from oncoresist.evolve._engines import ENGINES
from oncoresist.evolve._model import CellType, Drug, DrugResponse, Model, Mutation, Switch
from oncoresist.evolve._pk import OneCompartmentPK
from oncoresist.evolve._simulate import Dosing, Schedule, StopRules

_TOP = {"name", "description", "combination", "competition", "types", "mutations", "switches", "drugs", "capacity", "initial",
        "detection", "treatment", "stop", "simulation", "reference", "tme"}


@dataclass
class Scenario:
    """Everything a model file says: the model and how to simulate it.

    Attributes
    ----------
    model
        The :class:`Model`.
    strategy
        The treatment as a :class:`Schedule` (None: no drug).
    stop
        :class:`StopRules`.
    engine, engine_options, decision_interval, record_interval
        Simulation settings.
    reference
        Closed forms to print beside the simulated values: name -> parameters.
    path
        The file it came from.
    """

    model: Model
    strategy: Schedule | None
    stop: StopRules
    engine: str = "hybrid"
    engine_options: dict[str, Any] = field(default_factory=dict)
    decision_interval: float = 7.0
    record_interval: float | None = None
    reference: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: str | None = None

    def reference_values(self) -> list[tuple[str, float, str]]:
        """Closed-form values named in the file's ``reference`` section.

        Returns (quantity, value, source) triples; ``bozic2013_eq1`` gives ``P(extinct)`` at
        the detection size (Bozic et al. 2013, eq. (1)).
        """
        from oncoresist.evolve.theory import bozic2013_eradication

        out = []
        for name, params in self.reference.items():
            if name == "bozic2013_eq1":
                kwargs = {k: (int(v) if k in ("n1", "n2", "n12", "drugs") else float(v)) for k, v in params.items()}
                size = kwargs.pop("size", self.stop.detection_size)
                if size is None:
                    msg = "reference bozic2013_eq1 needs 'size' or a detection size"
                    raise InputError(msg, path=self.path, field="reference.bozic2013_eq1")
                try:
                    value = bozic2013_eradication(float(size), **kwargs).probability
                except TypeError as exc:
                    msg = f"reference bozic2013_eq1 has an unknown parameter ({exc})"
                    raise InputError(msg, path=self.path, field="reference.bozic2013_eq1") from None
                out.append(("P(extinct)", value, "Bozic et al. 2013 eLife 2:e00747, eq. (1)"))
            else:
                msg = f"unknown reference formula {name!r}; known: bozic2013_eq1"
                raise InputError(msg, path=self.path, field=f"reference.{name}")
        return out

    def simulate_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`simulate` / :func:`simulate_ensemble`."""
        return {
            "engine": self.engine,
            "engine_options": dict(self.engine_options),
            "stop": self.stop,
            "decision_interval": self.decision_interval,
            "record_interval": self.record_interval,
            # a model with a microenvironment (tme section) brings its coupling
            **({"coupling": self.model.coupling()} if hasattr(self.model, "coupling") else {}),
        }


class _Doc(YamlDocument):
    """A model file: plain data with the line of every field, and typed getters."""

    @classmethod
    def load(cls, path: Path) -> _Doc:
        # a field's line is where its value starts (for a block value: the line below the key)
        return load_yaml_document(path, what="model file", empty_hint="it needs at least 'types' and 'initial'",
                                  lines="value", document_type=cls)

    # typed getters -------------------------------------------------------------------------
    def number(self, value: Any, where: str, *, minimum: float = 0.0, strict: bool = False,
               maximum: float = math.inf) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):
                try:
                    value = float(value)  # YAML 1.1 reads 1e-9 (no dot) as a string
                except ValueError:
                    self.fail(where, f"expected a number, found {value!r}")
            else:
                self.fail(where, f"expected a number, found {value!r}")
        value = float(value)
        if math.isnan(value) or (math.isinf(value) and value < 0) or value < minimum or (strict and value == minimum) or value > maximum:
            low = f"> {minimum:g}" if strict else f">= {minimum:g}"
            high = f" and <= {maximum:g}" if math.isfinite(maximum) else ""
            self.fail(where, f"expected a number {low}{high}, found {value!r}")
        return value


def _response(doc: _Doc, drug: str, spec: Any, where: str) -> DrugResponse:
    spec = doc.mapping(spec, where)
    doc.only(spec, {"death", "birth", "target", "emax", "ec50", "hill"}, where)
    if "death" in spec or "birth" in spec:
        if "target" in spec or "emax" in spec or ("death" in spec and "birth" in spec):
            doc.fail(where, "give either 'death: X' or 'birth: X' (short form) or 'target' with 'emax'")
        target = "death" if "death" in spec else "birth"
        emax = doc.number(spec[target], f"{where}.{target}", maximum=1.0 if target == "birth" else math.inf)
    else:
        target = spec.get("target", "death")
        if target not in ("death", "birth"):
            doc.fail(f"{where}.target", f"expected 'death' or 'birth', found {target!r}")
        if "emax" not in spec:
            doc.fail(where, "missing 'emax' (the maximal effect)")
        emax = doc.number(spec["emax"], f"{where}.emax", maximum=1.0 if target == "birth" else math.inf)
    ec50 = doc.number(spec.get("ec50", 0.0), f"{where}.ec50")
    hill = doc.number(spec.get("hill", 1.0), f"{where}.hill", strict=True)
    return DrugResponse(drug=drug, target=target, emax=emax, ec50=ec50, hill=hill)


def _probability(doc: _Doc, spec: dict, where: str) -> float:
    if "probability" in spec:
        if "sites" in spec or "rate" in spec:
            doc.fail(where, "give either 'probability' or 'sites' with 'rate', not both")
        return doc.number(spec["probability"], f"{where}.probability", maximum=1.0)
    if "rate" not in spec:
        doc.fail(where, "missing 'probability' (per division) or 'rate' (per site per division)")
    rate = doc.number(spec["rate"], f"{where}.rate", maximum=1.0)
    sites = spec.get("sites", 1)
    if isinstance(sites, bool) or not isinstance(sites, int) or sites < 1:
        doc.fail(f"{where}.sites", f"expected a whole number >= 1, found {sites!r}")
    p = rate * sites
    if p > 1.0:
        doc.fail(where, f"sites x rate = {p:g} exceeds 1")
    return p


def _dosing(doc: _Doc, spec: Any, where: str, drugs: tuple[str, ...]) -> dict[str, float]:
    spec = doc.mapping(spec, where)
    out = {}
    for name, level in spec.items():
        if name not in drugs:
            doc.fail(f"{where}.{name}", f"unknown drug {name!r}; the model's drugs are {', '.join(drugs) or 'none'}")
        out[name] = doc.number(level, f"{where}.{name}")
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a model file.

    Parameters
    ----------
    path
        A YAML file (see ``docs/evolve.md`` for the format).

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        Naming the file, line and field of the first problem found.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.yaml"
    >>> _ = p.write_text("types:\\n  S: {birth: 1.0, death: 0.5}\\ninitial: {S: 10}\\n")
    >>> load_scenario(p).model.type_names
    ('S',)
    """
    path = Path(path)
    doc = _Doc.load(path)
    data = doc.mapping(doc.data, "")
    doc.only(data, _TOP, "")
    for key in ("types", "initial"):
        if key not in data:
            doc.fail("", f"missing required field {key!r}")

    # drugs
    drugs: list[Drug] = []
    raw_drugs = data.get("drugs") or {}
    if isinstance(raw_drugs, list):
        raw_drugs = dict.fromkeys(raw_drugs)
    raw_drugs = doc.mapping(raw_drugs, "drugs")
    for name, spec in raw_drugs.items():
        where = f"drugs.{name}"
        pk = None
        if spec:
            spec = doc.mapping(spec, where)
            doc.only(spec, {"pk"}, where)
            pk_spec = doc.mapping(spec["pk"], f"{where}.pk")
            doc.only(pk_spec, {"elimination_rate", "half_life", "volume"}, f"{where}.pk")
            if ("elimination_rate" in pk_spec) == ("half_life" in pk_spec):
                doc.fail(f"{where}.pk", "give exactly one of 'elimination_rate' or 'half_life'")
            if "half_life" in pk_spec:
                k = math.log(2) / doc.number(pk_spec["half_life"], f"{where}.pk.half_life", strict=True)
            else:
                k = doc.number(pk_spec["elimination_rate"], f"{where}.pk.elimination_rate", strict=True)
            volume = doc.number(pk_spec.get("volume", 1.0), f"{where}.pk.volume", strict=True)
            pk = OneCompartmentPK(elimination_rate=k, volume=volume)
        drugs.append(Drug(name=str(name), pk=pk))
    drug_names = tuple(d.name for d in drugs)

    # types
    types = []
    raw_types = doc.mapping(data["types"], "types")
    if not raw_types:
        doc.fail("types", "at least one cell type is needed")
    for name, spec in raw_types.items():
        where = f"types.{name}"
        spec = doc.mapping(spec, where)
        doc.only(spec, {"birth", "death", "drugs", "description"}, where)
        for key in ("birth", "death"):
            if key not in spec:
                doc.fail(where, f"missing {key!r} rate")
        responses = []
        for drug, rspec in doc.mapping(spec.get("drugs") or {}, f"{where}.drugs").items():
            if drug not in drug_names:
                doc.fail(f"{where}.drugs.{drug}", f"unknown drug {drug!r}; list it under 'drugs' (known: {', '.join(drug_names) or 'none'})")
            responses.append(_response(doc, str(drug), rspec, f"{where}.drugs.{drug}"))
        types.append(CellType(name=str(name), birth=doc.number(spec["birth"], f"{where}.birth"),
                              death=doc.number(spec["death"], f"{where}.death"), responses=tuple(responses)))
    type_names = [t.name for t in types]

    def check_type(value: Any, where: str) -> str:
        if value not in type_names:
            doc.fail(where, f"unknown type {value!r}; types are {', '.join(type_names)}")
        return str(value)

    mutations = []
    raw_mut = data.get("mutations") or []
    if not isinstance(raw_mut, list):
        doc.fail("mutations", "expected a list of {from, to, probability | sites + rate}")
    for i, spec in enumerate(raw_mut):
        where = f"mutations[{i}]"
        spec = doc.mapping(spec, where)
        doc.only(spec, {"from", "to", "probability", "sites", "rate"}, where)
        for key in ("from", "to"):
            if key not in spec:
                doc.fail(where, f"missing {key!r}")
        mutations.append(Mutation(check_type(spec["from"], f"{where}.from"), check_type(spec["to"], f"{where}.to"),
                                  _probability(doc, spec, where)))

    switches = []
    raw_sw = data.get("switches") or []
    if not isinstance(raw_sw, list):
        doc.fail("switches", "expected a list of {from, to, rate, induced_by}")
    for i, spec in enumerate(raw_sw):
        where = f"switches[{i}]"
        spec = doc.mapping(spec, where)
        doc.only(spec, {"from", "to", "rate", "induced_by"}, where)
        for key in ("from", "to"):
            if key not in spec:
                doc.fail(where, f"missing {key!r}")
        induced = []
        for drug, rspec in doc.mapping(spec.get("induced_by") or {}, f"{where}.induced_by").items():
            if drug not in drug_names:
                doc.fail(f"{where}.induced_by.{drug}", f"unknown drug {drug!r}")
            rspec = doc.mapping(rspec, f"{where}.induced_by.{drug}")
            doc.only(rspec, {"emax", "ec50", "hill"}, f"{where}.induced_by.{drug}")
            induced.append(_response(doc, str(drug), {"target": "death", **rspec}, f"{where}.induced_by.{drug}"))
        switches.append(Switch(check_type(spec["from"], f"{where}.from"), check_type(spec["to"], f"{where}.to"),
                               doc.number(spec.get("rate", 0.0), f"{where}.rate"), tuple(induced)))

    capacity = data.get("capacity")
    if isinstance(capacity, dict):
        capacity = {str(check_type(k, f"capacity.{k}")): doc.number(v, f"capacity.{k}", strict=True)
                    for k, v in capacity.items()}
    elif capacity is not None:
        capacity = doc.number(capacity, "capacity", strict=True)
    competition = None
    if data.get("competition") is not None:
        competition = {}
        for row, entries in doc.mapping(data["competition"], "competition").items():
            check_type(row, f"competition.{row}")
            competition[str(row)] = {
                str(check_type(col, f"competition.{row}.{col}")): doc.number(v, f"competition.{row}.{col}")
                for col, v in doc.mapping(entries, f"competition.{row}").items()
            }
    initial = {}
    for name, count in doc.mapping(data["initial"], "initial").items():
        check_type(name, f"initial.{name}")
        value = doc.number(count, f"initial.{name}")
        if value != int(value):
            doc.fail(f"initial.{name}", f"expected a whole number of cells, found {count!r}")
        initial[str(name)] = int(value)
    if sum(initial.values()) == 0:
        doc.fail("initial", "the initial population is empty")
    try:
        model = Model(types=tuple(types), mutations=tuple(mutations), switches=tuple(switches),
                      drugs=tuple(drugs), capacity=capacity, initial=initial,
                      name=str(data.get("name", path.stem)),
                      combination=str(data.get("combination", "additive")), competition=competition)
    except InputError as exc:
        doc.fail(exc.field or "", exc.message)

    # detection and stopping
    det = doc.mapping(data.get("detection") or {}, "detection")
    doc.only(det, {"size", "restart_if_extinct", "stop"}, "detection")
    stop_spec = doc.mapping(data.get("stop") or {}, "stop")
    doc.only(stop_spec, {"progression_size", "progression_types", "time_limit", "max_time", "max_size"}, "stop")
    prog_types = stop_spec.get("progression_types")
    if prog_types is not None:
        if not isinstance(prog_types, list):
            doc.fail("stop.progression_types", "expected a list of type names")
        prog_types = tuple(check_type(v, "stop.progression_types") for v in prog_types)
    try:
        stop = StopRules(
            detection_size=doc.number(det["size"], "detection.size", strict=True) if "size" in det else None,
            restart_if_extinct=bool(det.get("restart_if_extinct", True)),
            stop_at_detection=bool(det.get("stop", False)),
            progression_size=(doc.number(stop_spec["progression_size"], "stop.progression_size", strict=True)
                              if "progression_size" in stop_spec else None),
            progression_types=prog_types,
            time_limit=doc.number(stop_spec.get("time_limit", math.inf), "stop.time_limit", strict=True),
            max_time=doc.number(stop_spec.get("max_time", math.inf), "stop.max_time", strict=True),
            max_size=(doc.number(stop_spec["max_size"], "stop.max_size", strict=True)
                      if "max_size" in stop_spec else None),
        )
    except InputError as exc:
        if exc.path is not None:  # already located by doc.number
            raise
        # StopRules checks the sizes against each other: point at the stop section's field
        doc.fail(f"stop.{exc.field}" if exc.field else "stop", exc.message)

    # treatment
    strategy = None
    treat = doc.mapping(data.get("treatment") or {}, "treatment")
    doc.only(treat, {"drugs", "schedule", "period", "decision_interval"}, "treatment")
    if "drugs" in treat and "schedule" in treat:
        doc.fail("treatment", "give either 'drugs' (constant exposure) or 'schedule', not both")
    if "drugs" in treat:
        strategy = Schedule(((0.0, Dosing(levels=_dosing(doc, treat["drugs"], "treatment.drugs", drug_names))),))
    elif "schedule" in treat:
        segs = treat["schedule"]
        if not isinstance(segs, list) or not segs:
            doc.fail("treatment.schedule", "expected a list of {start, drugs, boluses}")
        segments = []
        for i, seg in enumerate(segs):
            where = f"treatment.schedule[{i}]"
            seg = doc.mapping(seg, where)
            doc.only(seg, {"start", "drugs", "boluses"}, where)
            start = doc.number(seg.get("start", 0.0), f"{where}.start")
            boluses = _dosing(doc, seg.get("boluses") or {}, f"{where}.boluses", drug_names)
            for name in boluses:
                if next(d for d in drugs if d.name == name).pk is None:
                    doc.fail(f"{where}.boluses.{name}", f"drug {name!r} has no 'pk', so it cannot take a bolus")
            segments.append((start, Dosing(levels=_dosing(doc, seg.get("drugs") or {}, f"{where}.drugs", drug_names),
                                           boluses=boluses)))
        period = treat.get("period")
        try:
            strategy = Schedule(tuple(segments), period=None if period is None else doc.number(period, "treatment.period", strict=True))
        except InputError as exc:
            doc.fail("treatment.schedule", exc.message)
    decision = doc.number(treat.get("decision_interval", 7.0), "treatment.decision_interval", strict=True)

    sim = doc.mapping(data.get("simulation") or {}, "simulation")
    doc.only(sim, {"engine", "record_interval", "options"}, "simulation")
    engine = sim.get("engine", "hybrid")
    if engine not in ENGINES:
        doc.fail("simulation.engine", f"expected one of {', '.join(ENGINES)}, found {engine!r}")
    options = doc.mapping(sim.get("options") or {}, "simulation.options")
    allowed = {"hybrid": {"exact_threshold", "max_step", "growth_tol"}, "ode": {"rtol"}, "exact": set()}[engine]
    doc.only(options, allowed, "simulation.options")
    record = sim.get("record_interval")
    if record is not None:
        record = doc.number(record, "simulation.record_interval", strict=True)
    reference = doc.mapping(data.get("reference") or {}, "reference")
    for key, value in reference.items():
        if not isinstance(value, Mapping):
            doc.fail(f"reference.{key}", "expected a mapping of formula parameters")
    if data.get("tme") is not None:
        from oncoresist.evolve._tme_yaml import parse_tme

        model = parse_tme(doc, data["tme"], model, engine=engine, engine_options=dict(options))
    return Scenario(model=model, strategy=strategy, stop=stop, engine=engine, engine_options=dict(options),
                    decision_interval=decision, record_interval=record,
                    reference={k: dict(v) for k, v in reference.items()}, path=str(path))
