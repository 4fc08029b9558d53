"""Shared infrastructure: errors, randomness, provenance, atomic writes and table reading.

Private to the package: capabilities import from here, users import from the public modules.
"""

from oncoresist._core.atomic import atomic_output_dir, atomic_write, write_text_atomic
from oncoresist._core.exceptions import (
    ConvergenceWarning,
    InputError,
    KnowledgeBaseError,
    OncoresistError,
    OncoresistWarning,
    ParseError,
)
from oncoresist._core.provenance import Provenance, file_sha256
from oncoresist._core.rng import (
    as_generator,
    integer_seed,
    spawn_generators,
    spawn_seed_sequences,
)
from oncoresist._core.tables import read_table, write_table

__all__ = [
    "ConvergenceWarning",
    "InputError",
    "KnowledgeBaseError",
    "OncoresistError",
    "OncoresistWarning",
    "ParseError",
    "Provenance",
    "as_generator",
    "atomic_output_dir",
    "atomic_write",
    "file_sha256",
    "integer_seed",
    "read_table",
    "spawn_generators",
    "spawn_seed_sequences",
    "write_table",
    "write_text_atomic",
]
