"""The root ``oncoresist`` command, its error handling and the capability command groups."""

from __future__ import annotations

import importlib
import sys

import typer

from oncoresist._core.exceptions import OncoresistError
from oncoresist._version import __version__
from oncoresist.cli._common import err_console, state

app = typer.Typer(
    name="oncoresist",
    help="How cancers become resistant to targeted drugs: knowledge, data, forecasts. "
    "A research tool, not for clinical decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each capability's commands live in their own module under cli/. A module defines either
# ``app`` (a command group, added under ``name``) or ``register(root)`` (top-level commands).
_COMMAND_MODULES = [
    "kb",
    "annotate",
    "ctdna",
    "clonal",
    "simulate",
    "therapy",
    "crispr",
    "synergy",
    "sc",
    "case",
    "store",
]


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"oncoresist {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_version_callback, is_eager=True
    ),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
) -> None:
    state.debug = debug


def _register_commands() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"oncoresist.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"oncoresist.cli.{name}":
                raise
            continue
        if hasattr(module, "register"):
            module.register(app)
        else:
            app.add_typer(module.app, name=name)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line on stderr and exit with status 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    state.debug = "--debug" in args
    try:
        app(args=args, prog_name="oncoresist", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except OncoresistError as exc:
        if state.debug:
            raise
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; no partial outputs were kept", markup=False)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
