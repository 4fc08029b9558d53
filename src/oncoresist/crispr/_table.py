"""Count tables and sgRNA libraries in the layouts MAGeCK made standard.

A MAGeCK count table has a header ``sgRNA  Gene  sample1  sample2 ...`` and one row per guide;
tab- or comma-separated. A library has ``sgRNA id, sequence, gene`` per line, with or without a
header (MAGeCK's own library files have none).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, Provenance, write_table

_DNA = re.compile(r"^[ACGTNacgtn]+$")


@dataclass(frozen=True)
class CountTable:
    """Guide-level read counts: one row per sgRNA, one column per sample.

    Attributes
    ----------
    guides
        sgRNA identifiers, unique.
    genes
        Target gene of each guide.
    samples
        Sample labels, in column order.
    counts
        Array of shape (guides, samples), float64 (normalised counts need not be whole).
    source
        File the table was read from, if any (used in messages).
    """

    guides: np.ndarray
    genes: np.ndarray
    samples: tuple[str, ...]
    counts: np.ndarray
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        n = len(self.guides)
        if self.counts.shape != (n, len(self.samples)):
            msg = (
                f"counts must have shape (guides, samples) = ({n}, {len(self.samples)}); "
                f"got {self.counts.shape}"
            )
            raise InputError(msg, field="counts")
        if len(self.genes) != n:
            msg = f"genes must have one entry per guide ({n}); got {len(self.genes)}"
            raise InputError(msg, field="genes")

    @property
    def n_guides(self) -> int:
        """Number of guides."""
        return len(self.guides)

    def column(self, sample: str) -> np.ndarray:
        """The counts of one sample."""
        return self.counts[:, self.sample_indices([sample])[0]]

    def sample_indices(self, samples: Sequence[str]) -> list[int]:
        """Column indices of the named samples; a name that is not a column raises InputError."""
        lookup = {name: i for i, name in enumerate(self.samples)}
        out = []
        for name in samples:
            if name not in lookup:
                if re.fullmatch(r"\d+", str(name)) and int(name) < len(self.samples):
                    # MAGeCK also accepts 0-based sample indices.
                    out.append(int(name))
                    continue
                msg = (
                    f"sample {name!r} is not a column of the count table; its samples are "
                    f"{', '.join(self.samples)}. Use one of these labels (or a 0-based index)"
                )
                raise InputError(msg, path=self.source, field="samples")
            out.append(lookup[name])
        return out

    def select(self, samples: Sequence[str]) -> CountTable:
        """A table with only the named samples, in that order."""
        idx = self.sample_indices(samples)
        return CountTable(
            self.guides,
            self.genes,
            tuple(self.samples[i] for i in idx),
            self.counts[:, idx],
            source=self.source,
        )

    def with_counts(self, counts: np.ndarray) -> CountTable:
        """The same guides and samples with other counts (e.g. normalised)."""
        return CountTable(self.guides, self.genes, self.samples, counts, source=self.source)

    def to_frame(self) -> pd.DataFrame:
        """The table as MAGeCK writes it: ``sgRNA``, ``Gene``, one column per sample."""
        frame = pd.DataFrame({"sgRNA": self.guides, "Gene": self.genes})
        whole = np.all(self.counts == np.round(self.counts))
        for j, name in enumerate(self.samples):
            col = self.counts[:, j]
            frame[name] = col.astype(np.int64) if whole else col
        return frame

    def write(self, path: str | os.PathLike[str], *, provenance: Provenance | None = None) -> Path:
        """Write the table (tab-separated, MAGeCK layout) atomically."""
        return write_table(self.to_frame(), path, provenance=provenance)


def _sniff(path: Path) -> str:
    """The delimiter of a count table, refusing space-delimited files with a clear message."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            header = ""
            for line in handle:
                if line.strip() and not line.startswith("#"):
                    header = line.rstrip("\r\n")
                    break
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"could not be read as text ({exc}); expected a tab- or comma-separated count table"
        raise InputError(msg, path=path) from None
    if not header:
        msg = "is empty: expected a header 'sgRNA<TAB>Gene<TAB>sample...' and one row per guide"
        raise InputError(msg, path=path)
    if "\t" in header:
        return "\t"
    if "," in header:
        return ","
    if len(header.split()) > 1:
        msg = (
            "looks space-delimited (its header has no tab or comma); MAGeCK count tables are "
            "tab- or comma-separated. Replace the runs of spaces by tabs"
        )
        raise InputError(msg, path=path, line=1)
    msg = "has a single column; expected 'sgRNA', 'Gene' and at least one sample column"
    raise InputError(msg, path=path, line=1)


def read_counts(path: str | os.PathLike[str], *, gene_column: int | None = None) -> CountTable:
    r"""Read a MAGeCK-format count table (tab- or comma-separated, optionally gzipped).

    The first column holds sgRNA ids and the second the gene (MAGeCK's layout); drugZ and BAGEL
    tables, whose first columns are ``sgRNA``/``SEQUENCE`` and ``GENE``, read the same way.
    Counts must be non-negative numbers; ids must be unique.

    Parameters
    ----------
    path
        The table.
    gene_column
        0-based index of the gene column, if not the second.

    Returns
    -------
    CountTable

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.txt"
    >>> _ = p.write_text("sgRNA\tGene\tA\tB\ng1\tKRAS\t10\t5\ng2\tKRAS\t0\t7\n")
    >>> t = read_counts(p)
    >>> t.samples, t.counts[:, 1].tolist()
    (('A', 'B'), [5.0, 7.0])
    """
    path = Path(path)
    if not path.exists():
        msg = "does not exist; check the path of the count table"
        raise InputError(msg, path=path)
    sep = _sniff(path)
    try:
        frame = pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, comment=None, engine="c"
        )
    except pd.errors.ParserError as exc:
        msg = f"could not be parsed as a {'tab' if sep == chr(9) else 'comma'}-separated table: {exc}"
        raise InputError(msg, path=path) from None
    # Skip leading comment lines, if any, by dropping rows whose id starts with '#'.
    columns = [str(c).strip() for c in frame.columns]
    frame.columns = columns
    gcol = 1 if gene_column is None else gene_column
    if len(columns) < 3 or gcol >= len(columns) or gcol == 0:
        msg = (
            f"has {len(columns)} column(s) ({', '.join(columns)}); expected the sgRNA id, the "
            "gene and at least one sample column"
        )
        raise InputError(msg, path=path, line=1)
    dup_cols = sorted({c for c in columns if columns.count(c) > 1})
    if dup_cols:
        msg = f"repeats the column name(s) {', '.join(dup_cols)}; give each sample a unique label"
        raise InputError(msg, path=path, line=1)
    ids = frame.iloc[:, 0].str.strip().to_numpy()
    genes = frame.iloc[:, gcol].str.strip().to_numpy()
    sample_cols = [c for i, c in enumerate(columns) if i not in (0, gcol)]
    lines = np.arange(2, len(frame) + 2)
    dup = pd.Series(ids).duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        first = int(np.argmax(ids == ids[i]))
        msg = (
            f"guide id {ids[i]!r} appears again (first on line {lines[first]}); sgRNA ids must be "
            "unique. Remove the duplicate row or rename the guide"
        )
        raise InputError(msg, path=path, line=int(lines[i]), field=columns[0])
    empty_gene = genes == ""
    if empty_gene.any():
        i = int(np.argmax(empty_gene))
        msg = f"guide {ids[i]!r} has no gene; fill the '{columns[gcol]}' column"
        raise InputError(msg, path=path, line=int(lines[i]), field=columns[gcol])
    counts = np.empty((len(frame), len(sample_cols)), dtype=np.float64)
    for j, name in enumerate(sample_cols):
        text = frame[name].str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = int(np.argmax(bad))
            found = text.iloc[i]
            msg = (
                f"count of guide {ids[i]!r} in sample '{name}' is {found!r}; counts must be "
                "non-negative numbers (write 0 for a guide with no reads, not NA or blank)"
            )
            raise InputError(msg, path=path, line=int(lines[i]), field=name)
        counts[:, j] = values
    if len(frame) == 0:
        msg = "has a header but no guides; expected one row per sgRNA"
        raise InputError(msg, path=path)
    return CountTable(
        ids.astype(object), genes.astype(object), tuple(sample_cols), counts, source=str(path)
    )


@dataclass(frozen=True)
class Library:
    """An sgRNA library: id, spacer sequence (upper case) and target gene of each guide."""

    guides: np.ndarray
    sequences: np.ndarray
    genes: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The library as a table ``sgRNA``, ``sequence``, ``Gene``."""
        return pd.DataFrame({"sgRNA": self.guides, "sequence": self.sequences, "Gene": self.genes})


def read_library(path: str | os.PathLike[str]) -> Library:
    r"""Read an sgRNA library: ``id, sequence, gene`` per line (tab or comma; header optional).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "lib.txt"
    >>> _ = p.write_text("s1\tACGTACGT\tKRAS\ns2\tTTGCAAGG\tNF2\n")
    >>> read_library(p).genes.tolist()
    ['KRAS', 'NF2']
    """
    path = Path(path)
    if not path.exists():
        msg = "does not exist; check the path of the sgRNA library"
        raise InputError(msg, path=path)
    rows: list[tuple[str, str, str, int]] = []
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            sep = "\t" if "\t" in text else ","
            parts = [p.strip() for p in text.split(sep)]
            if len(parts) < 3:
                msg = (
                    f"has {len(parts)} field(s); a library line needs the sgRNA id, its sequence "
                    "and its gene, separated by tabs or commas"
                )
                raise InputError(msg, path=path, line=lineno)
            gid, seq, gene = parts[:3]
            if not rows and not _DNA.match(seq):
                continue  # a header line
            if not _DNA.match(seq):
                msg = f"sequence {seq!r} of guide {gid!r} is not DNA (A, C, G, T, N)"
                raise InputError(msg, path=path, line=lineno, field="sequence")
            rows.append((gid, seq.upper(), gene, lineno))
    if not rows:
        msg = "holds no guides; expected lines 'sgRNA_id<TAB>SEQUENCE<TAB>gene'"
        raise InputError(msg, path=path)
    seen: dict[str, int] = {}
    for gid, _, _, lineno in rows:
        if gid in seen:
            msg = f"guide id {gid!r} appears again (first on line {seen[gid]}); ids must be unique"
            raise InputError(msg, path=path, line=lineno)
        seen[gid] = lineno
    lengths = {len(r[1]) for r in rows}
    if len(lengths) > 1:
        msg = (
            f"guide sequences have different lengths ({sorted(lengths)}); exact matching needs "
            "one spacer length per library"
        )
        raise InputError(msg, path=path)
    return Library(
        np.array([r[0] for r in rows], dtype=object),
        np.array([r[1] for r in rows], dtype=object),
        np.array([r[2] for r in rows], dtype=object),
    )
