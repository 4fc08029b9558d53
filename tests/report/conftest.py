"""One run of the mini case shared by the report tests (it takes a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncoresist.case import run_case

MINI = Path(__file__).parents[1] / "data" / "case" / "mini.yaml"


@pytest.fixture(scope="session")
def mini_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    run_case(MINI, out=out)
    return out
