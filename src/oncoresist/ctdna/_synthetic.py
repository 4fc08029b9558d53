"""Synthetic serial ctDNA: from tumour cell counts over time to sequenced plasma samples.

The tumour enters as a :class:`TumourTrajectory` (cell counts of each clone over time). The
sampling model then follows the molecules:

1. *Shedding*: each tumour cell contributes ``shed_genomes_per_ml_per_cell`` haploid genome
   equivalents (hGE) per mL of plasma; healthy cells contribute ``normal_cfdna_ng_per_ml``
   ng/mL, i.e. ``x 1000 / 3.3`` hGE/mL (3.3 pg per haploid genome).
2. *True allele fraction* of a variant: ``copy_fraction x`` (hGE/mL shed by the clones that
   carry it) / (total hGE/mL); a heterozygous variant has ``copy_fraction = 0.5``.
3. *Molecules*: the genome equivalents at a locus in the tube are
   ``Poisson(hGE/mL x plasma_ml x conversion)``, of which ``Binomial(M, AF)`` are mutant.
4. *Sequencing*: with UMIs every converted molecule is one family (``depth = M``); without,
   ``depth`` reads are drawn with replacement from the M molecules (``Binomial(depth, m / M)``).
5. *Background error*: each non-mutant unit reads as the variant with a per-sample rate drawn
   from ``Beta(mu s, (1 - mu) s)`` (the beta-binomial background of ``_background``).

A cohort's known truth (true allele fraction at each sample, the day each variant's true
allele fraction first reaches a given level) is returned beside the samples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oncoresist._core import InputError
from oncoresist.ctdna._calls import PG_PER_HAPLOID_GENOME


@dataclass(frozen=True)
class TumourTrajectory:
    """Cell counts of each clone over time.

    Attributes
    ----------
    days
        Increasing time points (days).
    cells
        Clone name -> cell counts at ``days`` (same length).
    """

    days: np.ndarray
    cells: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        days = np.asarray(self.days, dtype=float)
        if days.ndim != 1 or len(days) < 1 or np.any(np.diff(days) <= 0):
            msg = "trajectory days must be a 1-D increasing array"
            raise InputError(msg, field="days")
        cells = {}
        for name, counts in self.cells.items():
            counts = np.asarray(counts, dtype=float)
            if counts.shape != days.shape or np.any(counts < 0) or not np.all(np.isfinite(counts)):
                msg = f"cell counts of clone {name!r} must be finite, >= 0 and one per day"
                raise InputError(msg, field="cells")
            cells[str(name)] = counts
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "cells", cells)

    def at(self, days: np.ndarray) -> dict[str, np.ndarray]:
        """Cell counts at arbitrary days, interpolated linearly on the log scale (linearly near 0)."""
        days = np.asarray(days, dtype=float)
        out = {}
        for name, counts in self.cells.items():
            positive = counts > 0
            if positive.all():
                out[name] = np.exp(np.interp(days, self.days, np.log(counts)))
            else:
                out[name] = np.interp(days, self.days, counts)
        return out

    def total(self) -> np.ndarray:
        """Total tumour cells at ``days``."""
        return np.sum(list(self.cells.values()), axis=0) if self.cells else np.zeros_like(self.days)


@dataclass(frozen=True)
class TrackedVariant:
    """A variant followed in plasma and the clones that carry it."""

    gene: str
    alteration: str
    carriers: tuple[str, ...]
    chrom: str | None = None
    pos: int | None = None
    ref: str | None = None
    alt: str | None = None
    copy_fraction: float = 0.5


@dataclass(frozen=True)
class PlasmaAssay:
    """Shedding, plasma and sequencing parameters of the sampling model (see module docstring).

    Defaults describe a UMI-based tumour-informed assay on 4 mL of plasma: healthy cfDNA of
    5 ng/mL (about 1,500 hGE/mL), half of the molecules converted into UMI families, and a
    background error of 5e-5 per molecule with intra-class correlation 1e-4.
    """

    normal_cfdna_ng_per_ml: float = 5.0
    shed_genomes_per_ml_per_cell: float = 1e-6
    plasma_ml: float = 4.0
    conversion: float = 0.5
    umi: bool = True
    depth: int = 20_000
    error_rate: float = 5e-5
    error_rho: float = 1e-4
    assay: str = "synthetic-umi"

    @property
    def normal_genomes_per_ml(self) -> float:
        return self.normal_cfdna_ng_per_ml * 1000.0 / PG_PER_HAPLOID_GENOME


def _error_rates(n: int, assay: PlasmaAssay, rng: np.random.Generator) -> np.ndarray:
    if assay.error_rho <= 0:
        return np.full(n, assay.error_rate)
    s = 1.0 / assay.error_rho - 1.0
    return rng.beta(assay.error_rate * s, (1.0 - assay.error_rate) * s, size=n)


def sequence_locus(af: np.ndarray, genomes_in_tube: np.ndarray, assay: PlasmaAssay,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alt count, depth and UMI families for each (true AF, genome equivalents) pair."""
    af = np.asarray(af, dtype=float)
    molecules = rng.poisson(np.asarray(genomes_in_tube, dtype=float) * assay.conversion)
    mutant = rng.binomial(molecules, np.clip(af, 0.0, 1.0))
    error = _error_rates(len(af), assay, rng)
    if assay.umi:
        depth = molecules
        signal = mutant
    else:
        depth = np.full(len(af), int(assay.depth))
        share = np.where(molecules > 0, mutant / np.maximum(molecules, 1), 0.0)
        signal = rng.binomial(depth, share)
    noise = rng.binomial(depth - signal, error)
    families = molecules if assay.umi else np.full(len(af), -1)
    return signal + noise, depth, families


def plasma_composition(trajectory: TumourTrajectory, days: np.ndarray, variants: Sequence[TrackedVariant],
                       assay: PlasmaAssay) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total hGE/mL, tumour fraction and true allele fraction (days x variants)."""
    cells = trajectory.at(days)
    shed = {name: counts * assay.shed_genomes_per_ml_per_cell for name, counts in cells.items()}
    tumour = np.sum(list(shed.values()), axis=0) if shed else np.zeros(len(days))
    total = assay.normal_genomes_per_ml + tumour
    af = np.zeros((len(days), len(variants)))
    for j, variant in enumerate(variants):
        missing = [c for c in variant.carriers if c not in shed]
        if missing:
            msg = f"variant {variant.gene} {variant.alteration} names clone(s) {missing} not in the trajectory"
            raise InputError(msg, field="carriers")
        carried = np.sum([shed[c] for c in variant.carriers], axis=0) if variant.carriers else 0.0
        af[:, j] = variant.copy_fraction * carried / total
    return total, tumour / total, af


def sample_patient(trajectory: TumourTrajectory, variants: Sequence[TrackedVariant],
                   sample_days: Sequence[float], *, patient_id: str, assay: PlasmaAssay,
                   rng: np.random.Generator) -> pd.DataFrame:
    """The long sample table of one patient, with the true allele fraction in ``true_af``."""
    days = np.asarray(sample_days, dtype=float)
    total, tf, af = plasma_composition(trajectory, days, variants, assay)
    k = len(variants)
    genomes = np.repeat(total * assay.plasma_ml, k)
    flat_af = af.reshape(-1)
    alt, depth, families = sequence_locus(flat_af, genomes, assay, rng)
    rows = {
        "patient_id": patient_id,
        "sample_id": [f"{patient_id}-d{int(round(d)):04d}" for d in np.repeat(days, k)],
        "day": np.repeat(days, k),
        "gene": [v.gene for v in variants] * len(days),
        "alteration": [v.alteration for v in variants] * len(days),
        "chrom": [v.chrom for v in variants] * len(days),
        "pos": [v.pos for v in variants] * len(days),
        "ref": [v.ref for v in variants] * len(days),
        "alt": [v.alt for v in variants] * len(days),
        "alt_reads": alt,
        "depth": depth,
        "cfdna_ng_per_ml": np.repeat(np.round(total * PG_PER_HAPLOID_GENOME / 1000.0, 4), k),
        "plasma_ml": assay.plasma_ml,
        "tumour_fraction": np.repeat(np.round(tf, 8), k),
        "umi_families": np.where(families >= 0, families, np.nan) if assay.umi else np.nan,
        "assay": assay.assay,
        "true_af": flat_af,
    }
    frame = pd.DataFrame(rows)
    if all(v.chrom is None for v in variants):
        frame = frame.drop(columns=["chrom", "pos", "ref", "alt"])
    return frame


def sample_normals(variants: Sequence[TrackedVariant], n_donors: int, *, assay: PlasmaAssay,
                   rng: np.random.Generator) -> pd.DataFrame:
    """A panel of normals: healthy donors (no tumour) sequenced at the same loci."""
    k = len(variants)
    genomes = np.full(n_donors * k, assay.normal_genomes_per_ml * assay.plasma_ml)
    alt, depth, families = sequence_locus(np.zeros(n_donors * k), genomes, assay, rng)
    frame = pd.DataFrame({
        "sample_id": np.repeat([f"normal-{i + 1:04d}" for i in range(n_donors)], k),
        "gene": [v.gene for v in variants] * n_donors,
        "alteration": [v.alteration for v in variants] * n_donors,
        "chrom": [v.chrom for v in variants] * n_donors,
        "pos": [v.pos for v in variants] * n_donors,
        "ref": [v.ref for v in variants] * n_donors,
        "alt": [v.alt for v in variants] * n_donors,
        "alt_reads": alt,
        "depth": depth,
        "assay": assay.assay,
    })
    if assay.umi:
        frame["umi_families"] = families
    if all(v.chrom is None for v in variants):
        frame = frame.drop(columns=["chrom", "pos", "ref", "alt"])
    return frame


def first_day_at_or_above(trajectory: TumourTrajectory, variant: TrackedVariant, level: float,
                          assay: PlasmaAssay, *, after: float = -np.inf, step: float = 1.0) -> float:
    """First day (on a ``step``-day grid) after ``after`` when the true AF reaches ``level``."""
    grid = np.arange(trajectory.days[0], trajectory.days[-1] + step / 2, step)
    _, _, af = plasma_composition(trajectory, grid, [variant], assay)
    hit = np.nonzero((af[:, 0] >= level) & (grid > after))[0]
    return float(grid[hit[0]]) if len(hit) else np.nan


def recist_imaging(trajectory: TumourTrajectory, scan_days: Sequence[float], *, patient_id: str,
                   visible_mm: float = 5.0) -> pd.DataFrame:
    """Imaging results from tumour size by RECIST 1.1 rules on the sum of diameters.

    The tumour is one spherical lesion at 1e9 cells per cm^3. PD: at least 20% and 5 mm
    larger than the smallest diameter so far; CR: smaller than ``visible_mm``; PR: at least
    30% smaller than baseline; otherwise SD (Eisenhauer et al. 2009, Eur J Cancer 45:228).
    """
    days = np.asarray(scan_days, dtype=float)
    cells = np.sum(list(trajectory.at(days).values()), axis=0)
    diameter = lesion_diameter_mm(cells)
    results = []
    smallest = np.inf
    for i, d in enumerate(diameter):
        if i > 0 and d >= 1.2 * smallest and d - smallest >= 5.0:
            results.append("PD")
        elif d < visible_mm:
            results.append("CR")
        elif i > 0 and d <= 0.7 * diameter[0]:
            results.append("PR")
        else:
            results.append("SD")
        smallest = min(smallest, d)
    return pd.DataFrame({"patient_id": patient_id, "day": days, "result": results})


@dataclass
class SyntheticCohort:
    """A synthetic cohort: samples, panel of normals, therapy, imaging and the known truth."""

    samples: pd.DataFrame
    normals: pd.DataFrame
    therapy: pd.DataFrame
    imaging: pd.DataFrame
    truth: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    def write(self, path) -> None:
        from pathlib import Path

        from oncoresist._core import Provenance, atomic_output_dir, write_table

        provenance = Provenance.create("oncoresist ctdna simulate", parameters=self.parameters,
                                       seed=self.parameters.get("seed"))
        with atomic_output_dir(path) as tmp:
            tmp = Path(tmp)
            write_table(self.samples.drop(columns=["true_af"], errors="ignore"), tmp / "samples.tsv")
            write_table(self.normals, tmp / "normals.tsv")
            write_table(self.therapy, tmp / "therapy.tsv")
            write_table(self.imaging, tmp / "imaging.tsv")
            write_table(self.truth, tmp / "truth.tsv")
            write_table(self.samples[["sample_id", "gene", "alteration", "true_af"]], tmp / "true_af.tsv",
                        float_format="%.6g")
            provenance.write(tmp / "provenance.json")

    def to_frame(self) -> pd.DataFrame:
        return self.samples.copy()


# --- tumour dynamics from oncoresist.evolve ------------------------------------------------------


@dataclass(frozen=True)
class EgfrScenario:
    """EGFR-mutant lung cancer on erlotinib, then osimertinib at radiographic progression.

    Three cell types: ``sensitive`` (the activating mutation), ``t790m`` (erlotinib-resistant,
    osimertinib-sensitive) and ``t790m_c797s`` (resistant to both; C797S in cis with T790M).
    Rates are per day. Without drug cells divide at ``birth`` and die at ``death`` (net
    0.05/day, doubling in about 14 days); a drug the type is sensitive to adds ``kill`` to its
    death rate. Mutations per division: ``u_t790m`` (sensitive -> t790m) and ``u_c797s``
    (t790m -> t790m_c797s). The tumour grows from one cell; treatment starts when it reaches
    ``detection_cells`` (day 0). Scans every ``scan_interval`` days; erlotinib switches to
    osimertinib at the first scan with RECIST progression (lesion diameter at least 20% and
    5 mm above its smallest value; see ``recist_imaging``). The run ends after ``duration``
    days of treatment or when the tumour reaches ``end_cells``.
    """

    birth: float = 0.07
    death: float = 0.02
    kill: float = 0.12
    u_t790m: float = 1e-7
    u_c797s: float = 1e-7
    detection_cells: float = 1e9
    scan_interval: float = 56.0
    duration: float = 896.0
    end_cells: float = 3e10
    record_interval: float = 7.0
    first_drug: str = "erlotinib"
    second_drug: str = "osimertinib"


#: Clone names of the scenario, mapped to the variants each carries in the bundled example.
EGFR_VARIANTS = (
    TrackedVariant("EGFR", "exon 19 deletion", ("sensitive", "t790m", "t790m_c797s")),
    TrackedVariant("TP53", "p.R273H", ("sensitive", "t790m", "t790m_c797s")),
    TrackedVariant("EGFR", "p.T790M", ("t790m", "t790m_c797s")),
    TrackedVariant("EGFR", "p.C797S", ("t790m_c797s",)),
)


def lesion_diameter_mm(cells):
    """Diameter of a spherical lesion of ``cells`` cells, at 1e9 cells per cm^3 (12.4 mm)."""
    return 10.0 * np.cbrt(6.0 / np.pi * np.asarray(cells, dtype=float) / 1e9)


def _progressed(history_totals: Sequence[float], current: float) -> bool:
    # RECIST 1.1: at least 20% and at least 5 mm above the smallest sum of diameters.
    smallest = lesion_diameter_mm(min(history_totals) if history_totals else current)
    now = lesion_diameter_mm(current)
    return bool(now >= 1.2 * smallest and now - smallest >= 5.0)


def evolve_egfr_patient(scenario: EgfrScenario, seed: np.random.SeedSequence) -> tuple[TumourTrajectory, float]:
    """One patient's tumour from ``oncoresist.evolve``: trajectory (day 0 = treatment start), switch day."""
    from oncoresist.evolve import (
        CellType,
        Dosing,
        Drug,
        DrugResponse,
        Model,
        Mutation,
        StopRules,
        simulate,
    )

    first, second = scenario.first_drug, scenario.second_drug
    kill = scenario.kill
    model = Model(
        types=(
            CellType("sensitive", scenario.birth, scenario.death,
                     (DrugResponse(first, "death", kill), DrugResponse(second, "death", kill))),
            CellType("t790m", scenario.birth, scenario.death, (DrugResponse(second, "death", kill),)),
            CellType("t790m_c797s", scenario.birth, scenario.death),
        ),
        mutations=(Mutation("sensitive", "t790m", scenario.u_t790m),
                   Mutation("t790m", "t790m_c797s", scenario.u_c797s)),
        drugs=(Drug(first), Drug(second)),
        initial={"sensitive": 1},
        name="egfr-tki-sequence",
    )

    def strategy(observation):
        # Switch at the first scan with RECIST progression on the first drug, then stay.
        given = [h.dosing.levels.get(second, 0.0) for h in observation.history]
        if any(level > 0 for level in given):
            return Dosing(levels={second: 1.0})
        totals = [h.total for h in observation.history]
        if totals and _progressed(totals, observation.total):
            return Dosing(levels={second: 1.0})
        return Dosing(levels={first: 1.0})

    result = simulate(
        model, strategy,
        stop=StopRules(detection_size=scenario.detection_cells, time_limit=scenario.duration,
                       progression_size=scenario.end_cells),
        decision_interval=scenario.scan_interval, record_interval=scenario.record_interval, rng=seed,
    )
    start = result.events["treatment_start"]
    totals = result.totals
    totals = totals[totals["time"] >= start - 1e-9]
    days = np.round(totals["time"].to_numpy() - start, 6)
    keep = np.concatenate([[True], np.diff(days) > 0])
    cells = {name: totals[name].to_numpy(float)[keep] for name in ("sensitive", "t790m", "t790m_c797s")}
    dosing = result.dosing
    switched = dosing[(dosing["drug"] == second) & (dosing["level"] > 0)]
    switch_day = round(float(switched["time"].min() - start), 6) if len(switched) else np.nan
    return TumourTrajectory(days[keep], cells), switch_day
