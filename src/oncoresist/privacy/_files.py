"""Scrubbing files and folders, and looking for leaked identifiers in them."""

from __future__ import annotations

import gzip
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from oncoresist._core.atomic import atomic_write
from oncoresist._core.exceptions import InputError
from oncoresist.privacy._scrub import Scrubber, _date_forms, _token_pattern

TEXT_SUFFIXES = {".tsv", ".csv", ".txt", ".json", ".yaml", ".yml", ".html", ".htm", ".md",
                 ".log", ".svg", ".xml", ".bed", ".mqc"}
SKIPPED_BINARY = {".png", ".jpg", ".jpeg", ".pdf", ".gif", ".webp"}


def _kind(path: Path) -> str:
    name = path.name.lower()
    stem = name[:-3] if name.endswith(".gz") else name
    if stem.endswith(".vcf"):
        return "vcf"
    if stem.endswith(".maf"):
        return "maf"
    if stem.endswith(".parquet"):
        return "parquet"
    suffix = Path(stem).suffix
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in SKIPPED_BINARY:
        return "image"
    return "other"


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")


def _write_text(path: Path, text: str, gz: bool) -> None:
    with atomic_write(path, "wb") as handle:
        data = text.encode("utf-8")
        if gz:
            buffer = io.BytesIO()
            # mtime=0: the same input gives the same bytes.
            with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped:
                zipped.write(data)
            data = buffer.getvalue()
        handle.write(data)


def scrub_one(scrubber: Scrubber, source: Path, target: Path) -> str:
    kind = _kind(source)
    gz = source.name.lower().endswith(".gz")
    try:
        if kind == "vcf":
            _write_text(target, scrubber.vcf_text(_read_text(source)), gz)
        elif kind == "maf":
            text = _read_text(source)
            lines = text.splitlines(keepends=True)
            head = [scrubber.text(x) for x in lines if x.startswith("#")]
            body = "".join(x for x in lines if not x.startswith("#"))
            frame = pd.read_csv(io.StringIO(body), sep="\t", dtype=str, keep_default_na=False)
            out = io.StringIO()
            scrubber.maf(frame).to_csv(out, sep="\t", index=False, lineterminator="\n")
            _write_text(target, "".join(head) + out.getvalue(), gz)
        elif kind == "parquet":
            frame = pd.read_parquet(source)
            with atomic_write(target, "wb") as handle:
                scrubber.frame(frame).to_parquet(handle, index=False)
        elif kind == "text":
            _write_text(target, scrubber.text(_read_text(source)), gz)
        else:
            return "not scrubbed (binary)"
    except UnicodeDecodeError:
        return "not scrubbed (not UTF-8 text)"
    except (OSError, ValueError) as exc:
        msg = f"could not be scrubbed ({exc}); it was left unchanged"
        raise InputError(msg, path=source) from None
    return "scrubbed"


def scrub_tree(scrubber: Scrubber, folder: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        status = scrub_one(scrubber, path, path)
        rows.append({"file": str(path.relative_to(folder)), "status": status})
        # A file name can carry an identifier too.
        clean = scrubber.text(path.name)
        if clean != path.name:
            os.replace(path, path.with_name(clean))
            rows[-1]["file"] = str(path.with_name(clean).relative_to(folder))
    return pd.DataFrame(rows, columns=["file", "status"])


def identifier_patterns(identifiers: Iterable[str], dates: Iterable) -> list[tuple[str, re.Pattern]]:
    import datetime as dt

    out = []
    for text in identifiers:
        pattern = _token_pattern(str(text))
        if pattern:
            out.append((str(text), re.compile(pattern, re.IGNORECASE)))
    for value in dates:
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        for form in _date_forms(value):
            out.append((form, re.compile(_token_pattern(form) or re.escape(form), re.IGNORECASE)))
    return out


def search_text(text: str, label: str, patterns) -> list[dict]:
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        for identifier, pattern in patterns:
            found = pattern.search(line)
            if found:
                start = max(0, found.start() - 40)
                hits.append({"where": label, "line": number, "identifier": identifier,
                             "context": line[start:found.end() + 40]})
    return hits


def search_file(path: Path, patterns, root: Path | None) -> list[dict]:
    label = str(path.relative_to(root)) if root else str(path)
    hits = search_text(path.name, f"{label} (file name)", patterns)
    kind = _kind(path)
    if kind == "parquet":
        frame = pd.read_parquet(path)
        text = frame.to_csv(sep="\t", index=False)
        return hits + search_text(text, label, patterns)
    try:
        text = _read_text(path)
    except (UnicodeDecodeError, OSError, EOFError):
        # Binary files (PNG) are searched as raw bytes for the identifiers' ASCII text.
        raw = path.read_bytes()
        text = raw.decode("latin-1")
    return hits + search_text(text, label, patterns)
