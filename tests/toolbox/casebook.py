"""Small households written the way a policy officer would (Chinese headers), turned into frames.

A case gives only what matters for it; everything else takes a neutral default (a 脱贫户 in the
低收入组 with safe housing and water; members 40-year-old healthy ordinary labourers, insured).
Members give 年龄 (on 31 December of the year evaluated) and 性别 instead of an ID number.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from zengshou import interchange as ix
from zengshou.frames import Population, conform
from zengshou.registry import idnumber

CASES_DIR = Path(__file__).parent / "cases"
DEFAULT_VILLAGE = "640522100201"

HOUSEHOLD_DEFAULTS: dict[str, Any] = {"户类型": "脱贫户", "住房安全": "是", "饮水安全": "是"}
MEMBER_DEFAULTS: dict[str, Any] = {
    "健康状况": "健康",
    "劳动技能": "普通劳动力",
    "参加基本医疗保险": "是",
    "年龄": 40,
    "性别": "男",
}
_H = {c.header: c for c in ix.HOUSEHOLDS.columns}
_M = {c.header: c for c in ix.MEMBERS.columns}


def _value(column: ix.Column, raw: Any) -> Any:
    if raw is None:
        return None
    if column.type == "bool":
        return raw in ("是", True, "Y", 1)
    if column.type in ("int", "year"):
        return int(raw)
    if column.type == "decimal":
        return float(raw)
    return str(raw)


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((CASES_DIR / name).read_text(encoding="utf-8"))
    return doc


def population(cases: list[dict[str, Any]], year: int, prefix: str = "H") -> tuple[Population, pl.DataFrame]:
    """One household per case (``<prefix>-<n>``), and the quintile/tier frame the cases name."""
    hh_rows, mem_rows, inc_rows, q_rows = [], [], [], []
    villages: dict[str, float | None] = {}
    seq = 0
    for n, case in enumerate(cases, start=1):
        hid = f"{prefix}-{n:03d}"
        h = {**HOUSEHOLD_DEFAULTS, **(case.get("household") or {})}
        row: dict[str, Any] = {
            "household_id": hid,
            "village_code": str(h.get("行政区划代码", DEFAULT_VILLAGE)),
        }
        for header, raw in h.items():
            if header in _H and header not in ("户编号", "行政区划代码"):
                row[_H[header].key] = _value(_H[header], raw)
        hh_rows.append(row)
        villages.setdefault(row["village_code"], None)
        if "村集体经济年收入(万元)" in h:
            villages[row["village_code"]] = float(h["村集体经济年收入(万元)"])
        if "生产经营性收入" in h:
            inc_rows.append(
                {"household_id": hid, "year": year, "operating_gross": float(h["生产经营性收入"])}
            )
        q = {"household_id": hid, "quintile": h.get("五等份组", "低收入组")}
        if "层级" in h:
            q["tier"] = h["层级"]
        q_rows.append(q)
        for i, m in enumerate(case.get("members") or [{}]):
            m = {**MEMBER_DEFAULTS, **(m or {})}
            seq += 1
            born = dt.date(year - int(m["年龄"]), 6, 30)
            mrow: dict[str, Any] = {
                "household_id": hid,
                "name": f"成员{seq}",
                "id_number": idnumber.make("640522", born, seq, m["性别"] == "男"),
                "relation": "户主" if i == 0 else "其他",
            }
            for header, raw in m.items():
                if header in _M and header not in ("户编号", "证件号码", "姓名"):
                    mrow[_M[header].key] = _value(_M[header], raw)
            mem_rows.append(mrow)
    tiers = pl.DataFrame(q_rows, infer_schema_length=None)
    pop = Population(
        households=conform(pl.DataFrame(hh_rows, infer_schema_length=None), ix.HOUSEHOLDS),
        members=conform(pl.DataFrame(mem_rows, infer_schema_length=None), ix.MEMBERS),
        income=conform(
            pl.DataFrame(inc_rows, infer_schema_length=None)
            if inc_rows
            else pl.DataFrame({"household_id": []}),
            ix.INCOME,
        ),
        villages=conform(
            pl.DataFrame(
                {
                    "village_code": list(villages),
                    "village_name": ["村"] * len(villages),
                    "collective_income_10k": list(villages.values()),
                },
                schema_overrides={"collective_income_10k": pl.Float64},
            ),
            ix.VILLAGES,
        ),
    )
    return pop, tiers
