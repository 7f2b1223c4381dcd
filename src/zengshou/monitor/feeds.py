"""M07: department feeds from the database as frames, so the rules find problems in shared data first.

Each frame has the feed's interchange keys (``zengshou.interchange.FEEDS``) plus ``household_id``:
the household of the member the row matched by 证件号码 (null when it matched nobody). Plain SQL,
columns built in bulk; rows that matched no member are kept when no area is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population, _query_frame, from_database, schema
from zengshou.registry.areas import code_prefix

_PERSON_FEEDS: dict[str, tuple[str, ix.Table]] = {
    "medical": ("registry_medicalrecord", ix.FEED_MEDICAL),
    "disability": ("registry_disabilityrecord", ix.FEED_DISABILITY),
    "civil": ("registry_civilassistancerecord", ix.FEED_CIVIL),
    "employment": ("registry_employmentrecord", ix.FEED_EMPLOYMENT),
    "education": ("registry_educationrecord", ix.FEED_EDUCATION),
}


def load_feeds(area_code: str | None = None) -> dict[str, pl.DataFrame]:
    """Every feed table as a frame, keyed as ``Population.feeds`` (medical, disability, …, disaster)."""
    prefix = code_prefix(area_code) + "%" if area_code else None
    feeds: dict[str, pl.DataFrame] = {}
    for key, (table, spec) in _PERSON_FEEDS.items():
        cols = ", ".join(f"r.{c.key}" for c in spec.columns)
        where, params = _scope("h", prefix)
        sql = (
            f"SELECT {cols}, m.household_id FROM {table} r "
            "LEFT JOIN registry_member m ON m.id = r.member_id "
            "LEFT JOIN registry_household h ON h.household_id = m.household_id"
            f"{where} ORDER BY r.id"
        )
        feeds[key] = _query_frame(sql, params, {**schema(spec), "household_id": pl.Utf8})
    where, params = _scope("h", prefix)
    feeds["housing"] = _query_frame(
        "SELECT COALESCE(r.household_id, NULLIF(r.household_ref, '')), NULLIF(r.id_number, ''), "
        "r.safety_grade, r.assessed_on FROM registry_housingrecord r "
        "LEFT JOIN registry_household h ON h.household_id = r.household_id"
        f"{where} ORDER BY r.id",
        params,
        schema(ix.FEED_HOUSING),
    )
    disaster_where = " WHERE r.area_code LIKE %s" if prefix else ""
    feeds["disaster"] = _query_frame(
        "SELECT r.area_code, r.disaster_type, r.occurred_on, r.households_affected, r.direct_loss_10k "
        f"FROM registry_disasterrecord r{disaster_where} ORDER BY r.id",
        [prefix] if prefix else [],
        schema(ix.FEED_DISASTER),
    )
    return feeds


def _scope(alias: str, prefix: str | None) -> tuple[str, list[Any]]:
    if prefix is None:
        return "", []
    return f" WHERE {alias}.village_code LIKE %s", [prefix]


def population_from_database(area_code: str | None = None, years: Iterable[int] | None = None) -> Population:
    """The registry under ``area_code`` with its department feeds, ready for the pipeline.

    ``years`` limits the income rows read (see :func:`zengshou.frames.from_database`).
    """
    pop = from_database(area_code, years)
    pop.feeds = load_feeds(area_code)
    return pop
