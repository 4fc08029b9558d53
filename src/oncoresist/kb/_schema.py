"""Pydantic models of the curated YAML files (drugs, pathways, rules) and their loader.

The contract is ``KB_SCHEMA.md``: unknown keys are errors. Every error names the file, the line,
the entry (its index and its ``name``/``id``/``gene``) and the field, so that a curator or a user
with ``--kb-extra`` can fix it without reading a traceback.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from oncoresist._core.exceptions import InputError
from oncoresist._core.yamldoc import YamlDocument, YamlWording, load_yaml_document

MODALITIES = (
    "small molecule",
    "antibody",
    "antibody-drug conjugate",
    "chemotherapy",
    "immunotherapy",
    "hormone therapy",
    "other",
)
ROLES = (
    "receptor",
    "adaptor",
    "kinase",
    "gtpase",
    "transcription factor",
    "phosphatase",
    "ligand",
    "regulator",
    "effector",
    "other",
)
EFFECTS = ("resistance", "reduced sensitivity", "sensitivity")
MECHANISMS = (
    "on-target",
    "bypass",
    "downstream",
    "phenotypic",
    "microenvironment",
    "pharmacological",
)
EVIDENCE_LEVELS = ("A", "B", "C", "D", "E")
CONFIDENCES = ("high", "medium", "low")
#: What a drug acts on, each value driving one term of ``oncoresist.evolve.tme`` (docs/tme.md).
COMPARTMENTS = (
    "tumour",
    "immune-checkpoint",
    "fibroblast-activation",
    "hgf-met",
    "macrophages",
    "angiogenesis",
)

_REFERENCE = re.compile(r"^(PMID:\d+|DOI:10\.\d{4,9}/\S+)$")

Modality = Literal[
    "small molecule",
    "antibody",
    "antibody-drug conjugate",
    "chemotherapy",
    "immunotherapy",
    "hormone therapy",
    "other",
]
Role = Literal[
    "receptor",
    "adaptor",
    "kinase",
    "gtpase",
    "transcription factor",
    "phosphatase",
    "ligand",
    "regulator",
    "effector",
    "other",
]
Effect = Literal["resistance", "reduced sensitivity", "sensitivity"]
Mechanism = Literal[
    "on-target", "bypass", "downstream", "phenotypic", "microenvironment", "pharmacological"
]
Level = Literal["A", "B", "C", "D", "E"]
Confidence = Literal["high", "medium", "low"]
Compartment = Literal[
    "tumour", "immune-checkpoint", "fibroblast-activation", "hgf-met", "macrophages", "angiogenesis"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _check_references(values: list[str]) -> list[str]:
    for value in values:
        if not _REFERENCE.match(value):
            msg = f"reference {value!r} must look like 'PMID:12345678' or 'DOI:10.xxxx/yyyy'"
            raise ValueError(msg)
    return values


class DrugEntry(_Strict):
    """One drug of ``drugs.yaml``."""

    name: str = Field(min_length=1)
    synonyms: list[str] = Field(default_factory=list)
    drug_class: str = Field(alias="class", min_length=1)
    generation: int | None = Field(default=None, ge=1, le=9)
    modality: Modality
    targets: list[str] = Field(default_factory=list)
    acts_on: list[Compartment] = Field(default_factory=lambda: ["tumour"], min_length=1)
    notes: str | None = None
    references: list[str] = Field(default_factory=list)

    @field_validator("acts_on")
    @classmethod
    def _distinct_compartments(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            msg = f"acts_on lists a compartment twice: {value}"
            raise ValueError(msg)
        return value

    @field_validator("name")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        if value != value.lower():
            msg = f"canonical drug names are lower case: write {value.lower()!r}, not {value!r}"
            raise ValueError(msg)
        return value

    @field_validator("references")
    @classmethod
    def _references(cls, value: list[str]) -> list[str]:
        return _check_references(value)


class DrugsFile(_Strict):
    """The whole of ``drugs.yaml``."""

    schema_version: Literal[1]
    drugs: list[DrugEntry]


class PathwayNode(_Strict):
    """One gene of ``pathways.yaml``."""

    gene: str = Field(min_length=1)
    role: Role
    pathways: list[str] = Field(default_factory=list)


class PathwayEdge(_Strict):
    """One signed, directed edge of ``pathways.yaml``: ``source`` acts on ``target``."""

    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    sign: Literal["activates", "inhibits"]
    references: list[str] = Field(default_factory=list)

    @field_validator("references")
    @classmethod
    def _references(cls, value: list[str]) -> list[str]:
        return _check_references(value)


class PathwaysFile(_Strict):
    """The whole of ``pathways.yaml``."""

    schema_version: Literal[1]
    nodes: list[PathwayNode]
    edges: list[PathwayEdge]
    effectors: list[str] = Field(default_factory=list)


class RuleEntry(_Strict):
    """One curated resistance rule of ``rules.yaml`` (or of a user's ``--kb-extra`` file)."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    gene: str | None = None
    alteration: str = Field(min_length=1)
    drugs: list[str] = Field(default_factory=list)
    drug_class: str | None = None
    generation: list[int] | int | None = None
    effect: Effect
    mechanism: Mechanism | None = None
    mechanism_override: bool = False
    disease: str | None = None
    evidence_level: Level
    confidence: Confidence
    references: list[str] = Field(default_factory=list)
    alternatives: list[str] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    phase: Literal["cis", "trans"] | None = None
    note: str | None = None

    @field_validator("references")
    @classmethod
    def _references(cls, value: list[str]) -> list[str]:
        return _check_references(value)

    @model_validator(mode="after")
    def _consistent(self) -> RuleEntry:
        if not self.drugs and not self.drug_class:
            msg = "give the drugs the rule is about in 'drugs', or a class in 'drug_class'"
            raise ValueError(msg)
        if self.generation is not None and not self.drug_class:
            msg = "'generation' restricts 'drug_class'; set 'drug_class' too or remove it"
            raise ValueError(msg)
        if self.mechanism_override and self.mechanism is None:
            msg = "'mechanism_override: true' needs a 'mechanism' to impose"
            raise ValueError(msg)
        if self.phase is not None and not self.requires:
            msg = "'phase' describes the relation to 'requires'; list the required alterations"
            raise ValueError(msg)
        return self

    @property
    def generations(self) -> tuple[int, ...]:
        """The ``generation`` restriction as a tuple (empty: no restriction)."""
        if self.generation is None:
            return ()
        if isinstance(self.generation, int):
            return (self.generation,)
        return tuple(self.generation)


class RulesFile(_Strict):
    """The whole of ``rules.yaml``."""

    schema_version: Literal[1]
    rules: list[RuleEntry]


# ------------------------------------------------------------------------------------------
# Loading YAML with line numbers

# The knowledge base's own wording for unreadable files (curators fix them by hand).
_WORDING = YamlWording(
    not_found="file not found; check the path",
    syntax="is not valid YAML: {problem}{context}; check indentation, colons and quotes there",
    duplicate=(
        "is not valid YAML: key {key!r} appears twice in the same entry (first on line {first}); "
        "check indentation, colons and quotes there"
    ),
)


def read_yaml(path: str | Path) -> YamlDocument:
    """Parse a YAML file with the line of every field.

    Syntax errors and keys given twice (PyYAML would silently keep the last one) become an
    ``InputError`` with the line.
    """
    return load_yaml_document(Path(path), what="knowledge-base file", wording=_WORDING)


_ENTRY_NAME = ("id", "name", "gene", "source")


def _describe_entry(entry: Any, index: int) -> str:
    if isinstance(entry, dict):
        for key in _ENTRY_NAME:
            if isinstance(entry.get(key), str):
                return f"entry {index + 1} ({key} {entry[key]!r})"
    return f"entry {index + 1}"


def _locate(document: YamlDocument, loc: tuple) -> tuple[str, int | None, str | None]:
    """Turn a pydantic error location into (entry description, line, field)."""
    where: list[str] = []
    node: Any = document.data
    path = ""
    line = document.lines.get("")
    field = None
    for step in loc:
        if isinstance(step, int):
            if isinstance(node, list) and step < len(node):
                where.append(_describe_entry(node[step], step))
                node = node[step]
                path = f"{path}[{step}]"
                if isinstance(node, dict):  # an entry's line; a list item's own line is not used
                    line = document.lines.get(path, line)
            continue
        key = "class" if step == "drug_class" else str(step)
        field = key
        if isinstance(node, dict):
            path = f"{path}.{key}" if path else key
            line = document.lines.get(path, line)
            node = node.get(key)
        else:
            node = None
    return ", ".join(where), line, field


def _friendly(error: dict, known: list[str] | None = None) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        text = "unknown key; remove it or check its spelling against the schema (docs/kb.md)"
        if known:
            close = difflib.get_close_matches(str(error["loc"][-1]), known, n=1, cutoff=0.6)
            if close:
                text = f"unknown key; did you mean {close[0]!r}?"
        return text
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"got {error.get('input')!r}; expected one of {expected}"
    text = error["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        return text
    return f"{text} (got {error.get('input')!r})"


def _known_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the (sub)model an error location points into."""
    current: Any = model
    for step in loc[:-1]:
        if isinstance(step, int):
            continue
        info = current.model_fields.get(step)
        if info is None:
            return []
        annotation = info.annotation
        args = getattr(annotation, "__args__", ())
        inner = args[0] if args else annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            current = inner
    return [info.alias or name for name, info in current.model_fields.items()]


def validate(document: YamlDocument, model: type[BaseModel], path: str | Path) -> BaseModel:
    """Validate a parsed YAML document; the first problem becomes an ``InputError``.

    The message names the entry (index and id/name) and the field; the error carries the file,
    the line and the field.
    """
    if not isinstance(document.data, dict):
        msg = (
            "expected a mapping with 'schema_version' and a list of entries, found "
            f"{type(document.data).__name__}"
        )
        raise InputError(msg, path=path, line=1)
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        # An unknown key is usually a misspelt known one: report it first, with a suggestion.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        loc = tuple(first["loc"])
        where, line, field = _locate(document, loc)
        # A whole-entry check (model validator) ends its location at the entry, not a field.
        entry_level = bool(loc) and isinstance(loc[-1], int)
        parts = [where] if where else []
        if field is not None and not entry_level:
            parts.append(f"field {field!r}")
        text = _friendly(first, _known_fields(model, loc))
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        msg = f"{', '.join(parts)}: {text}{more}" if parts else text + more
        raise InputError(msg, path=path, line=line, field=None if entry_level else field) from None


def load_file(path: str | Path, model: type[BaseModel]) -> tuple[BaseModel, YamlDocument]:
    """Read and validate one YAML file; returns the model and the line-aware raw document."""
    document = read_yaml(path)
    return validate(document, model, path), document


def entry_line(document: YamlDocument, list_key: str, index: int) -> int | None:
    """Line of entry ``index`` of the list ``list_key`` in a raw document, if known."""
    return document.lines.get(f"{list_key}[{index}]")


def field_line(document: YamlDocument, list_key: str, index: int, field: str) -> int | None:
    """Line of ``field`` in entry ``index`` of ``list_key``, else the entry's line."""
    entry = f"{list_key}[{index}]"
    return document.lines.get(f"{entry}.{field}", document.lines.get(entry))
