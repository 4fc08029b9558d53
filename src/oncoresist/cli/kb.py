"""`oncoresist kb ...`: build and query the resistance knowledge base."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from oncoresist.cli._common import console, show_frame, show_json

app = typer.Typer(
    help="The resistance knowledge base: drugs, pathways, resistance rules.",
    no_args_is_help=True,
)

Extra = Annotated[
    list[Path] | None,
    typer.Option(
        "--kb-extra", help="YAML file of your own rules in the curated schema (repeatable)."
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Wide = Annotated[bool, typer.Option("--wide", help="All columns on a terminal.")]
Disease = Annotated[
    str | None, typer.Option("--disease", help="Only rules that apply to this disease.")
]

# On a terminal the table shows what one reads first; --wide (or TSV/JSON) shows everything.
_SHORT_COLUMNS = [
    "id",
    "alteration",
    "drugs",
    "effect",
    "mechanism",
    "disease",
    "evidence_level",
    "alternatives",
]


def _rules_table(rules, *, title: str, as_json: bool, wide: bool) -> None:
    if as_json:
        show_json(
            {"kb_version": rules.kb_version, "query": rules.query, "rules": rules.to_records()}
        )
        return
    frame = rules.to_frame()
    if frame.empty:
        sys.stderr.write(f"no rules found for {title}\n")
        return
    if not wide and console.is_terminal:
        frame = frame[_SHORT_COLUMNS]
    show_frame(frame, title=f"{title} (knowledge base {rules.kb_version})")


@app.command("build")
def build(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder (default: the package's kb/data/compiled)."),
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Folder of drugs/pathways/rules YAML.")
    ] = None,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="Folder of the CIViC and CGI files.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Compile the knowledge base from the curated YAML and the CIViC and CGI releases."""
    from oncoresist.kb import build_kb

    result = build_kb(data_dir=data, sources_dir=sources, out_dir=out)
    payload = {
        "kb_version": result.kb_version,
        "kb": str(result.kb_path),
        "report": str(result.report_path),
        "counts": result.counts,
        "warnings": result.warnings,
        "seconds": round(result.seconds, 3),
    }
    if as_json:
        show_json(payload)
        return
    counts = result.counts
    rows = [
        ("version", result.kb_version),
        ("written", str(result.kb_path)),
        ("import report", str(result.report_path)),
        ("drugs", counts["drugs"]),
        ("pathway genes / edges", f"{counts['pathway_genes']} / {counts['pathway_edges']}"),
        ("curated rules", counts["curated_rules"]),
        ("imported rules (after merging)", counts["imported_rules"]),
    ]
    for source in ("civic", "cgi"):
        c = counts[source]
        refused = ", ".join(f"{k} {v}" for k, v in c["refused_by_reason"].items()) or "none"
        rows.append(
            (
                f"{c['source']} {c['release']}",
                f"{c['items']} resistance items: {c['loaded_items']} loaded, "
                f"{c['refused_items']} refused ({refused})",
            )
        )
    rows.append(
        ("rules by class", ", ".join(f"{k} {v}" for k, v in counts["rules_by_mechanism"].items()))
    )
    rows.append(("warnings", len(result.warnings)))
    rows.append(("seconds", f"{result.seconds:.2f}"))
    show_frame(pd.DataFrame(rows, columns=["item", "value"]), title="knowledge base built")
    for warning in result.warnings:
        sys.stderr.write(f"warning: {warning}\n")


@app.command("drug")
def drug(
    name: Annotated[str, typer.Argument(help="Any name of the drug (brand, code, salt names).")],
    extra: Extra = None,
    as_json: Json = False,
) -> None:
    """Show a drug: canonical name, synonyms, class, generation, targets."""
    from oncoresist.kb import get_drug

    found = get_drug(name, extra=extra or None)
    if as_json:
        show_json(found.to_dict())
        return
    show_frame(found.to_frame(), title=found.name)


@app.command("alteration")
def alteration(
    gene: Annotated[str, typer.Argument(help="Gene symbol (EGFR), or a whole alteration text.")],
    text: Annotated[
        str, typer.Argument(help="The alteration as written: T790M, 'exon 19 deletion'.")
    ] = "",
    drug: Annotated[str | None, typer.Option("--drug", help="Only rules about this drug.")] = None,
    disease: Disease = None,
    specific: Annotated[
        bool,
        typer.Option(
            "--specific/--no-specific", help="Also show rules more specific than the pattern."
        ),
    ] = True,
    wide: Wide = False,
    extra: Extra = None,
    as_json: Json = False,
) -> None:
    """Show the rules that apply to an alteration: effect, class, evidence, alternatives."""
    from oncoresist.kb import load_kb
    from oncoresist.variants import parse_alteration

    parsed = parse_alteration(gene, text) if text else parse_alteration(None, gene)
    base = load_kb(extra or None)
    rules = base.rules_for(parsed, drug, disease, include_specific=specific)
    _rules_table(rules, title=str(parsed), as_json=as_json, wide=wide)


@app.command("mechanisms")
def mechanisms(
    drug: Annotated[str, typer.Option("--drug", help="Any name of the drug.")],
    disease: Disease = None,
    wide: Wide = False,
    extra: Extra = None,
    as_json: Json = False,
) -> None:
    """Show every known resistance mechanism for a drug, grouped by class."""
    from oncoresist.kb import load_kb

    rules = load_kb(extra or None).mechanisms(drug, disease)
    if as_json or not console.is_terminal:
        _rules_table(
            rules, title=f"resistance to {rules.query['drug']}", as_json=as_json, wide=wide
        )
        return
    groups = rules.by_mechanism()
    if not groups:
        sys.stderr.write(f"no resistance mechanisms known for {rules.query['drug']}\n")
    for name, group in groups.items():
        _rules_table(
            group, title=f"{name}: resistance to {rules.query['drug']}", as_json=False, wide=wide
        )
