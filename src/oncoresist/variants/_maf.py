"""GDC Mutation Annotation Format (MAF): one row per somatic variant call per tumour sample.

Columns used (GDC MAF specification): ``Hugo_Symbol``, ``Variant_Classification``,
``Tumor_Sample_Barcode``, ``HGVSp_Short`` (falling back to ``HGVSp``, then ``HGVSc`` for splice
sites), ``t_depth``, ``t_ref_count``, ``t_alt_count``. Rows whose classification does not change
the protein (Silent, Intron, UTR, flanks, IGR, RNA) are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from oncoresist._core.exceptions import InputError
from oncoresist._core.tables import read_table
from oncoresist.variants._readers import RowBuilder, SampleAlterations, parse_cached
from oncoresist.variants._tsv import check_utf8

#: Variant_Classification values that leave the protein sequence unchanged.
NON_PROTEIN = frozenset(
    {
        "Silent",
        "Intron",
        "3'UTR",
        "5'UTR",
        "3'Flank",
        "5'Flank",
        "IGR",
        "RNA",
        "lincRNA",
        "Splice_Region",
        "Targeted_Region",
    }
)
_REQUIRED = ("Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode")
_PROTEIN_COLUMNS = ("HGVSp_Short", "HGVSp", "Protein_Change")


def _int(value: str | None) -> int | None:
    if value is None or value.strip() in ("", ".", "NA"):
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def read_maf(path: Path, *, genes: Collection[str] | None = None) -> SampleAlterations:
    """Read a GDC MAF (plain or gzipped; ``#version`` lines are skipped)."""
    check_utf8(path)
    keep_gene = None if genes is None else frozenset(genes).__contains__
    frame = read_table(path, required=_REQUIRED)
    protein_columns = [c for c in _PROTEIN_COLUMNS if c in frame.columns]
    if not protein_columns:
        found = ", ".join(c for c in frame.columns if c != "_line")
        msg = (
            "is a MAF without a protein-change column: expected HGVSp_Short (or HGVSp); "
            f"found columns: {found}. Annotate it with VEP/vcf2maf first"
        )
        raise InputError(msg, path=path)
    builder = RowBuilder()
    samples: dict[str, None] = {}
    for row in frame.to_dict("records"):
        line = int(row["_line"])
        sample = (row.get("Tumor_Sample_Barcode") or "").strip()
        gene = (row.get("Hugo_Symbol") or "").strip()
        classification = (row.get("Variant_Classification") or "").strip()
        if not sample:
            builder.problem(line, "Tumor_Sample_Barcode is empty")
            continue
        samples.setdefault(sample)
        if not gene or gene == "Unknown":
            builder.problem(line, f"Hugo_Symbol is empty or Unknown ({classification})")
            continue
        if classification in NON_PROTEIN:
            builder.skip(f"protein unchanged ({classification})")
            continue
        if keep_gene is not None and not keep_gene(gene):
            builder.skip("gene outside the knowledge base")
            continue
        text = ""
        for column in protein_columns:
            value = (row.get(column) or "").strip()
            if value:
                text = value.split(":", 1)[1] if value.startswith("ENSP") else value
                break
        if not text and classification == "Splice_Site":
            text = (row.get("HGVSc") or "").strip() or "splice variant"
        if not text:
            builder.problem(line, f"{gene} {classification} has no HGVSp_Short/HGVSp", gene)
            continue
        if text.endswith("=") or text in ("p.?", "p.0"):
            builder.skip("protein unchanged (synonymous)")
            continue
        parsed, reason = parse_cached(gene, text)
        if parsed is None:
            builder.problem(line, reason or f"cannot parse {text!r}", text)
            continue
        alt = _int(row.get("t_alt_count"))
        ref = _int(row.get("t_ref_count"))
        depth = _int(row.get("t_depth"))
        if depth is None and alt is not None and ref is not None:
            depth = alt + ref
        if alt is not None and depth is not None and alt > depth:
            builder.problem(
                line, f"t_alt_count ({alt}) is larger than the depth ({depth})", text
            )
            continue
        vaf = alt / depth if alt is not None and depth else None
        builder.add(sample, parsed, line=line, text=f"{gene} {text}", vaf=vaf, depth=depth,
                    alt_count=alt)
    return SampleAlterations(
        builder.frame(), tuple(builder.problems), "maf", str(path), tuple(samples),
        builder.skipped,
    )
