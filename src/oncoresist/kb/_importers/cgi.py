"""Cancer Genome Interpreter biomarkers (release 2017-02) → resistance rules.

The CGI writes alterations as ``GENE:spec,spec`` (any of the specs), ``;`` between the parts of
a multi-gene biomarker (all needed), ``GENE1__GENE2`` for fusions, and specs such as ``T315I``,
``F359.`` (any change at residue 359), ``.`` (any mutation), ``amp``, ``del``, ``over``,
``under``, ``627-664`` (a residue range) or ``::consequence::inframe_insertion:762-823``.
Drugs are a name, ``A;B`` (given together), ``[A,B]`` (each of the family members listed), or
``[]`` with the family in ``Drug family``. Rows with ``Association`` "Resistant" are imported.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from oncoresist._core.exceptions import InputError, ParseError
from oncoresist.kb._disease import cgi_tumour_type
from oncoresist.kb._drugs import DrugIndex
from oncoresist.kb._importers._families import family_members
from oncoresist.kb._importers._report import ImportResult
from oncoresist.kb._rules import ResistanceRule

REQUIRED = (
    "Alteration",
    "Drug",
    "Drug family",
    "Association",
    "Evidence level",
    "Source",
    "Primary Tumor type",
)

# CGI evidence levels → A-E (A guideline, B clinical trial, C case report, D preclinical).
_LEVELS = {
    "fda guidelines": "A",
    "nccn guidelines": "A",
    "nccn/cap guidelines": "A",
    "european leukemianet guidelines": "A",
    "cpic guidelines": "A",
    "late trials": "B",
    "clinical trial": "B",
    "early trials": "B",
    "case report": "C",
    "pre-clinical": "D",
}
_CONFIDENCE = {"A": "high", "B": "medium", "C": "low", "D": "low", "E": "low"}


def read_cgi(path: str | Path) -> pd.DataFrame:
    """Read the CGI biomarkers TSV, checking its columns."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)
    except (OSError, pd.errors.ParserError) as exc:
        msg = f"could not be read as a CGI biomarkers TSV ({exc})"
        raise InputError(msg, path=path) from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        msg = (
            f"is not a CGI biomarkers table: missing column(s) {', '.join(missing)}; use "
            "cgi_biomarkers_YYYYMMDD.tsv from cancergenomeinterpreter.org"
        )
        raise InputError(msg, path=path, line=1)
    frame["_line"] = range(2, len(frame) + 2)
    return frame


def spec_text(spec: str) -> str | None:
    """A CGI alteration spec as parse_alteration reads it; None for wild-type.

    Residue forms (``F359.``, ``.537.``, ``627-664``) are read by the parser as the CGI writes
    them. Consequence specs (``::consequence::inframe_insertion:762-823``) name an event type
    over a residue span without the residues; they are passed on as written and refused as
    unparsable rather than widened to "any mutation in the span".
    """
    spec = spec.strip()
    words = {
        ".": "MUTATION",
        "amp": "AMPLIFICATION",
        "del": "DELETION",
        "over": "OVEREXPRESSION",
        "under": "UNDEREXPRESSION",
    }
    if spec in words:
        return words[spec]
    if spec.startswith("::wildtype"):
        return None
    return spec


def split_alteration(text: str) -> list[tuple[str, list[str]]]:
    """``"NF1:del;BRAF:."`` → ``[("NF1", ["del"]), ("BRAF", ["."])]``; fusions kept whole.

    A part without a gene (``"MET:Y1230C;Y1235D"``) continues the previous gene's list.
    """
    parts: list[tuple[str, list[str]]] = []
    for chunk in (c.strip() for c in text.split(";")):
        if not chunk:
            continue
        if "__" in chunk:
            five, three = chunk.split("__", 1)
            if five == ".":
                parts.append((three, ["FUSION"]))
            else:
                parts.append((three, [f"{five}::{three} fusion"]))
            continue
        if "::" in chunk:
            gene, _, rest = chunk.partition("::")
            if rest.startswith("wildtype"):
                parts.append((gene, ["::wildtype"]))
                continue
            rest = rest.removeprefix("consequence::")
            specs = [f"::consequence::{s.removeprefix('::')}" for s in rest.split(",::")]
            parts.append((gene, specs))
            continue
        gene, colon, specs = chunk.partition(":")
        if colon and gene:
            parts.append((gene, [s for s in specs.split(",") if s]))
        elif parts:
            parts[-1][1].extend(s for s in chunk.split(",") if s)
        else:
            parts.append(("", [chunk]))
    return parts


def _level(text: str) -> str | None:
    levels = [_LEVELS.get(t.strip().lower()) for t in text.split(",")]
    known = [lv for lv in levels if lv]
    return min(known) if known else None


def import_cgi(path: str | Path, drugs: DrugIndex, *, release: str = "2017-02-08") -> ImportResult:
    """Turn the CGI "Resistant" biomarkers of ``path`` into rules; refuse the rest with a reason."""
    from oncoresist.variants import parse_alteration

    frame = read_cgi(path)
    result = ImportResult(source="CGI", release=release)
    rows = frame[frame["Association"].str.strip() == "Resistant"]
    result.items = len(rows)
    for _, row in rows.iterrows():
        line = int(row["_line"])
        source_id = f"CGI:{release}:line {line}"
        raw = row["Alteration"].strip()
        parts = split_alteration(raw)
        if any(s.startswith("::wildtype") for _, specs in parts for s in specs):
            result.refuse(source_id, "wild-type biomarker", raw)
            continue
        if any(len(specs) > 1 for _, specs in parts[1:]):
            result.refuse(source_id, "compound with alternatives", raw)
            continue
        try:
            alternatives = [parse_alteration(parts[0][0], spec_text(s)) for s in parts[0][1]]
            requires = tuple(str(parse_alteration(g, spec_text(s[0]))) for g, s in parts[1:])
        except ParseError as exc:
            # Consequence specs come with a readable biomarker name ("EGFR exon 20 insertions").
            biomarker = row.get("Biomarker", "").strip()
            try:
                if len(parts) != 1 or not biomarker:
                    raise exc
                alternatives, requires = [parse_alteration(None, biomarker)], ()
            except ParseError:
                result.refuse(source_id, "unparsable alteration", f"{raw}: {exc.message}")
                continue
        # Drugs: "A;B" together; "[A,B]" each; "[]" the family.
        drug_text = row["Drug"].strip()
        family_text = row["Drug family"].strip().strip("[]")
        groups: list[tuple[tuple[str, ...], str | None, bool]] = []  # (drugs, class, combination)
        unresolved: list[str] = []
        if drug_text in {"", "[]"}:
            if ";" in family_text:
                result.refuse(source_id, "combination of drug families", family_text)
                continue
            members = family_members(family_text, drugs)
            if not members:
                result.unresolved_drugs[f"[{family_text}]"] += 1
                result.refuse(source_id, "unresolved drug family", family_text)
                continue
            groups.append((members, family_text, False))
        else:
            combination = ";" in drug_text and not drug_text.startswith("[")
            names = [n.strip() for n in re.split(r"[;,]", drug_text.strip("[]")) if n.strip()]
            canon = []
            for name in names:
                found = drugs.find(name)
                if found is None:
                    unresolved.append(name)
                    result.unresolved_drugs[name] += 1
                else:
                    canon.append(found)
            if combination:
                if unresolved:
                    families = [n for n in unresolved if family_members(n, drugs)]
                    reason = "combination of drug families" if families else "unresolved drug"
                    result.refuse(
                        source_id, reason, f"combination includes {', '.join(unresolved)}"
                    )
                    continue
                groups.append((tuple(sorted(canon)), None, True))
            else:
                if not canon:
                    result.refuse(source_id, "unresolved drug", ", ".join(unresolved))
                    continue
                groups.extend(((c,), None, False) for c in canon)
        if unresolved:
            result.partly_resolved += 1
        level = _level(row["Evidence level"]) or "E"
        references = tuple(sorted({s for s in re.findall(r"PMID:\d+", row["Source"])}))
        diseases = [cgi_tumour_type(t) for t in row["Primary Tumor type"].split(";") if t.strip()]
        n = 0
        for alteration in alternatives:
            for members, family, combination in groups:
                for disease in diseases or [None]:
                    n += 1
                    result.rules.append(
                        ResistanceRule(
                            id=f"CGI-L{line}-{n}",
                            alteration=alteration,
                            drugs=members,
                            drug_class=family,
                            combination=combination,
                            effect="resistance",
                            evidence_level=level,
                            confidence=_CONFIDENCE[level],
                            disease=disease,
                            references=references,
                            sources=(source_id,),
                            requires=requires,
                            origin="cgi",
                        )
                    )
        result.loaded_items += 1
    return result
