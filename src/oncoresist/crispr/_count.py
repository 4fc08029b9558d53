"""Counting guide reads in FASTQ files by exact match to the library spacers.

The spacer's position in the reads is found from the reads themselves: on the first
``detect_reads`` reads of each file, every offset is tried and the one where most read
substrings match a library spacer exactly is kept (MAGeCK's ``--trim-5 AUTO`` idea). Reads are
then matched exactly at that offset, optionally as reverse complements.
"""

from __future__ import annotations

import gzip
import io
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, Provenance, write_table
from oncoresist.crispr._stats import gini_index
from oncoresist.crispr._table import CountTable, Library, read_library

_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def _open(path: Path) -> io.TextIOBase:
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="ascii", errors="replace")
    return open(path, encoding="ascii", errors="replace")  # noqa: SIM115 - closed by the caller


def iter_sequences(path: str | os.PathLike[str]) -> Iterator[str]:
    """Read sequences of a FASTQ(.gz) file, checking the 4-line record structure."""
    path = Path(path)
    if not path.exists():
        msg = "does not exist; check the path of the FASTQ file"
        raise InputError(msg, path=path)
    with _open(path) as handle:
        lineno = 0
        while True:
            header = handle.readline()
            if not header:
                return
            lineno += 1
            if not header.strip():
                continue
            seq = handle.readline()
            plus = handle.readline()
            qual = handle.readline()
            if not header.startswith("@") or not plus.startswith("+") or not qual:
                msg = (
                    "is not a complete FASTQ record (expected '@name', sequence, '+', qualities); "
                    "check that the file is FASTQ and not truncated"
                )
                raise InputError(msg, path=path, line=lineno)
            lineno += 3
            yield seq.strip().upper()


def detect_position(
    sequences: Sequence[str], spacers: set[str], length: int
) -> tuple[int, float]:
    """The read offset where most substrings of ``length`` match a spacer, and that match rate."""
    if not sequences:
        return 0, 0.0
    longest = max(len(s) for s in sequences)
    best, best_hits = 0, -1
    for offset in range(max(longest - length + 1, 1)):
        hits = sum(1 for s in sequences if s[offset : offset + length] in spacers)
        if hits > best_hits:
            best, best_hits = offset, hits
    return best, best_hits / len(sequences)


@dataclass(frozen=True)
class CountResult:
    """Counts from FASTQ files and a per-sample summary (MAGeCK's ``countsummary`` columns).

    Attributes
    ----------
    table
        Guides of the library (in library order) by samples.
    summary
        One row per file: ``File``, ``Label``, ``Reads``, ``Mapped``, ``Percentage``,
        ``TotalsgRNAs``, ``Zerocounts``, ``GiniIndex``, ``Position`` (0-based spacer offset).
    provenance
        Inputs and parameters.
    """

    table: CountTable
    summary: pd.DataFrame
    provenance: Provenance = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The count table."""
        return self.table.to_frame()

    def write(self, prefix: str | os.PathLike[str]) -> list[Path]:
        """Write ``PREFIX.count.txt`` and ``PREFIX.countsummary.txt`` as MAGeCK names them."""
        prefix = str(prefix)
        count_path = self.table.write(Path(prefix + ".count.txt"), provenance=self.provenance)
        summary_path = write_table(
            self.summary, Path(prefix + ".countsummary.txt"), float_format="%.4g"
        )
        return [count_path, summary_path]


def count_reads(
    library: str | os.PathLike[str] | Library,
    fastqs: Sequence[str | os.PathLike[str]],
    *,
    labels: Sequence[str] | None = None,
    position: int | None = None,
    reverse_complement: bool = False,
    detect_reads: int = 100_000,
) -> CountResult:
    """Count exact matches of library spacers in FASTQ(.gz) files.

    Parameters
    ----------
    library
        Library file (``id, sequence, gene`` per line) or a :class:`Library`.
    fastqs
        One FASTQ per sample (plain or gzipped).
    labels
        Sample labels; default the file names without extensions.
    position
        0-based offset of the spacer in the reads; found per file from the reads when None.
    reverse_complement
        Match the reverse complement of the reads.
    detect_reads
        Number of leading reads used to find the position.

    Returns
    -------
    CountResult

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "lib.txt").write_text("g1\\tACGTACGTAC\\tKRAS\\ng2\\tTTTTGGGGCC\\tNF2\\n")
    >>> _ = (d / "s.fastq").write_text("@r1\\nNNACGTACGTACGG\\n+\\nIIIIIIIIIIIIII\\n"
    ...                                 "@r2\\nNNTTTTGGGGCCGG\\n+\\nIIIIIIIIIIIIII\\n"
    ...                                 "@r3\\nNNACGTACGTACGG\\n+\\nIIIIIIIIIIIIII\\n")
    >>> res = count_reads(d / "lib.txt", [d / "s.fastq"])
    >>> res.table.counts[:, 0].tolist(), int(res.summary["Position"][0])
    ([2.0, 1.0], 2)
    """
    lib = library if isinstance(library, Library) else read_library(library)
    paths = [Path(p) for p in fastqs]
    if not paths:
        msg = "give at least one FASTQ file"
        raise InputError(msg, field="fastqs")
    if labels is None:
        labels = [p.name.split(".")[0] for p in paths]
    labels = list(labels)
    if len(labels) != len(paths):
        msg = f"give one label per FASTQ file: {len(paths)} files, {len(labels)} labels"
        raise InputError(msg, field="labels")
    if len(set(labels)) != len(labels):
        msg = f"sample labels must be unique; got {', '.join(labels)}"
        raise InputError(msg, field="labels")
    if position is not None and position < 0:
        msg = f"position must be >= 0 (0-based offset); got {position}"
        raise InputError(msg, field="position")
    length = len(lib.sequences[0])
    index: dict[str, int] = {}
    for i, seq in enumerate(lib.sequences):
        index.setdefault(seq, i)  # a spacer listed twice counts to its first id
    spacers = set(index)
    counts = np.zeros((len(lib.guides), len(paths)))
    rows = []
    for j, path in enumerate(paths):
        stream = iter_sequences(path)
        if reverse_complement:
            stream = (s.translate(_COMPLEMENT)[::-1] for s in stream)
        head = []
        for seq in stream:
            head.append(seq)
            if len(head) >= detect_reads:
                break
        offset = position if position is not None else detect_position(head, spacers, length)[0]
        tally: Counter[str] = Counter()
        end = offset + length
        tally.update(s[offset:end] for s in head)
        tally.update(s[offset:end] for s in stream)
        n_reads = sum(tally.values())
        mapped = 0
        for seq, n in tally.items():
            i = index.get(seq)
            if i is not None:
                counts[i, j] += n
                mapped += n
        column = counts[:, j]
        rows.append(
            {
                "File": path.name,
                "Label": labels[j],
                "Reads": n_reads,
                "Mapped": mapped,
                "Percentage": round(mapped / n_reads, 4) if n_reads else 0.0,
                "TotalsgRNAs": len(lib.guides),
                "Zerocounts": int((column == 0).sum()),
                "GiniIndex": round(gini_index(np.log(column + 1.0)), 4),
                "Position": offset,
            }
        )
    table = CountTable(lib.guides, lib.genes, tuple(labels), counts)
    inputs = ([] if isinstance(library, Library) else [library]) + list(paths)
    prov = Provenance.create(
        "oncoresist.crispr.count_reads",
        parameters={
            "labels": labels,
            "position": position,
            "reverse_complement": reverse_complement,
            "detect_reads": detect_reads,
        },
        inputs=inputs,
    )
    return CountResult(table, pd.DataFrame(rows), prov)
