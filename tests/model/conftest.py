"""Fixtures of the model tests: the hand-made panel in memory, and loaded into the registry."""

from __future__ import annotations

import pytest

from tests.model.panel import make_panel
from zengshou.frames import Population


@pytest.fixture(scope="session")
def panel() -> tuple[Population, object]:
    return make_panel(2500, seed=3)


@pytest.fixture
def model_home(tmp_path, monkeypatch):
    """A private ZENGSHOU_HOME so stored model versions of one test never meet another's."""
    monkeypatch.setenv("ZENGSHOU_HOME", str(tmp_path))
    return tmp_path
