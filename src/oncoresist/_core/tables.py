"""Reading and writing delimited tables with messages that point at the file and line."""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core.atomic import atomic_write
from oncoresist._core.exceptions import InputError
from oncoresist._core.provenance import Provenance

#: Name of the column ``read_table`` adds with each row's 1-based line number in the file.
LINE_COLUMN = "_line"

_TYPES = ("int", "float", "str", "bool")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_MISSING = {"", "na", "nan", "none", "null", "."}


def _open_text(path: Path) -> io.TextIOBase:
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller


def _header_position(path: Path, comment: str) -> tuple[int, str]:
    """Number of leading comment/blank lines and the header line itself."""
    skipped = 0
    try:
        with _open_text(path) as handle:
            for line in handle:
                stripped = line.strip()
                if not stripped or stripped.startswith(comment):
                    skipped += 1
                    continue
                return skipped, line
    except UnicodeDecodeError as exc:
        msg = f"is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 and retry"
        raise InputError(msg, path=path) from None
    except (OSError, EOFError) as exc:
        msg = f"could not be read ({exc}); check that the file is complete and not corrupt"
        raise InputError(msg, path=path) from None
    msg = "is empty: expected a header line naming the columns, then one row per record"
    raise InputError(msg, path=path)


def detect_delimiter(header: str) -> str:
    r"""Guess the delimiter from a header line: tab, comma or semicolon.

    Examples
    --------
    >>> detect_delimiter("gene\talteration\n")
    '\t'
    >>> detect_delimiter("gene,alteration\n")
    ','
    >>> detect_delimiter("depth\n")
    '\t'
    """
    counts = {sep: header.count(sep) for sep in ("\t", ",", ";")}
    best = max(counts, key=lambda s: counts[s])
    # A header without any of them is a single-column table.
    return best if counts[best] else "\t"


def _coerce(frame: pd.DataFrame, column: str, kind: str, path: Path) -> pd.Series:
    values = frame[column]
    text = values.astype(str).str.strip()
    missing = text.str.lower().isin(_MISSING)
    if kind == "str":
        return text.where(~missing, other=None)
    if kind == "bool":
        low = text.str.lower()
        bad = ~(missing | low.isin(_TRUE | _FALSE))
        result = low.isin(_TRUE).astype(object).where(~missing, other=None)
    else:
        numbers = pd.to_numeric(text.where(~missing), errors="coerce")
        bad = numbers.isna() & ~missing
        if kind == "int" and not bad.any():
            whole = numbers.dropna()
            bad = pd.Series(False, index=values.index)
            bad.loc[whole.index] = ~np.isclose(whole, np.round(whole))
        result = numbers.astype("Int64") if kind == "int" and not bad.any() else numbers
    if bad.any():
        first = bad.idxmax()
        expected = {"int": "a whole number", "float": "a number", "bool": "true or false"}[kind]
        msg = (
            f"column '{column}' must be {expected}; found {values.loc[first]!r}. "
            "Correct the value or leave the cell empty if it is unknown"
        )
        raise InputError(msg, path=path, line=int(frame.loc[first, LINE_COLUMN]), field=column)
    return result


def read_table(
    path: str | os.PathLike[str],
    *,
    required: Iterable[str] = (),
    types: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    comment: str = "#",
    delimiter: str | None = None,
) -> pd.DataFrame:
    r"""Read a TSV/CSV (plain or gzipped) into a DataFrame of text, checked and typed.

    Parameters
    ----------
    path
        The file. Leading blank lines and lines starting with ``comment`` are skipped.
    required
        Columns that must be present; all missing ones are named in one message.
    types
        Column -> ``"int"``, ``"float"``, ``"str"`` or ``"bool"``. Empty cells become missing; a
        value that does not fit raises :class:`InputError` naming its line.
    aliases
        Alternative column names mapped to the canonical ones (case-insensitive).
    comment
        Prefix of comment lines before the header.
    delimiter
        Force a delimiter instead of detecting it from the header.

    Returns
    -------
    pandas.DataFrame
        The table, with an extra ``_line`` column holding each row's 1-based line number.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.tsv"
    >>> _ = p.write_text("gene\tdepth\nEGFR\t100\n")
    >>> read_table(p, required=["gene"], types={"depth": "int"})["depth"].tolist()
    [100]
    """
    path = Path(path)
    if not path.exists():
        msg = "does not exist; check the path (relative paths are taken from the current folder)"
        raise InputError(msg, path=path)
    if path.is_dir():
        msg = "is a folder; expected a TSV or CSV file"
        raise InputError(msg, path=path)
    skipped, header = _header_position(path, comment)
    sep = delimiter or detect_delimiter(header)
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skiprows=skipped,
            skip_blank_lines=False,
            compression="infer" if path.suffix != ".gz" else "gzip",
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
        )
    except UnicodeDecodeError as exc:
        msg = f"is not UTF-8 text ({exc.reason}); save it as UTF-8 and retry"
        raise InputError(msg, path=path) from None
    except pd.errors.ParserError as exc:
        msg = f"could not be parsed as a {'tab' if sep == chr(9) else repr(sep)}-delimited table: {exc}"
        raise InputError(msg, path=path) from None
    except (OSError, EOFError) as exc:
        msg = f"could not be read ({exc}); check that the file is complete and not corrupt"
        raise InputError(msg, path=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    header_line = skipped + 1
    frame[LINE_COLUMN] = np.arange(header_line + 1, header_line + 1 + len(frame), dtype=np.int64)
    data_columns = [c for c in frame.columns if c != LINE_COLUMN]
    if len(frame):
        blank = (frame[data_columns].fillna("").astype(str).apply(lambda s: s.str.strip()) == "").all(axis=1)
        frame = frame.loc[~blank].reset_index(drop=True)
    if aliases:
        lower = {k.lower(): v for k, v in aliases.items()}
        renamed = {c: lower[c.lower()] for c in data_columns if c.lower() in lower and lower[c.lower()] not in data_columns}
        frame = frame.rename(columns=renamed)
    present = set(frame.columns)
    missing = [c for c in required if c not in present]
    if missing:
        found = ", ".join(c for c in frame.columns if c != LINE_COLUMN) or "(none)"
        cols = ", ".join(f"'{c}'" for c in missing)
        msg = (
            f"is missing required column(s) {cols}; found columns: {found}. "
            "Add the columns or rename the existing ones"
        )
        raise InputError(msg, path=path, line=header_line)
    for column, kind in (types or {}).items():
        if kind not in _TYPES:
            msg = f"unknown column type {kind!r} for {column!r}; use one of {_TYPES}"
            raise ValueError(msg)
        if column in frame.columns:
            frame[column] = _coerce(frame, column, kind, path)
    return frame


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    provenance: Provenance | None = None,
    sep: str = "\t",
    float_format: str | None = "%.6g",
) -> Path:
    """Write a table atomically; with ``provenance``, also ``<path>.provenance.json`` beside it.

    The ``_line`` bookkeeping column, if present, is not written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.tsv"
    >>> _ = write_table(pd.DataFrame({"a": [1, 2]}), out)
    >>> out.read_text()
    'a\\n1\\n2\\n'
    """
    path = Path(path)
    body = frame.drop(columns=[LINE_COLUMN], errors="ignore")
    with atomic_write(path) as handle:
        body.to_csv(handle, sep=sep, index=False, float_format=float_format, lineterminator="\n")
    if provenance is not None:
        provenance.write(path.with_name(path.name + ".provenance.json"))
    return path
