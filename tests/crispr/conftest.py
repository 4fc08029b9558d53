"""Fixtures of the CRISPR screen tests (files in tests/data/crispr, see tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

CRISPR_DATA = Path(__file__).parent.parent / "data" / "crispr"


@pytest.fixture
def crispr_data() -> Path:
    return CRISPR_DATA


@pytest.fixture(scope="session")
def demo1_counts():
    from oncoresist.crispr import read_counts

    return read_counts(CRISPR_DATA / "mageck_demo" / "demo1" / "sample.txt")


@pytest.fixture(scope="session")
def demo1_rra(demo1_counts):
    from oncoresist.crispr import rra_test

    return rra_test(
        demo1_counts, ["HL60.final", "KBM7.final"], ["HL60.initial", "KBM7.initial"], rng=0
    )
