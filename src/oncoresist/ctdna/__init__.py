"""Liquid-biopsy monitoring: calls, limits of detection and emerging resistance in serial ctDNA.

``call`` tests each variant in each plasma sample against the assay's background error (a
beta-binomial per locus from a panel of normals, with fallbacks), reports allele fractions with
confidence intervals, limits of detection and mutant molecules per mL, and tests each sample
as a whole (tumour-informed likelihood ratio calibrated on normals). ``track`` follows each
patient over time: emergence, clearance, nadir, molecular response and progression, growth
kinetics, lead time over imaging, and the therapy context of every emerging variant.

A research tool, not a medical device.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, Provenance, atomic_output_dir, write_table
from oncoresist._core.rng import as_generator, seed_of
from oncoresist.ctdna._background import BackgroundModel, fit_background
from oncoresist.ctdna._calls import call_frame, genome_equivalents_per_ml, limit_of_detection
from oncoresist.ctdna._events import EventRules, call_events, context_annotation
from oncoresist.ctdna._io import (
    normalise_imaging,
    normalise_samples,
    normalise_therapy,
    read_any_samples,
    read_imaging,
    read_maf_series,
    read_normals,
    read_samples,
    read_therapy,
)
from oncoresist.ctdna._kernels import critical_count
from oncoresist.ctdna._kinetics import kinetics as _kinetics
from oncoresist.ctdna._plots import patient_figure, save_figure
from oncoresist.ctdna._sample_test import sample_tests
from oncoresist.ctdna._synthetic import (
    EGFR_VARIANTS,
    EgfrScenario,
    PlasmaAssay,
    SyntheticCohort,
    TrackedVariant,
    TumourTrajectory,
    evolve_egfr_patient,
    first_day_at_or_above,
    recist_imaging,
    sample_normals,
    sample_patient,
)

__all__ = [
    "EGFR_VARIANTS",
    "CallResult",
    "EgfrScenario",
    "EventRules",
    "PlasmaAssay",
    "SyntheticCohort",
    "TrackResult",
    "TrackedVariant",
    "TumourTrajectory",
    "call",
    "context_annotation",
    "detection_probability",
    "genome_equivalents_per_ml",
    "plot_patient",
    "read_imaging",
    "read_maf_series",
    "read_normals",
    "read_samples",
    "read_therapy",
    "sample_cohort",
    "simulate_cohort",
    "track",
]

#: Columns of calls.tsv, in order (optional ones appear when their inputs do).
CALL_COLUMNS = [
    "patient_id", "sample_id", "day", "gene", "alteration", "variant", "chrom", "pos", "ref", "alt",
    "assay", "alt_reads", "depth", "umi_families", "af", "af_ci_low", "af_ci_high", "p_value",
    "detected", "lod95", "background_model", "background_rate", "background_rho",
    "substitution_class", "cfdna_ng_per_ml", "plasma_ml", "tumour_fraction",
    "genome_equivalents_per_ml", "mutant_molecules_per_ml", "mutant_molecules_per_ml_ci_low",
    "mutant_molecules_per_ml_ci_high",
]

_COMPUTED = {"af", "af_ci_low", "af_ci_high", "p_value", "detected", "lod95", "background_model",
             "background_rate", "background_rho"}

SamplesLike = str | os.PathLike | pd.DataFrame


def _load(obj, reader, normaliser, what: str, **kwargs) -> tuple[pd.DataFrame | None, list[str]]:
    if obj is None:
        return None, []
    if isinstance(obj, pd.DataFrame):
        return normaliser(obj, **kwargs), []
    if isinstance(obj, str | os.PathLike):
        return reader(obj), [os.fspath(obj)]
    msg = f"{what} must be a path or a pandas DataFrame; got {type(obj).__name__}"
    raise InputError(msg, field=what)


def _check_level(value: float, name: str) -> float:
    value = float(value)
    if not 0.0 < value < 1.0:
        msg = f"{name} must be between 0 and 1 (exclusive); got {value}"
        raise InputError(msg, field=name)
    return value


@dataclass
class CallResult:
    """Per-variant calls, per-sample tumour-informed tests and the background model used.

    Attributes
    ----------
    calls
        One row per sample and variant (columns of ``CALL_COLUMNS`` that apply).
    sample_tests
        One row per sample: likelihood-ratio statistic, calibrated threshold, detection.
    background
        The fitted background: one row per locus, substitution class and the global fit.
    parameters
        The parameters of the run.
    inputs
        Input files (hashed into the provenance), or label -> file when the names must not
        appear (outputs made under a pseudonymisation key).
    """

    calls: pd.DataFrame
    sample_tests: pd.DataFrame
    background: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    inputs: list[str] | dict[str, str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The per-variant calls."""
        return self.calls.copy()

    def provenance(self, command: str = "oncoresist.ctdna.call") -> Provenance:
        """Provenance record of this result."""
        return Provenance.create(command, parameters=self.parameters, inputs=self.inputs)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write ``calls.tsv``, ``sample_tests.tsv``, ``background.tsv`` and provenance to a folder."""
        provenance = self.provenance()
        with atomic_output_dir(path) as tmp:
            write_table(self.calls, tmp / "calls.tsv")
            write_table(self.sample_tests, tmp / "sample_tests.tsv")
            write_table(self.background, tmp / "background.tsv")
            provenance.write(tmp / "provenance.json")
        return Path(path)


def call(
    samples: SamplesLike,
    *,
    normals: SamplesLike | None = None,
    alpha: float = 0.01,
    background: str = "mle",
    specificity: float = 0.95,
    min_normals: int = 10,
    min_alt_reads: int = 3,
    default_error_rate: float = 1e-3,
) -> CallResult:
    """Call every variant in every plasma sample and test each sample as a whole.

    Parameters
    ----------
    samples
        The long table (path or DataFrame): ``patient_id sample_id day gene alteration
        alt_reads depth`` (or ``chrom pos ref alt``; ``collection_date`` instead of ``day``),
        optionally ``cfdna_ng_per_ml plasma_ml tumour_fraction umi_families assay``; or the
        path of a MAF-series manifest (``patient_id sample_id day maf``, see
        :func:`read_maf_series`).
    normals
        Panel of normals with the same columns (healthy donors; no day needed).
    alpha
        Per-variant significance level of the detection test.
    background
        ``"mle"`` or ``"moments"``: how the beta-binomial backgrounds are fitted.
    specificity
        Target specificity of the per-sample tumour-informed test, calibrated on the normals.
    min_normals, min_alt_reads
        What a locus needs in the panel of normals for its own background fit.
    default_error_rate
        Error rate assumed when no panel of normals is given (raw Illumina substitution error
        is of the order of 1e-3 per base; supply normals for calibrated calls).

    Returns
    -------
    CallResult
        ``.calls`` (one row per sample and variant), ``.sample_tests``, ``.background``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "patient_id": ["P1", "P1"], "sample_id": ["s1", "s2"], "day": [0, 30],
    ...     "gene": ["EGFR", "EGFR"], "alteration": ["p.T790M", "p.T790M"],
    ...     "alt_reads": [0, 12], "depth": [5000, 5000]})
    >>> result = call(table, default_error_rate=1e-4)
    >>> result.calls[["day", "detected"]].to_dict("list")
    {'day': [0.0, 30.0], 'detected': [False, True]}
    """
    alpha = _check_level(alpha, "alpha")
    specificity = _check_level(specificity, "specificity")
    if not 0.0 < default_error_rate < 0.5:
        msg = f"default_error_rate must be in (0, 0.5); got {default_error_rate}"
        raise InputError(msg, field="default_error_rate")
    if background not in ("mle", "moments"):
        msg = f"background must be 'mle' or 'moments'; got {background!r}"
        raise InputError(msg, field="background")
    table, inputs = _load(samples, read_any_samples, normalise_samples, "samples")
    pon, pon_inputs = _load(normals, read_normals, normalise_samples, "normals", normals=True)
    model: BackgroundModel = fit_background(
        pon, method=background, min_normals=min_normals, min_alt_reads=min_alt_reads,
        default_error_rate=default_error_rate,
    )
    columns = [c for c in CALL_COLUMNS if c in table.columns or c in _COMPUTED
               or (c.startswith(("genome_", "mutant_")) and "cfdna_ng_per_ml" in table.columns)]
    called = call_frame(table, model, alpha=alpha, columns=columns)
    tests = sample_tests(called, model, pon, specificity=specificity)
    called = called[columns]
    parameters = {
        "alpha": alpha, "background": background, "specificity": specificity,
        "min_normals": min_normals, "min_alt_reads": min_alt_reads,
        "default_error_rate": default_error_rate,
    }
    return CallResult(
        calls=called,
        sample_tests=tests,
        background=model.to_frame(),
        parameters=parameters,
        inputs=inputs + pon_inputs,
    )


@dataclass
class TrackResult:
    """Calls, events, kinetics and per-patient summary of a serial ctDNA series.

    Attributes
    ----------
    calls, sample_tests, background
        As in :class:`CallResult`.
    events
        ``patient_id gene alteration variant event day confirmed_day grade drugs evidence
        annotation``; events ``emergence``, ``reappearance``, ``clearance``,
        ``molecular_response``, ``nadir`` and ``molecular_progression``.
    kinetics
        One row per fitted phase: growth rate, doubling time or half-life, with CIs.
    summary
        One row per patient: baseline level, nadir, molecular and radiographic progression,
        lead time.
    therapy, imaging
        The histories used (or None).
    """

    calls: pd.DataFrame
    sample_tests: pd.DataFrame
    background: pd.DataFrame
    events: pd.DataFrame
    kinetics: pd.DataFrame
    summary: pd.DataFrame
    therapy: pd.DataFrame | None = None
    imaging: pd.DataFrame | None = None
    parameters: dict = field(default_factory=dict)
    inputs: list[str] | dict[str, str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The events table."""
        return self.events.copy()

    def figure(self, patient_id: str):
        """The patient's plot as a matplotlib Figure."""
        return patient_figure(self.calls, self.events, self.therapy, self.imaging, patient_id)

    def write(self, path: str | os.PathLike[str], *, plots: bool = True) -> Path:
        """Write ``calls.tsv events.tsv kinetics.tsv summary.tsv sample_tests.tsv`` and plots."""
        provenance = Provenance.create("oncoresist.ctdna.track", parameters=self.parameters,
                                       inputs=self.inputs)
        with atomic_output_dir(path) as tmp:
            write_table(self.calls, tmp / "calls.tsv")
            write_table(self.events, tmp / "events.tsv")
            write_table(self.kinetics, tmp / "kinetics.tsv")
            write_table(self.summary, tmp / "summary.tsv")
            write_table(self.sample_tests, tmp / "sample_tests.tsv")
            write_table(self.background, tmp / "background.tsv")
            if plots:
                folder = tmp / "plots"
                folder.mkdir()
                for pid in sorted(self.calls["patient_id"].unique()):
                    name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(pid))
                    save_figure(self.figure(pid), folder / f"{name}.png")
            provenance.write(tmp / "provenance.json")
        return Path(path)


def track(
    samples: SamplesLike | CallResult,
    *,
    therapy: SamplesLike | None = None,
    imaging: SamplesLike | None = None,
    normals: SamplesLike | None = None,
    annotator: Callable[[str | None, str, tuple[str, ...]], str] | None = None,
    rules: EventRules | None = None,
    alpha: float = 0.01,
    background: str = "mle",
    specificity: float = 0.95,
    default_error_rate: float = 1e-3,
) -> TrackResult:
    """Follow each patient's ctDNA over time: events, kinetics, response and progression.

    Parameters
    ----------
    samples
        The long sample table (path or DataFrame), or the result of :func:`call`.
    therapy
        Therapy history ``patient_id drug start_day end_day`` (empty end: ongoing).
    imaging
        Imaging results ``patient_id day result`` (``PD``/``progression`` marks progression).
    normals
        Panel of normals (used when ``samples`` is not already a :class:`CallResult`).
    annotator
        ``annotator(gene, alteration, drugs) -> str`` annotating each emerging variant in the
        context of the drugs given on its first detection; by default the knowledge base's
        reading through :func:`oncoresist.annotate.annotate`
        (``"EGFR p.C797S emerging on osimertinib: on-target resistance"``).
    rules
        Event rules (consecutive detections, strong evidence, response and progression).
    alpha, background, specificity, default_error_rate
        Passed to :func:`call` when ``samples`` is a table.

    Returns
    -------
    TrackResult
        ``.events``, ``.kinetics``, ``.summary``, ``.calls``; ``.write(folder)``.

    Examples
    --------
    >>> import pandas as pd
    >>> days = [0, 30, 60, 90]
    >>> table = pd.DataFrame({
    ...     "patient_id": "P1", "sample_id": [f"s{d}" for d in days], "day": days,
    ...     "gene": "EGFR", "alteration": "p.C797S",
    ...     "alt_reads": [0, 1, 9, 40], "depth": 10000})
    >>> therapy = pd.DataFrame({"patient_id": ["P1"], "drug": ["osimertinib"], "start_day": [0]})
    >>> result = track(table, therapy=therapy, default_error_rate=1e-4)
    >>> row = result.events.query("event == 'emergence'").iloc[0]
    >>> (row["day"], row["confirmed_day"], row["annotation"])
    (np.float64(60.0), np.float64(90.0), 'EGFR p.C797S emerging on osimertinib: on-target resistance')
    """
    rules = rules or EventRules()
    if isinstance(samples, CallResult):
        result = samples
    else:
        result = call(samples, normals=normals, alpha=alpha, background=background,
                      specificity=specificity, default_error_rate=default_error_rate)
    therapy_frame, therapy_inputs = _load(therapy, read_therapy, normalise_therapy, "therapy")
    imaging_frame, imaging_inputs = _load(imaging, read_imaging, normalise_imaging, "imaging")
    if annotator is not None and not callable(annotator):
        msg = "annotator must be a callable (gene, alteration, drugs) -> str"
        raise InputError(msg, field="annotator")
    events, summary = call_events(result.calls, rules=rules, therapy=therapy_frame,
                                  imaging=imaging_frame, annotator=annotator)
    kinetics_frame = _kinetics(result.calls, therapy=therapy_frame)
    parameters = dict(result.parameters)
    parameters.update({
        "consecutive": rules.consecutive, "strong_p": rules.strong_p,
        "response_declines": list(rules.response_declines), "progression_fold": rules.progression_fold,
        "annotator": getattr(annotator, "__qualname__", repr(annotator)) if annotator else "resistance_annotation",
    })
    return TrackResult(
        calls=result.calls, sample_tests=result.sample_tests, background=result.background,
        events=events, kinetics=kinetics_frame, summary=summary, therapy=therapy_frame,
        imaging=imaging_frame, parameters=parameters,
        inputs=result.inputs + therapy_inputs + imaging_inputs,
    )


def plot_patient(result: TrackResult, patient_id: str, *, path: str | os.PathLike[str] | None = None):
    """Allele fraction on a log scale over time, with therapy bands and limits of detection.

    Parameters
    ----------
    result
        The output of :func:`track`.
    patient_id
        The patient to draw.
    path
        Where to write a PNG (atomically); nothing is written when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"patient_id": "P1", "sample_id": ["a", "b"], "day": [0, 30],
    ...                       "gene": "EGFR", "alteration": "p.L858R",
    ...                       "alt_reads": [50, 3], "depth": 5000})
    >>> fig = plot_patient(track(table, default_error_rate=1e-4), "P1")
    >>> fig.axes[0].get_yscale()
    'log'
    """
    if patient_id not in set(result.calls["patient_id"]):
        msg = f"patient {patient_id!r} is not in the result; choose one of its patient_id values"
        raise InputError(msg, field="patient_id")
    fig = result.figure(patient_id)
    if path is not None:
        save_figure(fig, path)
    return fig


def detection_probability(af, depth, *, error_rate: float, alpha: float = 0.01):
    """Closed-form probability of detecting a variant at ``af`` with ``depth`` reads or molecules.

    Under a binomial background of rate ``e``, the detection test calls a variant when
    ``X >= c``, the smallest count with ``P(X >= c | e) <= alpha``; with the variant present,
    ``X ~ Binomial(depth, af + (1 - af) e)``, so the probability is ``P(X >= c)`` under that.

    Parameters
    ----------
    af
        True tumour allele fraction(s).
    depth
        Reads or unique molecules at the locus.
    error_rate
        Background error rate per read or molecule.
    alpha
        Per-variant significance level.

    Returns
    -------
    numpy.ndarray
        Detection probabilities, broadcast over ``af`` and ``depth``.

    Examples
    --------
    With 10,000 molecules and an error rate of 1e-4 the background mean is 1 read, and the
    smallest count significant at 0.01 is 5 (Poisson(1): P(X >= 5) = 0.0037); at 0.1% AF the
    mean is about 11 and P(X >= 5) is about 0.985:

    >>> p = detection_probability([0.0, 0.001, 0.01], 10000, error_rate=1e-4)
    >>> [round(float(v), 3) for v in p]
    [0.004, 0.985, 1.0]
    """
    from scipy import stats

    af, depth = np.broadcast_arrays(np.asarray(af, dtype=float), np.asarray(depth, dtype=np.int64))
    flat_n = depth.reshape(-1)
    critical = critical_count(flat_n, error_rate, np.inf, alpha).reshape(depth.shape)
    q = af + (1.0 - af) * error_rate
    return stats.binom.sf(critical - 1, depth, q)


def sample_cohort(
    trajectories: Mapping[str, TumourTrajectory],
    variants: Sequence[TrackedVariant],
    sample_days: Sequence[float] | Mapping[str, Sequence[float]],
    *,
    assay: PlasmaAssay | None = None,
    n_normals: int = 50,
    therapy: pd.DataFrame | None = None,
    imaging_days: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    alpha: float = 0.01,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> SyntheticCohort:
    """Sample plasma from given tumour trajectories: a synthetic cohort with its known truth.

    Parameters
    ----------
    trajectories
        Patient id -> tumour cell counts of each clone over time.
    variants
        The variants followed and the clones that carry each.
    sample_days
        Blood draw days, for every patient or per patient id.
    assay
        Shedding, plasma and sequencing parameters.
    n_normals
        Healthy donors in the panel of normals.
    therapy
        Therapy history to carry into the cohort.
    imaging_days
        Scan days, for every patient or per patient id; results follow RECIST 1.1 from
        tumour size.
    alpha
        Detection level used for the truth's ``detectable_day``.
    rng
        Seed or Generator.

    Returns
    -------
    SyntheticCohort
        ``samples`` (with ``true_af``), ``normals``, ``therapy``, ``imaging`` and ``truth``
        (per patient and variant: first day the true allele fraction reaches the assay's
        LoD95 at its nominal molecule count, ``detectable_day``).

    Examples
    --------
    >>> import numpy as np
    >>> days = np.arange(0, 181, 30.0)
    >>> traj = TumourTrajectory(days, {"sensitive": 1e9 * np.exp(-days / 30),
    ...                                "resistant": 1e3 * np.exp(days / 10)})
    >>> variants = [TrackedVariant("EGFR", "p.T790M", ("resistant",))]
    >>> cohort = sample_cohort({"P1": traj}, variants, days, rng=1, n_normals=5)
    >>> cohort.samples["true_af"].round(4).tolist()[-1] > 0.1
    True
    """
    assay = assay or PlasmaAssay()
    generator = as_generator(rng)
    frames, truth = [], []
    imaging = []
    for pid in sorted(trajectories):
        trajectory = trajectories[pid]
        days = sample_days[pid] if isinstance(sample_days, Mapping) else sample_days
        frames.append(sample_patient(trajectory, variants, days, patient_id=pid, assay=assay,
                                     rng=generator))
        nominal = assay.normal_genomes_per_ml * assay.plasma_ml * assay.conversion
        s = np.inf if assay.error_rho <= 0 else 1.0 / assay.error_rho - 1.0
        lod = float(limit_of_detection(np.array([int(nominal)]), assay.error_rate, s, alpha=alpha)[0])
        for v in variants:
            truth.append({
                "patient_id": pid, "gene": v.gene, "alteration": v.alteration,
                "carriers": ";".join(v.carriers), "nominal_lod95": lod,
                "detectable_day": first_day_at_or_above(trajectory, v, lod, assay),
            })
        if imaging_days is not None:
            scans = imaging_days[pid] if isinstance(imaging_days, Mapping) else imaging_days
            imaging.append(recist_imaging(trajectory, scans, patient_id=pid))
    samples = pd.concat(frames, ignore_index=True)
    normals = sample_normals(variants, n_normals, assay=assay, rng=generator)
    therapy_frame = therapy if therapy is not None else pd.DataFrame(
        columns=["patient_id", "drug", "start_day", "end_day"])
    imaging_frame = pd.concat(imaging, ignore_index=True) if imaging else pd.DataFrame(
        columns=["patient_id", "day", "result"])
    return SyntheticCohort(
        samples=samples, normals=normals, therapy=therapy_frame, imaging=imaging_frame,
        truth=pd.DataFrame(truth),
        parameters={"seed": seed_of(rng), "assay": repr(assay), "n_normals": n_normals,
                    "patients": len(trajectories)},
    )


def simulate_cohort(
    n_patients: int = 20,
    *,
    scenario: EgfrScenario | None = None,
    assay: PlasmaAssay | None = None,
    sample_interval: float = 28.0,
    n_normals: int = 50,
    rng: int | np.random.Generator | None = None,
) -> SyntheticCohort:
    """A synthetic EGFR-mutant lung cancer cohort: tumours from ``oncoresist.evolve``, then plasma.

    Each patient's tumour is simulated with :func:`oncoresist.evolve.simulate` (see
    :class:`EgfrScenario`: erlotinib until RECIST progression, then osimertinib; T790M and
    C797S arise by mutation), then sampled every ``sample_interval`` days with the plasma
    model of :func:`sample_cohort`. The variants followed are EGFR exon 19 deletion and
    TP53 p.R273H (in every tumour cell), EGFR p.T790M and EGFR p.C797S.

    Parameters
    ----------
    n_patients
        Number of patients.
    scenario
        Tumour model parameters.
    assay
        Plasma and sequencing parameters.
    sample_interval
        Days between blood draws (from day 0, the start of treatment).
    n_normals
        Healthy donors in the panel of normals.
    rng
        Seed or Generator; patient ``i`` uses child ``i`` of the seed's SeedSequence.

    Returns
    -------
    SyntheticCohort
        Samples, normals, therapy history, imaging and the known truth (``detectable_day``
        per variant, ``switch_day`` per patient).

    Examples
    --------
    >>> cohort = simulate_cohort(1, n_normals=5, rng=3)
    >>> sorted(cohort.therapy["drug"])
    ['erlotinib', 'osimertinib']
    """
    from oncoresist._core import spawn_seed_sequences

    scenario = scenario or EgfrScenario()
    seeds = spawn_seed_sequences(rng, n_patients + 1)
    trajectories, sample_days, scan_days, therapy_rows, switches = {}, {}, {}, [], {}
    width = max(3, len(str(n_patients)))
    for i in range(n_patients):
        pid = f"SYN{i + 1:0{width}d}"
        trajectory, switch = evolve_egfr_patient(scenario, seeds[i])
        last = float(trajectory.days[-1])
        trajectories[pid] = trajectory
        sample_days[pid] = np.arange(0.0, last + 1e-9, sample_interval)
        scan_days[pid] = np.arange(0.0, last + 1e-9, scenario.scan_interval)
        switches[pid] = switch
        if np.isnan(switch):
            therapy_rows.append((pid, scenario.first_drug, 0.0, np.nan))
        else:
            therapy_rows.append((pid, scenario.first_drug, 0.0, switch - 1.0))
            therapy_rows.append((pid, scenario.second_drug, switch, np.nan))
    therapy = pd.DataFrame(therapy_rows, columns=["patient_id", "drug", "start_day", "end_day"])
    cohort = sample_cohort(trajectories, EGFR_VARIANTS, sample_days, assay=assay, n_normals=n_normals,
                           therapy=therapy, imaging_days=scan_days, rng=seeds[-1])
    cohort.truth["switch_day"] = cohort.truth["patient_id"].map(switches)
    cohort.parameters.update({"seed": seed_of(rng), "scenario": repr(scenario),
                              "sample_interval": sample_interval, "patients": n_patients})
    return cohort
