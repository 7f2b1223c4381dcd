"""The registry read into frames: households, members, income, villages, cadres and department feeds.

Plain SQL, columns built in bulk, no ORM object per row. :func:`population_from_database` is what the
batch pipeline, the toolbox, the risk model and pairing read; feed rows carry the household of the
member they matched by 证件号码 (null when they matched nobody), so the rules find problems in shared
data first (M07).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
from django.db import connection

from zengshou import interchange as ix
from zengshou.frames import Population, conform, schema
from zengshou.registry.areas import code_prefix


def query_frame(sql: str, params: list[Any], frame_schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of ``sql`` as a frame of ``frame_schema``, blank text as null (every read path's reader)."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    raw = pl.DataFrame(rows, schema=list(frame_schema), orient="row", infer_schema_length=None)
    # Django stores a blank text field as ''; frames hold a missing value as null
    return raw.with_columns(
        [
            pl.col(k).cast(pl.Float64).cast(t)
            if t == pl.Boolean
            else pl.col(k).cast(t).replace("", None)
            if t == pl.Utf8
            else pl.col(k).cast(t)
            for k, t in frame_schema.items()
        ]
    )


def from_database(area_code: str | None = None, years: Iterable[int] | None = None) -> Population:
    """Read the registry into frames, optionally only the households under one area.

    ``years`` limits the income rows read (a run for a year needs that year and the one before);
    income is by far the largest table. Reads with plain SQL; no ORM object per row.
    """
    prefix = code_prefix(area_code) + "%" if area_code else "%"
    hh_cols = [c.key for c in ix.HOUSEHOLDS.columns]
    hh_sql_cols = ", ".join("h." + ("village_code" if k == "village_code" else k) for k in hh_cols)
    households = query_frame(
        f"SELECT {hh_sql_cols} FROM registry_household h WHERE h.village_code LIKE %s ORDER BY h.household_id",
        [prefix],
        schema(ix.HOUSEHOLDS),
    )
    mem_cols = [c.key for c in ix.MEMBERS.columns]
    mem_sql_cols = ", ".join(("m.household_id" if k == "household_id" else "m." + k) for k in mem_cols)
    members = query_frame(
        f"SELECT {mem_sql_cols} FROM registry_member m JOIN registry_household h "
        "ON h.household_id = m.household_id WHERE h.village_code LIKE %s ORDER BY m.household_id, m.id",
        [prefix],
        schema(ix.MEMBERS),
    )
    inc_cols = ", ".join("i." + c.key for c in ix.INCOME.columns)
    year_list = sorted(set(years)) if years is not None else []
    year_filter = f" AND i.year IN ({', '.join(['%s'] * len(year_list))})" if year_list else ""
    income = query_frame(
        f"SELECT {inc_cols} FROM registry_income i JOIN registry_household h "
        f"ON h.household_id = i.household_id WHERE h.village_code LIKE %s{year_filter} "
        "ORDER BY i.household_id, i.year, i.quarter",
        [prefix, *year_list],
        schema(ix.INCOME),
    )
    villages = query_frame(
        "SELECT v.code, v.name, t.name, v.collective_income_10k FROM registry_area v "
        "LEFT JOIN registry_area t ON t.code = v.parent_id WHERE v.level = 'village' AND v.code LIKE %s "
        "ORDER BY v.code",
        [prefix],
        schema(ix.VILLAGES),
    )
    # Cadres work in their county (S02): a township or village reads its county's cadres, a city or
    # the region those of all its counties.
    cadre_prefix = code_prefix(area_code[:6]) + "%" if area_code else "%"
    cadre_rows = query_frame(
        "SELECT c.cadre_id, c.name, c.unit, c.rank, c.county_code FROM registry_cadre c "
        "WHERE c.county_code LIKE %s ORDER BY c.cadre_id",
        [cadre_prefix],
        {k: v for k, v in schema(ix.CADRES).items() if k != "current_households"},
    )
    pairs = query_frame(
        "SELECT p.cadre_id, p.household_id FROM registry_pairing p WHERE p.ended_on IS NULL ORDER BY p.household_id",
        [],
        {"cadre_id": pl.Utf8, "household_id": pl.Utf8},
    )
    current = pairs.group_by("cadre_id", maintain_order=True).agg(
        pl.col("household_id").str.join(";").alias("current_households")
    )
    cadres = conform(cadre_rows.join(current, on="cadre_id", how="left"), ix.CADRES)
    return Population(households=households, members=members, income=income, villages=villages, cadres=cadres)


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
        feeds[key] = query_frame(sql, params, {**schema(spec), "household_id": pl.Utf8})
    where, params = _scope("h", prefix)
    feeds["housing"] = query_frame(
        "SELECT COALESCE(r.household_id, NULLIF(r.household_ref, '')), NULLIF(r.id_number, ''), "
        "r.safety_grade, r.assessed_on FROM registry_housingrecord r "
        "LEFT JOIN registry_household h ON h.household_id = r.household_id"
        f"{where} ORDER BY r.id",
        params,
        schema(ix.FEED_HOUSING),
    )
    disaster_where = " WHERE r.area_code LIKE %s" if prefix else ""
    feeds["disaster"] = query_frame(
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

    ``years`` limits the income rows read (see :func:`from_database`).
    """
    pop = from_database(area_code, years)
    pop.feeds = load_feeds(area_code)
    return pop
