"""Drug combinations: dose-response fits and synergy scores (HSA, Bliss, Loewe, ZIP, MuSyC).

Reads SynergyFinder's long format (or a wide matrix per block), fits four-parameter
log-logistic curves to the single drugs, scores every well and block against the reference
models, bootstraps replicates for intervals and p-values, and hands a fitted combined effect to
simulators (:func:`effect_model`). Responses are % inhibition; synergy > 0 means synergy.
Research use only.
"""

from oncoresist.synergy._api import (
    CombinationEffect,
    DrugEffect,
    SynergyResult,
    block_from_matrix,
    effect_model,
    fit_dose_response,
    fit_musyc,
    make_block,
    read_matrix,
    read_screen,
    score,
)
from oncoresist.synergy._fit import CurveFit
from oncoresist.synergy._io import Block, ResponseConventionWarning, Screen
from oncoresist.synergy._models import MODELS, MusycFit, musyc_surface
from oncoresist.synergy._plots import plot_dose_response, plot_heatmap, plot_surface

__all__ = [
    "MODELS",
    "Block",
    "CombinationEffect",
    "CurveFit",
    "DrugEffect",
    "MusycFit",
    "ResponseConventionWarning",
    "Screen",
    "SynergyResult",
    "block_from_matrix",
    "effect_model",
    "fit_dose_response",
    "fit_musyc",
    "make_block",
    "musyc_surface",
    "plot_dose_response",
    "plot_heatmap",
    "plot_surface",
    "read_matrix",
    "read_screen",
    "score",
]
