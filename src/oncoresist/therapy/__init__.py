"""Therapy strategies compared and optimised on virtual patients.

Strategies (continuous, combination, sequential, intermittent, alternating, adaptive after
Zhang et al. 2017, dose modulation after Gatenby et al. 2009, or any user callable) decide at
decision times from what monitoring shows (imaging above a detection threshold, noisy ctDNA).
:func:`compare` runs them on the same virtual patients of an :mod:`oncoresist.evolve` model
(common random numbers) and reports time to progression (Kaplan–Meier), eradication, dose and
cost; :func:`optimise` searches a strategy family under a dose budget; :func:`model_from_kb`
builds a simulator model from the knowledge base. A research tool, not for clinical decisions.
"""

from oncoresist.therapy._compare import Comparison, Settings, compare
from oncoresist.therapy._from_kb import model_from_kb, tme_from_kb
from oncoresist.therapy._monitoring import CtDNA, Imaging, Monitoring, ProgressionRule
from oncoresist.therapy._optimise import Optimisation, optimise
from oncoresist.therapy._outcomes import cumulative_dose
from oncoresist.therapy._scenario import TherapyScenario, load_therapy_scenario
from oncoresist.therapy._strategies import (
    Adaptive,
    Alternating,
    Combination,
    Continuous,
    Controller,
    Custom,
    DoseModulation,
    Intermittent,
    PatientState,
    Sequential,
    Strategy,
    controller,
)
from oncoresist.therapy._zhang2017 import Zhang2017

__all__ = [
    "Adaptive",
    "Alternating",
    "Combination",
    "Comparison",
    "Continuous",
    "Controller",
    "CtDNA",
    "Custom",
    "DoseModulation",
    "Imaging",
    "Intermittent",
    "Monitoring",
    "Optimisation",
    "PatientState",
    "ProgressionRule",
    "Sequential",
    "Settings",
    "Strategy",
    "TherapyScenario",
    "Zhang2017",
    "compare",
    "controller",
    "cumulative_dose",
    "load_therapy_scenario",
    "model_from_kb",
    "optimise",
    "tme_from_kb",
]
