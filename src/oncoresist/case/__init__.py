"""A patient case from data to forecast: annotate, track, deconvolve, calibrate, forecast, report.

A case file (YAML, see docs/case.md) names one patient by pseudonym, the therapy given so far,
tumour sequencing, serial ctDNA, optional clonal and imaging data, and the strategies to
compare. :func:`run_case` runs every step whose data are present and writes one offline HTML
report with TSV/JSON and MultiQC files, atomically. A research tool, not for clinical decisions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core import InputError
from oncoresist.case._calibrate import CalibrationResult, calibrate_model
from oncoresist.case._forecast import ForecastResult, Plan, forecast_strategies, plan_of
from oncoresist.case._load import LoadedCase, load_case_file
from oncoresist.case._model import TumourModel, build_model
from oncoresist.case._pipeline import CaseResult, run
from oncoresist.case._schema import Calibration, Case, Forecast, Mutation, StrategySpec
from oncoresist.case._simulate import simulate_observations as _simulate_observations

__all__ = [
    "Calibration",
    "CalibrationResult",
    "Case",
    "CaseResult",
    "Forecast",
    "ForecastResult",
    "LoadedCase",
    "Mutation",
    "Plan",
    "StrategySpec",
    "TumourModel",
    "calibrate",
    "forecast",
    "load_case",
    "run_case",
    "simulate_observations",
    "tumour_model",
]

PathLike = str | os.PathLike[str]
History = Sequence[tuple[Sequence[str], int, int | None]]


def load_case(path: PathLike) -> LoadedCase:
    """Read and validate a case file; check its files, drugs and days; read its tables.

    Parameters
    ----------
    path
        The case YAML. Paths inside it are relative to its folder.

    Returns
    -------
    LoadedCase
        ``.case`` (the validated model), ``.files``, ``.drugs`` (canonical names),
        ``.ctdna``, ``.normals``, ``.imaging``.

    Raises
    ------
    InputError
        Naming the file, the YAML line and the field (``therapy_history[1].end_day``), or the
        data file and its line.

    Examples
    --------
    >>> loaded = load_case("examples/egfr_nsclc/case.yaml")
    >>> loaded.case.pseudonym, loaded.drugs["osimertinib"]
    ('EGFR-SYN001', 'osimertinib')
    >>> sorted(loaded.files)
    ['clonal', 'ctdna', 'imaging', 'normals', 'sequencing[0]']
    """
    return load_case_file(path)


def run_case(
    case_path: PathLike,
    *,
    out: PathLike,
    rng: int | None = None,
    executor: Executor | None = None,
) -> CaseResult:
    """Run a case end to end and write its report folder atomically.

    Steps, each skipped (and said so in the report) when its data are absent: annotation of the
    sequencing in the current therapy context; ctDNA calls, events and kinetics; clonal
    deconvolution; a compartment model of this tumour from the knowledge base; calibration
    (tempered SMC on the ctDNA allele counts and imaging burdens); forecast of each strategy
    from the posterior; report.

    Parameters
    ----------
    case_path
        The case YAML.
    out
        Output folder; built in a temporary sibling and moved into place only when complete
        (an interrupted run leaves nothing that looks like a report).
    rng
        Seed; default the case file's ``seed``. Same seed and inputs give the same bytes.
    executor
        Where likelihood batches and clonal restarts run (``concurrent.futures.Executor``, e.g.
        a ``ProcessPoolExecutor`` or a Dask ``Client.get_executor()``); default in-process.

    Returns
    -------
    CaseResult
        All results; ``.to_frame()`` is the strategy forecast summary.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> result = run_case("examples/egfr_nsclc/case.yaml", out=out)  # doctest: +SKIP
    >>> sorted(p.name for p in out.iterdir())[:3]  # doctest: +SKIP
    ['case.json', 'ctdna_calls.tsv', 'ctdna_events.tsv']
    """
    return run(case_path, out=out, rng=rng, executor=executor)


def tumour_model(
    alterations: Sequence[str],
    drugs: Sequence[str],
    *,
    first_seen: Mapping[str, float] | None = None,
    history: Sequence[Sequence[str]] = (),
    disease: str | None = None,
    mutation: Mutation | None = None,
) -> TumourModel:
    """Build the compartment model of a tumour from its alterations and the knowledge base.

    Parameters
    ----------
    alterations
        Canonical alteration texts (``"EGFR p.T790M"``) found in the tumour or plasma.
    drugs
        Canonical drug names of the history and the strategies.
    first_seen
        Day each alteration was first observed; orders the nested resistant compartments.
    history
        Drug sets of the therapy lines (tie-break of the order).
    disease
        The patient's disease, for rule matching.
    mutation
        De novo resistance by mutation (:class:`Mutation`): each resistant compartment is fed
        from its parent at ``rate x sites`` per division (default 1e-9 x 1 site, Bozic et al.
        2013), times the birth rate (0.14/day).

    Returns
    -------
    TumourModel
        Compartments, their alterations, and which drug kills which compartment.

    Examples
    --------
    >>> m = tumour_model(["EGFR exon 19 deletion", "EGFR p.T790M"], ["erlotinib", "osimertinib"])
    >>> m.types
    ('sensitive', 'EGFR p.T790M')
    >>> m.killed_by(["erlotinib"]).tolist(), m.killed_by(["osimertinib"]).tolist()
    ([True, False], [True, True])
    >>> m.feed  # per-division probability of acquiring each compartment's alteration
    (0.0, 1e-09)
    """
    return build_model(alterations, first_seen or {}, drugs, history=history, disease=disease,
                       mutation=mutation)


def calibrate(
    model: TumourModel,
    history: History,
    *,
    ctdna: pd.DataFrame | None = None,
    imaging: pd.DataFrame | None = None,
    settings: Calibration | None = None,
    rng: int | np.random.Generator | None = None,
    executor: Executor | None = None,
) -> CalibrationResult:
    """Posterior of the model's rates, resistant fractions and shedding for one patient.

    Tempered sequential Monte Carlo on the exact likelihood of the deterministic compartment
    model: binomial ctDNA read counts (``AF = tumour fraction x carrier fraction / 2`` with a
    per-read error rate) and log imaging burdens (``log N / 3`` plus Gaussian error, scale
    marginalised).

    Parameters
    ----------
    model
        From :func:`tumour_model`.
    history
        ``(drugs, start_day, end_day)`` per therapy line (``end_day`` inclusive, None: ongoing).
    ctdna
        ``day alteration alt_reads depth`` rows (alterations of the model).
    imaging
        ``day burden`` rows (rows without a burden are ignored).
    settings
        Particles, MCMC steps, error rate, imaging SD and priors (:class:`Calibration`).
    rng
        Seed or Generator.
    executor
        Likelihood batches are mapped over it in chunks (one per worker).

    Returns
    -------
    CalibrationResult
        ``.draws``, ``.summary()``, ``.log_evidence``, ``.trace``.

    Examples
    --------
    >>> m = tumour_model(["EGFR exon 19 deletion", "EGFR p.T790M"], ["erlotinib"])
    >>> truth = np.array([0.01, 0.02, 0.05, 1e-3, 0.2])
    >>> history = [(["erlotinib"], 0, None)]
    >>> ct, _ = simulate_observations(m, truth, history, ctdna_days=range(0, 400, 28), depth=5000,
    ...                               rng=np.random.default_rng(1))
    >>> post = calibrate(m, history, ctdna=ct, settings=Calibration(particles=200), rng=1)
    >>> row = post.summary().set_index("parameter").loc["growth_resistant"]
    >>> bool(row.ci_low < 0.02 < row.ci_high)
    True
    """
    return calibrate_model(model, history, ctdna=ctdna, imaging=imaging, settings=settings, rng=rng,
                           executor=executor)


def simulate_observations(
    model: TumourModel,
    theta: np.ndarray,
    history: History,
    *,
    ctdna_days: Sequence[float],
    depth: int,
    imaging_days: Sequence[float] = (),
    burden0: float = 50.0,
    error_rate: float = 1e-4,
    imaging_sd: float = 0.1,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate one patient's ctDNA and imaging under the calibration's observation model.

    Used to validate calibration and forecasts on patients with known parameters.

    Parameters
    ----------
    model
        From :func:`tumour_model`.
    theta
        Parameters in the order of ``model.parameter_names`` (natural scale).
    history
        ``(drugs, start_day, end_day)`` per therapy line.
    ctdna_days
        Plasma sampling days; every alteration of the model is measured on each.
    depth
        Reads (or UMI families) per variant and sample.
    imaging_days
        Scan days; burden ``burden0 x N^(1/3) x exp(Normal(0, imaging_sd))``.
    burden0, error_rate, imaging_sd
        Baseline sum of diameters (mm), per-read error rate, log-burden measurement SD.
    rng
        Generator.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(ctdna, imaging)``: ``day alteration alt_reads depth true_af`` and ``day result burden``.

    Examples
    --------
    >>> m = tumour_model(["EGFR exon 19 deletion", "EGFR p.T790M"], ["erlotinib"])
    >>> ct, img = simulate_observations(m, np.array([0.01, 0.02, 0.05, 1e-3, 0.2]),
    ...                                 [(["erlotinib"], 0, None)], ctdna_days=[0], depth=1000,
    ...                                 imaging_days=[0], rng=np.random.default_rng(0))
    >>> ct["true_af"].round(4).tolist()  # AF = tumour fraction x carriers / 2 at day 0
    [0.1, 0.0001]
    >>> float(img["burden"].iloc[0]) > 0
    True
    """
    return _simulate_observations(model, theta, history, ctdna_days=ctdna_days, depth=depth,
                                  imaging_days=imaging_days, burden0=burden0, error_rate=error_rate,
                                  imaging_sd=imaging_sd, rng=rng)


def _as_plan(value: Any) -> Plan:
    if isinstance(value, Plan):
        return value
    if isinstance(value, StrategySpec):
        return plan_of(value)
    if isinstance(value, Mapping):
        return plan_of(StrategySpec.model_validate(dict(value)))
    msg = f"a strategy must be a Plan, a StrategySpec or a mapping; got {type(value).__name__}"
    raise InputError(msg, field="strategies")


def forecast(
    calibration: CalibrationResult,
    strategies: Sequence[Plan | StrategySpec | Mapping[str, Any]],
    *,
    start_day: float,
    settings: Forecast | None = None,
    rng: int | np.random.Generator | None = None,
    mutation: Mutation | None = None,
) -> ForecastResult:
    """Project posterior draws under each strategy: time to progression, resistance, dose, cost.

    Parameters
    ----------
    calibration
        From :func:`calibrate`.
    strategies
        Strategies as case-file mappings (``{"name": ..., "kind": ..., "drugs": [...]}``),
        :class:`StrategySpec` or :class:`Plan`; drug names canonical.
    start_day
        Day the strategies start (usually the last observation).
    settings
        Horizon, number of draws, progression rule, costs (:class:`Forecast`).
    rng
        Seed or Generator (which posterior draws are projected, and the unknown-resistance
        mutation probability of each).
    mutation
        Mutation settings (:class:`Mutation`): the rate per site and division and the prior of
        the number of sites of unknown resistance, used for strategies that no observed
        alteration resists (the model's own feeding comes from :func:`tumour_model`).

    Returns
    -------
    ForecastResult
        ``.summary()`` (median and 90% interval of time to progression and of resistance
        emergence per strategy), ``.survival()``, ``.draws``.

    Examples
    --------
    >>> m = tumour_model(["EGFR exon 19 deletion", "EGFR p.T790M"], ["erlotinib", "osimertinib"])
    >>> history = [(["erlotinib"], 0, None)]
    >>> ct, _ = simulate_observations(m, np.array([0.01, 0.02, 0.05, 1e-3, 0.2]), history,
    ...                               ctdna_days=range(0, 300, 28), depth=5000,
    ...                               rng=np.random.default_rng(2))
    >>> post = calibrate(m, history, ctdna=ct, settings=Calibration(particles=100), rng=2)
    >>> fc = forecast(post, [{"name": "stay", "kind": "continuous", "drugs": "erlotinib"},
    ...                      {"name": "switch", "kind": "continuous", "drugs": "osimertinib"}],
    ...               start_day=280, settings=Forecast(draws=50), rng=2)
    >>> s = fc.summary().set_index("strategy")
    >>> bool(s.loc["switch", "ttp_median"] > s.loc["stay", "ttp_median"])
    True
    """
    plans = [_as_plan(s) for s in strategies]
    return forecast_strategies(calibration, plans, start_day=start_day, settings=settings, rng=rng,
                               mutation=mutation)
