"""Fixtures of the clonal tests."""

from __future__ import annotations

import sys

import pytest
import typer

from oncoresist import OncoresistError


def _clonal_only_main(args: list[str]) -> int:
    """The root CLI's error handling around our command group alone."""
    from oncoresist.cli import clonal as clonal_cli

    root = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @root.callback()
    def _root() -> None:
        pass

    clonal_cli.register(root)
    try:
        root(args=args, prog_name="oncoresist", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    except OncoresistError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


@pytest.fixture
def cli():
    """``oncoresist.cli.main``; if another team's command module does not import yet, a root
    with only the clonal group and the same error handling (exit 2, one line on stderr)."""
    try:
        from oncoresist.cli import main
    except Exception:  # noqa: BLE001 - a broken sibling command module must not mask our tests
        return _clonal_only_main
    return main
