"""Shared test fixtures: small hand-made households in the registry."""

from __future__ import annotations

import datetime as dt

import pytest

from zengshou.registry import idnumber


@pytest.fixture
def village(db):
    from zengshou.registry.models import Area

    township = Area.objects.create(code="640522100", name="海城镇", level="township", parent_id="640522")
    return Area.objects.create(code="640522100201", name="山门村", level="village", parent=township)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached figures of another test's data never leak in."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def areas_db(transactional_db):
    """A database that commits (for CLI commands), with Ningxia's areas that a flush before it removed."""
    from zengshou.registry.areas import ensure_loaded

    ensure_loaded()


def make_id(seq: int, born: dt.date = dt.date(1980, 5, 17), male: bool = True, area: str = "640522") -> str:
    return idnumber.make(area, born, seq, male)
