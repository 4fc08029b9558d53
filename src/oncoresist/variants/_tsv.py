"""Plain alteration tables: ``gene``, ``alteration`` and optional sample, VAF and copy number.

Non-genetic states are written with the gene left empty and ``histology: SCLC transformation`` /
``phenotype: EMT`` as the alteration, or with ``histology`` / ``phenotype`` in the gene column.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from oncoresist._core.exceptions import InputError
from oncoresist._core.tables import read_table
from oncoresist.variants._readers import RowBuilder, SampleAlterations, parse_cached

_ALIASES = {
    "symbol": "gene",
    "gene_symbol": "gene",
    "variant": "alteration",
    "sample": "sample_id",
    "sample_name": "sample_id",
    "cn": "copy_number",
    "af": "vaf",
    "allele_fraction": "vaf",
    "phase": "haplotype",
}
_STATE_WORDS = ("histology", "phenotype")
_MISSING = {"", "na", "nan", "none", "null", "."}


def check_utf8(path: Path) -> None:
    """Raise InputError naming the line of the first byte that is not UTF-8."""
    import gzip

    with open(path, "rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as exc:
        msg = f"could not be read ({exc}); the file looks truncated or corrupt, write it again"
        raise InputError(msg, path=path) from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        msg = (
            f"is not UTF-8 text (byte 0x{bad} cannot be decoded: {exc.reason}); "
            "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`) and retry"
        )
        raise InputError(msg, path=path, line=line) from None


def _number(value: str | None) -> tuple[float | None, bool]:
    if value is None or value.strip().lower() in _MISSING:
        return None, True
    try:
        return float(value), True
    except ValueError:
        return None, False


def read_tsv(path: Path, *, genes: Collection[str] | None = None) -> SampleAlterations:
    """Read a gene/alteration table (TSV or CSV, plain or gzipped)."""
    check_utf8(path)
    keep_gene = None if genes is None else frozenset(genes).__contains__
    frame = read_table(path, required=["gene", "alteration"], aliases=_ALIASES)
    builder = RowBuilder()
    default_sample = path.name.split(".")[0]
    has_sample = "sample_id" in frame.columns
    samples: dict[str, None] = {}
    for row in frame.to_dict("records"):
        line = int(row["_line"])
        gene = (row.get("gene") or "").strip()
        text = (row.get("alteration") or "").strip()
        sample = (row.get("sample_id") or "").strip() if has_sample else default_sample
        if not sample:
            builder.problem(line, "sample_id is empty; name the sample or drop the column")
            continue
        samples.setdefault(sample)
        if not text:
            builder.problem(line, f"alteration is empty for gene {gene or '(none)'}")
            continue
        if gene.lower() in _STATE_WORDS:
            parsed, reason = parse_cached(None, f"{gene.lower()}: {text}")
        elif "-" in gene or "::" in gene:
            # a fusion written in the gene column (BCR-ABL1 / T315I): read gene and text together
            parsed, reason = parse_cached(None, f"{gene} {text}")
            if parsed is None:
                parsed, reason = parse_cached(gene, text)
        else:
            parsed, reason = parse_cached(gene or None, text)
        if parsed is None:
            builder.problem(line, reason or f"cannot parse {text!r}", text)
            continue
        values = {}
        bad = None
        for column in ("vaf", "copy_number", "depth", "alt_count"):
            number, ok = _number(row.get(column))
            if not ok:
                bad = f"column '{column}' must be a number; found {row.get(column)!r}"
                break
            values[column] = number
        if bad is None and values["vaf"] is not None and not 0 <= values["vaf"] <= 1:
            bad = (
                f"vaf must be a fraction between 0 and 1; found {row.get('vaf')!r} "
                "(a percentage? divide by 100)"
            )
        if bad is None and values["copy_number"] is not None and values["copy_number"] < 0:
            bad = f"copy_number must be >= 0; found {row.get('copy_number')!r}"
        if bad is not None:
            builder.problem(line, bad, text)
            continue
        if keep_gene is not None:
            touched = getattr(parsed, "genes", ())
            if touched and not any(keep_gene(g) for g in touched):
                builder.skip("gene outside the knowledge base")
                continue
        haplotype = (row.get("haplotype") or "").strip() or None
        builder.add(
            sample,
            parsed,
            line=line,
            text=f"{gene} {text}".strip(),
            vaf=values["vaf"],
            depth=None if values["depth"] is None else int(values["depth"]),
            alt_count=None if values["alt_count"] is None else int(values["alt_count"]),
            copy_number=values["copy_number"],
            haplotype=haplotype,
        )
    return SampleAlterations(
        builder.frame(),
        tuple(builder.problems),
        "tsv",
        str(path),
        tuple(samples) or (default_sample,),
        builder.skipped,
    )
