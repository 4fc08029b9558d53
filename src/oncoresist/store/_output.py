"""Writing store results: TSV or Parquet, atomically, with provenance, scrubbed."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from oncoresist._core import Provenance, atomic_write, write_table
from oncoresist._core.exceptions import InputError
from oncoresist.privacy import Scrubber

FORMATS = ("tsv", "parquet")


def guess_format(path: Path, format: str | None) -> str:
    if format is not None:
        if format not in FORMATS:
            msg = f"format must be one of {', '.join(FORMATS)}, got {format!r}"
            raise InputError(msg, field="format")
        return format
    return "parquet" if path.suffix.lower() in (".parquet", ".pq") else "tsv"


def write_frame(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    command: str = "oncoresist store",
    parameters: dict | None = None,
) -> Path:
    target = Path(path)
    kind = guess_format(target, format)
    # Store tables hold pseudonyms only; the scrubber still reduces any file path that a user's
    # SQL may have put into a column to its file name.
    clean = Scrubber().frame(frame)
    provenance = Provenance.create(command, parameters=parameters or {})
    if kind == "tsv":
        write_table(clean, target, provenance=provenance)
    else:
        with atomic_write(target, "wb") as handle:
            clean.to_parquet(handle, index=False)
        provenance.write(target.with_name(target.name + ".provenance.json"))
    return target
