"""Opening the store: one writer at a time, clear messages, schema version and migrations."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from oncoresist._core.exceptions import InputError, OncoresistError
from oncoresist.store._schema import MIGRATIONS, SCHEMA_VERSION

_LOCK_TEXT = re.compile(r"Could not set lock on file|Conflicting lock|database is locked", re.I)
_PID = re.compile(r"\(PID (\d+)\)")
# DuckDB shares one database instance between connections of the same process, so its file
# lock cannot stop two threads of one process from writing at once: this registry does.
_LOCAL_WRITERS: set[str] = set()
_LOCAL_GUARD = threading.Lock()


class StoreLockedError(OncoresistError):
    """Another process (or thread) is writing to the store."""


def _key(path: Path) -> str:
    return str(path.resolve())


def _locked_message(path: Path, detail: str, write: bool) -> str:
    found = _PID.search(detail)
    who = f"another process (PID {found.group(1)})" if found else "another oncoresist process"
    action = "write to" if write else "read"
    return (f"{path}: the store is in use by {who}, which holds its lock; only one process may "
            f"write at a time and readers wait for the writer to finish. Cannot {action} it now: "
            "retry when that process has finished, or pass --wait SECONDS (wait=...) to wait for it")


def _connect(path: Path, *, read_only: bool, wait: float,
             config: dict | None = None) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + max(0.0, wait)
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config or {})
        except duckdb.IOException as exc:
            text = str(exc)
            if _LOCK_TEXT.search(text):
                if time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                raise StoreLockedError(_locked_message(path, text, not read_only)) from None
            msg = f"cannot be opened as an oncoresist store ({text}); is it a DuckDB file?"
            raise InputError(msg, path=path) from None
        except duckdb.Error as exc:
            text = str(exc)
            if "different configuration" in text:
                # A read-write connection of this same process is open.
                raise StoreLockedError(_locked_message(path, "", not read_only)) from None
            msg = f"cannot be opened as an oncoresist store ({text}); is it a DuckDB file?"
            raise InputError(msg, path=path) from None


def run(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> None:
    """Execute a statement and consume its result (DuckDB wants results finished)."""
    result = con.execute(sql, params) if params is not None else con.execute(sql)
    result.fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, params=None):
    """The first row of a query's answer, or None (the result is consumed)."""
    result = con.execute(sql, params) if params is not None else con.execute(sql)
    rows = result.fetchall()
    return rows[0] if rows else None


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if "schema_version" not in tables:
        return 0
    row = one(con, "SELECT max(version) FROM schema_version")
    return int(row[0] or 0)


def migrate(con: duckdb.DuckDBPyConnection, *, target: int = SCHEMA_VERSION) -> list[int]:
    """Apply the migrations above the store's version, each in its own transaction."""
    from oncoresist._version import __version__

    current = schema_version(con)
    if current > SCHEMA_VERSION:
        msg = (f"the store has schema version {current}, newer than this oncoresist knows "
               f"({SCHEMA_VERSION}); upgrade oncoresist (it was written by a newer version)")
        raise InputError(msg, field="schema_version")
    applied = []
    for migration in MIGRATIONS:
        if migration.version <= current or migration.version > target:
            continue
        run(con, "BEGIN TRANSACTION")
        try:
            if migration.version == 1:
                run(con, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                            "description VARCHAR, applied_by VARCHAR)")
            for statement in migration.statements:
                run(con, statement)
            run(con, "INSERT INTO schema_version VALUES (?, ?, ?)",
                        [migration.version, migration.description, f"oncoresist {__version__}"])
            run(con, "COMMIT")
        except BaseException:
            run(con, "ROLLBACK")
            raise
        applied.append(migration.version)
    return applied


@contextlib.contextmanager
def open_store(
    path: str | os.PathLike[str], *, write: bool, wait: float = 0.0, create: bool = False,
    sandbox: bool = False,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the store, migrated to the current schema when opened for writing."""
    target = Path(path)
    if not target.exists() and not create:
        msg = f"no store here; create one with `oncoresist store init {target.name}`"
        raise InputError(msg, path=target)
    if target.exists() and target.is_dir():
        msg = "is a folder; the store is one DuckDB file (e.g. cohort.duckdb)"
        raise InputError(msg, path=target)
    key = _key(target)
    if write:
        with _LOCAL_GUARD:
            if key in _LOCAL_WRITERS:
                raise StoreLockedError(_locked_message(target, "", True))
            _LOCAL_WRITERS.add(key)
    try:
        # A user's SQL runs sandboxed: no reading or writing of other files (COPY, read_csv).
        config = {"enable_external_access": False} if sandbox else None
        con = _connect(target, read_only=not write, wait=wait, config=config)
        try:
            version = schema_version(con)
            if write:
                if version == 0 and not create:
                    msg = ("is a DuckDB file but not an oncoresist store; create a store with "
                           "`oncoresist store init` at another path")
                    raise InputError(msg, path=target)
                migrate(con)
            elif version != SCHEMA_VERSION:
                if version == 0:
                    msg = "is not an oncoresist store (no schema_version table)"
                elif version < SCHEMA_VERSION:
                    msg = (f"the store has schema version {version}, older than this oncoresist's "
                           f"{SCHEMA_VERSION}; upgrade it with `oncoresist store init {target.name}` "
                           "(migrations keep every row)")
                else:
                    msg = (f"the store has schema version {version}, newer than this oncoresist "
                           f"knows ({SCHEMA_VERSION}); upgrade oncoresist")
                raise InputError(msg, path=target)
            yield con
        finally:
            con.close()
    finally:
        if write:
            with _LOCAL_GUARD:
                _LOCAL_WRITERS.discard(key)
