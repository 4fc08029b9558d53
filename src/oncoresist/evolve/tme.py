"""The tumour microenvironment and the immune system as compartments coupled to the clones.

Populations that are not tumour clones — effector T cells, NK cells, activated fibroblasts, hepatocyte
growth factor (HGF), oxygen, the M2 fraction of tumour-associated macrophages — follow ODEs
integrated between the stochastic steps of the clones (a hybrid scheme; see
:class:`TME`), and act on the clones' rates through named terms, each switchable per model:

==========================  =========================================================================
term                        effect on the clones (rates per day)
==========================  =========================================================================
:class:`TCells`             effector compartment ``E`` (Kuznetsov et al. 1994; de Pillis et al. 2005)
:class:`ImmuneKilling`      death of type *i* + ``n a_i E / (1 + kappa L_i (1 - B))``
:class:`NKCells`            NK compartment ``N``; death of type *i* + ``c s_i N`` (de Pillis et al. 2005)
:class:`Fibroblasts`        activated-fibroblast fraction ``F``, activated by drugs (Hirata et al. 2015)
:class:`StromalProtection`  a drug's effect on a protected type divided by ``1 + gamma F``
:class:`HGFBypass`          HGF ``H``; effect divided by ``1 + gamma_H m_i H/(K+H) (1 - I_MET)``
:class:`Hypoxia`            oxygen ``O``; birth x Michaelis–Menten in ``O``; hypoxia-induced switching
:class:`Macrophages`        M2 fraction ``phi``; birth x ``(1 + g phi)``, killing x ``(1 - s phi)``
==========================  =========================================================================

Drugs that act on a compartment rather than on the tumour cells (anti-PD-1/PD-L1 antibodies,
MET inhibitors against HGF, CSF1R inhibitors on macrophages, a BRAF inhibitor activating
fibroblasts) are declared inside the term that they act on, by name, with an Emax/Hill
:class:`DrugEffect`; they are ordinary drugs of the model, so every strategy can give them.

A research tool, not for clinical decisions.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core.atomic import atomic_output_dir
from oncoresist._core.exceptions import InputError
from oncoresist.evolve._model import Model, Rates
from oncoresist.evolve._pk import hill_effect
from oncoresist.evolve._simulate import SimulationResult, simulate
from oncoresist.evolve._tme_ode import TumourPath, integrate, next_step

__all__ = [
    "TME",
    "DrugEffect",
    "Fibroblasts",
    "HGFBypass",
    "Hypoxia",
    "HypoxicSwitch",
    "ImmuneKilling",
    "Macrophages",
    "NKCells",
    "StromalProtection",
    "TCells",
    "TMEModel",
    "TMEResult",
    "couple",
    "plot_runs",
]


def _number(value: Any, what: str, *, strict: bool = False, maximum: float = math.inf) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"{what} must be a number; got {value!r}"
        raise InputError(msg, field=what) from None
    low_ok = number > 0 if strict else number >= 0
    if not (math.isfinite(number) and low_ok and number <= maximum):
        bound = "> 0" if strict else ">= 0"
        high = f" and <= {maximum:g}" if math.isfinite(maximum) else ""
        msg = f"{what} must be a finite number {bound}{high}; got {value!r}"
        raise InputError(msg, field=what)
    return number


@dataclass(frozen=True)
class DrugEffect:
    """Emax/Hill effect of a drug on a compartment: ``emax c^h / (c^h + ec50^h)``.

    ``ec50 = 0`` means full effect at any positive concentration (on/off exposure). The
    meaning of ``emax`` is given by the term that holds the effect (a fraction blocked, an
    extra rate per day).
    """

    emax: float = 1.0
    ec50: float = 0.0
    hill: float = 1.0

    def __post_init__(self) -> None:
        _number(self.emax, "emax")
        _number(self.ec50, "ec50")
        _number(self.hill, "hill", strict=True)

    def at(self, concentration: float) -> float:
        """Effect at ``concentration``."""
        return hill_effect(concentration, emax=self.emax, ec50=self.ec50, hill=self.hill)


def _effects(value: Mapping[str, Any], what: str, *, fraction: bool = False) -> dict[str, DrugEffect]:
    out = {}
    for drug, spec in dict(value or {}).items():
        effect = spec if isinstance(spec, DrugEffect) else DrugEffect(**dict(spec))
        if fraction and effect.emax > 1.0:
            msg = f"{what}.{drug}: emax is a fraction blocked and must be <= 1; got {effect.emax}"
            raise InputError(msg, field=f"{what}.{drug}")
        out[str(drug)] = effect
    return out


def _per_type(value: Mapping[str, float] | None, what: str, *, maximum: float = math.inf) -> dict[str, float]:
    return {str(k): _number(v, f"{what}.{k}", maximum=maximum) for k, v in dict(value or {}).items()}


def _names(value: Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


# ---------------------------------------------------------------------------------------- terms
@dataclass(frozen=True)
class TCells:
    """Effector T cells ``E`` (cells), the tumour–effector model of Kuznetsov et al. (1994).

    ``dE/dt = s + p E A / (g + A) - m E A - d E`` with ``A = sum_i a_i n_i`` the antigenic
    burden (``a_i`` from :class:`ImmuneKilling`, 1 without it): a constant influx ``s``,
    recruitment stimulated by the tumour (Michaelis–Menten in the burden, as in de Pillis et
    al. 2005 Cancer Res 65:7950), inactivation by tumour contact ``m`` and death ``d``.
    Defaults are the published estimates for BCL1 lymphoma in chimeric mice (Kuznetsov,
    Makalkin, Taylor & Perelson 1994 Bull Math Biol 56:295–321, also BioModels
    BIOMD0000000762): s = 1.3e4 cells/day, p = 0.1245 /day, g = 2.019e7 cells,
    m = 3.422e-10 /(cell day), d = 0.0412 /day.

    Attributes
    ----------
    source, recruitment, half_saturation, inactivation, death
        ``s`` (cells/day), ``p`` (/day), ``g`` (cells), ``m`` (/cell/day), ``d`` (/day).
    initial
        Effector cells at time 0 (default ``s / d``, the tumour-free equilibrium).
    enabled
        False switches the term off.
    """

    source: float = 1.3e4
    recruitment: float = 0.1245
    half_saturation: float = 2.019e7
    inactivation: float = 3.422e-10
    death: float = 0.0412
    initial: float | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        for name in ("source", "recruitment", "inactivation"):
            _number(getattr(self, name), f"t_cells.{name}")
        _number(self.half_saturation, "t_cells.half_saturation", strict=True)
        _number(self.death, "t_cells.death", strict=True)
        if self.initial is not None:
            _number(self.initial, "t_cells.initial")

    def start(self) -> float:
        """Effector cells at time 0."""
        return float(self.initial) if self.initial is not None else self.source / self.death


@dataclass(frozen=True)
class ImmuneKilling:
    """Killing of tumour cells by effector cells, per clone type, held back by PD-1/PD-L1.

    Extra death rate of a type-*i* cell: ``n a_i E (1 - s phi) / (1 + kappa L_i (1 - B))``:
    the mass-action kill ``n E`` of Kuznetsov et al. (1994) scaled by the antigenicity ``a_i``,
    reduced by checkpoint signalling — the PD-1·PD-L1 complex is proportional to PD-1 on the T
    cells times PD-L1 ``L_i`` on the tumour cell and inhibits killing as ``1/(1 + Q/K)`` (the
    form of Lai & Friedman 2017 and Nikolopoulou et al. 2018; ``kappa`` lumps PD-1 level and
    ``1/K``) — and by M2 macrophages (``s phi``, :class:`Macrophages`). Anti-PD-1 or anti-PD-L1
    drugs block a fraction ``B`` of the complex (``1 - B = prod_k (1 - B_k)``); full blockade
    (``B = 1``) gives the maximal kill ``n a_i E``.

    Attributes
    ----------
    rate
        ``n`` (/effector cell/day); default 1.101e-7, Kuznetsov et al. (1994).
    antigenicity
        ``a_i`` per type (dimensionless, default 1): 0 = invisible to T cells.
    pd_l1
        ``L_i`` per type (relative PD-L1 expression, default 0).
    checkpoint
        ``kappa`` (dimensionless, per unit PD-L1); no published value for this lumped
        constant: 0 means no checkpoint.
    blockade
        Drug -> :class:`DrugEffect` whose ``emax`` (<= 1) is the fraction of PD-1/PD-L1
        binding blocked.
    enabled
        False switches the term off.
    """

    rate: float = 1.101e-7
    antigenicity: Mapping[str, float] = field(default_factory=dict)
    pd_l1: Mapping[str, float] = field(default_factory=dict)
    checkpoint: float = 0.0
    blockade: Mapping[str, DrugEffect] = field(default_factory=dict)
    enabled: bool = True

    def __post_init__(self) -> None:
        _number(self.rate, "immune_killing.rate")
        _number(self.checkpoint, "immune_killing.checkpoint")
        object.__setattr__(self, "antigenicity", _per_type(self.antigenicity, "immune_killing.antigenicity"))
        object.__setattr__(self, "pd_l1", _per_type(self.pd_l1, "immune_killing.pd_l1"))
        object.__setattr__(self, "blockade", _effects(self.blockade, "immune_killing.blockade", fraction=True))


@dataclass(frozen=True)
class NKCells:
    """Natural killer cells ``N`` (cells) and their killing of every clone (de Pillis et al. 2005).

    ``dN/dt = sigma - f N + g N T^2 / (h + T^2) - p N T`` with ``T`` the total tumour burden
    (every clone): a constant source ``sigma``, natural death ``f``, recruitment by the tumour
    (sigmoid in ``T``, ``h`` in cells^2) and inactivation by tumour contact ``p`` — the NK
    equation of de Pillis, Radunskaya & Wiseman 2005 Cancer Res 65:7950–7958
    (doi:10.1158/0008-5472.CAN-05-0564), without its IL-2 and chemotherapy terms. A type-*i*
    cell dies at an extra rate ``c s_i N`` (their kill term ``c N T``).

    Defaults are the paper's mouse estimates (its parameter table: sigma = 1.3e4 cells/day and
    f = 4.12e-2 /day, taken there from Kuznetsov et al. 1994; g = 2.5e-2 /day,
    h = 2.02e7 cells^2, p = 1.0e-7 /(cell day), c = 3.23e-7 /(cell day)); they were checked
    against an independent implementation of the model, not against the printed table, and that
    implementation also lists c = 3.495e-6 and g = 0.1245 for the other NKG2D-ligand condition
    of the paper (which condition each pair belongs to was not verified; see docs/tme.md).

    The kill is **not** reduced by PD-1/PD-L1 (unlike :class:`ImmuneKilling`): NK cells
    recognise tumour cells through germline activating receptors (NKG2D ligands) and missing
    MHC class I, not through a tumour antigen, and de Pillis et al. (2005) model NK killing of
    every tumour cell by the same ``c N T`` with no checkpoint factor. NK cells can express
    PD-1, but no term of that model or of this one represents it. Nor is it suppressed by M2
    macrophages (that factor belongs to the T-cell kill).

    ``s_i`` (default 1) scales the kill per type. De Pillis et al. fit the NK kill (and
    recruitment) separately for tumour cells transduced with an NKG2D ligand and for untransduced cells (data of
    Diefenbach et al. 2001 Nature 413:165), so NK sensitivity differs between cell states; loss
    of MHC class I also sensitises cells to NK killing ("missing self", Kärre et al. 1986
    Nature 319:675). Neither source gives a factor for an arbitrary clone type, so every
    ``s_i`` is 1 unless given.

    Attributes
    ----------
    source, death, recruitment, steepness, inactivation
        ``sigma`` (cells/day), ``f`` (/day), ``g`` (/day), ``h`` (cells^2), ``p`` (/cell/day).
    kill
        ``c`` (/NK cell/day).
    sensitivity
        ``s_i`` per type (dimensionless, default 1; 0 = not killed by NK cells).
    initial
        NK cells at time 0 (default ``sigma / f``, the tumour-free equilibrium).
    enabled
        False switches the term off.
    """

    source: float = 1.3e4
    death: float = 4.12e-2
    recruitment: float = 2.5e-2
    steepness: float = 2.02e7
    inactivation: float = 1.0e-7
    kill: float = 3.23e-7
    sensitivity: Mapping[str, float] = field(default_factory=dict)
    initial: float | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        for name in ("source", "recruitment", "inactivation", "kill"):
            _number(getattr(self, name), f"nk_cells.{name}")
        _number(self.death, "nk_cells.death", strict=True)
        _number(self.steepness, "nk_cells.steepness", strict=True)
        object.__setattr__(self, "sensitivity", _per_type(self.sensitivity, "nk_cells.sensitivity"))
        if self.initial is not None:
            _number(self.initial, "nk_cells.initial")

    def start(self) -> float:
        """NK cells at time 0."""
        return float(self.initial) if self.initial is not None else self.source / self.death


@dataclass(frozen=True)
class Fibroblasts:
    """Activated fraction ``F`` (0–1) of cancer-associated fibroblasts.

    ``dF/dt = (k_a + sum_k A_k(c_k)) (1 - F) - k_d F``: basal activation ``k_a``, activation
    induced by drugs ``A_k`` (BRAF inhibitors activate melanoma-associated fibroblasts, which
    then protect the melanoma cells: Hirata et al. 2015 Cancer Cell 27:574–588) and
    deactivation ``k_d``. No published rate constants: give them (per day) from your system.

    Attributes
    ----------
    activation, deactivation
        ``k_a`` and ``k_d`` (/day).
    induced_by
        Drug -> :class:`DrugEffect` whose ``emax`` is an extra activation rate (/day).
    initial
        ``F`` at time 0 (default the drug-free steady state ``k_a / (k_a + k_d)``).
    enabled
        False switches the term off.
    """

    activation: float
    deactivation: float
    induced_by: Mapping[str, DrugEffect] = field(default_factory=dict)
    initial: float | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        _number(self.activation, "fibroblasts.activation")
        _number(self.deactivation, "fibroblasts.deactivation")
        if self.activation + self.deactivation <= 0:
            msg = "fibroblasts need activation + deactivation > 0 (rates per day)"
            raise InputError(msg, field="fibroblasts")
        object.__setattr__(self, "induced_by", _effects(self.induced_by, "fibroblasts.induced_by"))
        if self.initial is not None:
            _number(self.initial, "fibroblasts.initial", maximum=1.0)

    def start(self) -> float:
        """``F`` at time 0."""
        if self.initial is not None:
            return float(self.initial)
        return self.activation / (self.activation + self.deactivation)


@dataclass(frozen=True)
class StromalProtection:
    """Fibroblast protection: a drug's effect on a protected type divided by ``1 + gamma F``.

    The effect (the Emax/Hill death increment or birth reduction of the model's response)
    becomes ``E(c) / (1 + gamma F)`` with ``F`` from :class:`Fibroblasts`; ``gamma -> 0``
    gives the drug without stroma. Stromal protection from targeted drugs: Hirata et al. 2015
    (fibroblast-derived matrix reactivating ERK under BRAF inhibition), Straussman et al. 2012
    Nature 487:500–504 (stromal HGF). ``gamma`` is dimensionless, with no published value.

    Attributes
    ----------
    gamma
        Protection strength at ``F = 1``.
    drugs
        Drugs whose effects are reduced (None: every drug).
    types
        Protected types (None: every type).
    enabled
        False switches the term off.
    """

    gamma: float
    drugs: Sequence[str] | None = None
    types: Sequence[str] | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        _number(self.gamma, "stromal_protection.gamma")
        object.__setattr__(self, "drugs", _names(self.drugs))
        object.__setattr__(self, "types", _names(self.types))


@dataclass(frozen=True)
class HGFBypass:
    """HGF/MET bypass: clone-specific protection by hepatocyte growth factor ``H`` (ng/mL).

    ``dH/dt = h_0 + sigma F - k H`` (secreted by activated fibroblasts, or at a basal rate
    without :class:`Fibroblasts`); a drug's effect on a type with MET dependence ``m_i`` is
    divided by ``1 + gamma m_i H/(K + H) (1 - I)``, with ``I`` the fraction of MET signalling
    blocked by MET inhibitors. HGF restores EGFR-TKI-treated EGFR-mutant lung cancer cells
    through MET (Yano et al. 2008 Cancer Res 68:9479–9487) and RAF-inhibitor-treated BRAF
    melanoma (Straussman et al. 2012; Wilson et al. 2012 Nature 487:505–509).

    Attributes
    ----------
    secretion
        ``sigma`` (ng/mL/day at ``F = 1``).
    clearance
        ``k`` (/day).
    gamma
        Maximal protection (dimensionless).
    half_saturation
        ``K`` (ng/mL).
    met
        ``m_i`` per type (0–1; default 0: not protected).
    drugs
        Drugs whose effects HGF bypasses (None: every drug).
    inhibitors
        Drug -> :class:`DrugEffect` whose ``emax`` (<= 1) is the fraction of MET blocked.
    basal
        ``h_0`` (ng/mL/day).
    initial
        ``H`` at time 0 (default: steady state without drugs).
    enabled
        False switches the term off.
    """

    secretion: float
    clearance: float
    gamma: float
    half_saturation: float
    met: Mapping[str, float] = field(default_factory=dict)
    drugs: Sequence[str] | None = None
    inhibitors: Mapping[str, DrugEffect] = field(default_factory=dict)
    basal: float = 0.0
    initial: float | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        _number(self.secretion, "hgf.secretion")
        _number(self.clearance, "hgf.clearance", strict=True)
        _number(self.gamma, "hgf.gamma")
        _number(self.half_saturation, "hgf.half_saturation", strict=True)
        _number(self.basal, "hgf.basal")
        object.__setattr__(self, "met", _per_type(self.met, "hgf.met", maximum=1.0))
        object.__setattr__(self, "drugs", _names(self.drugs))
        object.__setattr__(self, "inhibitors", _effects(self.inhibitors, "hgf.inhibitors", fraction=True))
        if self.initial is not None:
            _number(self.initial, "hgf.initial")


@dataclass(frozen=True)
class HypoxicSwitch:
    """Hypoxia-induced switching ``source -> target`` at ``rate K^h / (K^h + O^h)`` per cell per day."""

    source: str
    target: str
    rate: float
    half_oxygen: float
    hill: float = 1.0

    def __post_init__(self) -> None:
        _number(self.rate, "hypoxia.switches.rate")
        _number(self.half_oxygen, "hypoxia.switches.half_oxygen", strict=True)
        _number(self.hill, "hypoxia.switches.hill", strict=True)
        if self.source == self.target:
            msg = f"hypoxic switch {self.source}->{self.target} goes from a type to itself"
            raise InputError(msg, field="hypoxia.switches")


@dataclass(frozen=True)
class Hypoxia:
    """Oxygen ``O`` (mmHg): oxygen-dependent birth and hypoxia-induced tolerant states.

    ``dO/dt = r (O_0 / (1 + N / N_50) - O)`` relaxes towards a supply level that falls with the
    tumour burden ``N`` (consumption outgrowing the vasculature); birth of the affected types
    is multiplied by ``[O/(K + O)] / [O_0/(K + O_0)]`` (Michaelis–Menten in oxygen, 1 at
    ``O_0``), and :class:`HypoxicSwitch` entries move cells into a tolerant state at a rate
    rising as oxygen falls. Drug-induced switching into the same state is the model's own
    ``Switch(induced=...)``. For scale: normal tissues sit around 40 mmHg and tumour hypoxia
    is usually taken below ~10 mmHg (McKeown 2014 Br J Radiol 87:20130676); the other
    constants have no general published values.

    Attributes
    ----------
    normoxic
        ``O_0`` (mmHg).
    half_burden
        ``N_50`` (cells).
    relaxation
        ``r`` (/day).
    birth_half_saturation
        ``K`` (mmHg); 0 leaves birth rates alone.
    types
        Types whose birth depends on oxygen (None: every type).
    switches
        :class:`HypoxicSwitch` entries.
    initial
        ``O`` at time 0 (default ``O_0``).
    enabled
        False switches the term off.
    """

    normoxic: float
    half_burden: float
    relaxation: float
    birth_half_saturation: float = 0.0
    types: Sequence[str] | None = None
    switches: Sequence[HypoxicSwitch] = ()
    initial: float | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        _number(self.normoxic, "hypoxia.normoxic", strict=True)
        _number(self.half_burden, "hypoxia.half_burden", strict=True)
        _number(self.relaxation, "hypoxia.relaxation", strict=True)
        _number(self.birth_half_saturation, "hypoxia.birth_half_saturation")
        object.__setattr__(self, "types", _names(self.types))
        switches = tuple(s if isinstance(s, HypoxicSwitch) else HypoxicSwitch(**dict(s)) for s in self.switches)
        object.__setattr__(self, "switches", switches)
        if self.initial is not None:
            _number(self.initial, "hypoxia.initial")


@dataclass(frozen=True)
class Macrophages:
    """Tumour-associated macrophages as the M2 fraction ``phi`` (0–1) of M1/M2 polarisation.

    ``dphi/dt = k_12 N/(N + N_50) (1 - phi) - (k_21 + R(c)) phi``: tumour-derived signals
    polarise towards M2, macrophages return to M1 at ``k_21``, repolarising drugs (e.g. CSF1R
    inhibitors) add ``R``. M2 macrophages support tumour growth (birth x ``1 + g phi``) and
    suppress T-cell killing (x ``1 - s phi``), M1 the reverse by their absence (Mantovani et
    al. 2002 Trends Immunol 23:549–555; a model of re-polarisation: den Breems & Eftimie 2016
    J Theor Biol 390:23–39). No general published values: give them from your system.

    Attributes
    ----------
    polarisation, repolarisation
        ``k_12`` and ``k_21`` (/day).
    half_burden
        ``N_50`` (cells).
    growth
        ``g``: relative birth increase at ``phi = 1``.
    suppression
        ``s`` (0–1): fraction of killing lost at ``phi = 1``.
    repolarised_by
        Drug -> :class:`DrugEffect` whose ``emax`` is an extra M2 -> M1 rate (/day).
    initial
        ``phi`` at time 0 (default 0).
    enabled
        False switches the term off.
    """

    polarisation: float
    half_burden: float
    repolarisation: float
    growth: float = 0.0
    suppression: float = 0.0
    repolarised_by: Mapping[str, DrugEffect] = field(default_factory=dict)
    initial: float | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        _number(self.polarisation, "macrophages.polarisation")
        _number(self.half_burden, "macrophages.half_burden", strict=True)
        _number(self.repolarisation, "macrophages.repolarisation")
        _number(self.growth, "macrophages.growth")
        _number(self.suppression, "macrophages.suppression", maximum=1.0)
        object.__setattr__(self, "repolarised_by", _effects(self.repolarised_by, "macrophages.repolarised_by"))
        if self.initial is not None:
            _number(self.initial, "macrophages.initial", maximum=1.0)


_SIM_KEY = 0x7E5  # spawn-key suffix of the simulation stream derived from a controller's seed

_KINDS = {
    TCells: "t_cells", ImmuneKilling: "immune_killing", Fibroblasts: "fibroblasts",
    StromalProtection: "stromal_protection", HGFBypass: "hgf", Hypoxia: "hypoxia", Macrophages: "macrophages",
    NKCells: "nk_cells",
}


# ---------------------------------------------------------------------------------------- coupling
@dataclass(frozen=True)
class _ExposedRates(Rates):
    """Rates that also carry the drug concentrations they were computed at."""

    concentrations: Mapping[str, float] = field(default_factory=dict)


@dataclass(eq=False)
class TME:
    """The microenvironment terms of one model, as an :class:`oncoresist.evolve.Coupling`.

    Between the clones' steps the compartments are integrated with LSODA (scipy) along the
    tumour path; at the start of every step the terms modify the rates, which then stay
    frozen during the step. The step is chosen after each step so that no compartment
    changes by more than ``tolerance`` (relative, with an absolute floor), within
    ``[min_step, step_limit]`` days: the error of frozen rates is then of order
    ``tolerance`` per step (first-order splitting). Without active terms ``max_step`` is
    infinite and the rates are returned untouched, so results equal the plain model's bit
    for bit.

    Attributes
    ----------
    terms
        Term objects (at most one of each kind); disabled terms are ignored.
    tolerance, min_step, step_limit
        Step control (relative change per step; days).

    The coupling keeps the current run's trajectory (``compartments()``); give each
    concurrently running simulation its own copy.
    """

    terms: Sequence[Any] = ()
    tolerance: float = 0.05
    min_step: float = 1e-3
    step_limit: float = 7.0

    def __post_init__(self) -> None:
        self.terms = tuple(self.terms)
        _number(self.tolerance, "tme.tolerance", strict=True)
        _number(self.min_step, "tme.min_step", strict=True)
        _number(self.step_limit, "tme.step_limit", strict=True)
        if self.min_step > self.step_limit:
            msg = f"tme.min_step ({self.min_step}) must not exceed tme.step_limit ({self.step_limit})"
            raise InputError(msg, field="tme.min_step")
        active: dict[str, Any] = {}
        seen: set[str] = set()
        for term in self.terms:
            kind = _KINDS.get(type(term))
            if kind is None:
                msg = f"unknown microenvironment term {type(term).__name__}; use the classes of oncoresist.evolve.tme"
                raise InputError(msg, field="tme")
            if kind in seen:
                msg = f"the microenvironment has two {kind} terms; give one"
                raise InputError(msg, field=f"tme.{kind}")
            seen.add(kind)
            if term.enabled:
                active[kind] = term
        if "immune_killing" in active and "t_cells" not in active:
            msg = "immune_killing needs the t_cells term (the effector compartment)"
            raise InputError(msg, field="tme.immune_killing")
        if "stromal_protection" in active and "fibroblasts" not in active:
            msg = "stromal_protection needs the fibroblasts term (the activated-fibroblast compartment)"
            raise InputError(msg, field="tme.stromal_protection")
        self._active = active
        names, scales = [], []
        if "t_cells" in active:
            names.append("effector")
            scales.append(100.0)
        if "fibroblasts" in active:
            names.append("fibroblasts")
            scales.append(1e-3)
        if "hgf" in active:
            names.append("hgf")
            scales.append(1e-3 * active["hgf"].half_saturation)
        if "hypoxia" in active:
            names.append("oxygen")
            scales.append(1e-2 * active["hypoxia"].normoxic)
        if "macrophages" in active:
            names.append("m2_fraction")
            scales.append(1e-3)
        if "nk_cells" in active:  # appended last: the other compartments keep their positions
            names.append("nk")
            scales.append(100.0)
        self._names = tuple(names)
        self._slot = {n: i for i, n in enumerate(names)}
        self._scale = np.array(scales, dtype=float)
        # fractions (activated fibroblasts, M2 share) stay in [0, 1]
        self._upper = np.array([1.0 if n in ("fibroblasts", "m2_fraction") else np.inf for n in names])
        self._model: Model | None = None
        self._step = math.inf if not active else self.min_step
        self._log: list[list[float]] = []
        self._deriv = np.zeros(len(names))
        self._reads_tumour = any(k in active for k in ("t_cells", "hypoxia", "macrophages", "nk_cells"))

    # -------------------------------------------------------------------- protocol
    @property
    def active(self) -> bool:
        """Whether any term is switched on."""
        return bool(self._active)

    @property
    def compartment_names(self) -> tuple[str, ...]:
        """Names of the compartments, in state order."""
        return self._names

    @property
    def max_step(self) -> float:
        """Longest next step (days): infinite without active terms."""
        return self._step

    def initial_state(self, model: Model) -> np.ndarray:
        """Compartments at time 0 (also binds the terms to ``model``'s types and drugs)."""
        if self._model is not model:
            self._bind(model)
        a = self._active
        values = []
        if "t_cells" in a:
            values.append(a["t_cells"].start())
        if "fibroblasts" in a:
            values.append(a["fibroblasts"].start())
        if "hgf" in a:
            h = a["hgf"]
            f0 = a["fibroblasts"].start() if "fibroblasts" in a else 0.0
            values.append(float(h.initial) if h.initial is not None else (h.basal + h.secretion * f0) / h.clearance)
        if "hypoxia" in a:
            o = a["hypoxia"]
            values.append(float(o.initial) if o.initial is not None else o.normoxic)
        if "macrophages" in a:
            m = a["macrophages"]
            values.append(float(m.initial) if m.initial is not None else 0.0)
        if "nk_cells" in a:
            values.append(a["nk_cells"].start())
        state = np.array(values, dtype=float)
        self._log = [[0.0, *values]]
        if self._active:
            deriv = self._derivative(state, model.initial_counts().astype(float), self._drug_terms({}))
            self._deriv = deriv
            self._step = next_step(deriv, state, self._scale, tolerance=self.tolerance, min_step=self.min_step,
                                   max_step=self.step_limit)
        return state

    def modify_rates(self, rates: Rates, state: np.ndarray, *, sizes: np.ndarray, t: float) -> Rates:
        """Apply every active term to the rates (see the module docstring)."""
        if not self._active:
            return rates
        a = self._active
        conc = self._concentrations(rates)
        birth, death, switching = rates.birth, rates.death, rates.switching
        # rates frozen over the step are taken at the predicted mid-step state (second-order
        # splitting when the step lasts as announced by max_step)
        state = np.clip(state + 0.5 * self._step * self._deriv, 0.0, self._upper)
        scale = self._protection(state, conc)
        if scale is not None:
            birth, death = self._scaled_rates(conc, scale)
        if "hypoxia" in a:
            o = a["hypoxia"]
            oxygen = state[self._slot["oxygen"]]
            if o.birth_half_saturation > 0:
                k = o.birth_half_saturation
                factor = (oxygen / (k + oxygen)) / (o.normoxic / (k + o.normoxic))
                birth = np.where(self._oxygen_mask, birth * factor, birth)
            if o.switches:
                switching = switching.copy()
                for (i, j), sw in zip(self._switch_index, o.switches, strict=True):
                    kh = sw.half_oxygen ** sw.hill
                    switching[i, j] += sw.rate * kh / (kh + oxygen ** sw.hill)
        phi = state[self._slot["m2_fraction"]] if "macrophages" in a else 0.0
        if "macrophages" in a and a["macrophages"].growth > 0:
            birth = birth * (1.0 + a["macrophages"].growth * phi)
        if "immune_killing" in a:
            death = death + self._kill(state[self._slot["effector"]], phi, conc)
        if "nk_cells" in a:
            # NK killing of every clone, c s_i N (no checkpoint, no M2 suppression: see NKCells)
            death = death + a["nk_cells"].kill * self._nk_sensitivity * state[self._slot["nk"]]
        if birth is rates.birth and death is rates.death and switching is rates.switching:
            return rates
        return Rates(birth=np.asarray(birth, dtype=float), death=np.asarray(death, dtype=float),
                     mutation=rates.mutation, switching=switching)

    def advance(self, state: np.ndarray, *, sizes_start: np.ndarray, sizes_end: np.ndarray, t0: float, t1: float,
                concentrations: Mapping[str, float]) -> np.ndarray:
        """Integrate the compartments over ``[t0, t1]`` along the tumour path."""
        if not self._active:
            return state
        drugs = self._drug_terms(concentrations)
        path = TumourPath(sizes_start, sizes_end, t0, t1)

        def rhs(y: np.ndarray, t: float) -> np.ndarray:
            return self._derivative(y, path.at(t), drugs)

        new = integrate(rhs, state, t0, t1, atol=self._scale * 1e-3)
        if "fibroblasts" in self._active:
            new[self._slot["fibroblasts"]] = min(new[self._slot["fibroblasts"]], 1.0)
        if "macrophages" in self._active:
            new[self._slot["m2_fraction"]] = min(new[self._slot["m2_fraction"]], 1.0)
        deriv = self._derivative(new, np.asarray(sizes_end, dtype=float), drugs)
        self._deriv = deriv
        limit = self.step_limit
        if self._reads_tumour and t1 > t0:
            # the compartments read the burden: keep its change per step within the tolerance too
            n0, n1 = float(np.sum(sizes_start)), float(np.sum(sizes_end))
            if n0 > 0 and n1 > 0 and n0 != n1:
                limit = min(limit, max(self.tolerance * (t1 - t0) / abs(math.log(n1 / n0)), self.min_step))
        self._step = next_step(deriv, new, self._scale, tolerance=self.tolerance, min_step=self.min_step,
                               max_step=limit)
        self._log.append([float(t1), *new.tolist()])
        return new

    def compartments(self) -> pd.DataFrame:
        """Return the last run's compartments at the end of every step (``time``, one column each)."""
        frame = pd.DataFrame(self._log, columns=["time", *self._names])
        return frame.drop_duplicates("time", keep="last").reset_index(drop=True)

    # -------------------------------------------------------------------- internals
    def _bind(self, model: Model) -> None:
        a = self._active
        types = model.type_names
        drugs = set(model.drug_names)
        index = {n: i for i, n in enumerate(types)}

        def check_types(names: Any, where: str) -> None:
            for n in names or ():
                if n not in index:
                    msg = f"{where} names unknown type {n!r}; the model's types are {', '.join(types)}"
                    raise InputError(msg, field=where)

        def check_drugs(names: Any, where: str) -> None:
            for n in names or ():
                if n not in drugs:
                    msg = (f"{where} names unknown drug {n!r}; the model's drugs are {', '.join(sorted(drugs)) or 'none'}"
                           "; add it to the model's drugs (an immunotherapy needs no response of its own)")
                    raise InputError(msg, field=where)

        k = len(types)
        self._antigen = np.ones(k)
        self._pd_l1 = np.zeros(k)
        if "immune_killing" in a:
            kill = a["immune_killing"]
            check_types(kill.antigenicity, "tme.immune_killing.antigenicity")
            check_types(kill.pd_l1, "tme.immune_killing.pd_l1")
            check_drugs(kill.blockade, "tme.immune_killing.blockade")
            for n, v in kill.antigenicity.items():
                self._antigen[index[n]] = v
            for n, v in kill.pd_l1.items():
                self._pd_l1[index[n]] = v
        if "fibroblasts" in a:
            check_drugs(a["fibroblasts"].induced_by, "tme.fibroblasts.induced_by")
        self._stroma = None
        if "stromal_protection" in a:
            sp = a["stromal_protection"]
            check_types(sp.types, "tme.stromal_protection.types")
            check_drugs(sp.drugs, "tme.stromal_protection.drugs")
            self._stroma = self._response_mask(model, sp.types, sp.drugs, np.ones(k))
        self._hgf = None
        if "hgf" in a:
            h = a["hgf"]
            check_types(h.met, "tme.hgf.met")
            check_drugs(h.drugs, "tme.hgf.drugs")
            check_drugs(h.inhibitors, "tme.hgf.inhibitors")
            met = np.zeros(k)
            for n, v in h.met.items():
                met[index[n]] = v
            self._hgf = self._response_mask(model, None, h.drugs, met)
        self._oxygen_mask = np.ones(k, dtype=bool)
        self._switch_index: list[tuple[int, int]] = []
        if "hypoxia" in a:
            o = a["hypoxia"]
            check_types(o.types, "tme.hypoxia.types")
            if o.types is not None:
                self._oxygen_mask = np.array([n in o.types for n in types])
            for sw in o.switches:
                check_types((sw.source, sw.target), "tme.hypoxia.switches")
                self._switch_index.append((index[sw.source], index[sw.target]))
        if "macrophages" in a:
            check_drugs(a["macrophages"].repolarised_by, "tme.macrophages.repolarised_by")
        self._nk_sensitivity = np.ones(k)
        if "nk_cells" in a:
            check_types(a["nk_cells"].sensitivity, "tme.nk_cells.sensitivity")
            for n, v in a["nk_cells"].sensitivity.items():
                self._nk_sensitivity[index[n]] = v
        self._needs_concentrations = bool(
            ("immune_killing" in a and a["immune_killing"].blockade) or self._stroma is not None
            or self._hgf is not None
        )
        self._model = model

    @staticmethod
    def _response_mask(model: Model, types: Any, drugs: Any, weight: np.ndarray) -> list[list[float]]:
        """Per type, per response of the model: the protection weight (0 = not protected)."""
        out = []
        for i, t in enumerate(model.types):
            row = []
            for r in t.responses:
                hit = (types is None or t.name in types) and (drugs is None or r.drug in drugs)
                row.append(float(weight[i]) if hit else 0.0)
            out.append(row)
        return out

    def _concentrations(self, rates: Rates) -> Mapping[str, float]:
        conc = getattr(rates, "concentrations", None)
        if conc is None:
            if self._needs_concentrations:
                msg = ("these microenvironment terms act on drug effects, so the model must expose its "
                       "concentrations: simulate a TMEModel (oncoresist.evolve.tme.couple(model, tme))")
                raise InputError(msg, field="coupling")
            return {}
        return conc

    def _drug_terms(self, conc: Mapping[str, float]) -> dict[str, float]:
        """Drug effects on the compartments, constant over a step."""
        a = self._active
        out = {"activation": 0.0, "met_block": 0.0, "repolarise": 0.0}
        if "fibroblasts" in a:
            out["activation"] = sum(e.at(conc.get(d, 0.0)) for d, e in a["fibroblasts"].induced_by.items())
        if "macrophages" in a:
            out["repolarise"] = sum(e.at(conc.get(d, 0.0)) for d, e in a["macrophages"].repolarised_by.items())
        return out

    def _derivative(self, y: np.ndarray, sizes: np.ndarray, drugs: Mapping[str, float]) -> np.ndarray:
        a = self._active
        out = np.zeros_like(y)
        total = float(sizes.sum())
        if "t_cells" in a:
            tc = a["t_cells"]
            i = self._slot["effector"]
            e = y[i]
            burden = float(self._antigen @ sizes) if "immune_killing" in a else total
            out[i] = (tc.source + tc.recruitment * e * burden / (tc.half_saturation + burden)
                      - tc.inactivation * e * burden - tc.death * e)
        f = 0.0
        if "fibroblasts" in a:
            fb = a["fibroblasts"]
            i = self._slot["fibroblasts"]
            f = y[i]
            out[i] = (fb.activation + drugs["activation"]) * (1.0 - f) - fb.deactivation * f
        if "hgf" in a:
            h = a["hgf"]
            i = self._slot["hgf"]
            out[i] = h.basal + h.secretion * f - h.clearance * y[i]
        if "hypoxia" in a:
            o = a["hypoxia"]
            i = self._slot["oxygen"]
            out[i] = o.relaxation * (o.normoxic / (1.0 + total / o.half_burden) - y[i])
        if "macrophages" in a:
            m = a["macrophages"]
            i = self._slot["m2_fraction"]
            phi = y[i]
            out[i] = (m.polarisation * total / (total + m.half_burden) * (1.0 - phi)
                      - (m.repolarisation + drugs["repolarise"]) * phi)
        if "nk_cells" in a:
            nk = a["nk_cells"]
            i = self._slot["nk"]
            n = y[i]
            out[i] = (nk.source - nk.death * n + nk.recruitment * n * total**2 / (nk.steepness + total**2)
                      - nk.inactivation * n * total)
        return out

    def _blockade(self, conc: Mapping[str, float]) -> float:
        free = 1.0
        for drug, effect in self._active["immune_killing"].blockade.items():
            free *= 1.0 - min(effect.at(conc.get(drug, 0.0)), 1.0)
        return 1.0 - free

    def _kill(self, effector: float, phi: float, conc: Mapping[str, float]) -> np.ndarray:
        kill = self._active["immune_killing"]
        suppression = 1.0 - self._active["macrophages"].suppression * phi if "macrophages" in self._active else 1.0
        complex_ = kill.checkpoint * self._pd_l1 * (1.0 - self._blockade(conc))
        return kill.rate * self._antigen * effector * suppression / (1.0 + complex_)

    def _protection(self, state: np.ndarray, conc: Mapping[str, float]) -> list[list[float]] | None:
        """Divisor of each (type, response) effect, or None when nothing is protected."""
        a = self._active
        if self._stroma is None and self._hgf is None:
            return None
        model = self._model
        divisor = [[1.0] * len(t.responses) for t in model.types]
        if self._stroma is not None:
            gf = a["stromal_protection"].gamma * state[self._slot["fibroblasts"]]
            for i, row in enumerate(self._stroma):
                for j, w in enumerate(row):
                    if w:
                        divisor[i][j] *= 1.0 + gf
        if self._hgf is not None:
            h = a["hgf"]
            hgf = state[self._slot["hgf"]]
            free = 1.0
            for drug, effect in h.inhibitors.items():
                free *= 1.0 - min(effect.at(conc.get(drug, 0.0)), 1.0)
            signal = h.gamma * hgf / (h.half_saturation + hgf) * free
            for i, row in enumerate(self._hgf):
                for j, w in enumerate(row):
                    if w:
                        divisor[i][j] *= 1.0 + signal * w
        return divisor

    def _scaled_rates(self, conc: Mapping[str, float], divisor: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
        """Birth and death as :meth:`Model.rates` computes them, each effect divided by ``divisor``."""
        model = self._model
        k = len(model.types)
        birth = np.empty(k)
        death = np.empty(k)
        strongest = model.combination == "max"
        for i, t in enumerate(model.types):
            keep, extra = 1.0, 0.0
            for j, r in enumerate(t.responses):
                e = r.effect(conc.get(r.drug, 0.0)) / divisor[i][j]
                if r.target == "birth":
                    keep = min(keep, 1.0 - e) if strongest else keep * (1.0 - e)
                else:
                    extra = max(extra, e) if strongest else extra + e
            birth[i], death[i] = t.birth * keep, t.death + extra
        return birth, death


# ---------------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class TMEModel(Model):
    """A :class:`~oncoresist.evolve.Model` with its microenvironment (``tme``).

    Its ``rates`` carry the drug concentrations, which the terms acting on drug effects need.
    :meth:`simulate` runs one patient with the coupling; :meth:`simulate_controlled` is the
    hook through which :func:`oncoresist.therapy.compare` runs it under any strategy (the
    patient's simulation stream is a child of the strategy controller's seed, so every
    strategy sees the same tumour up to treatment start). ``engine`` and ``engine_options``
    are used by :meth:`simulate_controlled`.
    """

    tme: TME | None = None
    engine: str = "hybrid"
    engine_options: Mapping[str, Any] = field(default_factory=dict)

    def rates(self, concentrations: Mapping[str, float] | None = None) -> Rates:
        """Rates as :meth:`Model.rates`, carrying ``concentrations``."""
        base = Model.rates(self, concentrations)
        return _ExposedRates(birth=base.birth, death=base.death, mutation=base.mutation, switching=base.switching,
                             concentrations=dict(concentrations or {}))

    def coupling(self) -> TME:
        """Return a fresh copy of the coupling (with its own trajectory log)."""
        tme = self.tme if self.tme is not None else TME()
        return TME(tme.terms, tolerance=tme.tolerance, min_step=tme.min_step, step_limit=tme.step_limit)

    def simulate(self, strategy: Any = None, **options: Any) -> TMEResult:
        """One patient with the microenvironment; options as :func:`oncoresist.evolve.simulate`."""
        coupling = self.coupling()
        options.setdefault("engine", self.engine)
        options.setdefault("engine_options", dict(self.engine_options))
        result = simulate(self, strategy, coupling=coupling, **options)
        return TMEResult(result=result, compartments=coupling.compartments())

    def simulate_controlled(self, strategy: Any, *, stop: Any, decision_interval: float = 7.0,
                            record_interval: float | None = None, rng: Any = None) -> SimulationResult:
        """One patient under a therapy controller (the hook used by ``therapy.compare``)."""
        if rng is None:
            parent = getattr(strategy, "rng", None)
            if parent is None:
                msg = "simulate_controlled needs rng (or a strategy controller carrying one)"
                raise InputError(msg, field="rng")
            # a fixed child of the controller's seed: it draws nothing from the monitoring stream
            # and, being derived without spawning (which would count children), it is the same
            # for every strategy given to the same patient (common random numbers)
            seq = parent.bit_generator.seed_seq
            rng = np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, _SIM_KEY),
                                                               pool_size=seq.pool_size))
        return simulate(self, strategy, engine=self.engine, engine_options=dict(self.engine_options), stop=stop,
                        decision_interval=decision_interval, record_interval=record_interval,
                        coupling=self.coupling(), rng=rng)


@dataclass
class TMEResult:
    """One patient with its microenvironment: the clones and the compartments over time."""

    result: SimulationResult
    compartments: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Compartments (time and one column each) at the end of every coupling step."""
        return self.compartments.copy()

    def write(self, path: str | Path) -> Path:
        """Write ``simulation/`` (the clone tables, as ``SimulationResult.write``) and ``compartments.tsv``."""
        with atomic_output_dir(path) as tmp:
            self.result.write(tmp / "simulation")
            self.compartments.to_csv(tmp / "compartments.tsv", sep="\t", index=False, lineterminator="\n",
                                     float_format="%.10g")
        return Path(path)


def couple(model: Model, tme: TME | Sequence[Any], *, engine: str = "hybrid",
           engine_options: Mapping[str, Any] | None = None) -> TMEModel:
    """Attach microenvironment terms to a model.

    Parameters
    ----------
    model
        The clones' :class:`~oncoresist.evolve.Model` (its drugs include any immunotherapy or
        MET inhibitor named by the terms).
    tme
        A :class:`TME` or a sequence of terms.
    engine, engine_options
        Engine used when the model runs under ``therapy.compare``.

    Returns
    -------
    TMEModel

    Examples
    --------
    >>> from oncoresist.evolve import CellType, Model, StopRules
    >>> from oncoresist.evolve.tme import ImmuneKilling, TCells, couple
    >>> m = Model(types=(CellType("T", 0.18, 0.0),), capacity=5e8, initial={"T": 10**7})
    >>> cm = couple(m, [TCells(), ImmuneKilling()], engine="ode")
    >>> run = cm.simulate(stop=StopRules(time_limit=10.0), engine="ode")
    >>> list(run.compartments.columns)
    ['time', 'effector']
    """
    if not isinstance(tme, TME):
        tme = TME(tuple(tme))
    values = {f.name: getattr(model, f.name) for f in dataclasses.fields(Model)}
    return TMEModel(**values, tme=tme, engine=engine, engine_options=dict(engine_options or {}))


def plot_runs(runs: Mapping[str, TMEResult], *, marker_drug: str | None = None) -> Any:
    """Cells per type (top row) beside each compartment (rows below), one column per run.

    Time is in days from treatment start (30 days before it are shown); a dotted line marks the
    first dose of ``marker_drug`` when given. A compartment a run does not have is marked
    "term off".

    Parameters
    ----------
    runs
        Name (e.g. strategy) -> one patient's :class:`TMEResult`.
    marker_drug
        Drug whose first dose is marked in every panel of its column.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from oncoresist.evolve import CellType, Model, StopRules
    >>> m = Model(types=(CellType("T", 0.18, 0.0),), capacity=5e8, initial={"T": 10**7})
    >>> run = couple(m, [TCells(), ImmuneKilling()], engine="ode").simulate(
    ...     stop=StopRules(time_limit=10.0), engine="ode")
    >>> fig = plot_runs({"untreated": run})
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    names = list(runs)
    compartments = [c for c in next(iter(runs.values())).compartments.columns if c != "time"]
    rows = 1 + len(compartments)
    fig, axes = plt.subplots(rows, len(names), figsize=(4.2 * len(names), 2.6 * rows), sharex=True, squeeze=False)
    for col, name in enumerate(names):
        run = runs[name]
        start = run.result.events.get("treatment_start", 0.0)
        totals = run.result.totals
        after = totals[totals["time"] >= start - 30]
        ax = axes[0][col]
        for t in run.result.type_names:
            ax.plot(after["time"] - start, after[t].clip(lower=0.5), label=t)
        ax.set_yscale("log")
        ax.set_ylim(bottom=1)
        ax.set_title(name)
        ax.set_ylabel("cells")
        comp = run.compartments[run.compartments["time"] >= start - 30]
        for row, c in enumerate(compartments, start=1):
            if c in comp:
                axes[row][col].plot(comp["time"] - start, comp[c], color="tab:green")
            else:
                axes[row][col].text(0.5, 0.5, "term off", ha="center", transform=axes[row][col].transAxes)
            axes[row][col].set_ylabel(c)
        if marker_drug:
            dosing = run.result.dosing
            on = dosing[(dosing["drug"] == marker_drug) & (dosing["level"] > 0)]
            if len(on):
                for r in range(rows):
                    axes[r][col].axvline(float(on["time"].min()) - start, color="grey", ls=":", lw=1)
        axes[-1][col].set_xlabel("days from treatment start")
    axes[0][0].legend(frameon=False)
    fig.tight_layout()
    return fig
