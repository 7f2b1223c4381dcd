"""The case tables: one YAML file per catalogue code, read by a policy officer and checked here.

Every case of a file is one household of one population, so each file is evaluated in one
vectorised run, exactly as the whole region is.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import polars as pl
import pytest

from tests.cases import batch, casebook
from zengshou import toolbox
from zengshou.toolbox import definitions as d

FILES = casebook.measure_files()
CATALOGUE_CODES = {m.code for m in d.MEASURES} | {"L00"}


def test_every_household_measure_has_a_case_table() -> None:
    assert {f.removesuffix(".yaml") for f in FILES} == CATALOGUE_CODES


@cache
def _run(name: str, given: str = "{}") -> tuple[dict[str, Any], pl.DataFrame, pl.DataFrame, Any, Any]:
    """The file's households evaluated together, with a case's ``参数`` (JSON) in force for every year."""
    doc = casebook.load(name)
    ps = batch.params(json.loads(given))
    pop, q = casebook.population(doc["cases"], doc["year"], prefix=doc["code"])
    result = toolbox.evaluate(pop, q, doc["year"], params=ps)
    hh, _ = toolbox.facts(pop, q, doc["year"], params=ps)
    return doc, result, hh, pop, q


def _ids() -> list[tuple[str, int]]:
    out = []
    for f in FILES:
        for i, _ in enumerate(casebook.load(f)["cases"]):
            out.append((f, i))
    return out


@pytest.mark.parametrize(("name", "index"), _ids(), ids=lambda v: str(v))
def test_case(name: str, index: int) -> None:
    case = casebook.load(name)["cases"][index]
    given = json.dumps(case.get("参数") or {}, ensure_ascii=False, sort_keys=True)
    doc, result, hh, pop, q = _run(name, given)
    code, year = doc["code"], doc["year"]
    hid = f"{code}-{index + 1:03d}"
    label = f"{name} 第{index + 1}例「{case['name']}」"
    expect = case["expect"]
    if code == "L00":
        got = hh.filter(pl.col("household_id") == hid)["in_scope"][0]
        assert got == (expect == "适用"), label
    elif isinstance(expect, list):
        ids = pop.members.filter(pl.col("household_id") == hid)["id_number"].to_list()
        rows = result.filter((pl.col("household_id") == hid) & (pl.col("code") == code))
        applied = dict(zip(rows["id_number"].to_list(), rows["amount"].to_list(), strict=True))
        assert [("适用" if i in applied else "不适用") for i in ids] == expect, label
        if "金额" in case:
            amounts = [applied.get(i) for i in ids]
            assert amounts == case["金额"], label
    else:
        rows = result.filter((pl.col("household_id") == hid) & (pl.col("code") == code))
        assert (rows.height == 1) == (expect == "适用"), label
        if "金额" in case:
            assert rows["amount"][0] == case["金额"], label
        if rows.height:
            assert rows["id_number"][0] is None
            assert rows["reason"][0].startswith(code + "：")
    if "说明包含" in case or "说明不含" in case:
        texts = [
            e.text
            for e in toolbox.explain(hid, pop, q, year, params=batch.params(json.loads(given)))
            if e.code == code
        ]
        if "说明包含" in case:
            assert any(case["说明包含"] in t for t in texts), f"{label}: {texts}"
        if "说明不含" in case:
            assert not any(case["说明不含"] in t for t in texts), f"{label}: {texts}"
