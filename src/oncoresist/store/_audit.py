"""The append-only audit log: who ran what, on which pseudonyms, with which versions.

Rows are only ever inserted (the store's API has no update or delete for them, and `store query`
opens the file read-only). Each row carries the SHA-256 of the previous row's hash and its own
content, so that an edit or deletion made outside oncoresist breaks the chain and
:func:`verify_chain` finds the first broken row.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from oncoresist.privacy import PATIENT_PREFIX, Scrubber

_PSEUDONYM = re.compile(rf"^{re.escape(PATIENT_PREFIX)}[0-9A-F]{{20}}$")
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")


def is_pseudonym(value) -> bool:
    return isinstance(value, str) and bool(_PSEUDONYM.match(value))


def mask_sql(sql: str) -> str:
    """SQL text with string literals that are not pseudonyms replaced by '?'.

    A user may type an identifier into a query; the log must not keep it.
    """
    def repl(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        return match.group(0) if is_pseudonym(inner) else "'?'"
    return _SQL_STRING.sub(repl, sql)


def clean_parameters(parameters: dict) -> dict:
    """Parameters fit for the log: file paths become their SHA-256, text is scrubbed of paths."""
    scrubber = Scrubber()
    out = {}
    for name, value in sorted(parameters.items()):
        if isinstance(value, os.PathLike) or (isinstance(value, str) and name.endswith(
                ("path", "file", "case", "key", "output", "db"))):
            path = Path(value)
            if path.is_file() and name not in ("db", "output"):
                out[name] = "sha256:" + _sha256(path)
            else:
                out[name] = "[path]"
        elif isinstance(value, str):
            out[name] = scrubber.text(value)
        elif isinstance(value, list | tuple):
            out[name] = [scrubber.text(v) if isinstance(v, str) else v for v in value]
        else:
            out[name] = value
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _row_hash(prev: str, row: dict, subjects: list[str]) -> str:
    body = json.dumps({"row": row, "subjects": subjects}, sort_keys=True, default=str)
    return hashlib.sha256((prev + "\n" + body).encode()).hexdigest()


def append(
    con: duckdb.DuckDBPyConnection,
    *,
    command: str,
    parameters: dict,
    subjects: Iterable[str],
    outcome: str,
    data_use: str = "",
    override_reason: str | None = None,
    user: str | None = None,
) -> int:
    """Append one row (inside the caller's transaction, so it commits with the work it logs)."""
    from oncoresist._version import __version__
    from oncoresist.store._connect import one, run, schema_version

    subjects = sorted({s for s in subjects if is_pseudonym(s)})
    last = one(con, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    seq = 1 if last is None else int(last[0]) + 1
    prev = "" if last is None else last[1]
    row = {
        "seq": seq,
        "at_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "user_name": user or _user(),
        "command": command,
        "oncoresist_version": __version__,
        "schema_version": schema_version(con),
        "kb_version": _kb_version(),
        "parameters": json.dumps(clean_parameters(parameters), sort_keys=True, default=str),
        "data_use": data_use,
        "n_patients": len(subjects),
        "consent_override": override_reason is not None,
        "override_reason": Scrubber().text(override_reason) if override_reason else None,
        "outcome": outcome,
        "prev_hash": prev,
    }
    row["hash"] = _row_hash(prev, row, subjects)
    names = list(row)
    run(con, f"INSERT INTO audit_log ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [row[n] for n in names])
    if subjects:
        frame = pd.DataFrame({"seq": seq, "patient": subjects})
        con.register("_audit_subjects_new", frame)
        run(con, "INSERT INTO audit_subjects SELECT seq, patient FROM _audit_subjects_new")
        con.unregister("_audit_subjects_new")
    return seq


@functools.lru_cache(maxsize=1)
def _kb_version() -> str:
    try:
        from oncoresist.kb import load_kb

        return str(getattr(load_kb(), "version", "") or "")
    except Exception:  # noqa: BLE001 - the log must be written even without a knowledge base
        return ""


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def verify_chain(con: duckdb.DuckDBPyConnection) -> tuple[bool, int | None, int]:
    """(intact, first broken seq or None, number of rows)."""
    log = con.execute("SELECT * FROM audit_log ORDER BY seq").fetchdf()
    subjects = con.execute("SELECT seq, patient FROM audit_subjects ORDER BY seq, patient").fetchdf()
    by_seq = subjects.groupby("seq")["patient"].apply(list).to_dict() if len(subjects) else {}
    prev = ""
    expected_seq = 1
    for record in log.to_dict("records"):
        seq = int(record["seq"])
        stored = record.pop("hash")
        row = {k: _plain(v) for k, v in record.items()}
        if seq != expected_seq or row["prev_hash"] != prev or \
                _row_hash(prev, row, by_seq.get(seq, [])) != stored:
            return False, seq, len(log)
        prev = stored
        expected_seq += 1
    return True, None, len(log)


def _plain(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
