"""Compiling the knowledge base: curated YAML + CIViC + CGI → one deterministic JSON file.

The compiled file records the knowledge-base version (a series name plus a hash of every input),
the source releases with their SHA-256, the counts of what was loaded and refused, and the
rules with their derived mechanism classes. The same inputs always give the same bytes: no
timestamps, sorted keys, rules in a fixed order.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from oncoresist._core.atomic import atomic_write
from oncoresist._core.exceptions import KnowledgeBaseError
from oncoresist._core.provenance import file_sha256
from oncoresist.kb._classify import classify
from oncoresist.kb._curated import load_drugs, load_pathways, load_rules
from oncoresist.kb._drugs import DrugIndex
from oncoresist.kb._importers._report import ImportResult
from oncoresist.kb._importers.cgi import import_cgi
from oncoresist.kb._importers.civic import import_civic
from oncoresist.kb._pathways import PathwayGraph
from oncoresist.kb._rules import ResistanceRule

#: Version of the compiled file's layout; bump when the JSON changes shape.
FORMAT_VERSION = 1
#: Series of the knowledge base; the full version adds a hash of the inputs.
KB_SERIES = "2026.11"

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
SOURCES_DIR = PACKAGE_DIR / "sources"
COMPILED_DIR = DATA_DIR / "compiled"
COMPILED_FILE = "kb.json"
REPORT_FILE = "import_report.tsv"

CIVIC_FILE = "01-Aug-2021-ClinicalEvidenceSummaries.tsv"
CGI_FILE = "cgi_biomarkers_20170208.tsv"
SOURCES = (
    {
        "name": "CIViC",
        "release": "01-Aug-2021",
        "file": CIVIC_FILE,
        "licence": "CC0 1.0",
        "url": "https://civicdb.org/releases",
    },
    {
        "name": "CGI biomarkers",
        "release": "2017-02-08",
        "file": CGI_FILE,
        "licence": "CC0 1.0",
        "url": "https://www.cancergenomeinterpreter.org/biomarkers",
    },
)
CURATED_FILES = ("drugs.yaml", "pathways.yaml", "rules.yaml")

_LEVELS = "ABCDE"
_CONFIDENCES = ("high", "medium", "low")


@dataclass
class BuildResult:
    """What ``kb build`` wrote and the counts behind it."""

    kb_path: Path
    report_path: Path
    kb_version: str
    counts: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _merge_key(rule: ResistanceRule) -> tuple:
    return (
        str(rule.alteration),
        rule.drugs,
        rule.combination,
        rule.disease,
        rule.effect,
        rule.requires,
        rule.phase,
    )


def merge_imported(rules: list[ResistanceRule]) -> list[ResistanceRule]:
    """One rule per (alteration, drugs, disease, effect, requirements), all sources kept.

    The merged rule takes the strongest evidence level and confidence of its members and the
    id of the first one.
    """
    groups: dict[tuple, list[ResistanceRule]] = {}
    for rule in rules:
        groups.setdefault(_merge_key(rule), []).append(rule)
    merged = []
    for members in groups.values():
        first = members[0]
        if len(members) == 1:
            merged.append(first)
            continue
        notes = sorted({m.note for m in members if m.note})
        merged.append(
            replace(
                first,
                evidence_level=min(m.evidence_level for m in members),
                confidence=min((m.confidence for m in members), key=_CONFIDENCES.index),
                references=tuple(sorted({r for m in members for r in m.references})),
                sources=tuple(sorted({s for m in members for s in m.sources})),
                drug_class=next((m.drug_class for m in members if m.drug_class), None),
                note="; ".join(notes) if notes else None,
                origin="+".join(sorted({m.origin for m in members})),
            )
        )
    return merged


def _inputs_hash(files: list[Path]) -> str:
    digest = hashlib.sha256(f"format {FORMAT_VERSION}\n".encode())
    for path in files:
        digest.update(f"{path.name} {file_sha256(path)}\n".encode())
    return digest.hexdigest()


def _report_lines(results: list[ImportResult], warnings: list[str], drugs: DrugIndex) -> str:
    lines = ["source\tsource_id\tstatus\treason\tdetail"]
    for result in results:
        for source_id, reason, detail in result.refused:
            detail = detail.replace("\t", " ").replace("\n", " ")
            lines.append(f"{result.source}\t{source_id}\trefused\t{reason}\t{detail}")
    for result in results:
        for name, count in sorted(result.unresolved_drugs.items()):
            # a stricter cutoff than interactive suggestions: these are hints for curators
            close = drugs.suggestions(name, cutoff=0.8)
            hint = f"; close: {', '.join(close)}" if close else ""
            lines.append(f"{result.source}\t\tunresolved drug name\t{name}\t{count} item(s){hint}")
    for warning in warnings:
        lines.append(f"curated\t\twarning\tmechanism disagreement\t{warning}")
    return "\n".join(lines) + "\n"


def compile_kb(
    data_dir: Path = DATA_DIR,
    sources_dir: Path = SOURCES_DIR,
    out_dir: Path = COMPILED_DIR,
) -> BuildResult:
    """Build the compiled knowledge base from the curated YAML and the source releases."""
    start = time.perf_counter()
    data_dir, sources_dir, out_dir = Path(data_dir), Path(sources_dir), Path(out_dir)
    curated_paths = [data_dir / name for name in CURATED_FILES]
    source_paths = [sources_dir / s["file"] for s in SOURCES]
    for path in [*curated_paths, *source_paths]:
        if not path.is_file():
            msg = f"cannot build the knowledge base: {path} is missing"
            raise KnowledgeBaseError(msg)
    drugs: DrugIndex = load_drugs(curated_paths[0])
    graph: PathwayGraph = load_pathways(curated_paths[1])
    curated, warnings = load_rules(curated_paths[2], drugs, graph, origin="curated")
    civic = import_civic(source_paths[0], drugs, release=SOURCES[0]["release"])
    cgi = import_cgi(source_paths[1], drugs, release=SOURCES[1]["release"])
    imported = [classify(rule, drugs, graph)[0] for rule in civic.rules + cgi.rules]
    merged = merge_imported(imported)
    rules = sorted(curated + merged, key=lambda r: (r.gene or "", r.id))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        msg = f"rule ids are not unique: {', '.join(dup[:5])}"
        raise KnowledgeBaseError(msg)

    kb_version = f"{KB_SERIES}+{_inputs_hash(curated_paths + source_paths)[:12]}"
    by_class: dict[str, int] = {}
    for rule in rules:
        key = rule.mechanism or "unclassified"
        by_class[key] = by_class.get(key, 0) + 1
    counts = {
        "drugs": len(drugs.drugs),
        "pathway_genes": len(graph.roles),
        "pathway_edges": len(graph.edges),
        "curated_rules": len(curated),
        "imported_rules_before_merge": len(imported),
        "imported_rules": len(merged),
        "rules": len(rules),
        "rules_by_mechanism": dict(sorted(by_class.items())),
        "civic": civic.summary(),
        "cgi": cgi.summary(),
    }
    document = {
        "format": FORMAT_VERSION,
        "kb_version": kb_version,
        "sources": [
            {**s, "sha256": file_sha256(p)} for s, p in zip(SOURCES, source_paths, strict=True)
        ],
        "curated": {p.name: file_sha256(p) for p in curated_paths},
        "counts": counts,
        "warnings": warnings,
        "drugs": [drugs.drugs[name].to_dict() for name in sorted(drugs.drugs)],
        "pathways": graph.to_dict(),
        "rules": [r.to_dict() for r in rules],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    kb_path = out_dir / COMPILED_FILE
    report_path = out_dir / REPORT_FILE
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    with atomic_write(kb_path) as handle:
        handle.write(text + "\n")
    with atomic_write(report_path) as handle:
        handle.write(_report_lines([civic, cgi], warnings, drugs))
    # atomic_write's temporary files are private (0600); shipped data must be readable by all.
    umask = os.umask(0)
    os.umask(umask)
    for path in (kb_path, report_path):
        path.chmod(0o666 & ~umask)
    return BuildResult(
        kb_path=kb_path,
        report_path=report_path,
        kb_version=kb_version,
        counts=counts,
        warnings=warnings,
        seconds=time.perf_counter() - start,
    )


def inputs_version(data_dir: Path = DATA_DIR, sources_dir: Path = SOURCES_DIR) -> str:
    """The version a build of the inputs as they are now would get (a cheap staleness check)."""
    paths = [Path(data_dir) / name for name in CURATED_FILES]
    paths += [Path(sources_dir) / s["file"] for s in SOURCES]
    return f"{KB_SERIES}+{_inputs_hash(paths)[:12]}"
