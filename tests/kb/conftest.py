"""Fixtures of the knowledge-base tests: small hand-made YAML, and a KB built from them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oncoresist.kb import _build
from oncoresist.kb._build import compile_kb
from oncoresist.kb._query import read_compiled

DATA = Path(__file__).resolve().parents[1] / "data" / "kb"


@pytest.fixture(scope="session")
def kb_data() -> Path:
    """Folder of the hand-made kb fixtures."""
    return DATA


@pytest.fixture(scope="session")
def mini_kb_dir(tmp_path_factory) -> Path:
    """The shipped drugs and pathways with the small fixture rule list, compiled once."""
    root = tmp_path_factory.mktemp("mini_kb")
    data = root / "data"
    data.mkdir()
    shutil.copy(_build.DATA_DIR / "drugs.yaml", data / "drugs.yaml")
    shutil.copy(_build.DATA_DIR / "pathways.yaml", data / "pathways.yaml")
    shutil.copy(DATA / "rules_min.yaml", data / "rules.yaml")
    compile_kb(data, _build.SOURCES_DIR, root / "compiled")
    return root


@pytest.fixture(scope="session")
def mini_kb(mini_kb_dir):
    """A KnowledgeBase compiled from the fixtures (independent of the curated rules)."""
    return read_compiled(mini_kb_dir / "compiled" / "kb.json")
