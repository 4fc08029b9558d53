"""Reading PyClone-VI input TSVs and Pairtree ``.ssm`` files; writing PyClone-VI results TSVs.

The layouts are the ones the tools document:

* PyClone-VI input: tab-delimited, one row per mutation and sample, columns ``mutation_id
  sample_id ref_counts alt_counts major_cn minor_cn normal_cn`` and optionally
  ``tumour_content`` (default 1.0) and ``error_rate`` (default 0.001).
* Pairtree ``.ssm``: tab-delimited, one row per mutation, columns ``id name var_reads
  total_reads var_read_prob`` with comma-separated per-sample vectors; the sample names are the
  ``samples`` list of the companion ``.params.json``.
* PyClone-VI results: ``mutation_id sample_id cluster_id cellular_prevalence
  cellular_prevalence_std cluster_assignment_prob``, floats with four decimals, rows sorted by
  cluster, mutation and sample.

Unlike PyClone-VI, which silently drops mutations missing from a sample and rows with zero major
copy number, every such problem is reported with the file and line.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, OncoresistWarning, read_table, write_table
from oncoresist._core.provenance import Provenance

PYCLONE_REQUIRED = (
    "mutation_id",
    "sample_id",
    "ref_counts",
    "alt_counts",
    "major_cn",
    "minor_cn",
    "normal_cn",
)
PYCLONE_OPTIONAL = ("tumour_content", "error_rate")
RESULTS_COLUMNS = (
    "mutation_id",
    "sample_id",
    "cluster_id",
    "cellular_prevalence",
    "cellular_prevalence_std",
    "cluster_assignment_prob",
)
SSM_REQUIRED = ("id", "name", "var_reads", "total_reads", "var_read_prob")
DEFAULT_ERROR_RATE = 1e-3  # PyClone-VI's documented default
DEFAULT_TUMOUR_CONTENT = 1.0  # PyClone-VI's documented default


@dataclass(frozen=True, eq=False)
class ClonalData:
    """Read counts and copy numbers of mutations in one or more samples of one tumour.

    Arrays have shape ``(n_mutations, n_samples)``. ``var_read_prob`` is set only for data read
    from a Pairtree ``.ssm`` file, where the probability of a variant read from a mutant cell is
    given instead of copy numbers.
    """

    mutations: tuple[str, ...]
    samples: tuple[str, ...]
    ref_counts: np.ndarray
    alt_counts: np.ndarray
    major_cn: np.ndarray
    minor_cn: np.ndarray
    normal_cn: np.ndarray
    tumour_content: np.ndarray
    error_rate: np.ndarray
    var_read_prob: np.ndarray | None = None
    source: str | None = field(default=None, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mutations, n_samples)``."""
        return (len(self.mutations), len(self.samples))

    def to_frame(self) -> pd.DataFrame:
        """The data in PyClone-VI's input layout (long: one row per mutation and sample)."""
        n, d = self.shape
        frame = pd.DataFrame(
            {
                "mutation_id": np.repeat(np.asarray(self.mutations, dtype=object), d),
                "sample_id": np.tile(np.asarray(self.samples, dtype=object), n),
                "ref_counts": self.ref_counts.ravel(),
                "alt_counts": self.alt_counts.ravel(),
                "major_cn": self.major_cn.ravel(),
                "minor_cn": self.minor_cn.ravel(),
                "normal_cn": self.normal_cn.ravel(),
                "tumour_content": self.tumour_content.ravel(),
                "error_rate": self.error_rate.ravel(),
            }
        )
        if self.var_read_prob is not None:
            frame["var_read_prob"] = self.var_read_prob.ravel()
        return frame

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the data as a PyClone-VI input TSV (atomically)."""
        return write_table(self.to_frame(), path, float_format="%.6g")


def _fail(message: str, path: Path, line: int | None, field: str | None = None) -> None:
    raise InputError(message, path=path, line=line, field=field)


def read_pyclone_input(
    path: str | os.PathLike[str], *, zero_copy_number: str = "error", incomplete: str = "error"
) -> ClonalData:
    """Read and check a PyClone-VI input TSV."""
    path = Path(path)
    for name, value in (("zero_copy_number", zero_copy_number), ("incomplete", incomplete)):
        if value not in ("error", "drop"):
            msg = f"{name} must be 'error' or 'drop'; got {value!r}"
            raise InputError(msg, field=name)
    types = {c: "int" for c in PYCLONE_REQUIRED[2:]}
    types |= {"tumour_content": "float", "error_rate": "float", "mutation_id": "str", "sample_id": "str"}
    frame = read_table(path, required=PYCLONE_REQUIRED, types=types, delimiter="\t")
    if frame.empty:
        _fail("has a header but no rows; expected one row per mutation and sample", path, None)
    for column in PYCLONE_OPTIONAL:
        if column not in frame.columns:
            default = DEFAULT_TUMOUR_CONTENT if column == "tumour_content" else DEFAULT_ERROR_RATE
            frame[column] = default
    columns = list(PYCLONE_REQUIRED) + list(PYCLONE_OPTIONAL)
    for column in columns:
        empty = frame[column].isna()
        if empty.any():
            line = int(frame.loc[empty.idxmax(), "_line"])
            msg = (
                f"column '{column}' is empty; every row needs a value "
                f"(remove the row or fill in the {column})"
            )
            _fail(msg, path, line, column)
    _check_values(frame, path)
    zero = frame["major_cn"].astype(int) == 0
    if zero.any():
        lines = frame.loc[zero, "_line"].astype(int).tolist()
        if zero_copy_number == "error":
            first = frame.loc[zero.idxmax()]
            msg = (
                f"mutation {first['mutation_id']!r} in sample {first['sample_id']!r} has major_cn=0 "
                "(zero tumour copies: no mutant allele can be observed); remove the mutation, "
                "correct the copy number, or use zero_copy_number='drop' (--drop-zero-cn)"
            )
            _fail(msg, path, lines[0], "major_cn")
        dropped = sorted(set(frame.loc[zero, "mutation_id"]))
        msg = (
            f"{path}: dropped {len(dropped)} mutation(s) with major_cn=0 "
            f"(lines {', '.join(map(str, lines[:10]))}{' ...' if len(lines) > 10 else ''})"
        )
        warnings.warn(msg, OncoresistWarning, stacklevel=3)
        frame = frame.loc[~frame["mutation_id"].isin(dropped)]
        if frame.empty:
            _fail("every mutation has major_cn=0; nothing is left to fit", path, None)
    return _to_data(frame, path, incomplete)


def _check_values(frame: pd.DataFrame, path: Path) -> None:
    checks = [
        ("ref_counts", frame["ref_counts"] < 0, "must be >= 0"),
        ("alt_counts", frame["alt_counts"] < 0, "must be >= 0"),
        ("major_cn", frame["major_cn"] < 0, "must be >= 0"),
        ("minor_cn", frame["minor_cn"] < 0, "must be >= 0"),
        ("normal_cn", frame["normal_cn"] < 1, "must be >= 1 (2 for autosomes)"),
        ("minor_cn", frame["minor_cn"] > frame["major_cn"], "must be <= major_cn (swap the two)"),
        (
            "tumour_content",
            (frame["tumour_content"] <= 0) | (frame["tumour_content"] > 1),
            "must be in (0, 1] (a fraction, not a percentage)",
        ),
        (
            "error_rate",
            (frame["error_rate"] < 0) | (frame["error_rate"] >= 0.5),
            "must be in [0, 0.5)",
        ),
    ]
    for column, bad, rule in checks:
        if bad.any():
            row = frame.loc[bad.idxmax()]
            shown = [column, "major_cn"] if column == "minor_cn" else [column]
            found = ", ".join(f"{c}={row[c]}" for c in shown)
            msg = f"{column} {rule}; found {found} for mutation {row['mutation_id']!r}"
            _fail(msg, path, int(row["_line"]), column)
    duplicated = frame.duplicated(["mutation_id", "sample_id"], keep="first")
    if duplicated.any():
        row = frame.loc[duplicated.idxmax()]
        first = frame.loc[
            (frame["mutation_id"] == row["mutation_id"]) & (frame["sample_id"] == row["sample_id"]),
            "_line",
        ].iloc[0]
        msg = (
            f"mutation {row['mutation_id']!r} appears twice in sample {row['sample_id']!r} "
            f"(also line {int(first)}); keep one row per mutation and sample"
        )
        _fail(msg, path, int(row["_line"]))
    purity = frame.groupby("sample_id")["tumour_content"]
    spread = purity.transform("nunique") > 1
    if spread.any():
        sample = frame.loc[spread.idxmax(), "sample_id"]
        rows = frame.loc[frame["sample_id"] == sample]
        first_value = rows["tumour_content"].iloc[0]
        other = rows.loc[rows["tumour_content"] != first_value].iloc[0]
        msg = (
            f"tumour_content of sample {sample!r} is {other['tumour_content']} here but "
            f"{first_value} on line {int(rows['_line'].iloc[0])}; a sample has one purity"
        )
        _fail(msg, path, int(other["_line"]), "tumour_content")


def _to_data(frame: pd.DataFrame, path: Path, incomplete_policy: str = "error") -> ClonalData:
    samples = tuple(dict.fromkeys(frame["sample_id"]))
    per_mutation = frame.groupby("mutation_id", sort=False)["sample_id"].agg(set)
    incomplete = per_mutation[per_mutation.map(len) < len(samples)]
    if len(incomplete):
        mutation = incomplete.index[0]
        absent = sorted(set(samples) - incomplete.iloc[0])
        line = int(frame.loc[frame["mutation_id"] == mutation, "_line"].iloc[0])
        if incomplete_policy == "error":
            msg = (
                f"mutation {mutation!r} has no row for sample(s) {', '.join(map(repr, absent))} "
                f"({len(incomplete)} mutation(s) are incomplete); add a row with alt_counts=0 and "
                "ref_counts=the depth at the locus, remove the mutation, or use incomplete='drop' "
                "(--drop-incomplete)"
            )
            _fail(msg, path, line, "sample_id")
        msg = (
            f"{path}: dropped {len(incomplete)} mutation(s) missing from some sample(s), the first "
            f"{mutation!r} (line {line}, no row for {', '.join(absent)})"
        )
        warnings.warn(msg, OncoresistWarning, stacklevel=4)
        frame = frame.loc[~frame["mutation_id"].isin(set(incomplete.index))]
        if frame.empty:
            _fail("no mutation has a row for every sample; nothing is left to fit", path, None)
    mutations = tuple(dict.fromkeys(frame["mutation_id"]))
    m_index = pd.Index(mutations)
    s_index = pd.Index(samples)
    rows = m_index.get_indexer(frame["mutation_id"])
    cols = s_index.get_indexer(frame["sample_id"])
    shape = (len(mutations), len(samples))

    def grid(column: str, dtype: type) -> np.ndarray:
        out = np.zeros(shape, dtype=dtype)
        out[rows, cols] = frame[column].to_numpy(dtype=dtype)
        return out

    return ClonalData(
        mutations=mutations,
        samples=samples,
        ref_counts=grid("ref_counts", np.int64),
        alt_counts=grid("alt_counts", np.int64),
        major_cn=grid("major_cn", np.int64),
        minor_cn=grid("minor_cn", np.int64),
        normal_cn=grid("normal_cn", np.int64),
        tumour_content=grid("tumour_content", np.float64),
        error_rate=grid("error_rate", np.float64),
        source=str(path),
    )


def _split_vector(text: str, kind: type, path: Path, line: int, column: str, n: int | None) -> list:
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = [kind(p) if kind is float else int(p) for p in parts]
    except ValueError:
        msg = f"column '{column}' must be a comma-separated list of numbers; found {text!r}"
        _fail(msg, path, line, column)
    if n is not None and len(values) != n:
        msg = (
            f"column '{column}' has {len(values)} value(s) but the file has {n} sample(s) "
            "(from the params file or the first row); give one value per sample"
        )
        _fail(msg, path, line, column)
    return values


def read_pairtree_ssm(
    path: str | os.PathLike[str],
    params: str | os.PathLike[str] | None = None,
    *,
    error_rate: float = DEFAULT_ERROR_RATE,
) -> ClonalData:
    """Read a Pairtree ``.ssm`` file (and its ``.params.json`` for the sample names)."""
    path = Path(path)
    if params is None:
        guess = path.with_name(path.name.removesuffix(".ssm") + ".params.json")
        params = guess if guess.is_file() else None
    names: list[str] | None = None
    if params is not None:
        params = Path(params)
        try:
            payload = json.loads(params.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            msg = f"could not be read as JSON ({exc}); it should hold {{\"samples\": [...]}}"
            raise InputError(msg, path=params) from None
        names = payload.get("samples") if isinstance(payload, dict) else None
        if not isinstance(names, list) or not names:
            msg = "has no 'samples' list; Pairtree's params file names the samples in order"
            raise InputError(msg, path=params, field="samples")
        names = [str(s) for s in names]
    frame = read_table(path, required=SSM_REQUIRED, types={"id": "str", "name": "str"}, delimiter="\t")
    if frame.empty:
        _fail("has a header but no rows; expected one row per mutation", path, None)
    dup = frame["id"].duplicated()
    if dup.any():
        row = frame.loc[dup.idxmax()]
        msg = f"mutation id {row['id']!r} appears twice; ids must be unique"
        _fail(msg, path, int(row["_line"]), "id")
    n_samples = None if names is None else len(names)
    var, total, omega = [], [], []
    for row in frame.to_dict("records"):
        line = int(row["_line"])
        if row["id"] is None:
            _fail("column 'id' is empty; every mutation needs an id such as s0", path, line, "id")
        v = _split_vector(row["var_reads"], int, path, line, "var_reads", n_samples)
        n_samples = len(v)
        t = _split_vector(row["total_reads"], int, path, line, "total_reads", n_samples)
        w = _split_vector(row["var_read_prob"], float, path, line, "var_read_prob", n_samples)
        for j in range(n_samples):
            if v[j] < 0 or t[j] < v[j]:
                msg = (
                    f"total_reads must be >= var_reads >= 0; sample {j + 1} has "
                    f"var_reads={v[j]}, total_reads={t[j]}"
                )
                _fail(msg, path, line, "total_reads")
            if not 0 < w[j] <= 1:
                msg = f"var_read_prob must be in (0, 1]; sample {j + 1} has {w[j]}"
                _fail(msg, path, line, "var_read_prob")
        var.append(v)
        total.append(t)
        omega.append(w)
    var_a = np.asarray(var, dtype=np.int64)
    total_a = np.asarray(total, dtype=np.int64)
    samples = tuple(names) if names is not None else tuple(f"S{j}" for j in range(var_a.shape[1]))
    ones = np.ones_like(var_a)
    return ClonalData(
        mutations=tuple(frame["id"]),
        samples=samples,
        ref_counts=total_a - var_a,
        alt_counts=var_a,
        major_cn=ones,
        minor_cn=np.zeros_like(var_a),
        normal_cn=ones.copy(),
        tumour_content=np.ones(var_a.shape),
        error_rate=np.full(var_a.shape, float(error_rate)),
        var_read_prob=np.asarray(omega, dtype=np.float64),
        source=str(path),
    )


def results_frame(
    mutations: tuple[str, ...],
    samples: tuple[str, ...],
    labels: np.ndarray,
    probs: np.ndarray,
    ccf_mean: np.ndarray,
    ccf_std: np.ndarray,
) -> pd.DataFrame:
    """PyClone-VI's results table: one row per mutation and sample."""
    n, d = len(mutations), len(samples)
    frame = pd.DataFrame(
        {
            "mutation_id": np.repeat(np.asarray(mutations, dtype=object), d),
            "sample_id": np.tile(np.asarray(samples, dtype=object), n),
            "cluster_id": np.repeat(labels, d),
            "cellular_prevalence": ccf_mean[np.repeat(labels, d), np.tile(np.arange(d), n)],
            "cellular_prevalence_std": ccf_std[np.repeat(labels, d), np.tile(np.arange(d), n)],
            "cluster_assignment_prob": np.repeat(probs, d),
        }
    )
    return frame.sort_values(["cluster_id", "mutation_id", "sample_id"], kind="stable").reset_index(
        drop=True
    )


def write_results(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, provenance: Provenance | None = None
) -> Path:
    """Write a PyClone-VI results TSV (four decimals, as PyClone-VI writes)."""
    return write_table(frame[list(RESULTS_COLUMNS)], path, provenance=provenance, float_format="%.4f")


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a PyClone-VI results TSV (ours or PyClone-VI's) and check it."""
    path = Path(path)
    types = {
        "mutation_id": "str",
        "sample_id": "str",
        "cluster_id": "int",
        "cellular_prevalence": "float",
        "cellular_prevalence_std": "float",
        "cluster_assignment_prob": "float",
    }
    frame = read_table(path, required=RESULTS_COLUMNS, types=types)
    if frame.empty:
        _fail("has a header but no rows; expected PyClone-VI results", path, None)
    for column in RESULTS_COLUMNS:
        empty = frame[column].isna()
        if empty.any():
            msg = f"column '{column}' is empty; PyClone-VI results have a value in every cell"
            _fail(msg, path, int(frame.loc[empty.idxmax(), "_line"]), column)
    bad = (frame["cellular_prevalence"] < 0) | (frame["cellular_prevalence"] > 1)
    if bad.any():
        row = frame.loc[bad.idxmax()]
        msg = f"cellular_prevalence must be in [0, 1]; found {row['cellular_prevalence']}"
        _fail(msg, path, int(row["_line"]), "cellular_prevalence")
    per = frame.groupby(["cluster_id", "sample_id"])["cellular_prevalence"].nunique()
    if (per > 1).any():
        cluster, sample = per[per > 1].index[0]
        rows = frame.loc[(frame["cluster_id"] == cluster) & (frame["sample_id"] == sample)]
        msg = (
            f"cluster {cluster} has more than one cellular_prevalence in sample {sample!r}; "
            "a cluster has one prevalence per sample"
        )
        _fail(msg, path, int(rows["_line"].iloc[1]), "cellular_prevalence")
    return frame
