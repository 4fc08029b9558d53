"""Stochastic simulation of clonal evolution under therapy, checked against theory.

Pure mathematics: cell types with birth and death rates under drug exposure, a mutation graph
(per division), phenotype switching (per time), optional carrying capacity and PK. Engines:
``hybrid`` (default), ``exact`` (Gillespie) and ``ode`` (deterministic mean). Closed forms used
to check the engines are in :mod:`oncoresist.evolve.theory`.
"""

from oncoresist.evolve import tme
from oncoresist.evolve._ensemble import EnsembleResult, simulate_ensemble
from oncoresist.evolve._model import CellType, Drug, DrugResponse, Model, Mutation, Rates, Switch
from oncoresist.evolve._pk import OneCompartmentPK
from oncoresist.evolve._simulate import (
    Coupling,
    Dosing,
    HistoryEntry,
    Observation,
    Schedule,
    SimulationResult,
    StopRules,
    constant,
    simulate,
)
from oncoresist.evolve._yaml import Scenario, load_scenario

__all__ = [
    "CellType",
    "Coupling",
    "Dosing",
    "Drug",
    "DrugResponse",
    "EnsembleResult",
    "HistoryEntry",
    "Model",
    "Mutation",
    "Observation",
    "OneCompartmentPK",
    "Rates",
    "Scenario",
    "Schedule",
    "SimulationResult",
    "StopRules",
    "Switch",
    "constant",
    "load_scenario",
    "simulate",
    "simulate_ensemble",
    "tme",
]
