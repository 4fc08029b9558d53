"""The ``tme`` section of a model file: microenvironment terms, validated field by field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oncoresist._core.exceptions import InputError
from oncoresist.evolve._model import Model
from oncoresist.evolve.tme import (
    TME,
    DrugEffect,
    Fibroblasts,
    HGFBypass,
    Hypoxia,
    HypoxicSwitch,
    ImmuneKilling,
    Macrophages,
    NKCells,
    StromalProtection,
    TCells,
    TMEModel,
    couple,
)

# section name -> (class, numeric fields, per-type mappings, drug-effect mappings, name lists)
_TERMS: dict[str, tuple[type, set[str], set[str], set[str], set[str]]] = {
    "t_cells": (TCells, {"source", "recruitment", "half_saturation", "inactivation", "death", "initial"},
                set(), set(), set()),
    "immune_killing": (ImmuneKilling, {"rate", "checkpoint"}, {"antigenicity", "pd_l1"}, {"blockade"}, set()),
    "fibroblasts": (Fibroblasts, {"activation", "deactivation", "initial"}, set(), {"induced_by"}, set()),
    "stromal_protection": (StromalProtection, {"gamma"}, set(), set(), {"drugs", "types"}),
    "hgf": (HGFBypass, {"secretion", "clearance", "gamma", "half_saturation", "basal", "initial"}, {"met"},
            {"inhibitors"}, {"drugs"}),
    "hypoxia": (Hypoxia, {"normoxic", "half_burden", "relaxation", "birth_half_saturation", "initial"}, set(),
                set(), {"types"}),
    "macrophages": (Macrophages, {"polarisation", "half_burden", "repolarisation", "growth", "suppression",
                                  "initial"}, set(), {"repolarised_by"}, set()),
    "nk_cells": (NKCells, {"source", "death", "recruitment", "steepness", "inactivation", "kill", "initial"},
                 {"sensitivity"}, set(), set()),
}
_SETTINGS = {"tolerance", "min_step", "step_limit"}


def parse_tme(doc: Any, spec: Any, model: Model, *, engine: str, engine_options: Mapping[str, Any]) -> TMEModel:
    """The model with the terms of a ``tme:`` section (``doc`` is the model file's reader)."""
    spec = doc.mapping(spec, "tme")
    doc.only(spec, set(_TERMS) | _SETTINGS, "tme")
    types = set(model.type_names)
    drugs = set(model.drug_names)
    terms = []
    for name, (cls, numbers, per_type, effects, lists) in _TERMS.items():
        if name not in spec:
            continue
        where = f"tme.{name}"
        body = doc.mapping(spec[name] if spec[name] is not None else {}, where)
        allowed = numbers | per_type | effects | lists | {"enabled"} | ({"switches"} if name == "hypoxia" else set())
        doc.only(body, allowed, where)
        kwargs: dict[str, Any] = {}
        for key, value in body.items():
            sub = f"{where}.{key}"
            if key in numbers:
                kwargs[key] = doc.number(value, sub)
            elif key == "enabled":
                if not isinstance(value, bool):
                    doc.fail(sub, f"expected true or false, found {value!r}")
                kwargs[key] = value
            elif key in per_type:
                kwargs[key] = {}
                for tname, v in doc.mapping(value, sub).items():
                    if tname not in types:
                        doc.fail(f"{sub}.{tname}", f"unknown type {tname!r}; types are {', '.join(model.type_names)}")
                    kwargs[key][str(tname)] = doc.number(v, f"{sub}.{tname}")
            elif key in effects:
                kwargs[key] = {}
                for drug, e in doc.mapping(value, sub).items():
                    kwargs[key][str(drug)] = _effect(doc, e, f"{sub}.{drug}", drug, drugs)
            elif key in lists:
                if not isinstance(value, list):
                    doc.fail(sub, "expected a list of names")
                known = types if key == "types" else drugs
                for item in value:
                    if item not in known:
                        what = "type" if key == "types" else "drug"
                        doc.fail(sub, f"unknown {what} {item!r}; known: {', '.join(sorted(known)) or 'none'}")
                kwargs[key] = tuple(str(v) for v in value)
            elif key == "switches":
                kwargs[key] = _switches(doc, value, sub, types)
        try:
            terms.append(cls(**kwargs))
        except TypeError as exc:
            doc.fail(where, f"missing a required field ({exc}); see docs/tme.md")
        except InputError as exc:
            doc.fail(where, exc.message)
    settings = {k: doc.number(spec[k], f"tme.{k}", strict=True) for k in _SETTINGS if k in spec}
    try:
        tme = TME(tuple(terms), **settings)
        coupled = couple(model, tme, engine=engine, engine_options=engine_options)
        coupled.coupling().initial_state(coupled)  # checks every type and drug name against the model
    except InputError as exc:
        doc.fail(exc.field or "tme", exc.message)
    return coupled


def _effect(doc: Any, spec: Any, where: str, drug: Any, drugs: set[str]) -> DrugEffect:
    if drug not in drugs:
        doc.fail(where, f"unknown drug {drug!r}; list it under 'drugs' (known: {', '.join(sorted(drugs)) or 'none'})")
    spec = doc.mapping(spec if spec is not None else {}, where)
    doc.only(spec, {"emax", "ec50", "hill"}, where)
    return DrugEffect(emax=doc.number(spec.get("emax", 1.0), f"{where}.emax"),
                      ec50=doc.number(spec.get("ec50", 0.0), f"{where}.ec50"),
                      hill=doc.number(spec.get("hill", 1.0), f"{where}.hill", strict=True))


def _switches(doc: Any, value: Any, where: str, types: set[str]) -> tuple[HypoxicSwitch, ...]:
    if not isinstance(value, list):
        doc.fail(where, "expected a list of {from, to, rate, half_oxygen, hill}")
    out = []
    for i, spec in enumerate(value):
        sub = f"{where}[{i}]"
        spec = doc.mapping(spec, sub)
        doc.only(spec, {"from", "to", "rate", "half_oxygen", "hill"}, sub)
        for key in ("from", "to", "rate", "half_oxygen"):
            if key not in spec:
                doc.fail(sub, f"missing {key!r}")
        for key in ("from", "to"):
            if spec[key] not in types:
                doc.fail(f"{sub}.{key}", f"unknown type {spec[key]!r}; types are {', '.join(sorted(types))}")
        try:
            out.append(HypoxicSwitch(str(spec["from"]), str(spec["to"]), doc.number(spec["rate"], f"{sub}.rate"),
                                     doc.number(spec["half_oxygen"], f"{sub}.half_oxygen", strict=True),
                                     doc.number(spec.get("hill", 1.0), f"{sub}.hill", strict=True)))
        except InputError as exc:
            doc.fail(sub, exc.message)
    return tuple(out)
