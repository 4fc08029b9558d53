"""Public entry points of ``oncoresist.synergy`` (documented here, re-exported by ``__init__``)."""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import (
    InputError,
    Provenance,
    spawn_seed_sequences,
    write_table,
    write_text_atomic,
)
from oncoresist._core.rng import seed_of
from oncoresist.synergy import _io
from oncoresist.synergy._bootstrap import bootstrap_block, p_value
from oncoresist.synergy._fit import CurveFit, fit_curve
from oncoresist.synergy._io import Block, Screen
from oncoresist.synergy._models import (
    MusycFit,
    best_window,
    check_models,
    fit_musyc_block,
    musyc_surface,
    score_blocks,
)

DISCLAIMER = "Research use only; not for clinical decisions."


def read_screen(path: str | os.PathLike[str], *, response: str = "inhibition") -> Screen:
    """Read a dose-matrix screen in SynergyFinder long format.

    Parameters
    ----------
    path
        CSV or TSV with columns ``block_id drug1 drug2 conc1 conc2 response conc_unit`` (more
        drugs as ``drug3``/``conc3``...). Replicates are repeated rows. The column names of
        SynergyFinder's older examples (``drug_row drug_col conc_r conc_c conc_r_unit
        conc_c_unit``) are accepted too.
    response
        ``"inhibition"`` (% inhibition, 0 = untreated) or ``"viability"`` (% viability, 100 =
        untreated; converted to inhibition as ``100 - viability``).

    Returns
    -------
    Screen
        Blocks keyed by block id; responses held as % inhibition.

    Warns
    -----
    ResponseConventionWarning
        When the single-drug responses run the wrong way for the declared convention
        (e.g. falling with dose while ``response="inhibition"``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "screen.csv"
    >>> rows = ["block_id,drug1,drug2,conc1,conc2,response,conc_unit"]
    >>> for c1, c2, r in [(0, 0, 0), (1, 0, 20), (10, 0, 60), (100, 0, 80), (0, 1, 30),
    ...                   (0, 10, 50), (0, 100, 70), (1, 1, 50), (10, 10, 90)]:
    ...     rows.append(f"1,a,b,{c1},{c2},{r},uM")
    >>> _ = p.write_text("\\n".join(rows) + "\\n")
    >>> screen = read_screen(p)
    >>> screen.blocks["1"].drugs
    ('a', 'b')
    """
    return _io.read_screen(path, response=response)


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

    The first row holds a label cell then the drug2 concentrations; each following row a drug1
    concentration then the responses at each drug2 concentration. Replicate matrices may be
    stacked as repeated rows.

    Parameters
    ----------
    path
        CSV or TSV file.
    drug1, drug2, block_id, conc_unit
        Names and unit to attach to the block.
    response
        ``"inhibition"`` or ``"viability"``, as in :func:`read_screen`.

    Returns
    -------
    Screen
        A screen with one block.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.csv"
    >>> _ = p.write_text("conc1\\\\conc2,0,1,10\\n0,0,30,50\\n1,20,55,70\\n10,60,75,90\\n")
    >>> read_matrix(p, drug1="a", drug2="b").blocks["1"].matrix()[2].shape
    (3, 3)
    """
    return _io.read_matrix(
        path, drug1=drug1, drug2=drug2, block_id=block_id, conc_unit=conc_unit, response=response
    )


def block_from_matrix(conc1, conc2, matrix, **kwargs) -> Block:
    """Build a two-drug block from a response matrix held in memory.

    Parameters
    ----------
    conc1, conc2
        Concentrations of drug 1 (matrix rows) and drug 2 (columns), including 0.
    matrix
        Responses, shape ``(len(conc1), len(conc2))``.
    **kwargs
        ``drugs``, ``block_id``, ``conc_unit``, ``response_kind`` (``"inhibition"`` or
        ``"viability"``) and ``check`` (run the design and convention checks; default True).

    Returns
    -------
    Block
        The block, responses as % inhibition.

    Examples
    --------
    >>> b = block_from_matrix([0, 1], [0, 1], [[0, 40], [30, 70]], drugs=("a", "b"))
    >>> b.matrix()[2].tolist()
    [[0.0, 40.0], [30.0, 70.0]]
    """
    return _io.block_from_matrix(conc1, conc2, matrix, **kwargs)


def make_block(doses, response, **kwargs) -> Block:
    """Build a block of two or more drugs from arrays held in memory.

    Parameters
    ----------
    doses
        Array (n_rows, n_drugs) of concentrations, 0 where a drug is absent; replicates as
        repeated rows.
    response
        Responses, one per row.
    **kwargs
        ``drugs``, ``block_id``, ``conc_unit``, ``response_kind`` (``"inhibition"`` or
        ``"viability"``) and ``check`` (run the design and convention checks; default True).

    Returns
    -------
    Block
        The block, responses as % inhibition.

    Examples
    --------
    >>> b = make_block([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]],
    ...                [0, 20, 30, 40, 80], drugs=("a", "b", "c"))
    >>> b.n_drugs
    3
    """
    return _io.make_block(doses, response, **kwargs)


def fit_dose_response(dose, response, *, drug: str = "drug") -> CurveFit:
    """Fit a four-parameter log-logistic curve to single-drug data (% inhibition).

    ``response(x) = e0 + (emax - e0) * x**h / (x**h + ec50**h)``, least squares with bounds
    (hill in [0.1, 10], ec50 within 1000-fold of the tested doses, e0 and emax within the data
    range widened by its span) from several starts. If the fit does not converge, a
    three-parameter fit with e0 fixed at the untreated response is tried and marked
    ``status="fallback"``; if that fails too the result says ``status="failed"`` with NaN
    parameters. Flat responses give ``status="flat"`` (a constant, no-effect model).

    Parameters
    ----------
    dose
        Concentrations (0 for untreated wells allowed), replicates as repeated values.
    response
        % inhibition at each dose (NaN values are dropped).
    drug
        Name used in messages and in the result.

    Returns
    -------
    CurveFit
        Parameters, 95% intervals of EC50 and IC50, AUC, R^2, status and quality flags.

    Raises
    ------
    InputError
        All responses NaN, or data at a single dose.

    Examples
    --------
    >>> import numpy as np
    >>> dose = np.array([0, 0.01, 0.1, 1, 10, 100])
    >>> resp = 100 * dose / (dose + 1.0)  # e0=0, emax=100, ec50=1, hill=1
    >>> fit = fit_dose_response(dose, resp, drug="x")
    >>> round(fit.ec50, 3), round(fit.hill, 3), fit.status
    (1.0, 1.0, 'ok')
    """
    return fit_curve(dose, response, drug=drug)


@dataclass
class SynergyResult:
    """Scores of a screen.

    Attributes
    ----------
    wells
        One row per block and dose combination: mean response, replicate count, and for each
        model its expected response (``<model>_reference``) and synergy (``<model>_synergy``).
    blocks
        One row per block: block score per model (mean synergy over the combination wells),
        bootstrap sd, 95% interval and p-value when replicates allow, and the most synergistic
        3x3 dose window.
    fits
        Single-drug fits used by Loewe and ZIP, one row per block and drug.
    notes
        Fallbacks, failed fits and skipped wells, in words.
    provenance
        Where the result came from.
    """

    wells: pd.DataFrame
    blocks: pd.DataFrame
    fits: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    provenance: Provenance | None = None

    def to_frame(self) -> pd.DataFrame:
        """The per-block table."""
        return self.blocks

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write ``wells.tsv``, ``blocks.tsv``, ``fits.tsv``, ``notes.txt`` and provenance."""
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in (("wells", self.wells), ("blocks", self.blocks), ("fits", self.fits)):
            write_table(frame, out / f"{name}.tsv", provenance=self.provenance)
        write_text_atomic(out / "notes.txt", "".join(f"{n}\n" for n in [DISCLAIMER, *self.notes]))
        return out


def _as_blocks(data) -> list[Block]:
    if isinstance(data, Screen):
        return list(data.blocks.values())
    if isinstance(data, Block):
        return [data]
    if isinstance(data, list | tuple) and all(isinstance(b, Block) for b in data):
        return list(data)
    msg = f"data must be a Screen, a Block or a list of Blocks; got {type(data).__name__}"
    raise InputError(msg, field="data")


def _score_chunk(blocks, models, n_boot, seeds, window):
    scored = score_blocks(blocks, models)
    rows = []
    for block, res, seed in zip(blocks, scored, seeds, strict=True):
        row = {"block_id": block.block_id}
        for i, drug in enumerate(block.drugs, start=1):
            row[f"drug{i}"] = drug
        row["conc_unit"] = block.conc_unit
        row["n_wells"] = int(len(res.wells["block_id"]))
        for model, value in res.scores.items():
            row[model] = value
        if n_boot > 0:
            boot = bootstrap_block(block, models, n_boot, np.random.default_rng(seed))
            if not boot:
                res.notes.append(f"block {block.block_id}: no replicates, no bootstrap interval or p-value")
            for model in res.scores:
                summary = boot.get(model, {})
                row[f"{model}_sd"] = summary.get("sd", np.nan)
                row[f"{model}_low"] = summary.get("low", np.nan)
                row[f"{model}_high"] = summary.get("high", np.nan)
                row[f"{model}_p"] = p_value(res.scores[model], summary) if summary else np.nan
        if block.n_drugs == 2 and window:
            for model in res.scores:
                row.update(best_window(res.wells, model))
        rows.append(row)
    return rows, [r.wells for r in scored], [r.fits for r in scored], [n for r in scored for n in r.notes]


def _concat_columns(tables: list[dict]) -> pd.DataFrame:
    """One DataFrame from per-block dicts of arrays (columns missing in a block become NaN)."""
    columns = list(dict.fromkeys(c for t in tables for c in t))
    merged = {}
    for column in columns:
        parts = [
            t[column] if column in t else np.full(len(t["block_id"]), np.nan) for t in tables
        ]
        merged[column] = np.concatenate(parts) if parts else np.array([])
    return pd.DataFrame(merged, columns=columns)


def score(
    data,
    *,
    models="hsa,bliss,loewe,zip",
    bootstrap: int = 0,
    rng=None,
    executor: Executor | None = None,
    chunk_size: int = 500,
    window: bool = True,
    progress=None,
) -> SynergyResult:
    """Score drug combinations with reference models, per well and per block.

    Synergy = observed - expected % inhibition (positive: synergy, negative: antagonism), with
    the expected response from HSA (highest single agent), Bliss independence, Loewe
    additivity (solved from the fitted single-drug curves; where one drug never reaches the
    effect the higher fitted single-drug response is used, and the well is marked) or ZIP
    (Yadav et al. 2015). Block score: the mean over wells where every drug is present.
    HSA, Bliss and ZIP accept three or more drugs; Loewe is for pairs.

    Parameters
    ----------
    data
        A :class:`Screen`, a :class:`Block` or a list of blocks.
    models
        Names or a comma-separated string among ``hsa, bliss, loewe, zip``.
    bootstrap
        Number of replicate-bootstrap samples per block (0: none). Gives sd, 95% interval and
        a p-value for each block score; blocks without replicates get NaN and a note.
    rng
        Seed or Generator for the bootstrap; block ``i`` uses child ``i`` of the seed sequence.
    executor
        ``concurrent.futures.Executor`` for chunks of blocks; by default chunks run in a
        process pool when there is more than one, in this process otherwise.
    chunk_size
        Blocks per chunk (curve fits of a chunk run as one batch).
    window
        Report the most synergistic 3x3 dose window of each pair.
    progress
        Optional callable ``progress(done, total)`` called with the number of blocks scored
        after each chunk (the CLI draws a progress bar with it on a terminal).

    Returns
    -------
    SynergyResult
        ``wells``, ``blocks`` and ``fits`` tables, notes and provenance.

    Examples
    --------
    >>> b = block_from_matrix([0, 1, 10], [0, 1, 10],
    ...                       [[0, 20, 50], [20, 50, 70], [50, 70, 90]], drugs=("a", "b"))
    >>> res = score(b, models="bliss,hsa")
    >>> round(float(res.blocks.loc[0, "bliss"]), 2)  # mean of 50-36, 70-60, 70-60, 90-75
    12.25
    """
    models = check_models(models)
    blocks = _as_blocks(data)
    if bootstrap < 0:
        msg = f"bootstrap must be >= 0; got {bootstrap}"
        raise InputError(msg, field="bootstrap")
    seeds = spawn_seed_sequences(rng, len(blocks)) if bootstrap else [None] * len(blocks)
    chunks = [
        (blocks[i : i + chunk_size], seeds[i : i + chunk_size]) for i in range(0, len(blocks), chunk_size)
    ]
    own = None
    if executor is None and len(chunks) > 1:
        own = executor = ProcessPoolExecutor(max_workers=min(len(chunks), os.cpu_count() or 1))
    try:
        parts, done = [], 0
        if executor is None:
            pending = ((b, None) for b, _ in chunks)
        else:
            pending = ((b, executor.submit(_score_chunk, b, models, bootstrap, s, window)) for b, s in chunks)
            pending = list(pending)  # submit everything before waiting on the first
        for (chunk, future), (_, seeds_of_chunk) in zip(pending, chunks, strict=True):
            if future is None:
                parts.append(_score_chunk(chunk, models, bootstrap, seeds_of_chunk, window))
            else:
                parts.append(future.result())
            done += len(chunk)
            if progress is not None:
                progress(done, len(blocks))
    finally:
        if own is not None:
            own.shutdown()
    rows = [r for p in parts for r in p[0]]
    wells = _concat_columns([w for p in parts for w in p[1]])
    names = list(CurveFit.__dataclass_fields__)
    fits = pd.DataFrame(
        [
            {"block_id": b.block_id, **{n: getattr(f, n) for n in names}}
            for b, fl in zip(blocks, (fl for p in parts for fl in p[2]), strict=True)
            for f in fl
        ],
        columns=["block_id", *names],
    )
    notes = [n for p in parts for n in p[3]]
    provenance = Provenance.create(
        "oncoresist.synergy.score",
        parameters={"models": list(models), "bootstrap": bootstrap, "n_blocks": len(blocks)},
        seed=seed_of(rng),
        inputs=[data.source] if isinstance(data, Screen) and data.source else [],
    )
    if isinstance(data, Screen):
        notes = list(data.notes) + notes
    return SynergyResult(wells, pd.DataFrame(rows), fits, notes, provenance)


def fit_musyc(block: Block, *, fit_gamma: bool = True) -> MusycFit:
    """Fit the MuSyC model (Meyer et al. 2019) to a pair block.

    The two-dimensional Hill model of a four-state system gives potency synergy (``alpha12``,
    ``alpha21``), efficacy synergy (``beta``) and cooperativity synergy (``gamma12``,
    ``gamma21``). Responses are % inhibition; alpha, gamma > 1 and beta > 0 are synergistic.
    Transition rate scales are fixed at 1 (they matter only when gamma differs from 1).

    Parameters
    ----------
    block
        A two-drug block.
    fit_gamma
        Fit the cooperativity parameters; with False they are fixed at 1.

    Returns
    -------
    MusycFit
        Parameters with standard errors of the log interaction parameters and the fit R^2.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([0, 0.1, 0.3, 1, 3, 10])
    >>> true = dict(e0=0, e1=80, e2=60, e3=95, h1=1, h2=1.5, c1=1, c2=2,
    ...             alpha12=3.0, alpha21=3.0, gamma12=1.0, gamma21=1.0)
    >>> g1, g2 = np.meshgrid(d, d, indexing="ij")
    >>> b = block_from_matrix(d, d, musyc_surface(g1, g2, true))
    >>> fit = fit_musyc(b, fit_gamma=False)
    >>> round(fit.alpha12, 2), round(fit.e3, 1)
    (3.0, 95.0)
    """
    return fit_musyc_block(block, fit_gamma=fit_gamma)


@dataclass(frozen=True)
class DrugEffect:
    """Single-drug Hill/Emax effect as a fraction of cells killed (0..1).

    ``kill(c) = e0 + (emax - e0) * c**hill / (c**hill + ec50**hill)``.

    Attributes
    ----------
    drug, conc_unit
        The drug and the unit of ``ec50``.
    e0, emax, ec50, hill
        Fraction killed without drug and at saturation, half-maximal concentration, slope.
    """

    drug: str
    conc_unit: str
    e0: float
    emax: float
    ec50: float
    hill: float

    def __call__(self, conc):
        """Fraction killed at ``conc``."""
        c = np.asarray(conc, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(c > 0, (c / self.ec50) ** self.hill, 0.0)
        return self.e0 + (self.emax - self.e0) * ratio / (1.0 + ratio)


@dataclass(frozen=True)
class CombinationEffect:
    """Fitted combined effect of a drug pair, for simulators (fraction of cells killed).

    The surface is MuSyC with cooperativity fixed at 1: each drug follows its Hill/Emax curve
    (``drugs``), drug 2 multiplies the potency of drug 1 by up to ``alpha21`` and drug 1 that
    of drug 2 by up to ``alpha12``, and both together reach ``e_combined``.

    Attributes
    ----------
    drugs
        The two :class:`DrugEffect` (with a shared ``e0``).
    alpha12, alpha21
        Potency interaction (1 = none, > 1 synergy, < 1 antagonism).
    e_combined
        Fraction killed with both drugs saturating.
    interaction
        One-number summary, ``sqrt(alpha12 * alpha21)``.
    block_id, r2
        The block fitted and the fit's R^2.
    gamma12, gamma21
        Cooperativity (1 unless built from a MuSyC fit with gamma).
    at_bound
        MuSyC parameters that ended at a fit bound: treat those values as limits, not estimates.
    """

    drugs: tuple[DrugEffect, DrugEffect]
    alpha12: float
    alpha21: float
    e_combined: float
    block_id: str = ""
    r2: float = float("nan")
    at_bound: tuple[str, ...] = ()
    gamma12: float = 1.0
    gamma21: float = 1.0

    @property
    def interaction(self) -> float:
        """Geometric mean potency interaction ``sqrt(alpha12 * alpha21)``."""
        return float(np.sqrt(self.alpha12 * self.alpha21))

    def __call__(self, conc1, conc2):
        """Fraction of cells killed at concentrations ``conc1`` and ``conc2`` (same units as fitted)."""
        a, b = self.drugs
        params = {
            "e0": a.e0, "e1": a.emax, "e2": b.emax, "e3": self.e_combined, "h1": a.hill,
            "h2": b.hill, "c1": a.ec50, "c2": b.ec50, "alpha12": self.alpha12,
            "alpha21": self.alpha21, "gamma12": self.gamma12, "gamma21": self.gamma21,
        }
        return musyc_surface(conc1, conc2, params)

    def to_dict(self) -> dict:
        """Plain nested dict."""
        return {
            "block_id": self.block_id,
            "drugs": [vars(d).copy() for d in self.drugs],
            "alpha12": self.alpha12,
            "alpha21": self.alpha21,
            "e_combined": self.e_combined,
            "gamma12": self.gamma12,
            "gamma21": self.gamma21,
            "interaction": self.interaction,
            "r2": self.r2,
            "at_bound": list(self.at_bound),
        }


def effect_model(source: Block | MusycFit, *, conc_unit: str = "") -> CombinationEffect:
    """Fitted combined effect of a pair as a callable for simulators (concentrations -> fraction killed).

    From a block, fits MuSyC with cooperativity fixed at 1 (``fit_musyc(block,
    fit_gamma=False)``); from a :class:`MusycFit`, uses its parameters (gammas included). %
    inhibition is rescaled to fractions. The result carries, per drug, ``e0, emax, ec50, hill``
    (a Hill/Emax dose-effect) and, for the pair, the potency interaction ``alpha12``,
    ``alpha21`` and the combined maximum ``e_combined``. Fractions outside [0, 1] are kept as
    fitted (a negative e0 means growth above control); clip them where a rate must stay
    positive. Parameters that ended at a fit bound are listed in ``at_bound``.

    Parameters
    ----------
    source
        A two-drug :class:`Block`, or a :class:`MusycFit` from :func:`fit_musyc`.
    conc_unit
        Unit to record when ``source`` is a MusycFit (a block carries its own).

    Returns
    -------
    CombinationEffect
        Plain dataclass, callable as ``effect(conc1, conc2)``.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([0, 0.1, 0.3, 1, 3, 10])
    >>> true = dict(e0=0, e1=80, e2=60, e3=90, h1=1, h2=1, c1=1, c2=2,
    ...             alpha12=1.0, alpha21=1.0, gamma12=1.0, gamma21=1.0)
    >>> g1, g2 = np.meshgrid(d, d, indexing="ij")
    >>> effect = effect_model(block_from_matrix(d, d, musyc_surface(g1, g2, true)))
    >>> round(effect.drugs[0].ec50, 2), round(effect.interaction, 2)
    (1.0, 1.0)
    >>> round(float(effect(1.0, 0.0)), 2)  # drug 1 alone at its EC50: half of 0.8
    0.4
    """
    if isinstance(source, MusycFit):
        fit, unit = source, conc_unit
    elif isinstance(source, Block):
        fit, unit = fit_musyc_block(source, fit_gamma=False), source.conc_unit
    else:
        msg = f"effect_model needs a two-drug Block or a MusycFit; got {type(source).__name__}"
        raise InputError(msg, field="source")
    first = DrugEffect(fit.drugs[0], unit, fit.e0 / 100, fit.e1 / 100, fit.c1, fit.h1)
    second = DrugEffect(fit.drugs[1], unit, fit.e0 / 100, fit.e2 / 100, fit.c2, fit.h2)
    return CombinationEffect(
        (first, second), fit.alpha12, fit.alpha21, fit.e3 / 100, block_id=fit.block_id, r2=fit.r2,
        at_bound=fit.at_bound, gamma12=fit.gamma12, gamma21=fit.gamma21,
    )
