"""The loaded knowledge base and its queries.

Loading reads one JSON file and indexes the rules by gene and by drug without parsing any
alteration; a gene's rules are parsed the first time that gene is asked about, and the answers to
repeated questions are cached, so that annotating millions of records costs one dictionary
lookup and a few ``matches`` calls per record.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from oncoresist._core.exceptions import InputError, KnowledgeBaseError, ParseError
from oncoresist.kb._disease import disease_applies, normalise_disease
from oncoresist.kb._drugs import Drug, DrugIndex
from oncoresist.kb._pathways import Derivation, PathwayGraph
from oncoresist.kb._rules import ResistanceRule, RuleSet

_CACHE_SIZE = 1 << 16


def parse_canonical(text: str):
    """Parse an alteration as stored in the compiled file (its canonical form)."""
    from oncoresist.variants import Alteration, parse_alteration

    try:
        return Alteration.parse(text)
    except (ParseError, ValueError):
        return parse_alteration(None, text)


def coerce_alteration(alteration: Any):
    """An Alteration (or compound) from an object or a text such as ``"EGFR T790M"``."""
    if isinstance(alteration, str):
        from oncoresist.variants import parse_alteration

        text = alteration.strip()
        if not text:
            msg = "alteration is empty; write e.g. 'EGFR T790M' or 'MET amplification'"
            raise InputError(msg, field="alteration")
        return parse_alteration(None, text)
    if not hasattr(alteration, "kind") and not hasattr(alteration, "parts"):
        msg = (
            f"alteration must be a variants.Alteration or a text such as 'EGFR T790M', "
            f"got {type(alteration).__name__}"
        )
        raise InputError(msg, field="alteration")
    return alteration


def _genes_of(alteration) -> list[str | None]:
    genes = list(getattr(alteration, "genes", ()))
    return genes or [None]


class KnowledgeBase:
    """The compiled knowledge base, with optional user rules on top.

    Use :func:`oncoresist.kb.load_kb` rather than building one directly.
    """

    def __init__(self, document: dict[str, Any], *, path: Path | None = None) -> None:
        self.path = path
        self.document = document
        self.version: str = document["kb_version"]
        self.sources: list[dict] = document["sources"]
        self.counts: dict = document["counts"]
        self.drugs = DrugIndex.from_drugs(Drug.from_dict(d) for d in document["drugs"])
        self.graph = PathwayGraph.from_dict(document["pathways"])
        self._raw: list[dict] = list(document["rules"])
        self._materialised: dict[int, ResistanceRule] = {}
        self._extra: list[ResistanceRule] = []
        self.extra_files: tuple[str, ...] = ()
        self._reindex()

    # -- indexes ---------------------------------------------------------------------------

    def _reindex(self) -> None:
        by_gene: dict[str, list[int]] = {}
        by_drug: dict[str, list[int]] = {}
        for i, raw in enumerate(self._raw):
            for gene in raw.get("genes") or [raw["gene"] or ""]:
                by_gene.setdefault(gene, []).append(i)
            for name in raw["drugs"]:
                by_drug.setdefault(name, []).append(i)
        self._by_gene = by_gene
        self._by_drug = by_drug
        self._gene_rules: dict[str, tuple[ResistanceRule, ...]] = {}
        self._gene_patterns: dict[str, tuple] = {}
        self._known_genes: frozenset[str] | None = None
        self._match = functools.lru_cache(maxsize=_CACHE_SIZE)(self._match_uncached)

    def _rule(self, i: int) -> ResistanceRule:
        rule = self._materialised.get(i)
        if rule is None:
            raw = self._raw[i]
            if "_object" in raw:
                rule = raw["_object"]
            else:
                try:
                    alteration = parse_canonical(raw["alteration"])
                except ParseError as exc:
                    msg = (
                        f"compiled rule {raw['id']} has an alteration the parser no longer "
                        f"reads ({exc}); rebuild with `oncoresist kb build`"
                    )
                    raise KnowledgeBaseError(msg) from None
                rule = ResistanceRule.from_dict(raw, alteration)
            self._materialised[i] = rule
        return rule

    def rules_of_gene(self, gene: str | None) -> tuple[ResistanceRule, ...]:
        """Every rule whose alteration is in ``gene`` (None: phenotype and histology rules)."""
        key = gene or ""
        cached = self._gene_rules.get(key)
        if cached is None:
            cached = tuple(self._rule(i) for i in self._by_gene.get(key, ()))
            self._gene_rules[key] = cached
        return cached

    def _patterns_of_gene(
        self, gene: str | None
    ) -> tuple[tuple[Any, tuple[ResistanceRule, ...]], ...]:
        """A gene's rules grouped by pattern: each distinct pattern is matched once per query."""
        key = gene or ""
        cached = self._gene_patterns.get(key)
        if cached is None:
            groups: dict[Any, list[ResistanceRule]] = {}
            for rule in self.rules_of_gene(gene):
                groups.setdefault(rule.alteration, []).append(rule)
            cached = tuple((pattern, tuple(rules)) for pattern, rules in groups.items())
            self._gene_patterns[key] = cached
        return cached

    def known_genes(self) -> frozenset[str]:
        """Genes the knowledge base can say something about: those of its rules (user rules
        included) and the nodes of its pathway graph. An alteration in any other gene gets no
        rule and no derived mechanism. Computed once, without parsing any alteration."""
        if self._known_genes is None:
            self._known_genes = frozenset(g for g in self._by_gene if g) | self.graph.genes
        return self._known_genes

    def all_rules(self) -> tuple[ResistanceRule, ...]:
        """Every rule (parses all alterations: for export and tests, not for hot loops)."""
        return tuple(self._rule(i) for i in range(len(self._raw)))

    def with_extra(
        self, rules: Iterable[ResistanceRule], files: Iterable[str] = ()
    ) -> KnowledgeBase:
        """A copy with more rules (already validated and classified) on top."""
        clone = object.__new__(KnowledgeBase)
        clone.__dict__.update(self.__dict__)
        extra = list(rules)
        known = {raw["id"] for raw in self._raw}
        for rule in extra:
            if rule.id in known:
                msg = (
                    f"rule id {rule.id!r} is already used in the knowledge base; choose another id"
                )
                raise InputError(msg, field="id")
            known.add(rule.id)
        clone._raw = self._raw + [{**r.to_dict(), "_object": r} for r in extra]
        clone._materialised = dict(self._materialised)
        clone._extra = self._extra + extra
        clone.extra_files = self.extra_files + tuple(files)
        clone._reindex()
        return clone

    # -- queries ---------------------------------------------------------------------------

    def drug(self, name: str) -> Drug:
        """The Drug for any of its names; unknown names raise with close matches."""
        return self.drugs.resolve(name)

    def _drug_name(self, drug: str | Drug | None) -> str | None:
        if drug is None:
            return None
        if isinstance(drug, Drug):
            return drug.name
        return self.drugs.resolve(drug).name

    def _match_uncached(
        self, alteration, drug: str | None, disease: str | None, include_specific: bool
    ) -> tuple[ResistanceRule, ...]:
        found: dict[str, ResistanceRule] = {}
        for gene in _genes_of(alteration):
            for pattern, rules in self._patterns_of_gene(gene):
                if drug is not None and not any(drug in r.drugs for r in rules):
                    continue
                if not (
                    pattern.matches(alteration)
                    or (include_specific and _safe_matches(alteration, pattern))
                ):
                    continue
                for rule in rules:
                    if drug is not None and drug not in rule.drugs:
                        continue
                    if disease is not None and not disease_applies(rule.disease, disease):
                        continue
                    found[rule.id] = rule
        return tuple(sorted(found.values(), key=ResistanceRule.sort_key))

    def rules_for(
        self,
        alteration: Any,
        drug: str | Drug | None = None,
        disease: str | None = None,
        *,
        include_specific: bool = False,
    ) -> RuleSet:
        """Rules whose pattern matches ``alteration`` (optionally for one drug and disease)."""
        parsed = coerce_alteration(alteration)
        name = self._drug_name(drug)
        canonical_disease = normalise_disease(disease)
        rules = self._match(parsed, name, canonical_disease, include_specific)
        query = {
            "alteration": str(parsed),
            "drug": name,
            "disease": canonical_disease,
            "include_specific": include_specific,
        }
        return RuleSet(rules, query, self.version)

    def mechanisms(
        self,
        drug: str | Drug,
        disease: str | None = None,
        *,
        effects: tuple[str, ...] = ("resistance", "reduced sensitivity"),
    ) -> RuleSet:
        """Every resistance mechanism known for ``drug``, ordered by class then evidence."""
        name = self._drug_name(drug)
        canonical_disease = normalise_disease(disease)
        rules = []
        for i in self._by_drug.get(name, ()):
            raw = self._raw[i]
            if raw["effect"] not in effects or not disease_applies(raw["disease"], disease):
                continue
            rules.append(self._rule(i))
        rules.sort(key=ResistanceRule.sort_key)
        query = {"drug": name, "disease": canonical_disease, "effects": list(effects)}
        return RuleSet(tuple(rules), query, self.version)

    def derive(self, alteration: Any, drug: str | Drug) -> Derivation:
        """Mechanism class the pathway graph derives for ``alteration`` against ``drug``."""
        parsed = coerce_alteration(alteration)
        target_drug = self.drugs.drugs[self._drug_name(drug)]
        from oncoresist.kb._classify import best_derivation

        return best_derivation(self.graph, _genes_of(parsed), target_drug.targets)

    def info(self) -> dict[str, Any]:
        """Version, sources, counts and any extra rule files."""
        return {
            "kb_version": self.version,
            "sources": self.sources,
            "counts": self.counts,
            "extra_files": list(self.extra_files),
            "extra_rules": len(self._extra),
            "path": None if self.path is None else str(self.path),
        }


def _safe_matches(pattern, alteration) -> bool:
    try:
        return bool(pattern.matches(alteration))
    except (TypeError, ValueError, AttributeError):
        return False


@functools.lru_cache(maxsize=4)
def _read_compiled(path: str, stamp: tuple[int, int]) -> KnowledgeBase:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        msg = (
            f"the compiled knowledge base {path} is missing; run `oncoresist kb build` "
            "(or reinstall the package)"
        )
        raise KnowledgeBaseError(msg) from None
    except json.JSONDecodeError as exc:
        msg = f"the compiled knowledge base {path} is damaged ({exc}); run `oncoresist kb build`"
        raise KnowledgeBaseError(msg) from None
    return KnowledgeBase(document, path=Path(path))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


def read_compiled(path: Path) -> KnowledgeBase:
    """Load (once per file version) the compiled knowledge base at ``path``."""
    resolved = Path(path).resolve()
    return _read_compiled(str(resolved), _stamp(resolved))


@functools.lru_cache(maxsize=16)
def _with_extra(base: KnowledgeBase, files: tuple[tuple[str, tuple[int, int]], ...]):
    from oncoresist.kb._curated import load_rules

    rules: list[ResistanceRule] = []
    for name, _ in files:
        loaded, _warnings = load_rules(name, base.drugs, base.graph, origin="extra")
        rules.extend(loaded)
    return base.with_extra(rules, [name for name, _ in files])


def add_extra(base: KnowledgeBase, extra: Iterable[str | os.PathLike[str]]) -> KnowledgeBase:
    """The knowledge base with the rules of the user's YAML files on top (cached per file)."""
    files = []
    for item in extra:
        path = Path(item)
        if not path.is_file():
            msg = "extra rules file not found; check the path given to --kb-extra"
            raise InputError(msg, path=path)
        resolved = path.resolve()
        files.append((str(resolved), _stamp(resolved)))
    if not files:
        return base
    return _with_extra(base, tuple(files))
