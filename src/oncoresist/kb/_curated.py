"""Reading the curated YAML (drugs, pathways, rules) and users' ``--kb-extra`` rule files."""

from __future__ import annotations

from pathlib import Path

from oncoresist._core.exceptions import InputError, ParseError
from oncoresist.kb._classify import classify
from oncoresist.kb._disease import normalise_disease
from oncoresist.kb._drugs import Drug, DrugIndex
from oncoresist.kb._pathways import PathwayGraph
from oncoresist.kb._rules import ResistanceRule
from oncoresist.kb._schema import (
    DrugsFile,
    PathwaysFile,
    RulesFile,
    entry_line,
    field_line,
    load_file,
)


def load_drugs(path: str | Path) -> DrugIndex:
    """Validate ``drugs.yaml`` and index every name."""
    model, document = load_file(path, DrugsFile)
    index = DrugIndex()
    for i, entry in enumerate(model.drugs):
        drug = Drug(
            name=entry.name,
            synonyms=tuple(entry.synonyms),
            drug_class=entry.drug_class,
            generation=entry.generation,
            modality=entry.modality,
            targets=tuple(entry.targets),
            acts_on=tuple(entry.acts_on),
            notes=entry.notes,
            references=tuple(entry.references),
        )
        try:
            index.add(drug)
        except InputError as exc:
            msg = f"entry {i + 1} (name {entry.name!r}): {exc.message}"
            line = field_line(document, "drugs", i, exc.field or "name")
            raise InputError(msg, path=path, line=line, field=exc.field) from None
    return index


def load_pathways(path: str | Path) -> PathwayGraph:
    """Validate ``pathways.yaml``; every edge end and effector must be a listed node."""
    model, document = load_file(path, PathwaysFile)
    roles: dict[str, str] = {}
    pathways: dict[str, tuple[str, ...]] = {}
    for i, node in enumerate(model.nodes):
        if node.gene in roles:
            msg = f"entry {i + 1} (gene {node.gene!r}): gene listed twice among the nodes"
            raise InputError(msg, path=path, line=entry_line(document, "nodes", i), field="gene")
        roles[node.gene] = node.role
        pathways[node.gene] = tuple(node.pathways)
    edges = []
    seen = set()
    for i, edge in enumerate(model.edges):
        for end in ("source", "target"):
            gene = getattr(edge, end)
            if gene not in roles:
                msg = (
                    f"edge {i + 1} ({edge.source} -> {edge.target}): {end} {gene!r} is not "
                    "among the nodes; add it to 'nodes' or fix the symbol"
                )
                line = field_line(document, "edges", i, end)
                raise InputError(msg, path=path, line=line, field=end)
        key = (edge.source, edge.target)
        if key in seen:
            msg = f"edge {i + 1} ({edge.source} -> {edge.target}) is listed twice"
            raise InputError(msg, path=path, line=entry_line(document, "edges", i))
        seen.add(key)
        edges.append((edge.source, edge.target, edge.sign))
    for gene in model.effectors:
        if gene not in roles:
            msg = f"effector {gene!r} is not among the nodes; add it to 'nodes' or fix the symbol"
            raise InputError(msg, path=path, field="effectors")
    return PathwayGraph(
        roles=roles, pathways=pathways, edges=edges, effectors=frozenset(model.effectors)
    )


def _parse(gene: str | None, text: str):
    from oncoresist.variants import parse_alteration

    return parse_alteration(gene, text)


def load_rules(
    path: str | Path,
    drugs: DrugIndex,
    graph: PathwayGraph,
    *,
    origin: str = "curated",
) -> tuple[list[ResistanceRule], list[str]]:
    """Validate a rules file, resolve names, parse alterations and classify each rule.

    Returns the rules and the warnings (curated classes that the graph contradicts).
    """
    path = Path(path)
    model, document = load_file(path, RulesFile)
    rules: list[ResistanceRule] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for i, entry in enumerate(model.rules):
        where = f"entry {i + 1} (id {entry.id!r})"

        def fail(message: str, field: str, *, _i: int = i, _where: str = where) -> None:
            line = field_line(document, "rules", _i, field)
            msg = f"{_where}, field {field!r}: {message}"
            raise InputError(msg, path=path, line=line, field=field)

        if entry.id in seen:
            fail("this id is already used by an earlier rule; ids must be unique", "id")
        seen.add(entry.id)
        try:
            alteration = _parse(entry.gene, entry.alteration)
        except ParseError as exc:
            fail(
                f"{exc.message}; write it as in docs/kb.md (e.g. 'T790M', 'AMPLIFICATION')",
                "alteration",
            )
        names: list[str] = []
        for name in entry.drugs:
            try:
                names.append(drugs.resolve(name).name)
            except InputError as exc:
                fail(exc.message, "drugs")
        drug_class = None
        if entry.drug_class:
            drug_class = drugs.find_class(entry.drug_class)
            if drug_class is None:
                import difflib

                classes = sorted({d.drug_class for d in drugs.drugs.values()})
                close = difflib.get_close_matches(entry.drug_class, classes, n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                fail(f"unknown drug class {entry.drug_class!r}{hint}", "drug_class")
            members = drugs.class_members(drug_class, entry.generations)
            if not members:
                fail(
                    f"no drug of class {drug_class!r} has generation {list(entry.generations)}",
                    "generation",
                )
            names.extend(members)
        alternatives = []
        for name in entry.alternatives:
            try:
                alternatives.append(drugs.resolve(name).name)
            except InputError as exc:
                fail(exc.message, "alternatives")
        requires = []
        for text in entry.requires:
            try:
                requires.append(str(_parse(None, text)))
            except ParseError as exc:
                fail(f"{exc.message}; write 'GENE ALTERATION', e.g. 'EGFR T790M'", "requires")
        rule = ResistanceRule(
            id=entry.id,
            alteration=alteration,
            drugs=tuple(sorted(set(names))),
            drug_class=drug_class,
            effect=entry.effect,
            evidence_level=entry.evidence_level,
            confidence=entry.confidence,
            disease=normalise_disease(entry.disease),
            references=tuple(entry.references),
            sources=(f"{origin}:{path.name}#{entry.id}",),
            alternatives=tuple(alternatives),
            requires=tuple(requires),
            phase=entry.phase,
            note=entry.note,
            origin=origin,
        )
        rule, warning = classify(
            rule, drugs, graph, curated=entry.mechanism, override=entry.mechanism_override
        )
        if warning:
            warnings.append(warning)
        rules.append(rule)
    return rules, warnings
