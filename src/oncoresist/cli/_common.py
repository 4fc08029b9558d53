"""Helpers shared by the command modules: consoles, table and JSON output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


@dataclass
class _State:
    debug: bool = False


state = _State()


def show_frame(frame: pd.DataFrame, *, title: str | None = None, as_json: bool = False) -> None:
    """Print a table: a rich table on a terminal, TSV when piped, JSON with ``as_json``."""
    body = frame.drop(columns=["_line"], errors="ignore")
    if as_json:
        sys.stdout.write(body.to_json(orient="records", indent=2, force_ascii=False) + "\n")
        return
    if not console.is_terminal:
        if title:
            sys.stdout.write(f"# {title}\n")
        body.to_csv(sys.stdout, sep="\t", index=False, lineterminator="\n")
        return
    table = Table(title=title, show_lines=False)
    for column in body.columns:
        table.add_column(str(column), overflow="fold")
    for row in body.itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else str(v) for v in row))
    console.print(table)


def show_json(payload: Any) -> None:
    """Print a JSON document on stdout."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
