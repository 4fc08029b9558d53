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
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from oncoresist._core.exceptions import InputError
from oncoresist.evolve import CellType, Drug, DrugResponse, Model, Mutation, Switch

POINT_MUTATION_RATE = 1e-9  # per base pair per division, Bozic et al. (2013)
DEFAULT_BIRTH = 0.14
DEFAULT_DEATH = 0.13
DEFAULT_KILL = 0.04


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
        Extra death rate of sensitive cells under each drug (one number or per drug).
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

    Returns
    -------
    oncoresist.evolve.Model

    Examples
    --------
    >>> m = model_from_kb(["erlotinib", "osimertinib"], ["EGFR T790M", "EGFR C797S"])
    >>> m.type_names
    ('sensitive', 'T790M', 'C797S', 'T790M+C797S')
    >>> [r.drug for r in m.types[1].responses]
    ['osimertinib']
    """
    from oncoresist import kb
    from oncoresist.variants import parse_alteration

    if not drugs:
        msg = "give at least one drug"
        raise InputError(msg, field="drugs")
    if not alterations:
        msg = "give at least one resistance alteration"
        raise InputError(msg, field="alterations")
    names = []
    for d in drugs:
        try:
            names.append(kb.get_drug(d).name)
        except Exception as exc:  # the KB's own message says which names are close
            msg = f"unknown drug {d!r}: {exc}"
            raise InputError(msg, field="drugs") from None
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
        if d not in kills:
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
                              tuple(DrugResponse(d, "death", kills[d] * (1 - f) * scale) for d in names)))
        switches = [Switch("sensitive", "persister", float(persisters["rate"])),
                    Switch("persister", "sensitive", float(persisters["back"]))]
    return Model(types=tuple(types), mutations=tuple(mutations), switches=tuple(switches),
                 drugs=tuple(Drug(d) for d in names), initial={"sensitive": int(initial)}, name=name,
                 combination="max")
