"""Giving each rule its mechanism class: derived from the graph, or curated where it must be."""

from __future__ import annotations

from dataclasses import replace

from oncoresist.kb._drugs import DrugIndex
from oncoresist.kb._pathways import Derivation, PathwayGraph
from oncoresist.kb._rules import ResistanceRule

# Classes the signalling graph cannot see: a curated value is used as it is.
CURATED_ONLY = frozenset({"phenotypic", "microenvironment", "pharmacological"})


_PRIORITY = {"on-target": 0, "downstream": 1, "bypass": 2, None: 3}


def rule_genes(alteration) -> list[str | None]:
    """Genes an alteration (or each part of a compound) touches; [None] for states."""
    return list(getattr(alteration, "genes", ())) or [None]


def best_derivation(graph: PathwayGraph, genes: list[str | None], targets) -> Derivation:
    """The most direct class over the genes involved (on-target, downstream, bypass)."""
    found = [graph.derive(gene, targets) for gene in genes]
    return min(found, key=lambda d: _PRIORITY[d.mechanism])


def drug_targets(
    drugs: DrugIndex, names: tuple[str, ...], *, combination: bool = False
) -> tuple[str, ...]:
    """Targets the rule's drugs act through.

    A combination acts through all its drugs' targets (union). A rule about several drugs one
    at a time (a class) is classified on the targets they share (intersection), so that
    "ERBB2 amplification vs EGFR TKIs" is bypass even though lapatinib also hits ERBB2; when
    they share none, the union is used.
    """
    sets = [set(drugs.drugs[n].targets) for n in names if n in drugs.drugs]
    if not sets:
        return ()
    union = set().union(*sets)
    if combination:
        return tuple(sorted(union))
    shared = set.intersection(*sets)
    return tuple(sorted(shared or union))


def derive_for_drugs(rule: ResistanceRule, drugs: DrugIndex, graph: PathwayGraph) -> Derivation:
    """Derive the class for a rule's drugs.

    A combination acts through all its drugs' targets together. A rule about several drugs one
    at a time (a class) is derived for each drug; the class most of them get is used (ties go
    to the more direct class), and a split is said in the explanation: ERBB2 amplification
    against EGFR TKIs is bypass for most of them and on-target only for lapatinib.
    """
    genes = rule_genes(rule.alteration)
    if rule.combination or len(rule.drugs) <= 1:
        targets = drug_targets(drugs, rule.drugs, combination=True)
        return best_derivation(graph, genes, targets)
    per_drug: dict[str | None, list[str]] = {}
    examples: dict[str | None, Derivation] = {}
    for name in rule.drugs:
        found = best_derivation(graph, genes, drug_targets(drugs, (name,)))
        per_drug.setdefault(found.mechanism, []).append(name)
        examples.setdefault(found.mechanism, found)
    chosen = min(per_drug, key=lambda m: (-len(per_drug[m]), _PRIORITY[m]))
    derivation = examples[chosen]
    if len(per_drug) > 1:
        split = "; ".join(
            f"{m or 'unclassified'} for {', '.join(names)}"
            for m, names in sorted(per_drug.items(), key=lambda kv: _PRIORITY[kv[0]])
        )
        derivation = replace(derivation, explanation=f"{derivation.explanation} (per drug: {split})")
    return derivation


def classify(
    rule: ResistanceRule,
    drugs: DrugIndex,
    graph: PathwayGraph,
    *,
    curated: str | None = None,
    override: bool = False,
) -> tuple[ResistanceRule, str | None]:
    """The rule with its mechanism fields set, and a warning when curation disagrees.

    The derived class wins over a curated on-target/downstream/bypass unless ``override``; a
    curated phenotypic/microenvironment/pharmacological class is used as it is (the graph cannot
    derive those) and the derived class is still recorded beside it.
    """
    derivation = derive_for_drugs(rule, drugs, graph)
    derived = derivation.mechanism
    warning = None
    if curated is None:
        mechanism, source = derived, "derived" if derived else "unclassified"
    elif override:
        mechanism = curated
        source = "curated override" if derived and derived != curated else "curated"
    elif curated in CURATED_ONLY or derived is None:
        mechanism, source = curated, "curated"
    else:
        mechanism, source = derived, "derived"
        if derived != curated:
            warning = (
                f"rule {rule.id}: curated mechanism {curated!r} differs from the derived "
                f"{derived!r} ({derivation.explanation}); the derived class is used — set "
                "'mechanism_override: true' with a note to keep the curated one"
            )
    updated = replace(
        rule,
        mechanism=mechanism,
        mechanism_derived=derived,
        mechanism_source=source,
        derivation=derivation.explanation,
    )
    return updated, warning
