"""YAML files read with the line of every field, so that errors can say where they are.

One loader for every YAML input of the project (model files, therapy scenarios, knowledge-base
files, case files). It parses with PyYAML's safe composer and walks the nodes itself, so that:

- every field has a *field path* (``types.S.death``, ``rules[3].drugs[0]``; the whole document
  is ``""``) and the 1-based line it was written on;
- mapping keys are kept **as written**, always strings: YAML 1.1 would read the keys ``on``,
  ``off``, ``yes``, ``no`` as booleans (``on:``/``off:`` are the days of an intermittent cycle)
  and ``null`` as None; values are read as usual (``true`` is True, ``1e-9`` is a string);
- a key given twice in one mapping is refused (PyYAML would silently keep the last one);
- unreadable files, text that is not UTF-8, YAML syntax errors and empty files become one
  :class:`InputError` with the file and, where known, the line.

Files that phrase these errors differently keep their wording through :class:`YamlWording`.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeVar

import yaml
from yaml.constructor import SafeConstructor

from oncoresist._core.exceptions import InputError

__all__ = ["YamlDocument", "YamlWording", "load_yaml_document"]


@dataclass(frozen=True)
class YamlWording:
    """How the loader words its errors (placeholders in braces are filled in).

    Attributes
    ----------
    unreadable
        The file cannot be read: ``{what}``, ``{reason}`` (the system's words).
    not_found
        The file does not exist: ``{what}``; None: use ``unreadable``.
    not_utf8
        The bytes are not UTF-8: ``{reason}``.
    syntax
        YAML syntax error: ``{problem}``, ``{context}`` (`` (while ...)`` or empty).
    duplicate
        A key given twice: ``{field}`` (its path), ``{key}``, ``{first}`` (line of the first).
    empty
        The file holds no document: ``{what}``, ``{hint}`` (what it needs).
    """

    unreadable: str = "cannot read the {what}: {reason}"
    not_found: str | None = None
    not_utf8: str = "is not UTF-8 text ({reason}); save it as UTF-8"
    syntax: str = "not valid YAML: {problem}; fix the syntax"
    duplicate: str = "{field}: field {key!r} appears twice"
    empty: str = "the {what} is empty; {hint}"


class YamlDocument:
    """Plain data read from YAML, with the line of every field path.

    Attributes
    ----------
    path
        The file (as given).
    data
        The document as plain dicts, lists and scalars (None for an allowed empty file).
    lines
        Field path -> 1-based line, exactly as recorded (no fallback); ``""`` is the document.
    """

    def __init__(self, path: str | PathLike[str], data: Any, lines: dict[str, int]) -> None:
        self.path = path
        self.data = data
        self.lines = lines

    def line_of(self, field: str) -> int | None:
        """Line of ``field``, else of the nearest enclosing field written in the file.

        The whole document (``""``) has no line: a message about it concerns the file.
        """
        while field:
            if field in self.lines:
                return self.lines[field]
            field = _parent(field)
        return None

    def fail(self, field: str, message: str) -> NoReturn:
        """Raise an :class:`InputError` about ``field``: ``"<field>: <message>"`` at its line."""
        text = f"{field}: {message}" if field else message
        raise InputError(text, path=str(self.path), line=self.line_of(field), field=field or None)

    def mapping(self, value: Any, field: str) -> dict:
        """``value`` if it is a mapping, else fail naming ``field``."""
        if not isinstance(value, dict):
            self.fail(field, f"expected a mapping (key: value lines), found {type(value).__name__}")
        return value

    def only(self, value: dict, allowed: set[str], field: str) -> None:
        """Fail on the first key of ``value`` (the mapping at ``field``) not in ``allowed``."""
        for key in value:
            if key not in allowed:
                sub = f"{field}.{key}" if field else str(key)
                self.fail(sub, f"unknown field {key!r}; allowed here: {', '.join(sorted(allowed))}")


def _parent(field: str) -> str:
    """``a.b[2]`` -> ``a.b`` -> ``a`` -> ``""``."""
    cut = max(field.rfind("."), field.rfind("["))
    return field[:cut] if cut > 0 else ""


_DocT = TypeVar("_DocT", bound=YamlDocument)


def load_yaml_document(
    path: str | PathLike[str],
    *,
    text: str | None = None,
    what: str = "YAML file",
    empty_hint: str | None = None,
    lines: Literal["key", "value"] = "key",
    wording: YamlWording = YamlWording(),  # noqa: B008 - frozen, shared safely
    document_type: type[_DocT] = YamlDocument,  # type: ignore[assignment]
) -> _DocT:
    """Read a YAML file (UTF-8) into a :class:`YamlDocument`.

    Parameters
    ----------
    path
        The file; with ``text``, only named in messages.
    text
        The YAML text, already read (None: read ``path``).
    what
        What the file is, for messages (``"scenario file"``).
    empty_hint
        What an empty file should contain (``"it needs 'model' and 'strategies'"``); an empty
        file is then refused. None: an empty file gives ``data`` None.
    lines
        The line of a field: where its key is written (``"key"``) or where its value starts
        (``"value"``; differs for a block mapping or list below the key).
    wording
        The error messages.
    document_type
        The class to return (a subclass with typed getters).

    Raises
    ------
    InputError
        Unreadable or non-UTF-8 file, YAML syntax error (with its line), a key given twice, a key
        that is not plain text, or an empty file when ``empty_hint`` is given.

    Examples
    --------
    >>> doc = load_yaml_document("s.yaml", text="cycle:\\n  on: 14\\n  off: [7, 21]\\n")
    >>> doc.data
    {'cycle': {'on': 14, 'off': [7, 21]}}
    >>> doc.line_of("cycle.off[1]"), doc.line_of("cycle.missing")
    (3, 1)
    """
    if text is None:
        text = _read(path, what, wording)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            if empty_hint is None:
                return document_type(path, None, {})
            msg = wording.empty.format(what=what, hint=empty_hint)
            raise InputError(msg, path=str(path))
        walker = _Walker(path, lines, wording)
        data = walker.convert(node, "")  # constructing a scalar can fail too (unknown !tag)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        context = getattr(exc, "context", None)
        msg = wording.syntax.format(problem=getattr(exc, "problem", None) or exc,
                                    context=f" ({context})" if context else "")
        raise InputError(msg, path=str(path), line=mark.line + 1 if mark is not None else None) from None
    return document_type(path, data, walker.lines)


def _read(path: str | PathLike[str], what: str, wording: YamlWording) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        template = wording.not_found or wording.unreadable
        msg = template.format(what=what, reason=exc.strerror)
        raise InputError(msg, path=str(path)) from None
    except OSError as exc:
        msg = wording.unreadable.format(what=what, reason=exc.strerror)
        raise InputError(msg, path=str(path)) from None
    except UnicodeDecodeError as exc:
        msg = wording.not_utf8.format(reason=exc.reason)
        raise InputError(msg, path=str(path)) from None


class _Walker:
    """Turns a node tree into plain data, recording the line of every field path."""

    def __init__(self, path: str | PathLike[str], lines: str, wording: YamlWording) -> None:
        self.path = path
        self.at_key = lines == "key"
        self.wording = wording
        self.lines: dict[str, int] = {}
        self.constructor = SafeConstructor()

    def convert(self, node: yaml.Node, where: str) -> Any:
        self.lines.setdefault(where, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.key(key_node, where)
                sub = f"{where}.{key}" if where else key
                line = key_node.start_mark.line + 1
                if key in out:
                    msg = self.wording.duplicate.format(field=sub, key=key, first=self.lines.get(sub))
                    raise InputError(msg, path=str(self.path), line=line, field=sub)
                if self.at_key:
                    self.lines[sub] = line
                out[key] = self.convert(value_node, sub)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, f"{where}[{i}]") for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)

    def key(self, node: yaml.Node, where: str) -> str:
        # as written: YAML 1.1 would read 'on'/'off'/'yes'/'no' as booleans, 'null' as None
        if isinstance(node, yaml.ScalarNode):
            return str(node.value)
        kind = "mapping" if isinstance(node, yaml.MappingNode) else "list"
        msg = f"a key must be plain text, found a {kind}; write the key as text"
        inside = f" in {where}" if where else ""
        raise InputError(msg + inside, path=str(self.path), line=node.start_mark.line + 1, field=where or None)
