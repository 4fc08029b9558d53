"""Simulator models built from the knowledge base: genotypes of known resistance alterations.

Cell types are the sensitive background and every combination (up to ``max_alterations``) of
the resistance alterations given. A genotype is resistant to a drug when the knowledge base
has a resistance rule for any of its alterations and that drug (``reduced sensitivity``
halves the drug's effect); otherwise it keeps the background's sensitivity.

Defaults (explicit and overridable): birth 0.14/day and death 0.13/day, and a drug that raises
the death rate of sensitive cells by 0.04/day — the rates Bozic et al. (2013) eLife 2:e00747
derived from lesion growth and decline under targeted therapy; point mutations at u = 1e-9
per base pair per division (Bozic et al. 2013). Non-point alterations (amplifications, fusions,
phenotypes) have no literature default here and need a probability in ``mutation``.

Which compartment a drug acts on comes from the knowledge base's ``acts_on`` field: only drugs
acting on the ``tumour`` get a death response of their own; the microenvironment compartments
(``immune-checkpoint``, ``hgf-met``, ``fibroblast-activation``, ``macrophages``) are wired into
the matching :mod:`oncoresist.evolve.tme` terms by :func:`tme_from_kb` (:data:`TME_WIRING`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from oncoresist._core.exceptions import InputError
from oncoresist.evolve import CellType, Drug, DrugResponse, Model, Mutation, Switch
from oncoresist.evolve.tme import (
    TME,
    DrugEffect,
    Fibroblasts,
    HGFBypass,
    ImmuneKilling,
    Macrophages,
    TMEModel,
    couple,
)

POINT_MUTATION_RATE = 1e-9  # per base pair per division, Bozic et al. (2013)
DEFAULT_BIRTH = 0.14
DEFAULT_DEATH = 0.13
DEFAULT_KILL = 0.04

#: Knowledge-base compartment -> (tme term, the term's field that holds drug effects).
#: ``tumour`` is the drug's own death response; ``angiogenesis`` drives no term yet
#: (:class:`~oncoresist.evolve.tme.Hypoxia` has no drug input).
TME_WIRING: dict[str, tuple[type, str]] = {
    "immune-checkpoint": (ImmuneKilling, "blockade"),
    "hgf-met": (HGFBypass, "inhibitors"),
    "fibroblast-activation": (Fibroblasts, "induced_by"),
    "macrophages": (Macrophages, "repolarised_by"),
}


def _label(alteration: str) -> str:
    text = alteration.split()[-1] if " " in alteration else alteration
    return text.replace("p.", "")


def _is_point(alteration: object) -> bool:
    kind = getattr(alteration, "kind", None)
    return str(getattr(kind, "value", kind)) == "substitution"


def _effect(alteration: str, drug: str, disease: str | None) -> str:
    from oncoresist import kb

    effects = {rule.effect for rule in kb.rules_for(alteration, drug, disease)}
    if "resistance" in effects:
        return "resistance"
    if "reduced sensitivity" in effects:
        return "reduced sensitivity"
    return "sensitive"


def _kb_drugs(drugs: Sequence[str]) -> list[Any]:
    from oncoresist import kb

    found = []
    for d in drugs:
        try:
            found.append(kb.get_drug(d))
        except Exception as exc:  # the KB's own message says which names are close
            msg = f"unknown drug {d!r}: {exc}"
            raise InputError(msg, field="drugs") from None
    return found


def _effect_for(effects: Mapping[str, Any], drug: Any, given: str, compartment: str) -> DrugEffect:
    for key in (drug.name, given, compartment):
        if key in effects:
            spec = effects[key]
            return spec if isinstance(spec, DrugEffect) else DrugEffect(**dict(spec))
    msg = (f"{given!r} acts on {compartment} (knowledge base) but no effect size is given: "
           f"pass effects={{{compartment!r}: DrugEffect(emax=..., ec50=...)}} or "
           f"{{{drug.name!r}: ...}} (there is no published default)")
    raise InputError(msg, field=f"effects.{compartment}")


def tme_from_kb(
    drugs: Sequence[str],
    terms: TME | Sequence[Any],
    *,
    effects: Mapping[str, DrugEffect | Mapping[str, float]] | None = None,
) -> TME:
    """Microenvironment terms with the drugs wired in from the knowledge base's ``acts_on``.

    Each drug whose knowledge-base entry acts on a microenvironment compartment is added to
    the term that compartment drives (:data:`TME_WIRING`): ``immune-checkpoint`` (anti-PD-1,
    anti-PD-L1, anti-CTLA-4) to ``ImmuneKilling.blockade``, ``hgf-met`` (MET inhibitors) to
    ``HGFBypass.inhibitors``, ``fibroblast-activation`` (paradox-inducing BRAF inhibitors,
    Hirata et al. 2015) to ``Fibroblasts.induced_by``, ``macrophages`` to
    ``Macrophages.repolarised_by``. A compartment whose term is not among ``terms`` is left
    out (the model does not have it); ``tumour`` and ``angiogenesis`` drive no term here.
    Effects already written in a term are kept (explicit beats the knowledge base).

    Parameters
    ----------
    drugs
        Drug names (any synonym); the wiring uses the canonical names, as
        :func:`model_from_kb` does for the model's drugs.
    terms
        The terms (or a ``TME``, whose tolerance and step limits are kept), with their own
        parameters; their drug mappings may be empty.
    effects
        Effect size per compartment or per drug (a drug's entry wins), as a
        :class:`~oncoresist.evolve.tme.DrugEffect` or its fields; its ``emax`` means what the
        term says (fraction blocked for checkpoint and MET, extra rate per day for fibroblast
        activation and repolarisation). Required for every wired drug: none is published.

    Returns
    -------
    oncoresist.evolve.tme.TME

    Examples
    --------
    >>> from oncoresist.evolve.tme import DrugEffect, ImmuneKilling, TCells
    >>> tme = tme_from_kb(["Keytruda", "dabrafenib"], [TCells(), ImmuneKilling(checkpoint=10)],
    ...                   effects={"immune-checkpoint": DrugEffect(emax=0.95, ec50=0.1)})
    >>> tme.terms[1].blockade
    {'pembrolizumab': DrugEffect(emax=0.95, ec50=0.1, hill=1.0)}
    """
    base = terms if isinstance(terms, TME) else TME(tuple(terms))
    given_effects = dict(effects or {})
    new_terms = list(base.terms)
    for given, drug in zip(drugs, _kb_drugs(drugs), strict=True):
        for compartment in drug.acts_on:
            if compartment not in TME_WIRING:
                continue
            kind, attribute = TME_WIRING[compartment]
            for i, term in enumerate(new_terms):
                if not isinstance(term, kind):
                    continue
                current = dict(getattr(term, attribute))
                if drug.name not in current:
                    current[drug.name] = _effect_for(given_effects, drug, given, compartment)
                    new_terms[i] = dataclasses.replace(term, **{attribute: current})
    return TME(tuple(new_terms), tolerance=base.tolerance, min_step=base.min_step,
               step_limit=base.step_limit)


def model_from_kb(
    drugs: Sequence[str],
    alterations: Sequence[str],
    *,
    disease: str | None = None,
    birth: float = DEFAULT_BIRTH,
    death: float = DEFAULT_DEATH,
    kill: float | Mapping[str, float] = DEFAULT_KILL,
    mutation: Mapping[str, float] | None = None,
    max_alterations: int | None = None,
    initial: int = 1,
    persisters: Mapping[str, float] | None = None,
    protection: float = 0.0,
    resistance_cost: float = 0.0,
    name: str = "from_kb",
    tme: TME | Sequence[Any] | None = None,
    tme_effects: Mapping[str, DrugEffect | Mapping[str, float]] | None = None,
) -> Model:
    """A simulator model whose types are genotypes of known resistance alterations.

    Parameters
    ----------
    drugs
        Drug names (any synonym the knowledge base knows; canonical names are used).
    alterations
        Resistance alterations (``EGFR T790M``, ``EGFR C797S``); genotypes are their combinations.
    disease
        Restrict the knowledge base's rules to a disease.
    birth, death
        Rates per day of every type without drug (Bozic et al. 2013 defaults).
    kill
        Extra death rate of sensitive cells under each drug that acts on the tumour (one
        number or per drug). Drugs whose knowledge-base ``acts_on`` lacks ``tumour``
        (checkpoint antibodies, bevacizumab) have no response of their own.
    mutation
        Probability per division of acquiring each alteration; point mutations default to 1e-9.
    max_alterations
        Largest number of alterations in one genotype (default: all).
    initial
        Cells of the background genotype at time 0.
    persisters
        Optional drug-tolerant persister state: ``{"rate": r_in, "back": r_out, "tolerance": f}``
        switching rates per cell per day into and out of a ``persister`` type that loses the
        fraction ``f`` of every drug's effect and divides at ``birth * (1 - f)``.
    protection
        Microenvironment protection factor: the fraction of every drug's effect removed (0-1).
    resistance_cost
        Fractional birth-rate cost per alteration (0 = neutral resistance).
    name
        Model name.
    tme, tme_effects
        Optional microenvironment terms: the drugs are wired into them from the knowledge
        base by :func:`tme_from_kb` (``tme_effects`` is its ``effects``) and the model is
        returned coupled to them (a ``TMEModel``, hybrid engine under ``therapy.compare``).

    Returns
    -------
    oncoresist.evolve.Model
        A ``TMEModel`` when ``tme`` is given.

    Examples
    --------
    >>> m = model_from_kb(["erlotinib", "osimertinib"], ["EGFR T790M", "EGFR C797S"])
    >>> m.type_names
    ('sensitive', 'T790M', 'C797S', 'T790M+C797S')
    >>> [r.drug for r in m.types[1].responses]
    ['osimertinib']

    With anti-PD-1 among the drugs, T-cell killing needs no hand wiring:

    >>> from oncoresist.evolve.tme import ImmuneKilling, TCells
    >>> cm = model_from_kb(["dabrafenib", "pembrolizumab"], ["MAP2K1 C121S"],
    ...                    tme=[TCells(), ImmuneKilling(checkpoint=10)],
    ...                    tme_effects={"immune-checkpoint": {"emax": 0.95, "ec50": 0.1}})
    >>> [r.drug for r in cm.types[0].responses], list(cm.tme.terms[1].blockade)
    (['dabrafenib'], ['pembrolizumab'])
    """
    from oncoresist.variants import parse_alteration

    if not drugs:
        msg = "give at least one drug"
        raise InputError(msg, field="drugs")
    if not alterations:
        msg = "give at least one resistance alteration"
        raise InputError(msg, field="alterations")
    found = _kb_drugs(drugs)
    names = [d.name for d in found]
    direct = {d.name for d in found if "tumour" in d.acts_on}
    parsed = []
    for a in alterations:
        try:
            parsed.append(parse_alteration(None, a) if isinstance(a, str) else a)
        except Exception as exc:
            msg = f"cannot read alteration {a!r}: {exc}"
            raise InputError(msg, field="alterations") from None
    texts = [str(p) for p in parsed]
    labels = [_label(t) for t in texts]
    if not 0 <= protection < 1:
        msg = f"protection must be in [0, 1); got {protection!r}"
        raise InputError(msg, field="protection")
    kills = dict(kill) if isinstance(kill, Mapping) else dict.fromkeys(names, float(kill))
    for d in names:
        if d in direct and d not in kills:
            msg = f"kill has no value for drug {d!r}"
            raise InputError(msg, field="kill")
    probs: dict[str, float] = {}
    given = dict(mutation or {})
    for text, label, original, alt in zip(texts, labels, alterations, parsed, strict=True):
        value = given.get(original, given.get(text, given.get(label)))
        if value is None:
            if not _is_point(alt):
                msg = (f"no default mutation probability for {text!r} (not a point mutation); "
                       f"give mutation: {{{original!r}: probability per division}}")
                raise InputError(msg, field="mutation")
            value = POINT_MUTATION_RATE
        probs[label] = float(value)
    effects = {(label, d): _effect(text, d, disease) for text, label in zip(texts, labels, strict=True)
               for d in names}
    top = len(labels) if max_alterations is None else int(max_alterations)
    genotypes: list[tuple[str, ...]] = [()]
    for k in range(1, top + 1):
        genotypes.extend(itertools.combinations(labels, k))

    def type_name(g: tuple[str, ...]) -> str:
        return "+".join(g) if g else "sensitive"

    types = []
    scale = 1.0 - protection
    for g in genotypes:
        responses = []
        for d in names:
            if d not in direct:
                continue
            worst = "sensitive"
            for a in g:
                e = effects[(a, d)]
                if e == "resistance" or (e == "reduced sensitivity" and worst == "sensitive"):
                    worst = e
            if worst == "resistance":
                continue
            factor = 0.5 if worst == "reduced sensitivity" else 1.0
            responses.append(DrugResponse(d, "death", kills[d] * factor * scale))
        b = birth * (1.0 - resistance_cost) ** len(g)
        types.append(CellType(type_name(g), b, death, tuple(responses)))
    mutations = []
    for g in genotypes:
        for a in labels:
            if a in g or len(g) >= top:
                continue
            target = tuple(x for x in labels if x in g or x == a)
            mutations.append(Mutation(type_name(g), type_name(target), probs[a]))
    switches = []
    if persisters:
        unknown = set(persisters) - {"rate", "back", "tolerance"}
        if unknown or not {"rate", "back", "tolerance"} <= set(persisters):
            msg = "persisters needs exactly rate, back and tolerance"
            raise InputError(msg, field="persisters")
        f = float(persisters["tolerance"])
        if not 0 <= f <= 1:
            msg = f"persisters.tolerance must be in [0, 1]; got {f}"
            raise InputError(msg, field="persisters.tolerance")
        types.append(CellType("persister", birth * (1 - f), death,
                              tuple(DrugResponse(d, "death", kills[d] * (1 - f) * scale)
                                    for d in names if d in direct)))
        switches = [Switch("sensitive", "persister", float(persisters["rate"])),
                    Switch("persister", "sensitive", float(persisters["back"]))]
    model = Model(types=tuple(types), mutations=tuple(mutations), switches=tuple(switches),
                  drugs=tuple(Drug(d) for d in names), initial={"sensitive": int(initial)}, name=name,
                  combination="max")
    if tme is None:
        return model
    coupled: TMEModel = couple(model, tme_from_kb(names, tme, effects=tme_effects))
    return coupled
