"""Alert and tier case tables run through the batch pipeline, as a region's data is.

A file's household cases share one population per period and parameter set (a case may give its
own ``季度`` or ``参数``); a case that lists ``农户`` is a population of its own (groups, scale risks,
a period without any income data), its households ``<code>-<n>-<k>``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl
import pytest

from tests.cases import casebook
from zengshou import params as parameters
from zengshou import pipeline
from zengshou.params import ParameterSet

STAGES = ("accounts", "alerts", "tiers")


@dataclass(frozen=True)
class Subject:
    """One household of a case with what the case expects of it."""

    household_id: str
    expect: dict[str, Any]


@dataclass(frozen=True)
class Run:
    result: pipeline.BatchResult
    subjects: list[Subject]


def params(overrides: dict[str, Any] | None) -> ParameterSet | None:
    """The shipped parameters (None: the pipeline's own), with a case file's ``参数`` in force for every year."""
    if not overrides:
        return None
    ps = parameters.tree()
    for key, value in overrides.items():
        ps = ps.with_value(key, value, dt.date(2000, 1, 1), origin="case table")
    return ps


def _settings(doc: dict[str, Any], case: dict[str, Any]) -> tuple[int | None, str]:
    quarter = case.get("季度", doc.get("quarter"))
    given = {**(doc.get("参数") or {}), **(case.get("参数") or {})}
    return quarter, json.dumps(given, ensure_ascii=False, sort_keys=True)


def _entries(case: dict[str, Any]) -> list[dict[str, Any]]:
    """A population case's households, each entry repeated ``户数`` times."""
    out = []
    for entry in case["农户"]:
        out.extend([entry] * int(entry.get("户数", 1)))
    return out


@cache
def run(name: str, index: int) -> Run:
    """The run holding case ``index`` of file ``name`` (shared by every case of the same settings)."""
    doc = casebook.load(name)
    code, year, cases = doc["code"], doc["year"], doc["cases"]
    case = cases[index]
    quarter, given = _settings(doc, case)
    defaults = doc.get("默认家庭")
    if "农户" in case:
        entries = _entries(case)
        pop, _ = casebook.population(
            entries, year, prefix=f"{code}-{index + 1:03d}", quarter=quarter, defaults=defaults
        )
        ids = pop.households["household_id"].to_list()
        subjects = [Subject(h, e) for h, e in zip(ids, entries, strict=True)]
    else:
        chosen = [i for i, c in enumerate(cases) if "农户" not in c and _settings(doc, c) == (quarter, given)]
        pop, _ = casebook.population(
            [cases[i] for i in chosen],
            year,
            prefix=code,
            quarter=quarter,
            defaults=defaults,
            numbers=[i + 1 for i in chosen],
        )
        subjects = [Subject(f"{code}-{index + 1:03d}", case)]
    result = pipeline.run_batch(pop, year, quarter, params(json.loads(given)), stages=STAGES)
    return Run(result, subjects)


def cases(prefix: str) -> list[Any]:
    """(file, case index) of every case in the files whose code starts with ``prefix``, each with
    the case's own sentence (after its file's code) as the test's id."""
    out = []
    for name in casebook.files():
        if name.startswith(prefix):
            for index, case in enumerate(casebook.load(name)["cases"]):
                out.append(pytest.param(name, index, id=f"{name.removesuffix('.yaml')} {case['name']}"))
    return out


def rows(frame: pl.DataFrame, **equal: Any) -> list[dict[str, Any]]:
    cond = pl.lit(True)
    for key, value in equal.items():
        cond = cond & (pl.col(key).is_null() if value is None else pl.col(key) == value)
    return frame.filter(cond).to_dicts()
