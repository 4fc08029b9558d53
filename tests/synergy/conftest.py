"""Fixtures of the synergy tests: the SynergyFinder example screens copied into tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data" / "synergy"


@pytest.fixture
def oneil_path() -> Path:
    """O'Neil et al. 2016 example (two blocks, % inhibition, 4 replicates)."""
    return DATA / "ONEIL_screening_data.csv"


@pytest.fixture
def mathews_path() -> Path:
    """Mathews Griner et al. 2014 example (two blocks, % viability, no replicates)."""
    return DATA / "mathews_screening_data.csv"
