"""Reading a case file: YAML -> validated :class:`Case`, files checked, tables read.

Every problem becomes one :class:`InputError` naming the case file, the YAML line and the field
path (``therapy_history[2].end_day``), or the data file and its line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from oncoresist._core import InputError, read_table
from oncoresist._core.yamldoc import YamlDocument, YamlWording, load_yaml_document
from oncoresist.case._schema import Case

PathLike = str | os.PathLike[str]

_RECIST = {"CR", "PR", "SD", "PD"}


@dataclass(frozen=True)
class LoadedCase:
    """A validated case with its files resolved and its tables read.

    Attributes
    ----------
    case
        The validated case-file model.
    path
        The case file.
    files
        Role -> absolute path of every input file (``sequencing[0]``, ``ctdna``, ...).
    drugs
        Every drug name of the case mapped to its canonical knowledge-base name.
    ctdna
        The serial ctDNA table of this patient (``oncoresist.ctdna.read_samples`` columns), or None.
    normals
        The panel of normals, or None.
    imaging
        ``day result burden`` (burden may be missing), or None.
    document
        The case file as read, with the line of every field (for messages that point into it).
    """

    case: Case
    path: Path
    files: dict[str, Path] = field(default_factory=dict)
    drugs: dict[str, str] = field(default_factory=dict)
    ctdna: pd.DataFrame | None = None
    normals: pd.DataFrame | None = None
    imaging: pd.DataFrame | None = None
    document: YamlDocument | None = field(default=None, repr=False, compare=False)

    @property
    def input_files(self) -> list[Path]:
        """The case file and every data file, for provenance hashes."""
        return [self.path, *self.files.values()]

    def canonical(self, drugs: list[str]) -> list[str]:
        """Canonical names of ``drugs``."""
        return [self.drugs[d] for d in drugs]


def _field_path(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _line_of(doc: YamlDocument, loc: tuple) -> int | None:
    """1-based line of the field at ``loc`` (of the nearest enclosing field written in the file).

    A field missing at the top level gets the first line of the document; the whole document
    (``loc == ()``) gets no line.
    """
    if not loc:
        return None
    return doc.line_of(_field_path(loc)) or doc.lines.get("")


def _validation_error(exc: ValidationError, path: Path, doc: YamlDocument) -> InputError:
    err = exc.errors(include_url=False)[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    where = _field_path(loc) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        text = f"unknown field {where!r}; check its spelling (docs/case.md lists the fields)"
    elif kind == "missing":
        text = f"{where}: required field is missing"
    else:
        message = str(err["msg"]).removeprefix("Value error, ")
        text = f"{where}: {message} (found {err.get('input')!r})" if kind != "value_error" else f"{where}: {message}"
    more = len(exc.errors()) - 1
    if more:
        text += f" (and {more} more problem{'s' if more > 1 else ''} after this one is fixed)"
    return InputError(text, path=path, line=_line_of(doc, loc), field=where)


_WORDING = YamlWording(syntax="is not valid YAML: {problem}; fix the syntax")


def parse_case_text(text: str, path: Path) -> tuple[Case, YamlDocument]:
    """Validate YAML text as a case file (no files are touched); also give the document read.

    Keys are kept as written and a key given twice is refused (see :mod:`oncoresist._core.yamldoc`).
    """
    # no empty_hint: an empty file is refused below, with the message of any non-mapping file
    doc = load_yaml_document(path, text=text, what="case file", wording=_WORDING)
    if not isinstance(doc.data, dict):
        msg = "must be a YAML mapping of fields (pseudonym:, disease:, ...); see docs/case.md"
        raise InputError(msg, path=path)
    try:
        return Case.model_validate(doc.data), doc
    except ValidationError as exc:
        raise _validation_error(exc, path, doc) from None


def _resolve(root: Path, text: str, where: str, case_path: Path, doc: YamlDocument, loc: tuple) -> Path:
    target = Path(text)
    target = target if target.is_absolute() else (root / target)
    if not target.is_file():
        line = _line_of(doc, loc)
        msg = (
            f"{where}: file {text!r} does not exist (looked for {target}); paths are relative to "
            "the case file's folder"
        )
        raise InputError(msg, path=case_path, line=line, field=where)
    return target.resolve()


def _check_drugs(case: Case, case_path: Path, doc: YamlDocument) -> dict[str, str]:
    from oncoresist.kb import get_drug

    names: dict[str, str] = {}
    places: list[tuple[str, tuple]] = []
    for i, line in enumerate(case.therapy_history):
        places += [(d, ("therapy_history", i, "drugs", j)) for j, d in enumerate(line.drugs)]
    for i, spec in enumerate(case.strategies):
        places += [(d, ("strategies", i, "drugs", j)) for j, d in enumerate(spec.drugs)]
    places += [(d, ("forecast", "drug_cost_per_day", d)) for d in case.forecast.drug_cost_per_day]
    for drug, loc in places:
        if drug in names:
            continue
        try:
            names[drug] = get_drug(drug).name
        except InputError as exc:
            where = _field_path(loc)
            msg = f"{where}: {exc.message}"
            raise InputError(msg, path=case_path, line=_line_of(doc, loc), field=where) from None
    return names


def _check_sites(case: Case, case_path: Path, doc: YamlDocument) -> None:
    """Every key of ``mutation.sites`` must read as an alteration (``EGFR C797S``)."""
    from oncoresist.variants import parse_alteration

    for key in case.mutation.sites:
        gene, _, rest = key.strip().partition(" ")
        try:
            if not rest:
                msg = "give the gene and the change"
                raise InputError(msg)
            parse_alteration(gene, rest)
        except (InputError, ValueError) as exc:
            reason = getattr(exc, "message", str(exc))
            msg = (
                f"mutation.sites: cannot read {key!r} as an alteration ({reason}); write the gene "
                "and the change, e.g. 'EGFR C797S'"
            )
            loc = ("mutation", "sites", key)
            raise InputError(msg, path=case_path, line=_line_of(doc, loc), field="mutation.sites") from None


def _read_ctdna(path: Path, patient_id: str | None, case_path: Path, doc: YamlDocument) -> pd.DataFrame:
    from oncoresist.ctdna import read_samples

    frame = read_samples(path)
    patients = sorted(frame["patient_id"].astype(str).unique())
    if patient_id is not None:
        frame = frame[frame["patient_id"].astype(str) == patient_id]
        if frame.empty:
            msg = (
                f"ctdna.patient_id: no rows of {path.name} have patient_id {patient_id!r}; "
                f"the table holds {patients[:10]}"
            )
            raise InputError(msg, path=case_path, line=_line_of(doc, ("ctdna", "patient_id")),
                             field="ctdna.patient_id")
    elif len(patients) > 1:
        msg = (
            f"ctdna: {path.name} holds {len(patients)} patients ({', '.join(patients[:5])}...); "
            "add ctdna.patient_id to choose this case's rows"
        )
        raise InputError(msg, path=case_path, line=_line_of(doc, ("ctdna",)), field="ctdna")
    if frame.empty:
        msg = "has no sample rows; a ctDNA table needs at least one sample"
        raise InputError(msg, path=path)
    frame = frame.reset_index(drop=True)
    frame["_canonical"] = [_canonical(g, a, path, line) for g, a, line in
                           zip(frame["gene"], frame["alteration"], frame["_line"], strict=True)]
    return frame


def _canonical(gene: Any, text: Any, path: Path, line: Any) -> str:
    """Canonical alteration text of a ctDNA row, with the row's line in the message if it fails."""
    from oncoresist.variants import parse_alteration

    gene = None if gene is None or (isinstance(gene, float) and gene != gene) else str(gene)
    try:
        return str(parse_alteration(gene, str(text)))
    except InputError as exc:
        msg = f"alteration {text!r} of gene {gene!r} could not be read: {exc.message}"
        raise InputError(msg, path=path, line=None if line is None else int(line), field="alteration") from None


def _read_imaging(path: Path) -> pd.DataFrame:
    frame = read_table(path, required=["day"], types={"day": "int", "burden": "float", "result": "str"})
    if "result" not in frame.columns and "burden" not in frame.columns:
        msg = "needs a 'result' (RECIST CR/PR/SD/PD) or a 'burden' column beside 'day'"
        raise InputError(msg, path=path, line=1)
    if "result" not in frame.columns:
        frame["result"] = None
    if "burden" not in frame.columns:
        frame["burden"] = float("nan")
    for row in frame.rename(columns={"_line": "line_number"}).itertuples():
        if pd.isna(row.day):
            msg = "day is empty; every imaging row needs the day of the scan"
            raise InputError(msg, path=path, line=int(row.line_number), field="day")
        result = row.result
        if result is not None and not pd.isna(result) and str(result).upper() not in _RECIST:
            msg = f"result must be one of CR, PR, SD, PD (RECIST 1.1); found {result!r}"
            raise InputError(msg, path=path, line=int(row.line_number), field="result")
        if not pd.isna(row.burden) and row.burden <= 0:
            msg = f"burden must be > 0 (sum of longest diameters); found {row.burden}"
            raise InputError(msg, path=path, line=int(row.line_number), field="burden")
    days = frame["day"].astype(int)
    repeated = frame.loc[days.duplicated(keep=False), "_line"].tolist()
    if repeated:
        msg = f"two scans on the same day (lines {repeated}); keep one row per day"
        raise InputError(msg, path=path, line=int(repeated[1]), field="day")
    frame["day"] = days
    frame["result"] = frame["result"].map(lambda r: None if r is None or pd.isna(r) else str(r).upper())
    return frame.sort_values("day").reset_index(drop=True)[["day", "result", "burden", "_line"]]


def _check_dates(loaded: LoadedCase, case_path: Path, doc: YamlDocument) -> None:
    """Observations must make sense against the therapy history."""
    case = loaded.case
    first = case.therapy_history[0].start_day
    frames = [("ctdna", loaded.ctdna), ("imaging", loaded.imaging)]
    for role, frame in frames:
        if frame is None:
            continue
        before = frame[frame["day"].astype(int) < first - 3650]
        if len(before):
            row = before.iloc[0]
            msg = (
                f"day {int(row['day'])} is more than 10 years before the first therapy line "
                f"(day {first}); days must be counted from the same day 0 as therapy_history"
            )
            raise InputError(msg, path=loaded.files[role], line=int(row["_line"]), field="day")
    start = case.forecast.start_day
    if start is not None and start < first:
        line = _line_of(doc, ("forecast", "start_day"))
        msg = (
            f"forecast.start_day: day {start} is before the first therapy line (day {first}); "
            "a forecast starts during or after the therapy history"
        )
        raise InputError(msg, path=case_path, line=line, field="forecast.start_day")
    for i, seq in enumerate(case.sequencing):
        if seq.day < first - 3650:
            line = _line_of(doc, ("sequencing", i, "day"))
            msg = (
                f"sequencing[{i}].day: day {seq.day} is more than 10 years before the first therapy "
                f"line (day {first}); days must be counted from the same day 0 as therapy_history"
            )
            raise InputError(msg, path=case_path, line=line, field=f"sequencing[{i}].day")


def load_case_file(path: PathLike) -> LoadedCase:
    """Read, validate and resolve a case file; read its tables (see :func:`oncoresist.case.load_case`)."""
    case_path = Path(path)
    if not case_path.is_file():
        msg = "does not exist or is not a file; give the path of a case YAML file"
        raise InputError(msg, path=case_path)
    try:
        text = case_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        msg = "is not UTF-8 text; save the case file as UTF-8"
        raise InputError(msg, path=case_path) from None
    case, doc = parse_case_text(text, case_path)
    root = case_path.resolve().parent
    files: dict[str, Path] = {}
    for i, seq in enumerate(case.sequencing):
        files[f"sequencing[{i}]"] = _resolve(root, seq.path, f"sequencing[{i}].path", case_path, doc,
                                             ("sequencing", i, "path"))
    if case.ctdna is not None:
        files["ctdna"] = _resolve(root, case.ctdna.path, "ctdna.path", case_path, doc, ("ctdna", "path"))
        if case.ctdna.normals is not None:
            files["normals"] = _resolve(root, case.ctdna.normals, "ctdna.normals", case_path, doc,
                                        ("ctdna", "normals"))
    if case.clonal is not None:
        files["clonal"] = _resolve(root, case.clonal.path, "clonal.path", case_path, doc, ("clonal", "path"))
    if case.imaging is not None:
        files["imaging"] = _resolve(root, case.imaging.path, "imaging.path", case_path, doc,
                                    ("imaging", "path"))
    drugs = _check_drugs(case, case_path, doc)
    _check_sites(case, case_path, doc)
    ctdna = normals = imaging = None
    if "ctdna" in files:
        ctdna = _read_ctdna(files["ctdna"], case.ctdna.patient_id, case_path, doc)
    if "normals" in files:
        from oncoresist.ctdna import read_normals

        normals = read_normals(files["normals"])
    if "imaging" in files:
        imaging = _read_imaging(files["imaging"])
    loaded = LoadedCase(case=case, path=case_path.resolve(), files=files, drugs=drugs, ctdna=ctdna,
                        normals=normals, imaging=imaging, document=doc)
    _check_dates(loaded, case_path, doc)
    return loaded
