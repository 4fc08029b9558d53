"""Engines: one model, several ways to simulate it."""

from __future__ import annotations

from oncoresist._core.exceptions import InputError
from oncoresist.evolve._engines.exact import ExactEngine
from oncoresist.evolve._engines.hybrid import HybridEngine
from oncoresist.evolve._engines.ode import OdeEngine

ENGINES = ("hybrid", "exact", "ode")


def make_engine(name: str, **options):
    """The engine called ``name`` with its options."""
    if name == "hybrid":
        return HybridEngine(**options)
    if name == "exact":
        if options:
            msg = f"the exact engine takes no options; got {', '.join(sorted(options))}"
            raise InputError(msg, field="engine_options")
        return ExactEngine()
    if name == "ode":
        return OdeEngine(**options)
    msg = f"engine must be one of {', '.join(ENGINES)}; got {name!r}"
    raise InputError(msg, field="engine")


__all__ = ["ENGINES", "ExactEngine", "HybridEngine", "OdeEngine", "make_engine"]
