"""Command-line interface: ``oncoresist``. Holds no logic; each command calls one public function."""

from oncoresist.cli._app import app, main

__all__ = ["app", "main"]
