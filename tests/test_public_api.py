"""Conventions enforced across the public API (DESIGN.md, 'Conventions')."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import oncoresist

MAX_POSITIONAL = 3


def _public_modules():
    yield oncoresist
    for info in pkgutil.walk_packages(oncoresist.__path__, prefix="oncoresist."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts[1:]) or parts[1] == "cli":
            continue
        yield importlib.import_module(info.name)


def _positional_count(func) -> int:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return 0
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in signature.parameters.values() if p.kind in kinds]
    return len([n for n in names if n not in ("self", "cls")])


def _public_callables():
    for module in _public_modules():
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    func = member.__func__ if isinstance(member, classmethod | staticmethod) else member
                    if inspect.isfunction(func):
                        yield f"{module.__name__}.{name}.{attr}", func


def test_public_functions_take_at_most_three_positional_parameters():
    offenders = [
        f"{qualname} ({_positional_count(func)})"
        for qualname, func in _public_callables()
        if _positional_count(func) > MAX_POSITIONAL
    ]
    assert offenders == [], "make the extra parameters keyword-only (after *): " + ", ".join(offenders)


def test_public_functions_have_docstrings_with_examples():
    missing = [
        qualname
        for qualname, func in _public_callables()
        if "." not in qualname.removeprefix("oncoresist.").split(".", 1)[-1]  # module-level only
        and "Examples" not in (inspect.getdoc(func) or "")
    ]
    assert missing == [], "add a numpy-style docstring with an Examples section to: " + ", ".join(missing)


def test_all_names_exist():
    for module in _public_modules():
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), f"{module.__name__}.__all__ names missing {name}"
