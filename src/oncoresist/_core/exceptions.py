"""The exception and warning hierarchy.

Every error raised on purpose by oncoresist subclasses :class:`OncoresistError`. Errors caused by
what a user gave us (a file, an argument, a YAML field) also subclass :class:`ValueError`, and
carry where the problem is, so that the CLI can print one line that says what, where and how to fix.
"""

from __future__ import annotations

from os import PathLike


class OncoresistError(Exception):
    """Base class of every error oncoresist raises on purpose."""


class InputError(OncoresistError, ValueError):
    """Something the user supplied is wrong.

    Parameters
    ----------
    message
        What was expected, what was found and how to fix it.
    path
        The file the problem is in, if any.
    line
        1-based line number in ``path``, if known.
    field
        The column, argument or YAML field concerned, if any.

    Examples
    --------
    >>> err = InputError("depth must be >= alt_reads; found alt_reads=52, depth=40",
    ...                  path="ctdna.tsv", line=14)
    >>> str(err)
    'ctdna.tsv, line 14: depth must be >= alt_reads; found alt_reads=52, depth=40'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ParseError(InputError):
    """Text (an alteration, a drug name, a schedule) could not be interpreted."""


class KnowledgeBaseError(OncoresistError):
    """The knowledge base is inconsistent or could not be built."""


class OncoresistWarning(UserWarning):
    """Base class of oncoresist's warnings."""


class ConvergenceWarning(OncoresistWarning):
    """A fit or an optimiser stopped before it converged; results may be unreliable."""
