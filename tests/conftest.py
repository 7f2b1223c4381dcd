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


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session for the whole run (one JVM): one core, UI off, its own scratch folder,
    so the SQLite and PostgreSQL runs of ``make test`` side by side keep apart."""
    from zengshou.spark import session

    active = session(
        "local[1]",
        "zengshou-tests",
        local_dir=str(tmp_path_factory.mktemp("spark-local")),
        shuffle_partitions=2,
        extra={"spark.sql.adaptive.coalescePartitions.initialPartitionNum": "2"},
    )
    active.sparkContext.setLogLevel("ERROR")
    yield active
    active.stop()
