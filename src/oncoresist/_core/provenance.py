"""Provenance records attached to every output.

No wall-clock time is recorded by default: the same seed and input must give byte-identical
outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from oncoresist._core.atomic import write_text_atomic


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, as hex.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@dataclass(frozen=True)
class Provenance:
    """Where an output came from.

    Attributes
    ----------
    command
        The command or function that made the output (``"oncoresist ctdna call"``).
    parameters
        The parameters it ran with.
    seed
        The random seed, or None for deterministic steps.
    inputs
        Input file names mapped to their SHA-256.
    kb_version
        Knowledge-base version used, if any.
    version
        oncoresist version.

    Examples
    --------
    >>> prov = Provenance.create("oncoresist demo", parameters={"runs": 10}, seed=1)
    >>> prov.to_dict()["seed"]
    1
    """

    command: str
    parameters: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    kb_version: str | None = None
    version: str = ""
    python: str = ""

    @classmethod
    def create(
        cls,
        command: str,
        *,
        parameters: dict[str, Any] | None = None,
        seed: int | None = None,
        inputs: list[str | os.PathLike[str]] | tuple | Mapping[str, str | os.PathLike[str]] = (),
        kb_version: str | None = None,
    ) -> Provenance:
        """Build a record, hashing each input file.

        ``inputs`` are paths (recorded under their file names) or a mapping of label -> path
        (recorded under the labels: a file named after a patient is then not named).
        """
        from oncoresist._version import __version__

        labelled = inputs.items() if isinstance(inputs, Mapping) else ((Path(p).name, p) for p in inputs)
        hashes = {label: file_sha256(p) for label, p in labelled if Path(p).is_file()}
        return cls(
            command=command,
            parameters=_jsonable(parameters or {}),
            seed=seed,
            inputs=hashes,
            kb_version=kb_version,
            version=__version__,
            python=platform.python_version(),
        )

    def without_input_names(self) -> Provenance:
        """The same record with input files labelled ``input1``, ``input2``... (hashes kept).

        For outputs made under a pseudonymisation key: file names often name the patient.

        Examples
        --------
        >>> prov = Provenance(command="x", inputs={"Smith_plasma.tsv": "ab12"})
        >>> prov.without_input_names().inputs
        {'input1': 'ab12'}
        """
        labels = {f"input{i}": digest for i, digest in enumerate(self.inputs.values(), start=1)}
        return replace(self, inputs=labels)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return _jsonable(asdict(self))

    def to_json(self) -> str:
        """Stable JSON text (sorted keys) so that identical runs give identical bytes."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def header_lines(self) -> list[str]:
        """The record as ``#``-prefixed lines, for formats that allow comments."""
        return ["# provenance: " + json.dumps(self.to_dict(), sort_keys=True)]

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the record as JSON, atomically."""
        return write_text_atomic(path, self.to_json())
