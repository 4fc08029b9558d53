"""Reading dose-matrix screens: SynergyFinder long format and a wide matrix per block.

Responses are stored internally as % inhibition (0 = untreated, 100 = complete effect), the
convention of SynergyFinder. Viability input is converted with ``inhibition = 100 - viability``.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, OncoresistWarning, read_table

RESPONSE_KINDS = ("inhibition", "viability")

# Column names used by SynergyFinder's older examples (e.g. mathews_screening_data) mapped onto
# the long format of SynergyFinder 3 (block_id drug1 drug2 conc1 conc2 response conc_unit).
_ALIASES = {
    "drug_row": "drug1",
    "drug_col": "drug2",
    "conc_r": "conc1",
    "conc_c": "conc2",
    "conc_r_unit": "conc_unit",
    "pairindex": "block_id",
    "pair_index": "block_id",
}


class ResponseConventionWarning(OncoresistWarning):
    """The responses look like the other convention (viability given as inhibition or back)."""


@dataclass(frozen=True)
class Block:
    """One dose-matrix experiment: two or more drugs, replicates as repeated rows.

    Attributes
    ----------
    block_id
        Identifier of the block, as in the input.
    drugs
        Drug names, in column order (drug1, drug2, ...).
    conc_unit
        Concentration unit (as written in the input).
    doses
        Array of shape (n_rows, n_drugs) of concentrations.
    response
        Array of shape (n_rows,) of % inhibition.
    lines
        Input line number of each row (0 when built in memory).
    """

    block_id: str
    drugs: tuple[str, ...]
    conc_unit: str
    doses: np.ndarray
    response: np.ndarray
    lines: np.ndarray

    @property
    def n_drugs(self) -> int:
        """Number of drugs in the block."""
        return len(self.drugs)

    def wells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """Unique dose combinations, their mean response, replicate count and replicate values."""
        keys, inverse = np.unique(self.doses, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        finite = np.isfinite(self.response)
        count = np.bincount(inverse, weights=finite, minlength=len(keys))
        sums = np.bincount(inverse, weights=np.where(finite, self.response, 0.0), minlength=len(keys))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, sums / count, np.nan)
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(1, len(keys)))
        reps = np.split(self.response[order], bounds)
        return keys, mean, count.astype(np.int64), reps

    def matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean responses of a two-drug block as a matrix (rows drug1 doses, columns drug2 doses).

        Missing combinations are NaN.
        """
        if self.n_drugs != 2:
            msg = f"block {self.block_id} has {self.n_drugs} drugs; a matrix needs exactly two"
            raise InputError(msg, field="block_id")
        keys, mean, _, _ = self.wells()
        d1 = np.unique(keys[:, 0])
        d2 = np.unique(keys[:, 1])
        grid = np.full((d1.size, d2.size), np.nan)
        grid[np.searchsorted(d1, keys[:, 0]), np.searchsorted(d2, keys[:, 1])] = mean
        return d1, d2, grid


@dataclass(frozen=True)
class Screen:
    """A combination screen: blocks keyed by block id, in input order.

    Attributes
    ----------
    blocks
        The blocks.
    response_input
        The convention the file was declared in (``inhibition`` or ``viability``).
    source
        Path of the file read, if any.
    """

    blocks: dict[str, Block]
    response_input: str = "inhibition"
    source: str | None = None
    notes: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        """Long format (% inhibition): block_id, drug1.., conc1.., response, conc_unit."""
        frames = []
        for block in self.blocks.values():
            part = {"block_id": block.block_id}
            for i, drug in enumerate(block.drugs, start=1):
                part[f"drug{i}"] = drug
            for i in range(block.n_drugs):
                part[f"conc{i + 1}"] = block.doses[:, i]
            part["response"] = block.response
            part["conc_unit"] = block.conc_unit
            frames.append(pd.DataFrame(part))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _check_response_kind(response: str) -> str:
    if response not in RESPONSE_KINDS:
        msg = f"response must be 'inhibition' or 'viability'; got {response!r}"
        raise InputError(msg, field="response")
    return response


def _trend(doses: np.ndarray, values: np.ndarray) -> float:
    """Spearman-type rank correlation of response with dose (NaN if undefined)."""
    ok = np.isfinite(values)
    if ok.sum() < 3 or np.unique(doses[ok]).size < 3:
        return np.nan
    rd = pd.Series(doses[ok]).rank().to_numpy()
    rv = pd.Series(values[ok]).rank().to_numpy()
    if rd.std() == 0 or rv.std() == 0:
        return np.nan
    return float(np.corrcoef(rd, rv)[0, 1])


def convention_check(block: Block, declared: str) -> str | None:
    """Return a warning text when the raw responses of ``block`` look like the other convention.

    The check looks at the single-drug responses (rows where only one drug is present, with the
    untreated wells): with inhibition they rise with dose, with viability they fall.
    ``block.response`` must still hold the raw (as-declared) values.
    """
    expected_sign = 1.0 if declared == "inhibition" else -1.0
    untreated = (block.doses == 0).all(axis=1) & np.isfinite(block.response)
    control = float(block.response[untreated].mean()) if untreated.any() else np.nan
    against, judged = [], 0
    for i, drug in enumerate(block.drugs):
        others = np.delete(block.doses, i, axis=1)
        mono = (others == 0).all(axis=1) & np.isfinite(block.response)
        trend = _trend(block.doses[mono, i], block.response[mono])
        if not np.isfinite(trend):
            continue
        judged += 1
        treated = block.response[mono & (block.doses[:, i] > 0)]
        shift = (treated.mean() - control) * expected_sign if np.isfinite(control) else np.nan
        # Against the declared convention: a clear trend the wrong way, or a weaker one
        # confirmed by the treated wells lying on the wrong side of the untreated ones.
        if trend * expected_sign < -0.5 or (trend * expected_sign < 0 and shift < 0):
            against.append(drug)
    if not judged or len(against) * 2 <= judged:
        return None
    other = "viability" if declared == "inhibition" else "inhibition"
    direction = "fall" if declared == "inhibition" else "rise"
    return (
        f"block {block.block_id}: the single-drug responses of {', '.join(against)} {direction} "
        f"with dose, as {other} data do, but the responses were declared as {declared}. "
        f"If the file holds % {other}, pass --response {other} (response='{other}')"
    )


def _conc_columns(columns: list[str]) -> list[int]:
    found = sorted(int(m.group(1)) for c in columns if (m := re.fullmatch(r"conc(\d+)", c)))
    return [n for i, n in enumerate(found, start=1) if n == i]


def read_screen(
    path: str | os.PathLike[str],
    *,
    response: str = "inhibition",
) -> Screen:
    """Read a SynergyFinder long-format table (see ``oncoresist.synergy.read_screen``)."""
    _check_response_kind(response)
    path = Path(path)
    frame = read_table(path, aliases=_ALIASES)
    columns = [c for c in frame.columns if c != "_line"]
    n_conc = _conc_columns(columns)
    n_drugs = len(n_conc)
    needed = ["block_id", "response"]
    if n_drugs < 2:
        needed += ["drug1", "drug2", "conc1", "conc2"]
    needed += [f"drug{i}" for i in range(1, n_drugs + 1)]
    missing = [c for c in needed if c not in frame.columns]
    if "conc_unit" not in frame.columns:
        missing.append("conc_unit")
    if missing:
        msg = (
            f"is not in SynergyFinder long format: missing column(s) {', '.join(missing)}; found "
            f"{', '.join(columns)}. Expected block_id, drug1, drug2, conc1, conc2, response, "
            "conc_unit (drug_row/drug_col/conc_r/conc_c are also accepted)"
        )
        raise InputError(msg, path=path, line=1)
    types = {f"conc{i}": "float" for i in range(1, n_drugs + 1)} | {"response": "float"}
    frame = read_table(path, aliases=_ALIASES, types=types)
    if "conc_c_unit" in frame.columns:
        differ = frame["conc_c_unit"].astype(str).str.strip() != frame["conc_unit"].astype(str).str.strip()
        if differ.any():
            row = frame.loc[differ.idxmax()]
            msg = (
                f"conc_r_unit {row['conc_unit']!r} differs from conc_c_unit {row['conc_c_unit']!r}; "
                "convert both drugs' concentrations to one unit"
            )
            raise InputError(msg, path=path, line=int(row["_line"]), field="conc_c_unit")
    conc_names = [f"conc{i}" for i in range(1, n_drugs + 1)]
    drug_names = [f"drug{i}" for i in range(1, n_drugs + 1)]
    for name in conc_names:
        values = frame[name].to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            first = int(np.argmax(bad))
            msg = (
                f"column '{name}' must be a concentration >= 0; found {frame[name].iloc[first]!r}. "
                "Use 0 for wells without this drug"
            )
            raise InputError(msg, path=path, line=int(frame["_line"].iloc[first]), field=name)
    blocks: dict[str, Block] = {}
    notes: list[str] = []
    for block_id, part in frame.groupby("block_id", sort=False):
        block_id = str(block_id).strip()
        drugs = []
        for name in drug_names:
            values = part[name].astype(str).str.strip()
            if values.nunique() != 1:
                first = part.loc[values != values.iloc[0], "_line"].iloc[0]
                msg = (
                    f"block {block_id} names more than one {name} ({values.iloc[0]!r} and "
                    f"{values[values != values.iloc[0]].iloc[0]!r}); give each drug pair its own block_id"
                )
                raise InputError(msg, path=path, line=int(first), field=name)
            drugs.append(values.iloc[0])
        units = part["conc_unit"].astype(str).str.strip()
        if units.nunique() != 1:
            first = part.loc[units != units.iloc[0], "_line"].iloc[0]
            msg = f"block {block_id} mixes concentration units ({', '.join(sorted(units.unique()))}); use one unit per block"
            raise InputError(msg, path=path, line=int(first), field="conc_unit")
        values = part["response"].to_numpy(dtype=float)
        if not np.isfinite(values).any():
            msg = f"block {block_id} has no numeric response (all {len(values)} rows are empty or NaN)"
            raise InputError(msg, path=path, line=int(part["_line"].iloc[0]), field="response")
        block = Block(
            block_id=block_id,
            drugs=tuple(drugs),
            conc_unit=units.iloc[0],
            doses=part[conc_names].to_numpy(dtype=float),
            response=values,
            lines=part["_line"].to_numpy(dtype=np.int64),
        )
        blocks[block_id] = _finish_block(block, response, path=path, notes=notes)
    return Screen(blocks=blocks, response_input=response, source=str(path), notes=tuple(notes))


def _finish_block(block: Block, response: str, *, path=None, notes: list[str]) -> Block:
    """Check the design and the convention, convert to % inhibition."""
    for i, drug in enumerate(block.drugs):
        others = np.delete(block.doses, i, axis=1)
        mono = (others == 0).all(axis=1) & (block.doses[:, i] > 0)
        if not mono.any():
            msg = (
                f"block {block.block_id} has no single-drug wells for {drug} (rows where only "
                f"conc{i + 1} > 0); reference models need each drug alone"
            )
            raise InputError(msg, path=path, line=int(block.lines[0]) or None, field=f"conc{i + 1}")
    finite = block.response[np.isfinite(block.response)]
    if finite.size and np.abs(finite).max() <= 1.5 and np.ptp(finite) > 0:
        text = (
            f"block {block.block_id}: all responses lie within [-1.5, 1.5]; they look like fractions, "
            "but percentages are expected (multiply by 100)"
        )
        warnings.warn(text, ResponseConventionWarning, stacklevel=3)
        notes.append(text)
    text = convention_check(block, response)
    if text:
        warnings.warn(text, ResponseConventionWarning, stacklevel=3)
        notes.append(text)
    if response == "viability":
        block = Block(
            block_id=block.block_id,
            drugs=block.drugs,
            conc_unit=block.conc_unit,
            doses=block.doses,
            response=100.0 - block.response,
            lines=block.lines,
        )
    return block


def make_block(
    doses: np.ndarray,
    response: np.ndarray,
    *,
    drugs: tuple[str, ...] | None = None,
    block_id: str = "1",
    conc_unit: str = "",
    response_kind: str = "inhibition",
    check: bool = True,
) -> Block:
    """Build a block from arrays (in memory); responses converted to % inhibition."""
    _check_response_kind(response_kind)
    doses = np.asarray(doses, dtype=float)
    response = np.asarray(response, dtype=float).reshape(-1)
    if doses.ndim != 2 or doses.shape[1] < 2:
        msg = f"doses must have shape (n_wells, n_drugs >= 2); got {doses.shape}"
        raise InputError(msg, field="doses")
    if doses.shape[0] != response.size:
        msg = f"doses has {doses.shape[0]} rows but response has {response.size} values"
        raise InputError(msg, field="response")
    if not np.isfinite(doses).all() or (doses < 0).any():
        msg = "doses must be finite and >= 0 (use 0 where a drug is absent)"
        raise InputError(msg, field="doses")
    if not np.isfinite(response).any():
        msg = f"block {block_id}: response is all NaN; nothing to score"
        raise InputError(msg, field="response")
    drugs = tuple(drugs) if drugs else tuple(f"drug{i + 1}" for i in range(doses.shape[1]))
    block = Block(block_id, drugs, conc_unit, doses, response, np.zeros(response.size, dtype=np.int64))
    if not check:
        return block if response_kind == "inhibition" else Block(
            block_id, drugs, conc_unit, doses, 100.0 - response, block.lines
        )
    return _finish_block(block, response_kind, notes=[])


def block_from_matrix(
    conc1: np.ndarray,
    conc2: np.ndarray,
    matrix: np.ndarray,
    **kwargs,
) -> Block:
    """A two-drug block from a matrix (rows: drug1 doses, columns: drug2 doses)."""
    conc1 = np.asarray(conc1, dtype=float)
    conc2 = np.asarray(conc2, dtype=float)
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (conc1.size, conc2.size):
        msg = f"matrix shape {matrix.shape} does not match {conc1.size} drug1 x {conc2.size} drug2 doses"
        raise InputError(msg, field="matrix")
    g1, g2 = np.meshgrid(conc1, conc2, indexing="ij")
    return make_block(np.column_stack([g1.ravel(), g2.ravel()]), matrix.ravel(), **kwargs)


def read_matrix(
    path: str | os.PathLike[str],
    *,
    drug1: str = "drug1",
    drug2: str = "drug2",
    block_id: str = "1",
    conc_unit: str = "",
    response: str = "inhibition",
) -> Screen:
    """Read one block written as a wide matrix.

    The first row holds the drug2 concentrations after a label cell, each following row a drug1
    concentration then the responses. Replicates may be given as repeated rows.
    """
    _check_response_kind(response)
    path = Path(path)
    frame = read_table(path)
    columns = [c for c in frame.columns if c != "_line"]
    try:
        conc2 = np.array([float(c) for c in columns[1:]])
    except ValueError:
        msg = (
            f"header must hold a label cell then the drug2 concentrations as numbers; found {columns[1:]}. "
            "Write the concentrations of drug2 across the first row"
        )
        raise InputError(msg, path=path, line=1) from None
    doses, values, lines = [], [], []
    for _, row in frame.iterrows():
        try:
            c1 = float(row[columns[0]])
            cells = [float(v) if str(v).strip() not in ("", "NA", "NaN", "nan") else np.nan for v in row[columns[1:]]]
        except ValueError:
            msg = "every cell must be a number (first cell: drug1 concentration, then responses)"
            raise InputError(msg, path=path, line=int(row["_line"])) from None
        for c2, value in zip(conc2, cells, strict=True):
            doses.append((c1, c2))
            values.append(value)
            lines.append(int(row["_line"]))
    doses_arr = np.array(doses, dtype=float)
    if (doses_arr < 0).any() or not np.isfinite(doses_arr).all():
        msg = "concentrations must be finite and >= 0"
        raise InputError(msg, path=path)
    values_arr = np.array(values, dtype=float)
    if not np.isfinite(values_arr).any():
        msg = "no numeric response in the matrix (all cells empty or NaN)"
        raise InputError(msg, path=path)
    block = Block(block_id, (drug1, drug2), conc_unit, doses_arr, values_arr, np.array(lines))
    notes: list[str] = []
    block = _finish_block(block, response, path=path, notes=notes)
    return Screen({block_id: block}, response_input=response, source=str(path), notes=tuple(notes))
