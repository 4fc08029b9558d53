"""What a clinic can see: imaging every few weeks above a detection threshold, noisy ctDNA samples.

Strategies never read true cell counts; they read :class:`Measurement` objects made here from the
simulator's :class:`~oncoresist.evolve.Observation` with the patient's own random stream.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from oncoresist._core.exceptions import InputError


def _positive(value: float, name: str, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"{name} must be a number; got {value!r}"
        raise InputError(msg, field=name) from None
    ok = number >= 0 if allow_zero else number > 0
    if math.isnan(number) or not ok or (math.isinf(number) and not allow_inf):
        need = ">= 0" if allow_zero else "> 0"
        msg = f"{name} must be a finite number {need}; got {value!r}"
        raise InputError(msg, field=name)
    return number


@dataclass(frozen=True)
class Imaging:
    """Imaging of the whole tumour burden.

    Attributes
    ----------
    interval
        Time between scans (days; 56 = every 8 weeks), the first at treatment start.
    threshold
        Smallest burden (cells) a scan can see; below it the scan reads 0 ("not seen").
        1e9 cells is about 1 cm^3 of tumour.
    cv
        Coefficient of variation of a multiplicative log-normal measurement error (0 = exact).
    """

    interval: float = 56.0
    threshold: float = 1e9
    cv: float = 0.0

    def __post_init__(self) -> None:
        _positive(self.interval, "monitoring.imaging.interval")
        _positive(self.threshold, "monitoring.imaging.threshold", allow_zero=True)
        _positive(self.cv, "monitoring.imaging.cv", allow_zero=True)

    def measure(self, burden: float, rng: np.random.Generator) -> float:
        """One scan of a true burden; 0 when below the threshold."""
        value = float(burden)
        if self.cv > 0 and value > 0:
            sigma = math.sqrt(math.log1p(self.cv**2))
            value *= math.exp(rng.normal(-0.5 * sigma**2, sigma))
        return value if value >= self.threshold and value > 0 else 0.0


@dataclass(frozen=True)
class CtDNA:
    """Circulating tumour DNA of marker cell types (e.g. the resistant ones), sampled with noise.

    The number of mutant genome copies found in one plasma sample is Poisson with mean
    ``shedding * volume * (cells of the marker types)``, optionally with log-normal
    biological variation of coefficient ``cv`` on the mean.

    Attributes
    ----------
    interval
        Time between samples (days), the first at treatment start.
    shedding
        Genome equivalents per mL of plasma per tumour cell of the marker types.
    volume
        mL of plasma analysed per sample.
    types
        Marker cell types; None = the scenario's resistant types.
    cv
        Biological variation of shedding between samples (0 = pure Poisson sampling).
    """

    interval: float = 28.0
    shedding: float = 1e-8
    volume: float = 10.0
    types: tuple[str, ...] | None = None
    cv: float = 0.0

    def __post_init__(self) -> None:
        _positive(self.interval, "monitoring.ctdna.interval")
        _positive(self.shedding, "monitoring.ctdna.shedding", allow_zero=True)
        _positive(self.volume, "monitoring.ctdna.volume")
        _positive(self.cv, "monitoring.ctdna.cv", allow_zero=True)

    def measure(self, sizes: Mapping[str, float], types: Sequence[str], rng: np.random.Generator) -> float:
        """Mutant copies found in one sample."""
        cells = float(sum(sizes.get(t, 0.0) for t in types))
        mean = self.shedding * self.volume * cells
        if self.cv > 0 and mean > 0:
            sigma = math.sqrt(math.log1p(self.cv**2))
            mean *= math.exp(rng.normal(-0.5 * sigma**2, sigma))
        return float(rng.poisson(mean)) if mean < 1e15 else mean


@dataclass(frozen=True)
class Monitoring:
    """The monitoring plan: imaging (always) and optional ctDNA sampling."""

    imaging: Imaging = Imaging()
    ctdna: CtDNA | None = None


@dataclass(frozen=True)
class ProgressionRule:
    """RECIST-like progression on imaging.

    Progression is a scan that sees the tumour (above the detection threshold) with a burden at
    least ``(1 + rise)`` times the reference: the nadir of the scans on the current line of
    therapy (a scan that saw nothing counts as the threshold), or for strategies that accept
    regrowth (adaptive therapy) the level they tolerate, whichever is larger. With
    ``reference="baseline"`` the reference is the burden at treatment start.

    ``measure="diameter"`` applies the rise to the cube root of the burden (RECIST's sum of
    diameters) instead of the burden itself.
    """

    rise: float = 0.2
    reference: str = "nadir"
    measure: str = "burden"

    def __post_init__(self) -> None:
        _positive(self.rise, "progression.rise", allow_zero=True)
        if self.reference not in ("nadir", "baseline"):
            msg = f"progression.reference must be 'nadir' or 'baseline'; got {self.reference!r}"
            raise InputError(msg, field="progression.reference")
        if self.measure not in ("burden", "diameter"):
            msg = f"progression.measure must be 'burden' or 'diameter'; got {self.measure!r}"
            raise InputError(msg, field="progression.measure")

    def factor(self) -> float:
        """Multiplicative rise in burden that counts as progression."""
        return (1.0 + self.rise) ** 3 if self.measure == "diameter" else 1.0 + self.rise
