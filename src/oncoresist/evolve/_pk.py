"""Dose–effect (Emax/Hill) and one-compartment pharmacokinetics.

Concentrations are dimensionless unless the user chooses units: the same unit must be used for
``ec50`` in the responses and for ``dose / volume`` in the PK model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from oncoresist._core.exceptions import InputError


def hill_effect(concentration: float, *, emax: float, ec50: float, hill: float) -> float:
    """Emax/Hill effect ``emax * c^h / (c^h + ec50^h)``.

    ``ec50 == 0`` is the limit of a drug acting fully at any positive concentration (an on/off
    exposure), which is how Bozic et al. (2013) model treatment.
    """
    if concentration <= 0.0:
        return 0.0
    if ec50 <= 0.0:
        return emax
    ratio = (concentration / ec50) ** hill
    return emax * ratio / (1.0 + ratio)


@dataclass(frozen=True)
class OneCompartmentPK:
    """One-compartment model with first-order elimination: ``dC/dt = R/V - k C``.

    Attributes
    ----------
    elimination_rate
        First-order elimination rate constant ``k`` (per time unit); half-life ``ln 2 / k``.
    volume
        Volume of distribution ``V``; a bolus ``D`` raises the concentration by ``D / V``.
    """

    elimination_rate: float
    volume: float = 1.0

    def __post_init__(self) -> None:
        if not (self.elimination_rate > 0.0 and math.isfinite(self.elimination_rate)):
            msg = f"elimination_rate must be a positive number; got {self.elimination_rate}"
            raise InputError(msg, field="pk.elimination_rate")
        if not (self.volume > 0.0 and math.isfinite(self.volume)):
            msg = f"volume must be a positive number; got {self.volume}"
            raise InputError(msg, field="pk.volume")

    def concentration(self, c0: float, infusion: float, elapsed: float) -> float:
        """Concentration ``elapsed`` after a time with concentration ``c0`` under ``infusion``."""
        k = self.elimination_rate
        decay = math.exp(-k * elapsed)
        steady = infusion / (k * self.volume)
        return c0 * decay + steady * (1.0 - decay)

    def mean_concentration(self, c0: float, infusion: float, elapsed: float) -> float:
        """Time-average concentration over ``[0, elapsed]`` (exact integral of the solution)."""
        if elapsed <= 0.0:
            return c0
        k = self.elimination_rate
        steady = infusion / (k * self.volume)
        frac = -math.expm1(-k * elapsed) / (k * elapsed)
        return steady + (c0 - steady) * frac
