"""Quality case tables: the households of ``tests/cases/casebook.py`` with what the checks read besides.

A case is one household (``household`` and ``members`` as in the toolbox tables) or, under
``农户``, several households of one population (each with its own ``expect``). Besides the
interchange headers a member may give ``证件号码`` and ``姓名`` as written; a household may give
``监测记录`` (监测对象类型, 识别监测时间, 消除监测时间, 风险 — 致贫/返贫风险1–5 in order, one or a list —,
风险消除方式: one record or a list) and ``结对`` (是: an open
pairing). ``expect`` is 报告 (the file's rule flags the household) or 不报告; ``说明包含`` is text
one of its messages must contain, ``成员`` the member (by relation) a person rule names.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from tests.cases import casebook as base
from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.quality.evaluate import MONITORING_SCHEMA

CASES_DIR = Path(__file__).parent / "cases"


def files() -> list[str]:
    return sorted(p.name for p in CASES_DIR.glob("Q*.yaml"))


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((CASES_DIR / name).read_text(encoding="utf-8"))
    return doc


def _members(case: dict[str, Any]) -> list[dict[str, Any]]:
    h = case.get("household") or {}
    members = case.get("members")
    if members is None and base.SIZE in h:
        return [{}] * int(h[base.SIZE])
    return members or [{}]


def _date(v: Any) -> dt.date | None:
    if v is None:
        return None
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


def population(
    households: list[dict[str, Any]], year: int
) -> tuple[Population, pl.DataFrame, pl.DataFrame, list[str]]:
    """The population of the households, their monitoring records, open pairs and 户编号 in order."""
    pop, _ = base.population(households, year)
    ids, names = pop.members["id_number"].to_list(), pop.members["name"].to_list()
    i = 0
    for case in households:
        for m in _members(case):
            if m and "证件号码" in m:
                ids[i] = None if m["证件号码"] is None else str(m["证件号码"])
            if m and "姓名" in m:
                names[i] = str(m["姓名"])
            i += 1
    pop.members = pop.members.with_columns(
        pl.Series("id_number", ids, dtype=pl.Utf8), pl.Series("name", names, dtype=pl.Utf8)
    )
    hids = pop.households["household_id"].to_list()
    records, pairs = [], []
    for hid, case in zip(hids, households, strict=True):
        h = case.get("household") or {}
        given = h.get("监测记录")
        for r in given if isinstance(given, list) else [given] if given else []:
            risks = r.get("风险") or []
            risks = [risks] if isinstance(risks, str) else list(risks)
            records.append(
                {
                    "household_id": hid,
                    "monitoring_type": r.get("监测对象类型", "脱贫不稳定户"),
                    "included_on": _date(r.get("识别监测时间")),
                    "risk_eliminated_on": _date(r.get("消除监测时间")),
                    **dict(zip(ix.RISK_SLOTS, risks, strict=False)),
                    "elimination_method": r.get("风险消除方式"),
                }
            )
        if h.get("结对") in ("是", True):
            pairs.append(hid)
    monitoring = pl.DataFrame(records, schema=MONITORING_SCHEMA)
    paired = pl.DataFrame({"household_id": pairs}, schema={"household_id": pl.Utf8})
    return pop, monitoring, paired, hids
