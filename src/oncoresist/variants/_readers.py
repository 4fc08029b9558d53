"""Read sample alterations from VCF, GDC MAF or a plain TSV, detecting the format from content.

Every reader returns the same :class:`SampleAlterations`: one row per alteration found in a
sample (with VAF, depth, copy number and phase where the file says them) and the list of
records that could not be interpreted, each with its line and the reason. A record that cannot
be read never stops the others; ``strict=True`` turns the first one into an error.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core.atomic import write_text_atomic
from oncoresist._core.exceptions import InputError, ParseError

PathLike = str | os.PathLike[str]

#: Columns of :meth:`SampleAlterations.to_frame`, in order.
COLUMNS = (
    "sample_id",
    "gene",
    "alteration",
    "kind",
    "vaf",
    "depth",
    "alt_count",
    "copy_number",
    "haplotype",
    "line",
    "source_text",
)
#: Column holding the parsed Alteration objects (not written).
OBJECT_COLUMN = "_alteration"

FORMATS = ("vcf", "maf", "tsv")


@dataclass(frozen=True)
class ReadProblem:
    """A record that could not be interpreted: where it is and why."""

    line: int | None
    reason: str
    record: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.reason}"


class RowBuilder:
    """Collects alteration rows column by column (cheap for millions of records)."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {c: [] for c in (*COLUMNS, OBJECT_COLUMN)}
        self.problems: list[ReadProblem] = []
        self.skipped: dict[str, int] = {}
        self._blocks: list[pd.DataFrame] = []

    def add(
        self,
        sample: str,
        alteration: Any,
        *,
        line: int | None,
        text: str,
        vaf: float | None = None,
        depth: int | None = None,
        alt_count: int | None = None,
        copy_number: float | None = None,
        haplotype: str | None = None,
    ) -> None:
        c = self.columns
        c["sample_id"].append(sample)
        c["gene"].append(getattr(alteration, "gene", None))
        c["alteration"].append(str(alteration))
        kind = getattr(alteration, "kind", None)
        c["kind"].append("compound" if kind is None else kind.value)
        c["vaf"].append(vaf)
        c["depth"].append(depth)
        c["alt_count"].append(alt_count)
        c["copy_number"].append(copy_number)
        c["haplotype"].append(haplotype)
        c["line"].append(line)
        c["source_text"].append(text)
        c[OBJECT_COLUMN].append(alteration)

    def problem(self, line: int | None, reason: str, record: str = "") -> None:
        self.problems.append(ReadProblem(line, reason, record))

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def take_rows(self) -> pd.DataFrame:
        """The rows added one by one since the last call, as a frame; the lists are emptied."""
        data: dict[str, Any] = dict(self.columns)
        for column in ("vaf", "copy_number"):
            data[column] = pd.array(data[column], dtype="Float64").astype(float)
        for column in ("depth", "alt_count", "line"):
            data[column] = pd.array(data[column], dtype="Int64")
        objects = data.pop(OBJECT_COLUMN)
        frame = pd.DataFrame(data, columns=list(COLUMNS))
        frame[OBJECT_COLUMN] = pd.Series(objects, dtype=object, index=frame.index)
        self.columns = {c: [] for c in (*COLUMNS, OBJECT_COLUMN)}
        return frame

    def flush(self) -> None:
        """Keep the rows added one by one so far before anything added later."""
        if len(self.columns["sample_id"]):
            self._blocks.append(self.take_rows())

    def add_block(self, block: pd.DataFrame) -> None:
        """Append rows built column-wise (the columns and dtypes of :meth:`take_rows`).

        Rows added one by one before the block stay before it.
        """
        self.flush()
        if len(block):
            self._blocks.append(block)

    def frame(self) -> pd.DataFrame:
        """Every row, in the order added (blocks and single rows)."""
        rows = self.take_rows()
        blocks = [b for b in self._blocks if len(b)]
        if len(rows) or not blocks:
            blocks.append(rows)
        frame = concat_rows(blocks)
        self._blocks = [frame]  # frame() may be called again
        return frame


def concat_rows(blocks: list[pd.DataFrame]) -> pd.DataFrame:
    """Row frames one after the other, column by column.

    ``pd.concat`` tests every value of an object column for missingness, which costs as much
    as building the rows; the columns here have one dtype in every block.
    """
    if len(blocks) == 1:
        return blocks[0].reset_index(drop=True)
    data = {}
    for column in blocks[0].columns:
        parts = [b[column].array for b in blocks]
        if isinstance(parts[0], pd.arrays.IntegerArray):
            data[column] = type(parts[0])._concat_same_type(parts)
        else:
            data[column] = np.concatenate([np.asarray(p) for p in parts])
    return pd.DataFrame(data, columns=blocks[0].columns)


@lru_cache(maxsize=1 << 18)
def parse_cached(gene: str | None, text: str) -> tuple[Any, str | None]:
    """(alteration, None) or (None, reason): parse once per distinct (gene, text)."""
    from oncoresist.variants._parser import parse_alteration

    try:
        return parse_alteration(gene, text), None
    except ParseError as exc:
        return None, exc.message
    except (ValueError, TypeError) as exc:
        return None, f"cannot parse alteration {text!r} of gene {gene}: {exc}"


@dataclass
class SampleAlterations:
    """Alterations found in one or more samples, and the records that could not be read.

    Attributes
    ----------
    frame
        One row per (sample, alteration): ``sample_id``, ``gene``, ``alteration`` (canonical
        text), ``kind``, ``vaf``, ``depth``, ``alt_count``, ``copy_number``, ``haplotype``
        (phase label: alterations with the same label are in cis, with the same phase set and
        different sides in trans), ``line`` (line in the input file) and ``source_text``; the
        parsed objects are in the ``_alteration`` column.
    problems
        Records that could not be interpreted (line and reason).
    format
        ``vcf``, ``maf``, ``tsv`` or ``table`` (built in memory).
    path
        The input file, if any.
    samples
        Every sample named by the input, including samples with no alteration.
    skipped
        Records deliberately left out, by reason (non-coding, synonymous, reference calls...).
    """

    frame: pd.DataFrame
    problems: tuple[ReadProblem, ...] = ()
    format: str = "table"
    path: str | None = None
    samples: tuple[str, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame)

    def to_frame(self) -> pd.DataFrame:
        """One row per (sample, alteration), without the parsed objects.

        Examples
        --------
        >>> table = alterations_from_texts(["EGFR T790M", "MET amplification"])
        >>> table.to_frame()["alteration"].tolist()
        ['EGFR p.T790M', 'MET amplification']
        """
        return self.frame.drop(columns=[OBJECT_COLUMN]).copy()

    def write(self, path: PathLike) -> Path:
        """Write the rows as TSV (``.tsv``) or, with the problems, as JSON (``.json``).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "alterations.tsv"
        >>> _ = alterations_from_texts(["EGFR T790M"]).write(out)
        >>> out.read_text().splitlines()[1].split("\\t")[:3]
        ['sample', 'EGFR', 'EGFR p.T790M']
        """
        target = Path(path)
        frame = self.to_frame()
        if target.suffix == ".json":
            payload = {
                "format": self.format,
                "path": self.path,
                "samples": list(self.samples),
                "alterations": json.loads(frame.to_json(orient="records")),
                "problems": [{"line": p.line, "reason": p.reason} for p in self.problems],
                "skipped": dict(sorted(self.skipped.items())),
            }
            return write_text_atomic(target, json.dumps(payload, indent=2, sort_keys=True) + "\n")
        text = frame.to_csv(sep="\t", index=False, lineterminator="\n", float_format="%.6g")
        return write_text_atomic(target, text)


def alterations_from_texts(
    texts: Any, *, sample_id: str = "sample"
) -> SampleAlterations:
    """Sample alterations from texts (``"EGFR T790M"``) or Alteration objects, one sample.

    Parameters
    ----------
    texts
        Iterable of alteration texts that name their gene, or parsed alterations.
    sample_id
        Name of the sample.

    Returns
    -------
    SampleAlterations
        Texts that cannot be parsed are listed in ``problems`` (``line`` is the 1-based position
        in ``texts``).

    Examples
    --------
    >>> alterations_from_texts(["EGFR T790M", "not a thing"]).problems[0].line
    2
    """
    builder = RowBuilder()
    for position, item in enumerate(texts, start=1):
        if isinstance(item, str):
            parsed, reason = parse_cached(None, item)
            if parsed is None:
                builder.problem(position, reason or "cannot be parsed", item)
                continue
        else:
            parsed = item
        builder.add(sample_id, parsed, line=position, text=str(item))
    return SampleAlterations(
        builder.frame(), tuple(builder.problems), "table", None, (sample_id,), builder.skipped
    )


def alterations_from_frame(frame: pd.DataFrame) -> SampleAlterations:
    """Sample alterations from a table with an ``alteration`` column.

    Optional columns: ``gene`` (for texts that do not name it), ``sample_id`` (default
    ``sample``), ``vaf``, ``copy_number`` and ``haplotype`` (phase label).

    Parameters
    ----------
    frame
        One row per alteration found in a sample.

    Returns
    -------
    SampleAlterations
        Texts that cannot be parsed are listed in ``problems`` (``line`` is the 1-based row).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"gene": ["EGFR", "KRAS"], "alteration": ["T790M", "G12D"]})
    >>> alterations_from_frame(table).to_frame()["alteration"].tolist()
    ['EGFR p.T790M', 'KRAS p.G12D']
    """
    if "alteration" not in frame.columns:
        msg = "an alteration table needs an 'alteration' column (and optionally 'gene', 'sample_id')"
        raise InputError(msg, field="alterations")
    builder = RowBuilder()
    samples: dict[str, None] = {}
    for position, row in enumerate(frame.to_dict("records"), start=1):
        sample = str(row.get("sample_id") or "sample")
        samples.setdefault(sample)
        gene = row.get("gene") or None
        parsed, reason = parse_cached(gene, str(row["alteration"]))
        if parsed is None:
            builder.problem(position, reason or "cannot be parsed", str(row["alteration"]))
            continue
        builder.add(sample, parsed, line=position, text=str(row["alteration"]),
                    vaf=row.get("vaf"), copy_number=row.get("copy_number"),
                    haplotype=row.get("haplotype") or None)
    return SampleAlterations(builder.frame(), tuple(builder.problems), "table", None,
                             tuple(samples), builder.skipped)


# ------------------------------------------------------------------------- format detection


def _head_bytes(path: Path, n: int = 65536) -> bytes:
    with open(path, "rb") as raw:
        magic = raw.read(2)
    try:
        if magic == b"\x1f\x8b":
            with gzip.open(path, "rb") as handle:
                return handle.read(n)
        with open(path, "rb") as handle:
            return handle.read(n)
    except (OSError, EOFError) as exc:
        msg = (f"could not be read ({exc}); the file looks truncated or corrupt: check that "
               "it was copied completely and compress it again")
        raise InputError(msg, path=path) from None


def detect_format(path: PathLike) -> str:
    """``vcf``, ``maf`` or ``tsv``, from the file's content (gzip or plain).

    A VCF starts with ``##fileformat=VCF``; a MAF has a header naming ``Hugo_Symbol`` and
    ``Tumor_Sample_Barcode`` (after optional ``#version`` lines); a TSV a header naming
    ``alteration``. The file name is only used when the content does not decide.
    """
    target = Path(path)
    head = _head_bytes(target)
    text = head.decode("utf-8", errors="replace")
    if text.startswith("##fileformat=VCF"):
        return "vcf"
    header = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        header = line
        break
    names = {c.strip().lower() for c in header.replace(",", "\t").split("\t")}
    if "hugo_symbol" in names and ("tumor_sample_barcode" in names or "hgvsp_short" in names):
        return "maf"
    if "alteration" in names:
        return "tsv"
    suffixes = [s.lower() for s in target.suffixes]
    if ".vcf" in suffixes:
        return "vcf"
    if ".maf" in suffixes:
        return "maf"
    shown = header[:80] if header else "(no header line)"
    msg = (
        "is not a VCF, GDC MAF or alteration TSV: expected '##fileformat=VCF' on the first "
        "line, a MAF header with Hugo_Symbol and Tumor_Sample_Barcode, or a TSV header with "
        f"'gene' and 'alteration' columns; found header {shown!r}. Give --format if the "
        "content is right"
    )
    raise InputError(msg, path=path, line=1)


def read_alterations(
    path: PathLike,
    *,
    format: str | None = None,
    strict: bool = False,
    transcript: str | None = None,
    genes: Collection[str] | None = None,
) -> SampleAlterations:
    """Read the alterations of one or more samples from a VCF, GDC MAF or TSV file.

    Parameters
    ----------
    path
        The file (plain, gzip or bgzip).
    format
        ``vcf``, ``maf`` or ``tsv``; detected from the content when None.
    strict
        Raise :class:`InputError` at the first record that cannot be interpreted instead of
        listing it in ``problems``.
    transcript
        VCF only: the transcript (Ensembl or RefSeq id, version optional) whose protein
        change is used; by default the canonical one (VEP ``CANONICAL=YES`` or MANE Select).
    genes
        Only keep alterations in these genes (HGNC symbols); the others are counted in
        ``skipped``. Used to annotate huge files quickly.

    Returns
    -------
    SampleAlterations
        The rows, the problems and what was skipped.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "alts.tsv"
    >>> _ = p.write_text("gene\\talteration\\nEGFR\\tT790M\\n\\tphenotype: EMT\\n")
    >>> read_alterations(p).to_frame()["alteration"].tolist()
    ['EGFR p.T790M', 'phenotype: EMT']
    """
    target = Path(path)
    if not target.exists():
        msg = "does not exist; check the path (relative paths are taken from the current folder)"
        raise InputError(msg, path=target)
    if target.is_dir():
        msg = "is a folder; expected a VCF, MAF or TSV file"
        raise InputError(msg, path=target)
    chosen = detect_format(target) if format is None else format.lower()
    if chosen not in FORMATS:
        msg = f"unknown format {format!r}; use one of {', '.join(FORMATS)}"
        raise InputError(msg, field="format")
    if transcript is not None and chosen != "vcf":
        msg = f"transcript is only used for VCF input; this file is {chosen.upper()}"
        raise InputError(msg, path=target, field="transcript")
    if chosen == "vcf":
        from oncoresist.variants._vcf import read_vcf

        result = read_vcf(target, transcript=transcript, genes=genes)
    elif chosen == "maf":
        from oncoresist.variants._maf import read_maf

        result = read_maf(target, genes=genes)
    else:
        from oncoresist.variants._tsv import read_tsv

        result = read_tsv(target, genes=genes)
    if strict and result.problems:
        first = result.problems[0]
        more = len(result.problems) - 1
        tail = f" ({more} more record(s) have problems)" if more else ""
        msg = (
            f"{first.reason}{tail}; fix the record or run without --strict to annotate the "
            "rest and list the problems"
        )
        raise InputError(msg, path=target, line=first.line)
    return result
